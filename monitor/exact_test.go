package monitor

import (
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/store"
)

// modelNIC is a kernel NIC in TestExactnessRandomWalk.
type modelNIC struct {
	name       string
	bits32     bool // its counters wrap at 2^32
	sent, recv uint64
	present    bool
	network    string    // the network it is on now
	unread     [2]uint64 // counted traffic since the monitor's last reading
	// unflushed is the traffic read since the last flush, per network,
	// and truth the traffic the store must hold.
	unflushed, truth map[string][2]uint64
}

func (n *modelNIC) add(sent, recv uint64, counted bool) {
	if n.bits32 {
		n.sent, n.recv = uint64(uint32(n.sent+sent)), uint64(uint32(n.recv+recv))
	} else {
		n.sent, n.recv = n.sent+sent, n.recv+recv
	}
	if counted {
		n.unread[0] += sent
		n.unread[1] += recv
	}
}

// read is the monitor reading the counters: the traffic since the last
// reading belongs to the network the NIC is on at this one.
func (n *modelNIC) read() {
	addTo(&n.unflushed, n.network, n.unread)
	n.unread = [2]uint64{}
}

// flushed is the monitor committing what it read.
func (n *modelNIC) flushed() {
	for network, v := range n.unflushed {
		addTo(&n.truth, network, v)
	}
	clear(n.unflushed)
}

// crashed is a kill -9: what was read since the last flush is lost with
// the process, and the restart finds it again in the counters, with the
// traffic while down, as a gap on the network of the restart.
func (n *modelNIC) crashed() {
	for _, v := range n.unflushed {
		n.unread[0] += v[0]
		n.unread[1] += v[1]
	}
	clear(n.unflushed)
}

func addTo(m *map[string][2]uint64, key string, v [2]uint64) {
	if *m == nil {
		*m = map[string][2]uint64{}
	}
	t := (*m)[key]
	(*m)[key] = [2]uint64{t[0] + v[0], t[1] + v[1]}
}

// walkNetworks are the networks TestExactnessRandomWalk's NICs move between.
var walkNetworks = []string{"", store.WiFiNetwork("Home"), store.WiFiNetwork("Phone"), store.GatewayNetwork(net.HardwareAddr{2, 0, 0, 0, 0, 1})}

// unambiguous reports whether a restart of the counters now cannot be
// mistaken for a 32-bit wrap nor for ordinary traffic.
func (n *modelNIC) unambiguous() bool {
	low := func(v uint64) bool { return v > 1e7 && v < 1<<31 }
	high := func(v uint64) bool { return v > 1<<32 }
	return (low(n.sent) || high(n.sent)) && (low(n.recv) || high(n.recv))
}

// TestExactnessRandomWalk checks invariant 1 of the design against a real
// store: over a long random run with flushes, resets, 32-bit wraps, NICs
// vanishing, suspends, clock changes, pauses, kill -9 restarts and NICs
// moving between networks (before or after the traffic of a reading, and
// while the app is down), the bytes recorded per NIC and network equal the
// real traffic outside pauses, exactly: each reading's traffic on the
// network of its end, a downtime gap on the network seen at the restart.
func TestExactnessRandomWalk(t *testing.T) {
	t.Parallel()
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
			h := newHarness(t)
			model := []*modelNIC{
				{name: "eth0", sent: 10_000_000_000, recv: 40_000_000_000, present: true},
				{name: "wlan0", sent: 20_000_000, recv: 30_000_000, present: true},
				{name: "en0", bits32: true, sent: 1<<32 - 40_000_000, recv: 1<<32 - 90_000_000, present: true},
			}
			sync := func() {
				live := nics{}
				for _, n := range model {
					if n.present {
						live[n.name] = [2]uint64{n.sent, n.recv}
					}
				}
				h.proc.replace(live)
			}
			// read is the monitor taking a reading, as the model sees it,
			// and flushed the monitor committing it.
			read := func() {
				for _, n := range model {
					n.read()
				}
			}
			flushed := func() {
				for _, n := range model {
					n.flushed()
				}
			}
			move := func() {
				n := model[rng.IntN(len(model))]
				n.network = walkNetworks[rng.IntN(len(walkNetworks))]
				h.setNetwork(n.name, n.network)
			}
			traffic := func(counted bool) {
				for _, n := range model {
					if n.present {
						n.add(rng.Uint64N(3_000_000), rng.Uint64N(6_000_000), counted)
					}
				}
			}
			sync()
			h.start()
			read()
			flushed()
			paused := false
			// risky is set when a NIC restarted since the last flush: a
			// kill -9 then loses traffic that nothing can recover.
			risky := false
			events := map[string]int{}
			for range 400 {
				r := rng.IntN(200)
				switch {
				case r < 6: // flush
					events["flush"]++
					h.flush()
					flushed()
					risky = false
				case r < 8: // a NIC's counters restart
					n := model[rng.IntN(len(model))]
					if n.present && n.unambiguous() {
						events["reset"]++
						n.sent, n.recv = 0, 0
						risky = true
					}
				case r < 10: // a NIC vanishes; a vanished one comes back new
					n := model[rng.IntN(len(model))]
					events["vanish or return"]++
					n.present = !n.present
					n.sent, n.recv = 0, 0
					risky = true
				case r < 12: // suspend for hours, sometimes resetting counters
					events["suspend"]++
					h.clock.JumpWall(time.Duration(1+rng.IntN(10)) * time.Hour)
					for _, n := range model {
						if rng.IntN(2) == 0 && n.present && n.unambiguous() {
							n.sent, n.recv = 0, 0
							risky = true
						}
					}
				case r < 13: // the wall clock is set back
					events["clock set back"]++
					h.clock.JumpWall(-time.Duration(1+rng.IntN(60)) * time.Minute)
				case r < 15: // pause or resume
					events["pause or resume"]++
					var err error
					if paused {
						sync()
						err = h.m.Resume(h.ctx)
					} else {
						err = h.m.Pause(h.ctx)
					}
					read()
					flushed()
					if err != nil {
						t.Fatal(err)
					}
					paused = !paused
				case r < 17 && !risky: // kill -9, traffic while down, restart
					events["kill and restart"]++
					h.crash()
					for _, n := range model {
						n.crashed()
					}
					h.clock.Advance(time.Duration(1+rng.IntN(120)) * time.Minute)
					for range 1 + rng.IntN(20) {
						for _, n := range model {
							// A counter that wraps while the app is down
							// reads as a reset: keep the 32-bit one below.
							if n.present && (!n.bits32 || (n.sent < 1<<31 && n.recv < 1<<31)) {
								n.add(rng.Uint64N(3_000_000), rng.Uint64N(6_000_000), !paused)
							}
						}
						if rng.IntN(4) == 0 {
							move()
						}
					}
					sync()
					h.start()
					read()
					flushed()
				case r < 24: // a NIC moves to another network
					events["network change"]++
					if rng.IntN(2) == 0 {
						move() // before this reading's traffic
						break
					}
					// After the traffic, at the reading: it is the
					// network at the reading that gets it.
					traffic(!paused)
					move()
				}
				traffic(!paused)
				sync()
				h.step(time.Second)
				read()
			}
			h.flush()
			flushed()
			t.Logf("events: %v", events)
			want := map[nicNetwork][2]uint64{}
			for _, n := range model {
				for network, v := range n.truth {
					want[nicNetwork{n.name, network}] = v
				}
			}
			h.wantNetworkTotals(want)
			for _, r := range h.m.Snapshot().NICs {
				for _, n := range model {
					if n.name == r.Name && n.present && r.Network != n.network {
						t.Errorf("snapshot: %s on %q, want %q", r.Name, r.Network, n.network)
					}
				}
			}
			if a := h.m.Snapshot().Anomalies; a != 0 {
				t.Errorf("%d anomalies in ordinary traffic", a)
			}
		})
	}
}
