package monitor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
	"github.com/packetbuddy/packetbuddy/store"
)

// nics is a complete /proc/net/dev listing: name -> {sent, recv}.
type nics = map[string][2]uint64

// reading is one state of the fake /proc, sampled after time passed.
type reading struct {
	after    time.Duration // on both clocks; 0 means one poll interval (1 s)
	wallJump time.Duration // on the wall clock only: a suspend or a clock change
	nics     nics          // every NIC present; a missing one has vanished
}

// gapWant is an expected gap, its interval as offsets from testBase.
type gapWant struct {
	nic        string
	from, to   time.Duration
	sent, recv uint64
	reason     string
}

func checkGaps(t *testing.T, got []store.Gap, want []gapWant) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d gaps %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i, w := range want {
		g := got[i]
		from, to := testBase.Add(w.from), testBase.Add(w.to)
		if g.NIC != w.nic || !g.From.Equal(from) || !g.To.Equal(to) || g.Sent != w.sent || g.Recv != w.recv || g.Reason != w.reason {
			t.Errorf("gap %d = %s [%s, %s] sent %d recv %d %q; want %s [%s, %s] sent %d recv %d %q",
				i, g.NIC, g.From, g.To, g.Sent, g.Recv, g.Reason, w.nic, from, to, w.sent, w.recv, w.reason)
		}
	}
}

const stalled = "suspended or stalled"

// TestAccountSequences drives the monitor through sequences of /proc/net/dev
// states and checks what a real store holds afterwards.
func TestAccountSequences(t *testing.T) {
	t.Parallel()
	const big = 7_000_000_000 // a 64-bit counter above 2^32
	tests := []struct {
		name          string
		maxRate       float64
		readings      []reading // the first is the state at Start
		want          nics      // recorded totals per NIC
		wantBuckets   map[string]int
		wantGaps      []gapWant
		wantAnomalies int
	}{
		{
			name: "steady traffic",
			readings: []reading{
				{nics: nics{"eth0": {1000, 5000}}},
				{nics: nics{"eth0": {1500, 7000}}},
				{nics: nics{"eth0": {4000, 7000}}},
			},
			want:        nics{"eth0": {3000, 2000}},
			wantBuckets: map[string]int{"eth0": 1},
		},
		{
			name: "reset starts a new baseline and counts the new value",
			readings: []reading{
				{nics: nics{"eth0": {5_000_000, 9_000_000}}},
				{nics: nics{"eth0": {5_001_000, 9_002_000}}},
				{nics: nics{"eth0": {300, 400}}},
				{nics: nics{"eth0": {1300, 1400}}},
			},
			want: nics{"eth0": {1000 + 300 + 1000, 2000 + 400 + 1000}},
		},
		{
			name: "32-bit wrap is unwrapped",
			readings: []reading{
				{nics: nics{"en0": {1<<32 - 1000, 1<<32 - 10}}},
				{nics: nics{"en0": {500, 90}}},
				{nics: nics{"en0": {1500, 1090}}},
			},
			want: nics{"en0": {1500 + 1000, 100 + 1000}},
		},
		{
			name: "decrease of a counter above 2^32 is a reset",
			readings: []reading{
				{nics: nics{"eth0": {big, big}}},
				{nics: nics{"eth0": {big + 10, big + 20}}},
				{nics: nics{"eth0": {100, 200}}},
			},
			want: nics{"eth0": {110, 220}},
		},
		{
			name:    "change above the ceiling is dropped",
			maxRate: 1e6, // bytes per second
			readings: []reading{
				{nics: nics{"eth0": {1000, 1000}}},
				{nics: nics{"eth0": {501_000, 2_001_000}}},                            // recv 2 MB in 1 s: anomaly
				{nics: nics{"eth0": {502_000, 2_002_000}}},                            // counted from the new value
				{after: 10 * time.Second, nics: nics{"eth0": {5_502_000, 2_002_000}}}, // 5 MB in 10 s is fine
				{nics: nics{"eth0": {1, 2_002_000}}},                                  // reset to 1: counted
				{nics: nics{"eth0": {3_000_000, 2_002_000}}},                          // 3 MB in 1 s: anomaly
			},
			want:          nics{"eth0": {500_000 + 1000 + 5_000_000 + 1, 1000}},
			wantAnomalies: 2,
		},
		{
			name: "NIC vanishes and returns as a new object",
			readings: []reading{
				{nics: nics{"eth0": {1000, 1000}, "wlan0": {10, 10}}},
				{nics: nics{"eth0": {2000, 2000}, "wlan0": {10, 10}}},
				{nics: nics{"wlan0": {10, 10}}},
				{nics: nics{"wlan0": {10, 10}}},
				{nics: nics{"eth0": {300, 400}, "wlan0": {10, 10}}},
				{nics: nics{"eth0": {400, 600}, "wlan0": {10, 10}}},
			},
			want: nics{"eth0": {1000 + 300 + 100, 1000 + 400 + 200}, "wlan0": {0, 0}},
		},
		{
			name: "loopback, virtual and VPN NICs are not counted",
			readings: []reading{
				{nics: nics{"lo": {1, 1}, "docker0": {1, 1}, "veth1a2b": {1, 1}, "br-0f3a": {1, 1}, "virbr0": {1, 1}, "tun0": {1, 1}, "wg0": {1, 1}, "tailscale0": {1, 1}, "eth0": {1, 1}}},
				{nics: nics{"lo": {9e6, 9e6}, "docker0": {9e6, 9e6}, "veth1a2b": {9e6, 9e6}, "br-0f3a": {9e6, 9e6}, "virbr0": {9e6, 9e6}, "tun0": {9e6, 9e6}, "wg0": {9e6, 9e6}, "tailscale0": {9e6, 9e6}, "eth0": {101, 201}}},
			},
			want: nics{"eth0": {100, 200}},
		},
		{
			name: "NIC first seen while running is a baseline only",
			readings: []reading{
				{nics: nics{"eth0": {0, 0}}},
				{nics: nics{"eth0": {0, 0}, "usb0": {5000, 6000}}},
				{nics: nics{"eth0": {0, 0}, "usb0": {5100, 6200}}},
			},
			want: nics{"usb0": {100, 200}},
		},
		{
			name: "wall clock set back",
			readings: []reading{
				{nics: nics{"eth0": {1000, 1000}}},
				{nics: nics{"eth0": {2000, 2000}}},
				{wallJump: -2 * time.Hour, nics: nics{"eth0": {3000, 3500}}},
				{nics: nics{"eth0": {4000, 4500}}},
			},
			want:        nics{"eth0": {3000, 3500}},
			wantBuckets: map[string]int{"eth0": 2}, // before and after the change
		},
		{
			name: "wall clock set forward",
			readings: []reading{
				{nics: nics{"eth0": {1000, 1000}}},
				{wallJump: 3 * time.Hour, nics: nics{"eth0": {2000, 3000}}},
				{nics: nics{"eth0": {2500, 3500}}},
			},
			want:        nics{"eth0": {1500, 2500}},
			wantGaps:    []gapWant{{"eth0", 0, 3*time.Hour + time.Second, 1000, 2000, stalled}},
			wantBuckets: map[string]int{"eth0": 13}, // the gap spread over [0, 3h+1s]
		},
		{
			name: "suspend with counters reset on resume",
			readings: []reading{
				{nics: nics{"eth0": {big, big + 1}}},
				{nics: nics{"eth0": {big + 100, big + 201}}},
				{wallJump: 8 * time.Hour, nics: nics{"eth0": {50, 70}}},
				{nics: nics{"eth0": {150, 270}}},
			},
			want:     nics{"eth0": {100 + 50 + 100, 200 + 70 + 200}},
			wantGaps: []gapWant{{"eth0", time.Second, 8*time.Hour + 2*time.Second, 50, 70, stalled}},
		},
		{
			name: "suspend with counters kept",
			readings: []reading{
				{nics: nics{"eth0": {1000, 1000}, "wlan0": {5, 5}}},
				{wallJump: 45 * time.Minute, nics: nics{"eth0": {3000, 4000}, "wlan0": {5, 5}}},
			},
			want:     nics{"eth0": {2000, 3000}},
			wantGaps: []gapWant{{"eth0", 0, 45*time.Minute + time.Second, 2000, 3000, stalled}},
		},
		{
			name: "a silence below the stall threshold is ordinary traffic",
			readings: []reading{
				{nics: nics{"eth0": {1000, 1000}}},
				{after: 20 * time.Second, nics: nics{"eth0": {3000, 4000}}},
			},
			want:        nics{"eth0": {2000, 3000}},
			wantBuckets: map[string]int{"eth0": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.opts.MaxRate = tt.maxRate
			h.proc.replace(tt.readings[0].nics)
			h.start()
			for i, r := range tt.readings[1:] {
				h.proc.replace(r.nics)
				h.clock.JumpWall(r.wallJump)
				if r.after == 0 {
					r.after = time.Second
				}
				h.step(r.after)
				if i == len(tt.readings)/2 {
					h.flush() // flushing midway changes nothing
				}
			}
			h.flush()
			h.wantTotals(tt.want)
			checkGaps(t, h.gaps(), tt.wantGaps)
			if got := h.m.Snapshot().Anomalies; got != tt.wantAnomalies {
				t.Errorf("anomalies = %d, want %d", got, tt.wantAnomalies)
			}
			sums := h.bucketSums()
			for nic, n := range tt.wantBuckets {
				if sums[nic].Buckets != n {
					t.Errorf("%s: %d buckets, want %d", nic, sums[nic].Buckets, n)
				}
			}
		})
	}
}

// TestStartRecovery checks what a start finds after the app was down.
func TestStartRecovery(t *testing.T) {
	t.Parallel()
	const down = 2 * time.Hour
	tests := []struct {
		name string
		// before is the state flushed by the previous run (through a
		// baseline flush at its start and one sample); gone are NICs that
		// then vanished before the previous run's last flush.
		before nics
		gone   []string
		paused bool // the previous run was paused
		// history are NICs with imported history: buckets without
		// counters, as an import or another device's rows leave them.
		history []string
		reboot  bool
		bootErr error
		maxRate float64
		after   nics // the live counters at the new start
		want    nics
		gaps    []gapWant
	}{
		{
			name:   "same boot: traffic while not running is exact",
			before: nics{"eth0": {1000, 2000}},
			after:  nics{"eth0": {5000, 9000}},
			want:   nics{"eth0": {4000, 7000}},
			gaps:   []gapWant{{"eth0", time.Second, time.Second + down, 4000, 7000, store.GapNotRunning}},
		},
		{
			name:   "new boot: the counter is all traffic since boot",
			before: nics{"eth0": {1_000_000, 2_000_000}},
			reboot: true,
			after:  nics{"eth0": {300, 400}},
			want:   nics{"eth0": {300, 400}},
			gaps:   []gapWant{{"eth0", time.Second + down - time.Minute, time.Second + down, 300, 400, store.GapSinceBoot}},
		},
		{
			name:   "new boot with higher counters is still since boot",
			before: nics{"eth0": {1000, 1000}},
			reboot: true,
			after:  nics{"eth0": {5000, 6000}},
			want:   nics{"eth0": {5000, 6000}},
			gaps:   []gapWant{{"eth0", time.Second + down - time.Minute, time.Second + down, 5000, 6000, store.GapSinceBoot}},
		},
		{
			name:   "first sight of a NIC is a baseline only",
			before: nics{"eth0": {1000, 1000}},
			after:  nics{"eth0": {1000, 1000}, "wlan0": {5000, 6000}},
			want:   nics{"eth0": {0, 0}, "wlan0": {0, 0}},
		},
		{
			name:   "first sight after a reboot is a baseline only",
			before: nics{"eth0": {1000, 1000}},
			reboot: true,
			after:  nics{"wlan0": {5000, 6000}},
			want:   nics{"wlan0": {0, 0}},
		},
		{
			name:    "a NIC with imported history but no counters is first sight",
			before:  nics{"eth0": {1000, 1000}},
			history: []string{"eth9"},
			after:   nics{"eth0": {1000, 1000}, "eth9": {5000, 6000}},
			want:    nics{"eth0": {0, 0}, "eth9": {77, 77}}, // the history only
		},
		{
			name:   "NIC re-created while down",
			before: nics{"eth0": {1_000_000, 2_000_000}, "wlan0": {500, 500}},
			after:  nics{"eth0": {100, 200}, "wlan0": {600, 700}},
			want:   nics{"eth0": {100, 200}, "wlan0": {100, 200}},
			gaps: []gapWant{
				{"eth0", time.Second, time.Second + down, 100, 200, store.GapResetOffline},
				{"wlan0", time.Second, time.Second + down, 100, 200, store.GapNotRunning},
			},
		},
		{
			name:   "NIC gone at the last flush and back",
			before: nics{"eth0": {1000, 1000}, "usb0": {9000, 9000}},
			gone:   []string{"usb0"},
			after:  nics{"eth0": {1000, 1000}, "usb0": {40, 50}},
			want:   nics{"eth0": {0, 0}, "usb0": {40, 50}},
			gaps:   []gapWant{{"usb0", 2 * time.Second, 2*time.Second + down, 40, 50, store.GapResetOffline}},
		},
		{
			name:   "paused: the downtime is not counted",
			before: nics{"eth0": {1000, 1000}},
			paused: true,
			after:  nics{"eth0": {5000, 6000}},
			want:   nics{"eth0": {0, 0}},
		},
		{
			name:    "unidentified boot and higher counters: the difference",
			before:  nics{"eth0": {1000, 1000}},
			bootErr: errors.New("no /proc/stat"),
			after:   nics{"eth0": {1500, 1600}},
			want:    nics{"eth0": {500, 600}},
			gaps:    []gapWant{{"eth0", time.Second, time.Second + down, 500, 600, store.GapNotRunning}},
		},
		{
			name:    "unidentified boot and lower counters: the new value",
			before:  nics{"eth0": {1000, 1000}},
			bootErr: errors.New("no /proc/stat"),
			after:   nics{"eth0": {10, 20}},
			want:    nics{"eth0": {10, 20}},
			gaps:    []gapWant{{"eth0", time.Second, time.Second + down, 10, 20, store.GapResetOffline}},
		},
		{
			name:    "implausible gap is dropped",
			before:  nics{"eth0": {1000, 1000}},
			maxRate: 1000, // bytes per second: at most 7.23 MB in 2 h plus a flush interval
			after:   nics{"eth0": {1000 + 8_000_000, 2000}},
			want:    nics{"eth0": {0, 0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.opts.MaxRate = tt.maxRate
			for _, n := range tt.history {
				err := h.st.Flush(h.ctx, store.Batch{At: testBase.Add(-48 * time.Hour), Boot: store.Boot{ID: "elsewhere"},
					Deltas: []store.Delta{{NIC: n, Start: testBase.Add(-48 * time.Hour).Unix(), Sent: 77, Recv: 77}}})
				if err != nil {
					t.Fatal(err)
				}
			}
			h.proc.replace(tt.before)
			h.start()
			if tt.paused {
				if err := h.m.Pause(h.ctx); err != nil {
					t.Fatal(err)
				}
			}
			h.step(time.Second)
			h.flush()
			for _, n := range tt.gone {
				h.proc.remove(n)
				h.step(time.Second)
				h.flush()
			}
			h.crash()

			h.clock.Advance(down)
			if tt.reboot {
				h.clock.Advance(-time.Minute)
				h.reboot("boot-2")
				h.clock.Advance(time.Minute)
			}
			h.bootErr = tt.bootErr
			h.proc.replace(tt.after)
			h.start()
			if got := h.m.Paused(); got != tt.paused {
				t.Errorf("Paused() = %v after restart, want %v", got, tt.paused)
			}
			// Traffic after the start is counted from the new baseline.
			for n, v := range tt.after {
				h.proc.set(n, v[0]+1, v[1]+1)
			}
			h.step(time.Second)
			h.flush()
			want := nics{}
			for n, v := range tt.want {
				if _, live := tt.after[n]; live && !tt.paused {
					v[0]++
					v[1]++
				}
				want[n] = v
			}
			h.wantTotals(want)
			checkGaps(t, h.gaps(), tt.gaps)
		})
	}
}

// TestPauseResume checks that a paused interval is never counted, also
// across a restart, and that the pause state is stored with the counters.
func TestPauseResume(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.proc.set("eth0", 1000, 1000)
	h.start()
	h.step(time.Second)
	h.proc.set("eth0", 2000, 3000) // counted by the pause's own reading
	h.clock.Advance(500 * time.Millisecond)
	if err := h.m.Pause(h.ctx); err != nil {
		t.Fatal(err)
	}
	if p, err := h.st.Paused(h.ctx); err != nil || !p {
		t.Fatalf("store Paused = %v, %v; want true", p, err)
	}
	for i := range 5 {
		h.proc.set("eth0", 10_000*uint64(i+1), 20_000*uint64(i+1))
		h.step(time.Second)
	}
	h.flush()
	if s := h.m.Snapshot(); !s.Paused || s.Up != 0 || s.Down != 0 {
		t.Errorf("snapshot while paused = %+v, want paused and no speed", s)
	}

	// A restart while paused stays paused and claims no gap.
	h.crash()
	h.clock.Advance(time.Hour)
	h.proc.set("eth0", 900_000, 900_000)
	h.start()
	if !h.m.Paused() {
		t.Fatal("not paused after restart")
	}
	h.proc.set("eth0", 950_000, 990_000)
	h.step(time.Second)

	h.proc.set("eth0", 1_000_000, 1_000_000)
	h.clock.Advance(time.Second)
	if err := h.m.Resume(h.ctx); err != nil {
		t.Fatal(err)
	}
	if p, err := h.st.Paused(h.ctx); err != nil || p {
		t.Fatalf("store Paused = %v, %v; want false", p, err)
	}
	h.proc.set("eth0", 1_000_700, 1_000_900)
	h.step(time.Second)
	// Resume while counting changes nothing and loses nothing.
	h.proc.set("eth0", 1_001_700, 1_001_900)
	if err := h.m.Resume(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.step(time.Second)
	h.flush()
	h.wantTotals(nics{"eth0": {1000 + 700 + 1000, 2000 + 900 + 1000}})
	checkGaps(t, h.gaps(), nil)
}

// TestFlushFailureKeepsData checks that a failed flush loses nothing and
// that a crash after it is recovered from the counters of the last good one.
func TestFlushFailureKeepsData(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.proc.set("eth0", 1000, 1000)
	h.start()
	h.proc.set("eth0", 2000, 2000)
	h.step(time.Second)
	h.fs.setFail(true)
	if err := h.m.Flush(h.ctx); !errors.Is(err, errFlush) {
		t.Fatalf("Flush = %v, want the injected failure", err)
	}
	if s := h.m.Snapshot(); s.FlushError == "" {
		t.Error("snapshot shows no flush error")
	}
	if s, r := h.m.Unflushed(testBase, ""); s != 1000 || r != 1000 {
		t.Errorf("Unflushed after failure = %d, %d; want 1000, 1000", s, r)
	}
	h.proc.set("eth0", 2500, 3000)
	h.step(time.Second)
	// A suspend's gap waits for a good flush too.
	h.clock.JumpWall(time.Hour)
	h.proc.set("eth0", 3500, 4000)
	h.step(time.Second)
	if err := h.m.Flush(h.ctx); !errors.Is(err, errFlush) {
		t.Fatalf("Flush = %v, want the injected failure", err)
	}
	// A pause whose flush fails is retried with the next flush.
	if err := h.m.Pause(h.ctx); !errors.Is(err, errFlush) {
		t.Fatalf("Pause = %v, want the injected failure", err)
	}
	h.fs.setFail(false)
	h.flush()
	if s := h.m.Snapshot(); s.FlushError != "" {
		t.Errorf("flush error %q still shown after a good flush", s.FlushError)
	}
	if p, err := h.st.Paused(h.ctx); err != nil || !p {
		t.Errorf("store Paused = %v, %v after the retried flush; want true", p, err)
	}
	h.wantTotals(nics{"eth0": {2500, 3000}})
	if err := h.m.Resume(h.ctx); err != nil {
		t.Fatal(err)
	}

	// Failing flushes then a crash: the counters of the last good flush
	// recover the unflushed traffic as a gap.
	h.proc.set("eth0", 3600, 4100)
	h.step(time.Second)
	h.flush()
	h.fs.setFail(true)
	h.proc.set("eth0", 5600, 9100)
	h.step(time.Second)
	if err := h.m.Flush(h.ctx); err == nil {
		t.Fatal("flush did not fail")
	}
	h.crash()
	h.fs.setFail(false)
	h.clock.Advance(time.Minute)
	h.start()
	h.flush()
	h.wantTotals(nics{"eth0": {2500 + 100 + 2000, 3000 + 100 + 5000}})
	checkGaps(t, h.gaps(), []gapWant{
		{"eth0", 2 * time.Second, time.Hour + 3*time.Second, 1000, 1000, stalled},
		{"eth0", time.Hour + 4*time.Second, time.Hour + time.Minute + 5*time.Second, 2000, 5000, store.GapNotRunning},
	})
}

// TestUnflushed checks the live part of totals, gaps of a suspend included.
func TestUnflushed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.proc.replace(nics{"eth0": {0, 0}, "wlan0": {0, 0}})
	h.start()
	h.proc.replace(nics{"eth0": {100, 200}, "wlan0": {1, 2}})
	h.step(time.Second)
	h.clock.JumpWall(2 * time.Hour)
	h.proc.replace(nics{"eth0": {100 + 7200, 200 + 14400}, "wlan0": {1, 2}})
	h.step(time.Second)
	tests := []struct {
		name       string
		since      time.Time
		nic        string
		sent, recv uint64
	}{
		{"all", testBase, "", 7301, 14602},
		{"one NIC", testBase, "wlan0", 1, 2},
		// The gap covers [1 s, 2 h + 2 s]; buckets from 1 h on get the
		// share of 3602 of its 7201 seconds, rounded as SpreadGap does.
		{"last hour of the suspend", testBase.Add(time.Hour + time.Second), "eth0", 3602, 7203},
		{"after everything", testBase.Add(3 * time.Hour), "", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, r := h.m.Unflushed(tt.since, tt.nic)
			if s != tt.sent || r != tt.recv {
				t.Errorf("Unflushed = %d, %d; want %d, %d", s, r, tt.sent, tt.recv)
			}
		})
	}
	h.flush()
	if s, r := h.m.Unflushed(testBase, ""); s != 0 || r != 0 {
		t.Errorf("Unflushed after flush = %d, %d; want 0, 0", s, r)
	}
}

// TestSnapshotSpeed checks the live speed the tray and dashboard show.
func TestSnapshotSpeed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.opts.RingSize = 3
	h.proc.replace(nics{"eth0": {0, 0}, "wlan0": {0, 0}})
	h.start()
	for i := range 5 {
		v := uint64(i+1) * 1000
		h.proc.replace(nics{"eth0": {v, 2 * v}, "wlan0": {v / 2, 0}})
		h.step(2 * time.Second)
	}
	s := h.m.Snapshot()
	if s.Up != 750 || s.Down != 1000 {
		t.Errorf("speed = %v up %v down, want 750 1000", s.Up, s.Down)
	}
	if len(s.Points) != 3 || !s.Points[2].T.Equal(testBase.Add(10*time.Second)) || !s.Points[0].T.Equal(testBase.Add(6*time.Second)) {
		t.Errorf("points = %+v, want the last 3 ending at +10s", s.Points)
	}
	want := []NICRate{{Name: "eth0", Up: 500, Down: 1000}, {Name: "wlan0", Up: 250}}
	if len(s.NICs) != 2 || s.NICs[0] != want[0] || s.NICs[1] != want[1] {
		t.Errorf("NICs = %+v, want %+v", s.NICs, want)
	}
}

// TestLegacyNowClock checks the default monotonic clock, taken from the
// monotonic reading time.Now puts in Now's values.
func TestLegacyNowClock(t *testing.T) {
	t.Parallel()
	proc := newFakeProc(t)
	ctx := proc.ctx(t.Context())
	st, err := store.Open(ctx, t.TempDir(), store.Options{Location: time.UTC, Now: testenv.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	base := testenv.Now() // carries a monotonic reading; Add keeps it
	var offset time.Duration
	m := New(st, Options{
		Now:  func() time.Time { return base.Add(offset) },
		Boot: func(context.Context) (store.Boot, error) { return store.Boot{ID: "b"}, nil },
	})
	proc.set("eth0", 0, 0)
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	offset = time.Second
	proc.set("eth0", 1000, 1000)
	m.Sample(ctx)
	if s := m.Snapshot(); s.Up != 1000 {
		t.Errorf("speed = %v, want 1000 over one monotonic second", s.Up)
	}
	if s, r := m.Unflushed(time.Time{}, ""); s != 1000 || r != 1000 {
		t.Errorf("Unflushed = %d, %d; want 1000, 1000", s, r)
	}
}

func TestSampledWakesWaitersOncePerSample(t *testing.T) {
	t.Parallel()
	m := New(nil, Options{})
	ch := m.Sampled()
	if ch != m.Sampled() {
		t.Fatal("waiters before the same sample got different channels")
	}
	select {
	case <-ch:
		t.Fatal("closed before any sample")
	default:
	}
	m.account([]Counter{{Name: "eth0", Sent: 1, Recv: 1}}, nil, testenv.Now(), 0)
	select {
	case <-ch:
	default:
		t.Fatal("not closed by the sample")
	}
	next := m.Sampled()
	select {
	case <-next:
		t.Fatal("the next sample's channel is already closed")
	default:
	}
}
