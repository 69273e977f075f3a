package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
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
	st, err := e.openReadOnly(ctx, e.zone)
	if errors.Is(err, store.ErrNoDatabase) {
		return nil, &failure{msg: "nothing recorded yet in " + e.dataDir + ": start PacketBuddy first", code: exitFailure}
	}
	return st, err
}

// openWritable opens the database for a command that changes it.
func (e *env) openWritable(ctx context.Context) (*store.Store, error) {
	st, err := store.Open(ctx, e.dataDir, store.Options{Location: e.zone, Logger: e.log, Now: e.now})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return st, nil
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
		Now:         e.now,
	}
}

// syncCmd is "packetbuddy sync status|now".
type syncCmd struct{ json bool }

func (c *syncCmd) flags(fs *flag.FlagSet) {
	fs.BoolVar(&c.json, "json", false, "print the status as JSON")
}

func (c *syncCmd) run(ctx context.Context, e *env, args []string) error {
	if len(args) == 1 && args[0] == "now" {
		return e.syncNow(ctx)
	}
	if len(args) == 1 && args[0] == "status" {
		return e.syncStatus(ctx, c.json)
	}
	return usagef("sync takes one of: status, now")
}

// syncStatus prints the status the syncer saved last; it fails while sync
// needs the user's action.
func (e *env) syncStatus(ctx context.Context, asJSON bool) error {
	st, err := e.openRecorded(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	status, err := cloudsync.SavedStatus(ctx, st, e.syncOptions(nil))
	if err != nil {
		return err
	}
	devs, err := st.Devices(ctx)
	if err != nil {
		return err
	}
	status.Devices = len(devs)
	if asJSON {
		err = writeJSON(e.stdout, status)
	} else {
		err = printSyncStatus(e.stdout, status, e.now(), e.zone)
	}
	if err == nil && status.Permanent && status.LastError != "" {
		// Exit non-zero while sync needs the user's action.
		err = &failure{msg: "sync needs attention: " + status.LastError, code: exitFailure}
	}
	return err
}

// printSyncStatus prints a sync status as aligned "Name: value" lines.
func printSyncStatus(w io.Writer, status cloudsync.Status, now time.Time, zone *time.Location) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	when := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.In(zone).Format("2006-01-02 15:04:05") + " (" + now.Sub(t).Round(time.Second).String() + " ago)"
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
	return tw.Flush()
}

// syncNow runs one sync cycle now, beside or without the app.
func (e *env) syncNow(ctx context.Context) error {
	st, err := e.openWritable(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	start := e.now()
	progress := syncProgress{w: e.stderr}
	s, err := cloudsync.New(ctx, st, e.syncOptions(progress.show))
	if err != nil {
		return err
	}
	err = s.SyncNow(ctx)
	progress.end()
	if err != nil {
		return fmt.Errorf("sync failed: %w", err)
	}
	status := s.Status()
	fmt.Fprintf(e.stdout, "synced with %s in %s: %d buckets pushed, %d pulled, %d devices\n",
		status.Target, e.now().Sub(start).Round(time.Millisecond), status.Pushed, status.Pulled, status.Devices)
	return nil
}

// syncProgress is the progress line of "sync now", shown only for
// backlogs that take a while.
type syncProgress struct {
	w     io.Writer
	shown bool
}

func (p *syncProgress) show(pr cloudsync.Progress) {
	if pr.Total <= cloudsync.DefaultBatchSize && !p.shown && pr.Done <= cloudsync.DefaultBatchSize {
		return
	}
	p.shown = true
	if pr.Total > 0 {
		fmt.Fprintf(p.w, "\r%s: %d of %d buckets", pr.Phase, pr.Done, pr.Total)
	} else {
		fmt.Fprintf(p.w, "\r%s: %d buckets          ", pr.Phase, pr.Done)
	}
}

// end ends the progress line, if one was shown.
func (p *syncProgress) end() {
	if p.shown {
		fmt.Fprintln(p.w)
	}
}

// devicesCmd is "packetbuddy devices" and "packetbuddy devices rename".
type devicesCmd struct{ json bool }

func (c *devicesCmd) flags(fs *flag.FlagSet) {
	fs.BoolVar(&c.json, "json", false, "print JSON")
}

func (c *devicesCmd) run(ctx context.Context, e *env, args []string) error {
	switch {
	case len(args) == 0:
		return e.listDevices(ctx, c.json)
	case args[0] == "rename" && len(args) == 3:
		return e.renameDevice(ctx, args[1], args[2])
	}
	return usagef("devices takes no arguments, or: rename ID|NAME NEW-NAME")
}

// listDevices prints every known device with its usage today and this
// month.
func (e *env) listDevices(ctx context.Context, asJSON bool) error {
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
		return writeJSON(e.stdout, devs)
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
			seen = d.LastSeen.In(e.zone).Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.UUID, name, d.Platform, seen,
			units.FormatBytes(d.TodaySent+d.TodayRecv), units.FormatBytes(d.MonthSent+d.MonthRecv))
	}
	return tw.Flush()
}

// renameDevice renames a device, "this" or "local" for this machine; the
// name travels with the next sync.
func (e *env) renameDevice(ctx context.Context, device, name string) error {
	st, err := e.openWritable(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if device == "this" || device == "local" {
		device = ""
	}
	id, err := st.RenameDevice(ctx, device, name)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "renamed %s to %q; other devices see it after the next sync\n", id, name)
	return nil
}
