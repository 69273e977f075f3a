package netid

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: testenv.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fakeProbe answers from a table the test edits and counts its calls.
type fakeProbe struct {
	mu     sync.Mutex
	keys   map[string]string
	errs   map[string]error
	calls  map[string]int
	noDead bool // set when a call came without a deadline
}

func newFakeProbe(keys map[string]string) *fakeProbe {
	return &fakeProbe{keys: keys, errs: map[string]error{}, calls: map[string]int{}}
}

func (p *fakeProbe) probe(ctx context.Context, nic string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := ctx.Deadline(); !ok {
		p.noDead = true
	}
	p.calls[nic]++
	return p.keys[nic], p.errs[nic]
}

func (p *fakeProbe) set(nic, key string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys[nic], p.errs[nic] = key, err
}

func (p *fakeProbe) takeCalls() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.calls
	p.calls = map[string]int{}
	return c
}

func TestDetectorCaches(t *testing.T) {
	t.Parallel()
	const interval = 5 * time.Second
	errNotYet := errors.New("not yet")
	// Each step moves the clock, optionally changes what the system would
	// answer or invalidates, then asks for both NICs.
	steps := []struct {
		name       string
		advance    time.Duration
		change     func(*fakeProbe)
		invalidate bool
		want       map[string]string
		wantProbes map[string]int
	}{
		{name: "first call probes every NIC",
			want:       map[string]string{"wlan0": "wifi:Home", "eth0": "gateway:02:00:00:00:00:01"},
			wantProbes: map[string]int{"wlan0": 1, "eth0": 1}},
		{name: "within the interval the cache answers", advance: interval - time.Nanosecond,
			change:     func(p *fakeProbe) { p.set("wlan0", "wifi:Train", nil) },
			want:       map[string]string{"wlan0": "wifi:Home", "eth0": "gateway:02:00:00:00:00:01"},
			wantProbes: map[string]int{}},
		{name: "after the interval the system is asked", advance: time.Nanosecond,
			want:       map[string]string{"wlan0": "wifi:Train", "eth0": "gateway:02:00:00:00:00:01"},
			wantProbes: map[string]int{"wlan0": 1, "eth0": 1}},
		{name: "invalidate asks at once", advance: time.Second, invalidate: true,
			change:     func(p *fakeProbe) { p.set("eth0", "gateway:02:00:00:00:00:02", nil) },
			want:       map[string]string{"wlan0": "wifi:Train", "eth0": "gateway:02:00:00:00:00:02"},
			wantProbes: map[string]int{"wlan0": 1, "eth0": 1}},
		{name: "an uncertain answer is used", advance: interval,
			change:     func(p *fakeProbe) { p.set("eth0", "", errNotYet) },
			want:       map[string]string{"wlan0": "wifi:Train", "eth0": ""},
			wantProbes: map[string]int{"wlan0": 1, "eth0": 1}},
		{name: "and asked again after a second", advance: time.Second,
			change:     func(p *fakeProbe) { p.set("eth0", "gateway:02:00:00:00:00:03", nil) },
			want:       map[string]string{"wlan0": "wifi:Train", "eth0": "gateway:02:00:00:00:00:03"},
			wantProbes: map[string]int{"eth0": 1}},
		{name: "a clock that went back asks again", advance: -time.Minute,
			want:       map[string]string{"wlan0": "wifi:Train", "eth0": "gateway:02:00:00:00:00:03"},
			wantProbes: map[string]int{"wlan0": 1, "eth0": 1}},
	}
	clock := newFakeClock()
	p := newFakeProbe(map[string]string{"wlan0": "wifi:Home", "eth0": "gateway:02:00:00:00:00:01"})
	d := NewDetector(Options{Interval: interval, Now: clock.Now, Probe: p.probe})
	for _, step := range steps {
		clock.Advance(step.advance)
		if step.change != nil {
			step.change(p)
		}
		if step.invalidate {
			d.Invalidate()
		}
		got := d.Networks(t.Context(), []string{"wlan0", "eth0"})
		if !maps.Equal(got, step.want) {
			t.Errorf("%s: Networks = %v, want %v", step.name, got, step.want)
		}
		if calls := p.takeCalls(); !maps.Equal(calls, step.wantProbes) {
			t.Errorf("%s: probes %v, want %v", step.name, calls, step.wantProbes)
		}
	}
	if p.noDead {
		t.Error("a probe ran without a deadline")
	}
}

func TestDetectorDefaults(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	p := newFakeProbe(map[string]string{"eth0": "gateway:02:00:00:00:00:01"})
	d := NewDetector(Options{Now: clock.Now, Probe: p.probe})
	d.Networks(t.Context(), []string{"eth0"})
	clock.Advance(DefaultInterval - time.Millisecond)
	d.Networks(t.Context(), []string{"eth0"})
	if got := p.takeCalls()["eth0"]; got != 1 {
		t.Errorf("%d probes within DefaultInterval, want 1", got)
	}
	clock.Advance(time.Millisecond)
	d.Networks(t.Context(), []string{"eth0"})
	if got := p.takeCalls()["eth0"]; got != 1 {
		t.Errorf("%d probes after DefaultInterval, want 1", got)
	}
}

func TestDetectorMapIsTheCallers(t *testing.T) {
	t.Parallel()
	p := newFakeProbe(map[string]string{"eth0": "gateway:02:00:00:00:00:01"})
	d := NewDetector(Options{Probe: p.probe})
	m := d.Networks(t.Context(), []string{"eth0"})
	m["eth0"] = "changed"
	if got := d.Networks(t.Context(), []string{"eth0"})["eth0"]; got != "gateway:02:00:00:00:00:01" {
		t.Errorf("after the caller changed its map, Networks = %q", got)
	}
}

func TestDetectorForgetsUnusedNICs(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	p := newFakeProbe(map[string]string{})
	d := NewDetector(Options{Interval: time.Second, Now: clock.Now, Probe: p.probe})
	for i := range 100 {
		d.Networks(t.Context(), []string{fmt.Sprintf("veth%d", i), "eth0"})
		clock.Advance(time.Second)
	}
	d.mu.Lock()
	n := len(d.cache)
	d.mu.Unlock()
	if n > 6 {
		t.Errorf("cache holds %d NICs after 100 short-lived ones, want at most a few", n)
	}
}

// TestDetectorConcurrent is for the race detector: Networks and
// Invalidate from several goroutines.
func TestDetectorConcurrent(t *testing.T) {
	t.Parallel()
	p := newFakeProbe(map[string]string{"eth0": "gateway:02:00:00:00:00:01"})
	d := NewDetector(Options{Probe: p.probe})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				if got := d.Networks(t.Context(), []string{"eth0", "wlan0"}); got["eth0"] != "gateway:02:00:00:00:00:01" {
					t.Errorf("Networks = %v", got)
					return
				}
				d.Invalidate()
			}
		})
	}
	wg.Wait()
}

// TestDetectorProbeBudget: probes that hang (a NetworkManager that does
// not answer) hold up one Networks call for at most probeTimeout in all,
// however many NICs wait for them.
func TestDetectorProbeBudget(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		hung := func(ctx context.Context, nic string) (string, error) {
			<-ctx.Done()
			return "", ctx.Err()
		}
		d := NewDetector(Options{Probe: hung})
		start := time.Now()
		got := d.Networks(t.Context(), []string{"eth0", "wlan0", "wlan1", "usb0"})
		if took := time.Since(start); took > probeTimeout {
			t.Errorf("Networks took %v with hung probes, want at most %v", took, probeTimeout)
		}
		if want := map[string]string{"eth0": "", "wlan0": "", "wlan1": "", "usb0": ""}; !maps.Equal(got, want) {
			t.Errorf("Networks = %v, want %v", got, want)
		}
	})
}

// TestDetectorRunEnds: Run, on every system, returns nil when its context
// ends.
func TestDetectorRunEnds(t *testing.T) {
	t.Parallel()
	d := NewDetector(Options{Probe: newFakeProbe(map[string]string{}).probe})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	checkRunEnds(t, done)
}

// checkRunEnds checks that Run, whose result done receives, returns nil
// soon after its context ended.
func checkRunEnds(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5 s of its context ending")
	}
}
