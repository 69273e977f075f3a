package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/packetbuddy/packetbuddy/monitor"
	"github.com/packetbuddy/packetbuddy/report"
)

// liveCmd is "packetbuddy live": the speed of every NIC, once a second,
// until Ctrl-C.
type liveCmd struct{ all, noColor bool }

func (c *liveCmd) flags(fs *flag.FlagSet) {
	fs.BoolVar(&c.all, "all", false, "include NICs that are not counted (loopback, virtual, VPN)")
	fs.BoolVar(&c.noColor, "no-color", false, "no colours (also NO_COLOR)")
}

func (c *liveCmd) run(ctx context.Context, e *env, args []string) error {
	speeds := liveSpeeds{
		filter: monitor.Filter{Include: e.cfg.Monitor.Include, Exclude: e.cfg.Monitor.Exclude},
		all:    c.all,
		units:  e.pricing().Units,
		prev:   map[string]monitor.Counter{},
	}
	color := useColor(e.stdout, c.noColor)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lines := 0
	for {
		cur, err := monitor.ReadCounters(ctx)
		if err != nil {
			return err
		}
		var b strings.Builder
		if err := speeds.next(cur, e.now()).write(&b); err != nil {
			return err
		}
		lines = redraw(e.stdout, b.String(), lines, color)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// liveSpeeds turns successive counter readings into a table of speeds.
type liveSpeeds struct {
	filter monitor.Filter
	all    bool // include the NICs the filter leaves out
	units  report.Units
	prev   map[string]monitor.Counter
	prevAt time.Time // zero before the first reading
}

// next is the table of the speeds since the previous reading; the first
// reading has none yet.
func (s *liveSpeeds) next(cur []monitor.Counter, now time.Time) *table {
	first := s.prevAt.IsZero()
	secs := now.Sub(s.prevAt).Seconds()
	s.prevAt = now
	sort.Slice(cur, func(i, j int) bool { return cur[i].Name < cur[j].Name })
	tb := &table{}
	tb.add("NIC", "↑ up", "↓ down")
	var up, down float64
	for _, c := range cur {
		if !s.all && !s.filter.Counted(c.Name) {
			continue
		}
		p, ok := s.prev[c.Name]
		s.prev[c.Name] = c
		if first || !ok {
			tb.add(c.Name, "…", "…")
			continue
		}
		ds, _ := monitor.CounterDelta(p.Sent, c.Sent, ^uint64(0))
		dr, _ := monitor.CounterDelta(p.Recv, c.Recv, ^uint64(0))
		u, d := float64(ds)/secs, float64(dr)/secs
		up, down = up+u, down+d
		tb.add(c.Name, s.units.FormatRate(u), s.units.FormatRate(d))
	}
	if !first {
		tb.add("total", s.units.FormatRate(up), s.units.FormatRate(down))
	}
	return tb
}

// redraw prints a frame of the live table below the previous one, or over
// it on a colour terminal, and returns its number of lines.
func redraw(w io.Writer, frame string, prevLines int, color bool) int {
	if color && prevLines > 0 {
		// Cursor up and clear to the end of screen.
		fmt.Fprintf(w, "\x1b[%dA\x1b[J", prevLines)
	} else if prevLines > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, frame)
	return strings.Count(frame, "\n")
}
