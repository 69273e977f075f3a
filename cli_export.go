package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/packetbuddy/packetbuddy/internal/atomicfile"
	"github.com/packetbuddy/packetbuddy/store"
)

// exportCmd is "packetbuddy export".
type exportCmd struct {
	format, from, to, out, nic, network, tz string
	devices                                 deviceFlags
}

func (c *exportCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.format, "format", "csv", "csv or json")
	fs.StringVar(&c.from, "from", "", "first day, YYYY-MM-DD (default: the beginning)")
	fs.StringVar(&c.to, "to", "", "last day, YYYY-MM-DD, inclusive (default: today)")
	fs.StringVar(&c.out, "o", "", "write to `file` instead of standard output")
	fs.StringVar(&c.nic, "nic", "", "only this NIC")
	fs.StringVar(&c.network, "network", "", "only this network, by `key or label` (see \"packetbuddy networks\")")
	fs.StringVar(&c.tz, "tz", "", "IANA time zone for dates and local times")
	c.devices.register(fs)
}

func (c *exportCmd) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usagef("export takes no arguments")
	}
	o, err := c.options(e)
	if err != nil {
		return err
	}
	st, err := e.openReadOnly(ctx, o.Location)
	if errors.Is(err, store.ErrNoDatabase) {
		return &failure{msg: "nothing to export yet: no database in " + e.dataDir, code: exitFailure}
	}
	if err != nil {
		return err
	}
	defer st.Close()
	if c.out == "" {
		_, err := st.Export(ctx, e.stdout, o)
		return err
	}
	return e.exportFile(ctx, st, o, c.out)
}

// options checks the flags and turns them into the store's export options.
func (c *exportCmd) options(e *env) (store.ExportOptions, error) {
	o := store.ExportOptions{Format: c.format, Scope: store.Scope{NIC: c.nic, Network: c.network}}
	if c.format != store.FormatCSV && c.format != store.FormatJSON {
		return o, usagef("unknown format %q: want csv or json", c.format)
	}
	var err error
	if o.Location, err = zoneFlag(e, c.tz); err != nil {
		return o, err
	}
	if o.Scope.Device, err = c.devices.scopeDevice(); err != nil {
		return o, err
	}
	var from, to store.Date
	if c.from != "" {
		if from, err = parseDate("--from", c.from); err != nil {
			return o, err
		}
		o.Start = from.Start(o.Location)
	}
	if c.to != "" {
		if to, err = parseDate("--to", c.to); err != nil {
			return o, err
		}
		o.End = to.AddDays(1).Start(o.Location)
	}
	if c.from != "" && c.to != "" {
		if err := store.CheckRange(from, to); err != nil {
			return o, err
		}
	}
	return o, nil
}

// exportFile writes the export through a temporary file beside path, so
// that a failed or interrupted export (Ctrl-C) leaves neither a truncated
// file under the requested name nor the temporary one.
func (e *env) exportFile(ctx context.Context, st *store.Store, o store.ExportOptions, path string) error {
	f, err := atomicfile.New(path, 0o600)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer f.Close()
	start := e.now()
	shown := false
	o.Progress = func(rows int64) {
		// A progress line only for exports that take a while.
		if e.now().Sub(start) > time.Second {
			fmt.Fprintf(e.stderr, "\rexporting… %d rows", rows)
			shown = true
		}
	}
	n, err := st.Export(ctx, f, o)
	if shown {
		fmt.Fprintln(e.stderr)
	}
	if err == nil {
		err = f.Commit()
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(e.stderr, "exported %d rows to %s\n", n, path)
	return nil
}
