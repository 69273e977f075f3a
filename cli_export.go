package main

import (
	"context"
	"errors"
	"fmt"

	"os"
	"path/filepath"
	"time"

	"github.com/packetbuddy/packetbuddy/store"
)

func cmdExport(e *env, args []string) error {
	var format, from, to, out, nic, tz string
	fs := newFlagSet(e, "export")
	fs.StringVar(&format, "format", "csv", "csv or json")
	fs.StringVar(&from, "from", "", "first day, YYYY-MM-DD (default: the beginning)")
	fs.StringVar(&to, "to", "", "last day, YYYY-MM-DD, inclusive (default: today)")
	fs.StringVar(&out, "o", "", "write to `file` instead of standard output")
	fs.StringVar(&nic, "nic", "", "only this NIC")
	fs.StringVar(&tz, "tz", "", "IANA time zone for dates and local times")
	var dev deviceFlags
	dev.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("export takes no arguments")
	}
	if format != store.FormatCSV && format != store.FormatJSON {
		return usagef("unknown format %q: want csv or json", format)
	}
	u := usageFlags{tz: tz}
	loc, err := u.location()
	if err != nil {
		return err
	}
	var o store.ExportOptions
	o.Format, o.Location, o.Scope.NIC = format, loc, nic
	if o.Scope.Device, err = dev.scopeDevice(); err != nil {
		return err
	}
	var f, t store.Date
	if from != "" {
		if f, err = store.ParseDate(from); err != nil {
			return usagef("--from: %v", err)
		}
		o.Start = f.Start(loc)
	}
	if to != "" {
		if t, err = store.ParseDate(to); err != nil {
			return usagef("--to: %v", err)
		}
		o.End = t.AddDays(1).Start(loc)
	}
	if from != "" && to != "" && t.Before(f) {
		return usagef("--to %s is before --from %s", t, f)
	}
	if err := e.load(); err != nil {
		return err
	}
	ctx := context.Background()
	st, err := e.openReadOnly(ctx, loc)
	if errors.Is(err, store.ErrNoDatabase) {
		return &failure{msg: "nothing to export yet: no database in " + e.dataDir, code: exitFailure}
	}
	if err != nil {
		return err
	}
	defer st.Close()

	if out == "" {
		_, err := st.Export(ctx, e.stdout, o)
		return err
	}
	// Write beside the target and rename at the end, so that a failed
	// export never leaves a truncated file under the requested name.
	tmp, err := os.CreateTemp(filepath.Dir(out), ".packetbuddy-export-*")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name())
	start := time.Now()
	shown := false
	o.Progress = func(rows int64) {
		if time.Since(start) > time.Second {
			fmt.Fprintf(e.stderr, "\rexporting… %d rows", rows)
			shown = true
		}
	}
	n, err := st.Export(ctx, tmp, o)
	if shown {
		fmt.Fprintln(e.stderr)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if errors.Is(err, store.ErrUnknownNIC) || errors.Is(err, store.ErrUnknownDevice) || errors.Is(err, store.ErrAmbiguousDevice) {
			return usagef("%v", err)
		}
		return fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(e.stderr, "exported %d rows to %s\n", n, out)
	return nil
}
