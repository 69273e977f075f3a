package store

import (
	"context"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

// The per-day rollup is built in the zone of the writer that opened the
// database. A store opened in another zone (a read-only CLI with --tz or TZ,
// or a writable one opened by a command beside the running app) must not
// read that rollup as if it were in its own zone.
func TestRollupZoneIsTheWritersNotTheReaders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	kolkata := mustLoc(t, "Asia/Kolkata")
	// 20:00 UTC on 30 June is 01:30 on 1 July in Kolkata.
	at := unix(t, "2026-06-30T20:00:00Z")

	t.Run("read-only in another zone", func(t *testing.T) {
		dir := t.TempDir()
		w := openTest(t, dir, time.UTC)
		flush(t, w, Delta{NIC: "eth0", Start: at, Sent: 5})
		r, err := Open(ctx, dir, Options{ReadOnly: true, Location: kolkata, Now: testenv.Clock()})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		checkJuneJuly(t, r, kolkata, 0, 5)
		top, err := r.TopDays(ctx, kolkata, Scope{}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(top) != 1 || top[0].Label != "2026-07-01" {
			t.Errorf("top day %+v, want 2026-07-01", top)
		}
		life, err := r.Lifetime(ctx, kolkata, Scope{})
		if err != nil {
			t.Fatal(err)
		}
		if life.Series[0].Label != "2026-07" {
			t.Errorf("lifetime starts %s, want 2026-07", life.Series[0].Label)
		}
	})

	t.Run("writable opened in another zone beside the writer", func(t *testing.T) {
		dir := t.TempDir()
		app := openTest(t, dir, time.UTC)
		flush(t, app, Delta{NIC: "eth0", Start: at, Sent: 5})
		// A command beside the app opens the database in Kolkata time: it
		// rebuilds the rollup in its zone and closes.
		cli := openTest(t, dir, kolkata)
		cli.Close()
		// The app goes on flushing in its own zone.
		flush(t, app, Delta{NIC: "eth0", Start: at, Sent: 7})
		checkJuneJuly(t, app, time.UTC, 12, 0)
		checkJuneJuly(t, app, kolkata, 0, 12)
		// The app restarted in Kolkata time rebuilds a rollup that agrees.
		app.Close()
		again := openTest(t, dir, kolkata)
		checkJuneJuly(t, again, kolkata, 0, 12)
		checkJuneJuly(t, again, time.UTC, 12, 0)
	})
}

func checkJuneJuly(t *testing.T, s *Store, loc *time.Location, wantJune, wantJuly uint64) {
	t.Helper()
	ctx := context.Background()
	jun, err := s.Month(ctx, 2026, 6, loc, Scope{})
	if err != nil {
		t.Fatal(err)
	}
	jul, err := s.Month(ctx, 2026, 7, loc, Scope{})
	if err != nil {
		t.Fatal(err)
	}
	if jun.Sent != wantJune || jul.Sent != wantJuly {
		t.Errorf("in %s: June %d, July %d; want %d and %d", loc, jun.Sent, jul.Sent, wantJune, wantJuly)
	}
	var lastJune uint64
	for _, p := range jun.Series {
		if p.Label == "2026-06-30" {
			lastJune = p.Sent
		}
	}
	if lastJune != wantJune {
		t.Errorf("in %s: 30 June bar %d, want %d", loc, lastJune, wantJune)
	}
}

// Traffic recorded while the wall clock was ahead (a wrong RTC, a clock set
// by hand, later corrected) lies in months after "now"; the lifetime summary
// must still include it, in both query paths.
func TestLifetimeIncludesMonthsAfterNow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for _, loc := range []*time.Location{time.UTC, mustLoc(t, "Asia/Kathmandu")} {
		t.Run(loc.String(), func(t *testing.T) {
			s, err := Open(ctx, t.TempDir(), Options{Location: time.UTC, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			flush(t, s,
				Delta{NIC: "eth0", Start: unix(t, "2026-10-05T00:00:00Z"), Sent: 1},
				Delta{NIC: "eth0", Start: unix(t, "2028-03-05T00:00:00Z"), Sent: 10},
			)
			r, err := s.Lifetime(ctx, loc, Scope{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Sent != 11 {
				t.Errorf("lifetime sent %d, want 11", r.Sent)
			}
			if last := r.Series[len(r.Series)-1]; last.Label != "2028-03" || last.Sent != 10 {
				t.Errorf("last month %+v, want 2028-03 with 10", last)
			}
		})
	}
}
