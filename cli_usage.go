package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/packetbuddy/packetbuddy/report"
	"github.com/packetbuddy/packetbuddy/store"
)

// usageFlags are the flags of the usage commands.
type usageFlags struct {
	json      bool
	nic       string
	network   string
	byNIC     bool
	byNetwork bool
	tz        string
	noColor   bool
	devices   deviceFlags
}

func (u *usageFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&u.json, "json", false, "print JSON (the API's usage shape)")
	fs.StringVar(&u.nic, "nic", "", "only this NIC")
	fs.StringVar(&u.network, "network", "", "only this network, by `key or label` (see \"packetbuddy networks\")")
	fs.BoolVar(&u.byNIC, "by-nic", false, "break totals down per NIC")
	fs.BoolVar(&u.byNetwork, "by-network", false, "break totals down per network")
	fs.StringVar(&u.tz, "tz", "", "IANA time zone for dates (default: this machine's)")
	fs.BoolVar(&u.noColor, "no-color", false, "no colours (also NO_COLOR)")
	u.devices.register(fs)
}

// location is the zone of --tz, else the machine's.
func (u *usageFlags) location(e *env) (*time.Location, error) {
	return zoneFlag(e, u.tz)
}

// zoneFlag is the zone a --tz flag names, else the machine's.
func zoneFlag(e *env, tz string) (*time.Location, error) {
	if tz == "" {
		return e.zone, nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "Local" {
		return nil, usagef("unknown time zone %q: want an IANA name such as Asia/Kolkata", tz)
	}
	return loc, nil
}

// openReadOnly opens the database for queries beside a running app.
func (e *env) openReadOnly(ctx context.Context, loc *time.Location) (*store.Store, error) {
	st, err := store.Open(ctx, e.dataDir, store.Options{ReadOnly: true, Location: loc, Now: e.now})
	if errors.Is(err, store.ErrNoDatabase) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return st, nil
}

// query runs fn on the database, read-only, with the scope the flags
// select. Without a database yet fn runs on an empty one, so that a new
// install reports zeros instead of failing.
func (e *env) query(ctx context.Context, u *usageFlags, loc *time.Location, fn func(st *store.Store, sc store.Scope) error) error {
	dev, err := u.devices.scopeDevice()
	if err != nil {
		return err
	}
	st, err := e.openReadOnly(ctx, loc)
	if errors.Is(err, store.ErrNoDatabase) {
		dir, derr := os.MkdirTemp("", "packetbuddy-empty-")
		if derr != nil {
			return derr
		}
		defer os.RemoveAll(dir)
		st, err = store.Open(ctx, dir, store.Options{Location: loc, Now: e.now})
	}
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st, store.Scope{NIC: u.nic, Network: u.network, Device: dev})
}

// todayCmd is "packetbuddy today".
type todayCmd struct{ usage usageFlags }

func (c *todayCmd) flags(fs *flag.FlagSet) { c.usage.register(fs) }

func (c *todayCmd) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usagef("today takes no arguments")
	}
	loc, err := c.usage.location(e)
	if err != nil {
		return err
	}
	now := e.now().In(loc)
	var r store.Report
	err = e.query(ctx, &c.usage, loc, func(st *store.Store, sc store.Scope) (err error) {
		r, err = st.Day(ctx, store.DateOf(now), loc, sc)
		return err
	})
	if err != nil {
		return err
	}
	return e.printReport(&c.usage, "Today, "+now.Format("Mon 2 Jan 2006"), r, nil, false)
}

// monthCmd is "packetbuddy month [YYYY-MM]".
type monthCmd struct {
	usage usageFlags
	month string
}

func (c *monthCmd) flags(fs *flag.FlagSet) {
	c.usage.register(fs)
	fs.StringVar(&c.month, "month", "", "the month, YYYY-MM (default: this month)")
}

func (c *monthCmd) run(ctx context.Context, e *env, args []string) error {
	month := c.month
	if len(args) == 1 && month == "" {
		month = args[0]
	} else if len(args) > 0 {
		return usagef("month takes at most one argument, YYYY-MM")
	}
	loc, err := c.usage.location(e)
	if err != nil {
		return err
	}
	first := store.DateOf(e.now().In(loc))
	first.Day = 1
	if month != "" {
		if first, err = store.ParseMonth(month); err != nil {
			return usagef("%v", err)
		}
	}
	var r store.Report
	err = e.query(ctx, &c.usage, loc, func(st *store.Store, sc store.Scope) (err error) {
		r, err = st.Month(ctx, first.Year, first.Month, loc, sc)
		return err
	})
	if err != nil {
		return err
	}
	return e.printReport(&c.usage, first.Start(time.UTC).Format("January 2006"), r, nil, true)
}

// rangeCmd is "packetbuddy range --from YYYY-MM-DD --to YYYY-MM-DD".
type rangeCmd struct {
	usage    usageFlags
	from, to string
}

func (c *rangeCmd) flags(fs *flag.FlagSet) {
	c.usage.register(fs)
	fs.StringVar(&c.from, "from", "", "first day, YYYY-MM-DD (required)")
	fs.StringVar(&c.to, "to", "", "last day, YYYY-MM-DD, inclusive (required)")
}

func (c *rangeCmd) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usagef("range takes no arguments; use --from and --to")
	}
	if c.from == "" || c.to == "" {
		return usagef("range needs --from YYYY-MM-DD and --to YYYY-MM-DD")
	}
	from, to, err := parseDates(c.from, c.to)
	if err != nil {
		return err
	}
	loc, err := c.usage.location(e)
	if err != nil {
		return err
	}
	var r store.Report
	err = e.query(ctx, &c.usage, loc, func(st *store.Store, sc store.Scope) (err error) {
		r, err = st.Range(ctx, from, to, loc, sc)
		return err
	})
	if err != nil {
		return err
	}
	return e.printReport(&c.usage, from.String()+" to "+to.String(), r, nil, true)
}

// parseDates parses --from and --to and checks the span between them.
func parseDates(from, to string) (store.Date, store.Date, error) {
	f, err := parseDate("--from", from)
	if err != nil {
		return f, f, err
	}
	t, err := parseDate("--to", to)
	if err != nil {
		return f, t, err
	}
	return f, t, store.CheckRange(f, t)
}

// parseDate parses the YYYY-MM-DD value of a flag.
func parseDate(name, value string) (store.Date, error) {
	d, err := store.ParseDate(value)
	if err != nil {
		return d, usagef("%s: %v", name, err)
	}
	return d, nil
}

// summaryCmd is "packetbuddy summary".
type summaryCmd struct {
	usage usageFlags
	top   int
}

func (c *summaryCmd) flags(fs *flag.FlagSet) {
	c.usage.register(fs)
	fs.IntVar(&c.top, "top", 10, "how many top days to list")
}

func (c *summaryCmd) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usagef("summary takes no arguments")
	}
	if c.top < 0 || c.top > 1000 {
		return usagef("--top %d: want 0 to 1000", c.top)
	}
	loc, err := c.usage.location(e)
	if err != nil {
		return err
	}
	var r store.Report
	var days []store.Point
	err = e.query(ctx, &c.usage, loc, func(st *store.Store, sc store.Scope) (err error) {
		if r, err = st.Lifetime(ctx, loc, sc); err != nil {
			return err
		}
		days, err = st.TopDays(ctx, loc, sc, c.top)
		return err
	})
	if err != nil {
		return err
	}
	if days == nil {
		days = []store.Point{} // JSON lists no top days as [], not null
	}
	return e.printReport(&c.usage, "Lifetime", r, days, true)
}

// printReport prints a report as JSON or as an aligned table.
func (e *env) printReport(u *usageFlags, title string, r store.Report, top []store.Point, perStep bool) error {
	p := e.pricing()
	if u.json {
		return writeJSON(e.stdout, p.Report(r, top))
	}
	color := useColor(e.stdout, u.noColor)
	fmt.Fprintf(e.stdout, "%s%s%s%s", bold(color), title, reset(color), u.scopeTitle())
	if r.Location != nil {
		fmt.Fprintf(e.stdout, " (%s)", r.Location)
	}
	fmt.Fprintln(e.stdout)
	tb := newUsageTable(p, color)
	if perStep && r.Granularity != store.ByHour {
		tb.series(r.Series)
		tb.add("")
	}
	if u.byNIC {
		for _, n := range r.ByNIC {
			tb.row(n.NIC, n.Sent, n.Recv, "")
		}
	}
	if u.byNetwork {
		if u.byNIC && len(r.ByNIC) > 0 {
			tb.add("")
		}
		for _, n := range r.ByNetwork {
			tb.row(n.Label, n.Sent, n.Recv, "")
		}
	}
	tb.row("Total", r.Sent, r.Recv, "")
	if err := tb.write(e.stdout); err != nil {
		return err
	}
	if len(top) == 0 {
		return nil
	}
	fmt.Fprintf(e.stdout, "\n%sTop days%s\n", bold(color), reset(color))
	tb = newUsageTable(p, color)
	for _, d := range top {
		tb.row(d.Label, d.Sent, d.Recv, "")
	}
	return tb.write(e.stdout)
}

// scopeTitle is what the title adds for --nic and --network, as typed:
// " — wlan0", " — Home" or " — wlan0 on Home".
func (u *usageFlags) scopeTitle() string {
	switch {
	case u.nic != "" && u.network != "":
		return " — " + u.nic + " on " + u.network
	case u.nic != "":
		return " — " + u.nic
	case u.network != "":
		return " — " + u.network
	}
	return ""
}

// usageTable is a table of usage: sent, received, total, cost and a bar.
type usageTable struct {
	table
	pricing report.Pricing
	color   bool
}

// newUsageTable returns a usage table with its header row.
func newUsageTable(p report.Pricing, color bool) *usageTable {
	t := &usageTable{table: table{lastLeft: true}, pricing: p, color: color}
	t.add("", "Sent", "Received", "Total", "Cost", "")
	return t
}

func (t *usageTable) row(label string, sent, recv uint64, bar string) {
	u := t.pricing.Usage(sent, recv)
	t.add(label, u.HumanReadable.Sent, u.HumanReadable.Received, u.HumanReadable.Total, u.Cost.Total.Formatted, bar)
}

// series adds a row per step, with a bar scaled to the busiest step.
func (t *usageTable) series(points []store.Point) {
	var peak uint64
	for _, s := range points {
		peak = max(peak, s.Sent+s.Recv)
	}
	for _, s := range points {
		t.row(s.Label, s.Sent, s.Recv, bar(s.Sent, s.Recv, peak, 24, t.color))
	}
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// useColor follows --no-color, NO_COLOR (https://no-color.org) and whether
// stdout is a terminal.
func useColor(w io.Writer, noColor bool) bool {
	if noColor {
		return false
	}
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}

func bold(c bool) string {
	if c {
		return "\x1b[1m"
	}
	return ""
}

func reset(c bool) string {
	if c {
		return "\x1b[0m"
	}
	return ""
}

// bar draws sent+recv against peak as width cells of Unicode eighth blocks:
// the sent part first (cyan), then the received part (green) when coloured.
func bar(sent, recv, peak uint64, width int, color bool) string {
	if peak == 0 || sent+recv == 0 {
		return ""
	}
	eighths := func(v uint64) int { return int(math.Round(float64(v) / float64(peak) * float64(width*8))) }
	total := max(eighths(sent+recv), 1)
	s := min(eighths(sent), total)
	r := total - s
	draw := func(n int) string {
		blocks := []string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"}
		return strings.Repeat("█", n/8) + blocks[n%8]
	}
	if !color {
		return draw(total)
	}
	return "\x1b[36m" + draw(s) + "\x1b[32m" + draw(r) + "\x1b[0m"
}

// gapsCmd is "packetbuddy gaps".
type gapsCmd struct{ json bool }

func (c *gapsCmd) flags(fs *flag.FlagSet) {
	fs.BoolVar(&c.json, "json", false, "print JSON")
}

func (c *gapsCmd) run(ctx context.Context, e *env, args []string) error {
	gaps := []store.Gap{}
	st, err := e.openReadOnly(ctx, e.zone)
	if err == nil {
		defer st.Close()
		gaps, err = st.Gaps(ctx, time.Time{}, time.Time{})
	}
	if err != nil && !errors.Is(err, store.ErrNoDatabase) {
		return err
	}
	if c.json {
		return writeJSON(e.stdout, gaps)
	}
	if len(gaps) == 0 {
		fmt.Fprintln(e.stdout, "No traffic was recorded while PacketBuddy was not running.")
		return nil
	}
	units := e.pricing().Units
	tb := table{lastLeft: true}
	tb.add("NIC", "From", "To", "Sent", "Received", "Reason")
	for _, g := range gaps {
		tb.add(g.NIC, g.From.In(e.zone).Format("2006-01-02 15:04"), g.To.In(e.zone).Format("2006-01-02 15:04"),
			units.FormatBytes(g.Sent), units.FormatBytes(g.Recv), g.Reason)
	}
	return tb.write(e.stdout)
}
