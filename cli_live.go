package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/packetbuddy/packetbuddy/monitor"
)

func cmdLive(e *env, args []string) error {
	var all, noColor bool
	fs := newFlagSet(e, "live")
	fs.BoolVar(&all, "all", false, "include NICs that are not counted (loopback, virtual, VPN)")
	fs.BoolVar(&noColor, "no-color", false, "no colours (also NO_COLOR)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := e.load(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	filter := monitor.Filter{Include: e.cfg.Monitor.Include, Exclude: e.cfg.Monitor.Exclude}
	units := e.pricing().Units
	color := useColor(e.stdout, noColor)

	prev := map[string]monitor.Counter{}
	prevAt := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lines := 0
	for first := true; ; first = false {
		cur, err := monitor.ReadCounters(ctx)
		if err != nil {
			return err
		}
		now := time.Now()
		secs := now.Sub(prevAt).Seconds()
		prevAt = now
		sort.Slice(cur, func(i, j int) bool { return cur[i].Name < cur[j].Name })
		var b strings.Builder
		var tb table
		tb.add("NIC", "↑ up", "↓ down")
		var up, down float64
		for _, c := range cur {
			if !all && !filter.Counted(c.Name) {
				continue
			}
			p, ok := prev[c.Name]
			prev[c.Name] = c
			if first || !ok {
				tb.add(c.Name, "…", "…")
				continue
			}
			ds, _ := monitor.CounterDelta(p.Sent, c.Sent, ^uint64(0))
			dr, _ := monitor.CounterDelta(p.Recv, c.Recv, ^uint64(0))
			u, d := float64(ds)/secs, float64(dr)/secs
			up, down = up+u, down+d
			tb.add(c.Name, units.FormatRate(u), units.FormatRate(d))
		}
		if !first {
			tb.add("total", units.FormatRate(up), units.FormatRate(down))
		}
		if err := tb.write(&b); err != nil {
			return err
		}
		out := b.String()
		if color && lines > 0 {
			// Redraw in place: cursor up and clear to the end of screen.
			fmt.Fprintf(e.stdout, "\x1b[%dA\x1b[J", lines)
		} else if lines > 0 {
			fmt.Fprintln(e.stdout)
		}
		fmt.Fprint(e.stdout, out)
		lines = strings.Count(out, "\n")
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
