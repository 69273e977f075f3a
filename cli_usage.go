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

	"github.com/packetbuddy/packetbuddy/store"
)

// usageFlags are the flags of the usage commands.
type usageFlags struct {
	json    bool
	nic     string
	byNIC   bool
	tz      string
	noColor bool
	devices deviceFlags
}

func newFlagSet(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	e.globals.register(fs)
	return fs
}

func (u *usageFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&u.json, "json", false, "print JSON (the API's usage shape)")
	fs.StringVar(&u.nic, "nic", "", "only this NIC")
	fs.BoolVar(&u.byNIC, "by-nic", false, "break totals down per NIC")
	fs.StringVar(&u.tz, "tz", "", "IANA time zone for dates (default: this machine's)")
	fs.BoolVar(&u.noColor, "no-color", false, "no colours (also NO_COLOR)")
	u.devices.register(fs)
}

// parseFlags parses a command's flags; flag errors are usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%s: %v", fs.Name(), err)
	}
	return nil
}

func (u *usageFlags) location() (*time.Location, error) {
	if u.tz == "" {
		return localZone(), nil
	}
	loc, err := time.LoadLocation(u.tz)
	if err != nil || u.tz == "Local" {
		return nil, usagef("unknown time zone %q: want an IANA name such as Asia/Kolkata", u.tz)
	}
	return loc, nil
}

// openReadOnly opens the database for queries beside a running app.
func (e *env) openReadOnly(ctx context.Context, loc *time.Location) (*store.Store, error) {
	st, err := store.Open(ctx, e.dataDir, store.Options{ReadOnly: true, Location: loc})
	if errors.Is(err, store.ErrNoDatabase) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return st, nil
}

// query runs fn on a read-only store; with no database yet it reports an
// empty history instead of failing.
func (e *env) query(u *usageFlags, fn func(ctx context.Context, st *store.Store, loc *time.Location, sc store.Scope) (store.Report, []store.Point, error)) (store.Report, []store.Point, *time.Location, error) {
	loc, err := u.location()
	if err != nil {
		return store.Report{}, nil, nil, err
	}
	ctx := context.Background()
	st, err := e.openReadOnly(ctx, loc)
	if errors.Is(err, store.ErrNoDatabase) {
		if u.nic != "" {
			return store.Report{}, nil, nil, usagef("unknown NIC %q: nothing recorded yet", u.nic)
		}
		// An empty in-memory view: open a throwaway database.
		dir, derr := os.MkdirTemp("", "packetbuddy-empty-")
		if derr != nil {
			return store.Report{}, nil, nil, derr
		}
		defer os.RemoveAll(dir)
		st, err = store.Open(ctx, dir, store.Options{Location: loc})
	}
	if err != nil {
		return store.Report{}, nil, nil, err
	}
	defer st.Close()
	dev, err := u.devices.scopeDevice()
	if err != nil {
		return store.Report{}, nil, nil, err
	}
	r, top, err := fn(ctx, st, loc, store.Scope{NIC: u.nic, Device: dev})
	if errors.Is(err, store.ErrUnknownDevice) || errors.Is(err, store.ErrAmbiguousDevice) {
		return r, nil, nil, usagef("%v (see \"packetbuddy devices\")", err)
	}
	if errors.Is(err, store.ErrUnknownNIC) {
		names, _ := st.NICs(ctx)
		return r, nil, nil, usagef("unknown NIC %q (recorded: %s)", u.nic, strings.Join(names, ", "))
	}
	return r, top, loc, err
}

func cmdToday(e *env, args []string) error {
	var u usageFlags
	fs := newFlagSet(e, "today")
	u.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("today takes no arguments")
	}
	if err := e.load(); err != nil {
		return err
	}
	r, _, loc, err := e.query(&u, func(ctx context.Context, st *store.Store, loc *time.Location, sc store.Scope) (store.Report, []store.Point, error) {
		r, err := st.Day(ctx, store.DateOf(time.Now().In(loc)), loc, sc)
		return r, nil, err
	})
	if err != nil {
		return err
	}
	return e.printReport(&u, "Today, "+time.Now().In(loc).Format("Mon 2 Jan 2006"), r, nil, false)
}

func cmdMonth(e *env, args []string) error {
	var u usageFlags
	var month string
	fs := newFlagSet(e, "month")
	u.register(fs)
	fs.StringVar(&month, "month", "", "the month, YYYY-MM (default: this month)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 1 && month == "" {
		month = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return usagef("month takes at most one argument, YYYY-MM")
	}
	if err := e.load(); err != nil {
		return err
	}
	var year int
	var mon time.Month
	if month != "" {
		t, err := time.Parse("2006-01", month)
		if err != nil || len(month) != 7 {
			return usagef("bad month %q: want YYYY-MM", month)
		}
		year, mon = t.Year(), t.Month()
	}
	r, _, _, err := e.query(&u, func(ctx context.Context, st *store.Store, loc *time.Location, sc store.Scope) (store.Report, []store.Point, error) {
		if year == 0 {
			now := time.Now().In(loc)
			year, mon = now.Year(), now.Month()
		}
		r, err := st.Month(ctx, year, mon, loc, sc)
		return r, nil, err
	})
	if err != nil {
		return err
	}
	return e.printReport(&u, time.Date(year, mon, 1, 0, 0, 0, 0, time.UTC).Format("January 2006"), r, nil, true)
}

func cmdRange(e *env, args []string) error {
	var u usageFlags
	var from, to string
	fs := newFlagSet(e, "range")
	u.register(fs)
	fs.StringVar(&from, "from", "", "first day, YYYY-MM-DD (required)")
	fs.StringVar(&to, "to", "", "last day, YYYY-MM-DD, inclusive (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("range takes no arguments; use --from and --to")
	}
	if from == "" || to == "" {
		return usagef("range needs --from YYYY-MM-DD and --to YYYY-MM-DD")
	}
	f, err := store.ParseDate(from)
	if err != nil {
		return usagef("--from: %v", err)
	}
	t, err := store.ParseDate(to)
	if err != nil {
		return usagef("--to: %v", err)
	}
	if t.Before(f) {
		return usagef("--to %s is before --from %s", t, f)
	}
	if t.Year-f.Year > 20 {
		return usagef("range %s..%s is longer than 20 years", f, t)
	}
	if err := e.load(); err != nil {
		return err
	}
	r, _, _, err := e.query(&u, func(ctx context.Context, st *store.Store, loc *time.Location, sc store.Scope) (store.Report, []store.Point, error) {
		r, err := st.Range(ctx, f, t, loc, sc)
		return r, nil, err
	})
	if err != nil {
		return err
	}
	return e.printReport(&u, f.String()+" to "+t.String(), r, nil, true)
}

func cmdSummary(e *env, args []string) error {
	var u usageFlags
	var top int
	fs := newFlagSet(e, "summary")
	u.register(fs)
	fs.IntVar(&top, "top", 10, "how many top days to list")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("summary takes no arguments")
	}
	if top < 0 || top > 1000 {
		return usagef("--top %d: want 0 to 1000", top)
	}
	if err := e.load(); err != nil {
		return err
	}
	r, days, _, err := e.query(&u, func(ctx context.Context, st *store.Store, loc *time.Location, sc store.Scope) (store.Report, []store.Point, error) {
		r, err := st.Lifetime(ctx, loc, sc)
		if err != nil {
			return r, nil, err
		}
		days, err := st.TopDays(ctx, loc, sc, top)
		return r, days, err
	})
	if err != nil {
		return err
	}
	if days == nil {
		days = []store.Point{}
	}
	return e.printReport(&u, "Lifetime", r, days, true)
}

// printReport prints a report as JSON or as an aligned table.
func (e *env) printReport(u *usageFlags, title string, r store.Report, top []store.Point, perStep bool) error {
	p := e.pricing()
	if u.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(p.Report(r, top))
	}
	color := useColor(e.stdout, u.noColor)
	fmt.Fprintf(e.stdout, "%s%s%s", bold(color), title, reset(color))
	if u.nic != "" {
		fmt.Fprintf(e.stdout, " — %s", u.nic)
	}
	if r.Location != nil {
		fmt.Fprintf(e.stdout, " (%s)", r.Location)
	}
	fmt.Fprintln(e.stdout)
	tb := table{lastLeft: true}
	row := func(label string, sent, recv uint64, extra string) {
		us := p.Usage(sent, recv)
		tb.add(label, us.HumanReadable.Sent, us.HumanReadable.Received, us.HumanReadable.Total, us.Cost.Total.Formatted, extra)
	}
	tb.add("", "Sent", "Received", "Total", "Cost", "")
	if perStep && r.Granularity != store.ByHour {
		var peak uint64
		for _, s := range r.Series {
			peak = max(peak, s.Sent+s.Recv)
		}
		for _, s := range r.Series {
			row(s.Label, s.Sent, s.Recv, bar(s.Sent, s.Recv, peak, 24, color))
		}
		tb.add("")
	}
	if u.byNIC {
		for _, n := range r.ByNIC {
			row(n.NIC, n.Sent, n.Recv, "")
		}
	}
	row("Total", r.Sent, r.Recv, "")
	if err := tb.write(e.stdout); err != nil {
		return err
	}
	if len(top) > 0 {
		fmt.Fprintf(e.stdout, "\n%sTop days%s\n", bold(color), reset(color))
		tb = table{lastLeft: true}
		tb.add("", "Sent", "Received", "Total", "Cost", "")
		for _, d := range top {
			row(d.Label, d.Sent, d.Recv, "")
		}
		return tb.write(e.stdout)
	}
	return nil
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

func cmdGaps(e *env, args []string) error {
	var asJSON bool
	fs := newFlagSet(e, "gaps")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := e.load(); err != nil {
		return err
	}
	ctx := context.Background()
	gaps := []store.Gap{}
	st, err := e.openReadOnly(ctx, localZone())
	if err == nil {
		defer st.Close()
		gaps, err = st.Gaps(ctx, time.Time{}, time.Time{})
	}
	if err != nil && !errors.Is(err, store.ErrNoDatabase) {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(gaps)
	}
	if len(gaps) == 0 {
		fmt.Fprintln(e.stdout, "No traffic was recorded while PacketBuddy was not running.")
		return nil
	}
	p := e.pricing()
	loc := localZone()
	tb := table{lastLeft: true}
	tb.add("NIC", "From", "To", "Sent", "Received", "Reason")
	for _, g := range gaps {
		tb.add(g.NIC, g.From.In(loc).Format("2006-01-02 15:04"), g.To.In(loc).Format("2006-01-02 15:04"),
			p.Units.FormatBytes(g.Sent), p.Units.FormatBytes(g.Recv), g.Reason)
	}
	return tb.write(e.stdout)
}
