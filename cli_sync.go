package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/packetbuddy/packetbuddy/cloudsync"
	"github.com/packetbuddy/packetbuddy/store"
)

// deviceFlags are the --all-devices and --device flags of the usage
// commands.
type deviceFlags struct {
	all    bool
	device string
}

func (d *deviceFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&d.all, "all-devices", false, "sum every synced device (see \"packetbuddy devices\")")
	fs.StringVar(&d.device, "device", "", "only this device, by `ID or name` (see \"packetbuddy devices\")")
}

// scopeDevice is the store.Scope Device value the flags select.
func (d *deviceFlags) scopeDevice() (string, error) {
	switch {
	case d.all && d.device != "":
		return "", usagef("use either --all-devices or --device, not both")
	case d.all:
		return "all", nil
	case d.device == "all":
		return "all", nil
	}
	return d.device, nil
}

// openRecorded opens the database read-only for a command that needs some
// history to exist.
func (e *env) openRecorded(ctx context.Context) (*store.Store, error) {
	st, err := e.openReadOnly(ctx, localZone())
	if errors.Is(err, store.ErrNoDatabase) {
		return nil, &failure{msg: "nothing recorded yet in " + e.dataDir + ": start PacketBuddy first", code: exitFailure}
	}
	return st, err
}

// syncOptions are the syncer's options from the configuration.
func (e *env) syncOptions(progress func(cloudsync.Progress)) cloudsync.Options {
	src, srcErr := cloudsync.ResolveURL(e.cfg.Sync, e.configPath, nil)
	// The commands report the outcome themselves; the syncer's log lines
	// are for --verbose.
	log := slog.New(slog.DiscardHandler)
	if e.verbose {
		log = e.log.With("component", "sync")
	}
	return cloudsync.Options{
		Source:      src,
		ConfigError: srcErr,
		Enabled:     e.cfg.Sync.Enabled,
		Interval:    e.cfg.Sync.Interval.Duration,
		Conn:        cloudsync.ConnOptions{AllowInsecure: e.cfg.Sync.AllowInsecure},
		AppVersion:  version,
		OnProgress:  progress,
		Logger:      log,
	}
}

func cmdSync(e *env, args []string) error {
	var asJSON bool
	fs := newFlagSet(e, "sync")
	fs.BoolVar(&asJSON, "json", false, "print the status as JSON")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: packetbuddy sync status [--json] | packetbuddy sync now")
		fs.PrintDefaults()
	}
	// The action may come before or after the flags.
	var action string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		action, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if action == "" && fs.NArg() == 1 {
		action = fs.Arg(0)
	} else if fs.NArg() > 0 {
		action = ""
	}
	if action != "status" && action != "now" {
		return usagef("sync takes one of: status, now")
	}
	if err := e.load(); err != nil {
		return err
	}
	if action == "now" {
		return e.syncNow()
	}
	return e.syncStatus(asJSON)
}

func (e *env) syncStatus(asJSON bool) error {
	ctx := context.Background()
	st, err := e.openRecorded(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	status, err := cloudsync.SavedStatus(ctx, st, e.syncOptions(nil))
	if err != nil {
		return err
	}
	var cfgErr error
	if status.Permanent && status.LastError != "" {
		// Exit non-zero while sync needs the user's action.
		cfgErr = &failure{msg: "sync needs attention: " + status.LastError, code: exitFailure}
	}
	devs, err := st.Devices(ctx)
	if err != nil {
		return err
	}
	status.Devices = len(devs)
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(status); err != nil {
			return err
		}
		return cfgErr
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	when := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.Local().Format("2006-01-02 15:04:05") + " (" + time.Since(t).Round(time.Second).String() + " ago)"
	}
	fmt.Fprintf(tw, "State:\t%s\n", status.State)
	fmt.Fprintf(tw, "Enabled:\t%t\n", status.Enabled)
	if status.Target != "" {
		fmt.Fprintf(tw, "Server:\t%s\n", status.Target)
	}
	fmt.Fprintf(tw, "Last success:\t%s\n", when(status.LastSuccess))
	if status.LastError != "" {
		kind := "will retry"
		if status.Permanent {
			kind = "needs your action"
		}
		fmt.Fprintf(tw, "Last error:\t%s (%s)\n", status.LastError, kind)
	}
	fmt.Fprintf(tw, "Pending buckets:\t%d\n", status.Pending)
	fmt.Fprintf(tw, "Devices seen:\t%d\n", status.Devices)
	if err := tw.Flush(); err != nil {
		return err
	}
	return cfgErr
}

func (e *env) syncNow() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := store.Open(ctx, e.dataDir, store.Options{Location: localZone(), Logger: e.log})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer st.Close()
	start := time.Now()
	shown := false
	progress := func(p cloudsync.Progress) {
		// A progress line only for backlogs that take a while.
		if p.Total <= cloudsync.DefaultBatchSize && !shown && p.Done <= cloudsync.DefaultBatchSize {
			return
		}
		shown = true
		if p.Total > 0 {
			fmt.Fprintf(e.stderr, "\r%s: %d of %d buckets", p.Phase, p.Done, p.Total)
		} else {
			fmt.Fprintf(e.stderr, "\r%s: %d buckets          ", p.Phase, p.Done)
		}
	}
	s, err := cloudsync.New(ctx, st, e.syncOptions(progress))
	if err != nil {
		return err
	}
	err = s.SyncNow(ctx)
	if shown {
		fmt.Fprintln(e.stderr)
	}
	if err != nil {
		return fmt.Errorf("sync failed: %w", err)
	}
	status := s.Status()
	fmt.Fprintf(e.stdout, "synced with %s in %s: %d buckets pushed, %d pulled, %d devices\n",
		status.Target, time.Since(start).Round(time.Millisecond), status.Pushed, status.Pulled, status.Devices)
	return nil
}

func cmdDevices(e *env, args []string) error {
	var asJSON bool
	fs := newFlagSet(e, "devices")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: packetbuddy devices [--json] | packetbuddy devices rename ID|NAME NEW-NAME")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() == 0:
	case fs.Arg(0) == "rename" && fs.NArg() == 3:
		if err := e.load(); err != nil {
			return err
		}
		return e.renameDevice(fs.Arg(1), fs.Arg(2))
	default:
		return usagef("devices takes no arguments, or: rename ID|NAME NEW-NAME")
	}
	if err := e.load(); err != nil {
		return err
	}
	ctx := context.Background()
	st, err := e.openRecorded(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	devs, err := st.Devices(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(devs)
	}
	units := e.pricing().Units
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tPLATFORM\tLAST SEEN\tTODAY\tTHIS MONTH")
	for _, d := range devs {
		name := d.Name
		if d.Local {
			name += " (this device)"
		}
		seen := "never"
		if !d.LastSeen.IsZero() {
			seen = d.LastSeen.In(localZone()).Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.UUID, name, d.Platform, seen,
			units.FormatBytes(d.TodaySent+d.TodayRecv), units.FormatBytes(d.MonthSent+d.MonthRecv))
	}
	return tw.Flush()
}

func (e *env) renameDevice(device, name string) error {
	ctx := context.Background()
	st, err := store.Open(ctx, e.dataDir, store.Options{Location: localZone(), Logger: e.log})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer st.Close()
	if device == "this" || device == "local" {
		device = ""
	}
	id, err := st.RenameDevice(ctx, device, name)
	if errors.Is(err, store.ErrUnknownDevice) {
		return usagef("unknown device %q (see \"packetbuddy devices\")", device)
	}
	if errors.Is(err, store.ErrAmbiguousDevice) {
		return usagef("%v (see \"packetbuddy devices\")", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "renamed %s to %q; other devices see it after the next sync\n", id, name)
	return nil
}
