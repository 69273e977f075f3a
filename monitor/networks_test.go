package monitor

import (
	"context"
	"maps"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/store"
)

// Networks of the tests: two Wi-Fi networks and two wired ones.
var (
	netHome   = store.WiFiNetwork("Home")
	netPhone  = store.WiFiNetwork("Phone")
	netOffice = store.GatewayNetwork(net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01})
	netDesk   = store.GatewayNetwork(net.HardwareAddr{0x02, 0, 0, 0, 0, 0x02})
)

// TestNetworkSwitches walks two NICs through every way traffic reaches the
// store and checks the network each byte lands on: a reading's traffic on
// the network of its end (a switch at the reading boundary takes the
// whole interval), a kill -9's downtime gap on the network seen at the
// restart (with what was read but not flushed before the kill), a
// suspend's gap on the network at its end, a new boot's traffic on the
// network at the start; per NIC the sum is the counter difference.
func TestNetworkSwitches(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setNetwork("eth0", netHome)
	h.setNetwork("wlan0", netOffice)
	h.proc.replace(nics{"eth0": {1000, 2000}, "wlan0": {0, 0}})
	h.start()

	h.proc.replace(nics{"eth0": {1100, 2200}, "wlan0": {10, 20}})
	h.step(time.Second) // eth0 +100/+200 at home
	if s := h.m.Snapshot(); len(s.NICs) != 2 || s.NICs[0].Network != netHome || s.NICs[1].Network != netOffice {
		t.Errorf("snapshot NICs %+v, want eth0 at home, wlan0 at the office", s.NICs)
	}
	// The switch lands between two readings: the whole interval before
	// the second is on the new network.
	h.setNetwork("eth0", netPhone)
	h.proc.replace(nics{"eth0": {1400, 2600}, "wlan0": {10, 20}})
	h.step(time.Second) // eth0 +300/+400 on the phone
	if got := h.m.UnflushedByNetwork(testBase, "eth0"); !maps.Equal(got, map[string]store.Traffic{netHome: {Sent: 100, Received: 200}, netPhone: {Sent: 300, Received: 400}}) {
		t.Errorf("UnflushedByNetwork(eth0) = %v", got)
	}
	if got := h.m.UnflushedByNetwork(testBase, ""); !maps.Equal(got, map[string]store.Traffic{netHome: {Sent: 100, Received: 200}, netPhone: {Sent: 300, Received: 400}, netOffice: {Sent: 10, Received: 20}}) {
		t.Errorf("UnflushedByNetwork(all) = %v", got)
	}
	h.flush() // at +2 s

	// kill -9: the reading at +3 s is lost with the process; the restart
	// finds it in the counters, with the traffic while down, on the
	// network it sees.
	h.proc.replace(nics{"eth0": {1500, 2700}, "wlan0": {10, 20}})
	h.step(time.Second)
	h.crash()
	h.setNetwork("eth0", netDesk)
	h.proc.replace(nics{"eth0": {2000, 3000}, "wlan0": {10, 20}})
	h.clock.Advance(10 * time.Minute)
	h.start() // at +603 s: eth0 +600/+400 at the desk

	// A suspend while running, waking up at home.
	h.clock.JumpWall(2 * time.Hour)
	h.setNetwork("eth0", netHome)
	h.proc.replace(nics{"eth0": {2050, 3100}, "wlan0": {10, 20}})
	h.step(time.Second) // at +7804 s: eth0 +50/+100 at home, as a gap
	h.flush()

	// A reboot: the counters start again; the traffic since boot is on
	// the networks seen at the start, eth0's unknown.
	h.crash()
	h.reboot("boot-2")
	h.setNetwork("eth0", "")
	h.proc.replace(nics{"eth0": {70, 80}, "wlan0": {5, 5}})
	h.clock.Advance(time.Minute)
	h.start() // at +7864 s
	h.proc.replace(nics{"eth0": {170, 180}, "wlan0": {5, 5}})
	h.step(time.Second) // eth0 +100/+100 unknown
	h.flush()

	h.wantNetworkTotals(map[nicNetwork][2]uint64{
		{"eth0", netHome}:    {100 + 50, 200 + 100},
		{"eth0", netPhone}:   {300, 400},
		{"eth0", netDesk}:    {600, 400},
		{"eth0", ""}:         {70 + 100, 80 + 100},
		{"wlan0", netOffice}: {10 + 5, 20 + 5},
	})
	gaps := h.gaps()
	slices.SortStableFunc(gaps, func(a, b store.Gap) int { return a.From.Compare(b.From) })
	checkGaps(t, gaps, []gapWant{
		{"eth0", 2 * time.Second, 603 * time.Second, 600, 400, store.GapNotRunning},
		{"eth0", 603 * time.Second, 7804 * time.Second, 50, 100, stalled},
		{"eth0", 7804 * time.Second, 7864 * time.Second, 70, 80, store.GapSinceBoot},
		{"wlan0", 7804 * time.Second, 7864 * time.Second, 5, 5, store.GapSinceBoot},
	})
	for i, want := range []string{netDesk, netHome, "", netOffice} {
		if gaps[i].Network != want {
			t.Errorf("gap %d (%s, %s) on %q, want %q", i, gaps[i].NIC, gaps[i].Reason, gaps[i].Network, want)
		}
	}
}

// TestNetworksAskedForCountedNICs checks that Options.Networks is asked
// once per reading (at start, each sample, a pause's last reading), with
// the counted NICs only, and that a NIC it leaves out is on the unknown
// network.
func TestNetworksAskedForCountedNICs(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var mu sync.Mutex
	var calls [][]string
	h.opts.Networks = func(_ context.Context, nics []string) map[string]string {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, slices.Sorted(slices.Values(nics)))
		return map[string]string{"eth0": netHome} // wlan0 left out
	}
	h.proc.replace(nics{"eth0": {0, 0}, "wlan0": {0, 0}, "lo": {0, 0}, "docker0": {0, 0}})
	h.start()
	h.proc.replace(nics{"eth0": {10, 10}, "wlan0": {20, 20}, "lo": {5, 5}, "docker0": {5, 5}})
	h.step(time.Second)
	if err := h.m.Pause(h.ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	got := calls
	mu.Unlock()
	if len(got) != 3 {
		t.Fatalf("asked %d times (%v), want 3: start, sample, pause", len(got), got)
	}
	for i, c := range got {
		if !slices.Equal(c, []string{"eth0", "wlan0"}) {
			t.Errorf("call %d asked about %v, want the counted eth0 and wlan0", i, c)
		}
	}
	h.wantNetworkTotals(map[nicNetwork][2]uint64{{"eth0", netHome}: {10, 10}, {"wlan0", ""}: {20, 20}})
	if s := h.m.Snapshot(); len(s.NICs) != 2 || s.NICs[0].Network != netHome || s.NICs[1].Network != "" {
		t.Errorf("snapshot NICs %+v, want eth0 at home, wlan0 unknown", s.NICs)
	}
}

// TestSnapshotNetworkWhilePaused: a NIC counted but paused since the start
// has no speed, yet the snapshot names its network.
func TestSnapshotNetworkWhilePaused(t *testing.T) {
	t.Parallel()
	st := &memStore{}
	m := New(st, Options{
		Read:     func(context.Context) ([]Counter, error) { return []Counter{{Name: "eth0", Sent: 1, Recv: 1}}, nil },
		Boot:     func(context.Context) (store.Boot, error) { return store.Boot{ID: "b"}, nil },
		Networks: func(context.Context, []string) map[string]string { return map[string]string{"eth0": netPhone} },
	})
	if err := m.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := m.Pause(t.Context()); err != nil {
		t.Fatal(err)
	}
	m.Sample(t.Context())
	want := []NICRate{{Name: "eth0", Network: netPhone}}
	if s := m.Snapshot(); !slices.Equal(s.NICs, want) {
		t.Errorf("NICs = %+v, want %+v", s.NICs, want)
	}
}

// cachingNetworks stands for a detector that answers from a cache: the
// networks the system would report change under it, and it answers them
// only after NetworkChanged.
type cachingNetworks struct {
	mu      sync.Mutex
	system  map[string]string // NIC -> network now
	cache   map[string]string // what Networks answers
	changed int               // NetworkChanged calls
	events  []string          // "changed" and "networks", in order
}

func (c *cachingNetworks) networks(_ context.Context, nics []string) map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, "networks")
	out := make(map[string]string, len(nics))
	for _, n := range nics {
		out[n] = c.cache[n]
	}
	return out
}

func (c *cachingNetworks) networkChanged() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.changed++
	c.events = append(c.events, "changed")
	c.cache = maps.Clone(c.system)
}

// TestNetworkChangedOnCounterRestart: a reading in which a counted NIC's
// counters restarted (went down, or the NIC came back) calls
// NetworkChanged once, before Networks, so that the reading's traffic
// goes to the network found afresh; growth, a 32-bit wrap, a NIC gone,
// a NIC not counted and a new NIC do not call it.
func TestNetworkChangedOnCounterRestart(t *testing.T) {
	t.Parallel()
	const nearWrap = 1<<32 - 100
	c := &cachingNetworks{
		system: map[string]string{"eth0": netHome, "wlan0": netOffice},
		cache:  map[string]string{"eth0": netHome, "wlan0": netOffice},
	}
	h := newHarness(t)
	h.opts.Networks, h.opts.NetworkChanged = c.networks, c.networkChanged
	h.proc.replace(nics{"eth0": {1000, 2000}, "wlan0": {0, 0}, "lo": {5, 5}})
	h.start()
	steps := []struct {
		name     string
		counters nics
		system   map[string]string // what the system says from this reading on; nil: unchanged
		want     int               // NetworkChanged calls at this reading
	}{
		{"counters grow", nics{"eth0": {1100, 2200}, "wlan0": {10, 20}, "lo": {9, 9}}, nil, 0},
		{"up to just below 2^32", nics{"eth0": {nearWrap, 2300}, "wlan0": {10, 20}, "lo": {9, 9}}, nil, 0},
		{"a 32-bit wrap", nics{"eth0": {50, 2400}, "wlan0": {10, 20}, "lo": {9, 9}}, nil, 0},
		{"a NIC not counted restarts", nics{"eth0": {60, 2400}, "wlan0": {10, 20}, "lo": {1, 1}}, nil, 0},
		{"eth0 re-created on the phone's network", nics{"eth0": {30, 40}, "wlan0": {10, 20}, "lo": {1, 1}},
			map[string]string{"eth0": netPhone, "wlan0": netOffice}, 1},
		{"eth0 on the phone", nics{"eth0": {130, 140}, "wlan0": {10, 20}, "lo": {1, 1}}, nil, 0},
		{"eth0 gone", nics{"wlan0": {10, 20}, "lo": {1, 1}}, nil, 0},
		{"eth0 back at the desk", nics{"eth0": {7, 8}, "wlan0": {10, 20}, "lo": {1, 1}},
			map[string]string{"eth0": netDesk, "wlan0": netOffice}, 1},
		{"both restart at once, one call", nics{"eth0": {1, 2}, "wlan0": {3, 4}, "lo": {1, 1}}, nil, 1},
		{"only received goes down", nics{"eth0": {11, 1}, "wlan0": {3, 4}, "lo": {1, 1}}, nil, 1},
		{"a new NIC appears", nics{"eth0": {11, 1}, "wlan0": {3, 4}, "usb0": {500, 500}, "lo": {1, 1}}, nil, 0},
	}
	for _, step := range steps {
		c.mu.Lock()
		if step.system != nil {
			c.system = step.system
		}
		before, events := c.changed, len(c.events)
		c.mu.Unlock()
		h.proc.replace(step.counters)
		h.step(time.Second)
		c.mu.Lock()
		got, last := c.changed-before, c.events[events:]
		c.mu.Unlock()
		if got != step.want {
			t.Errorf("%s: NetworkChanged called %d times, want %d", step.name, got, step.want)
		}
		if want := []string{"changed", "networks"}; step.want == 1 && !slices.Equal(last, want) {
			t.Errorf("%s: calls %v, want %v", step.name, last, want)
		}
	}
	h.flush()
	h.wantNetworkTotals(map[nicNetwork][2]uint64{
		{"eth0", netHome}:    {100 + (nearWrap - 1100) + 150 + 10, 200 + 100 + 100},
		{"eth0", netPhone}:   {30 + 100, 40 + 100},
		{"eth0", netDesk}:    {7 + 1 + 10, 8 + 2 + 1},
		{"wlan0", netOffice}: {10 + 3, 20 + 4},
	})
}

// TestNetworkChangedWithoutNetworks: NetworkChanged is called even when
// there is no Networks function.
func TestNetworkChangedWithoutNetworks(t *testing.T) {
	t.Parallel()
	counters := []Counter{{Name: "eth0", Sent: 100, Recv: 100}}
	var mu sync.Mutex
	calls := 0
	m := New(&memStore{}, Options{
		Read: func(context.Context) ([]Counter, error) {
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(counters), nil
		},
		Boot:           func(context.Context) (store.Boot, error) { return store.Boot{ID: "b"}, nil },
		NetworkChanged: func() { calls++ },
	})
	if err := m.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	counters[0].Sent = 5
	mu.Unlock()
	m.Sample(t.Context())
	if calls != 1 {
		t.Errorf("NetworkChanged called %d times after a reset, want 1", calls)
	}
}
