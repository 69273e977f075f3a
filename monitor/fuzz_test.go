package monitor

import (
	"encoding/binary"
	"math"
	"net"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/store"
)

// drain takes everything the monitor has counted since the last drain,
// bucket deltas and gaps, as a flush would, per network.
func drain(m *Monitor) map[string]store.Traffic {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]store.Traffic{}
	for k, v := range m.pending {
		out[k.network] = out[k.network].Add(v)
	}
	for _, g := range m.gaps {
		out[g.Network] = out[g.Network].Add(store.Traffic{Sent: g.Sent, Received: g.Recv})
	}
	clear(m.pending)
	m.gaps = nil
	return out
}

// fuzzNetworks are the networks FuzzDelta's NIC moves between.
var fuzzNetworks = [4]string{"", store.WiFiNetwork("Home"), store.GatewayNetwork(net.HardwareAddr{2, 0, 0, 0, 0, 1}), store.WiFiNetwork("Phone")}

// FuzzDelta drives the accounting with a model kernel counter and checks
// that the monitor never records more than the real traffic, never a step
// above the ceiling, and exactly the traffic of an ordinary step.
//
// The input is 5-byte records: an op byte and a little-endian uint32. The
// op's low 3 bits choose the event, bit 3 a suspend before the reading
// (the wall clock jumps, the monotonic clock does not), the high 4 bits the
// time between readings; the uint32's low 2 bits the network the NIC is
// on at the reading, which must get the whole step. wide chooses a 64-bit
// counter, else a 32-bit one.
//
// One case is ambiguous by nature: a counter that restarts from a value
// within wrapWindow of 2^32 can read exactly like a 32-bit wrap, and
// CounterDelta unwraps it. The model allows that overcount, at most
// 2^32 - previous value (< 256 MiB), and nothing else.
func FuzzDelta(f *testing.F) {
	rec := func(op byte, v uint32) []byte {
		return binary.LittleEndian.AppendUint32([]byte{op}, v)
	}
	cat := func(recs ...[]byte) []byte {
		var out []byte
		for _, r := range recs {
			out = append(out, r...)
		}
		return out
	}
	f.Add(true, cat(rec(0x10, 1000), rec(0x10, 5000), rec(0x14, 10), rec(0x10, 1)))
	f.Add(false, cat(rec(0x03, 0xffff0000), rec(0x00, 0xfffff), rec(0x10, 0x7fffffff), rec(0x10, 0x80000000)))
	f.Add(true, cat(rec(0x15, 0), rec(0x17, 0), rec(0x16, 300), rec(0x10, 100)))
	f.Add(true, cat(rec(0x10, 100), rec(0x18, 28800), rec(0x1c, 500), rec(0x10, 100)))
	f.Add(false, cat(rec(0x02, 0xfffff), rec(0x03, 0xfff), rec(0xf3, 0xffffffff), rec(0x07, 0)))
	f.Fuzz(func(t *testing.T, wide bool, ops []byte) {
		const maxRate = 1e9 // bytes per second
		clock := newFakeClock()
		m := New(nil, Options{MaxRate: maxRate, Now: clock.Now, Mono: clock.Mono})
		mask := uint64(math.MaxUint64)
		if !wide {
			mask = math.MaxUint32
		}
		var counter, truth, allowance uint64
		present := true
		lastRead := counter
		reading := func() []Counter {
			if !present {
				return nil
			}
			return []Counter{{Name: "eth0", Sent: counter, Recv: counter}}
		}
		m.account(reading(), nil, clock.Now(), clock.Mono()) // the baseline
		var total uint64                                     // recorded
		// Per network: what was recorded, and the most it may be.
		recorded, bound := map[string]uint64{}, map[string]uint64{}

		for len(ops) >= 5 {
			op, v := ops[0], binary.LittleEndian.Uint32(ops[1:5])
			ops = ops[5:]
			dt := time.Duration(op>>4+1) * 250 * time.Millisecond
			var jump time.Duration
			if op&8 != 0 {
				jump = time.Duration(v%86400) * time.Second
			}
			var inc, slack uint64
			ordinary := false
			switch op & 7 {
			case 0, 1, 2, 3: // traffic, at four scales
				if present {
					inc = uint64(v) << (4 * (op & 3))
					counter = (counter + inc) & mask
					ordinary = wide
				}
			case 4: // the counter restarts (NIC re-created or driver reset)
				if present {
					if lastRead >= 1<<32-wrapWindow && lastRead < 1<<32 {
						slack = 1<<32 - lastRead
					}
					inc = uint64(v % 1_000_000)
					counter = inc
				}
			case 5: // the NIC vanishes
				present, counter = false, 0
			case 6: // a new NIC of that name appears
				if !present {
					present = true
					inc = uint64(v % 1_000_000)
					counter = inc
				}
			case 7: // nothing happens
			}
			truth += inc
			allowance += slack
			clock.JumpWall(jump)
			clock.Advance(dt)

			network := fuzzNetworks[v&3]
			m.account(reading(), map[string]string{"eth0": network}, clock.Now(), clock.Mono())
			parts := drain(m)
			for n, d := range parts {
				if n != network && !d.IsZero() {
					t.Fatalf("op %#x: %d bytes under network %q, but the reading was on %q", op, d.Sent, n, network)
				}
			}
			step, stepRecv := parts[network].Sent, parts[network].Received
			recorded[network] += step
			bound[network] += inc + slack
			if recorded[network] > bound[network] {
				t.Fatalf("op %#x: network %q has %d recorded of at most %d", op, network, recorded[network], bound[network])
			}
			if stepRecv != step {
				t.Fatalf("op %#x: recorded sent %d but recv %d of the same traffic", op, step, stepRecv)
			}
			if total+step < total {
				t.Fatalf("recorded total wrapped: %d + %d", total, step)
			}
			total += step
			if ceiling := Ceiling(maxRate, dt+jump); step > ceiling {
				t.Fatalf("op %#x: step of %d above the ceiling %d", op, step, ceiling)
			}
			if step > inc+slack {
				t.Fatalf("op %#x: recorded %d for %d bytes of traffic (allowance %d), counter %d -> %d", op, step, inc, slack, lastRead, counter)
			}
			if ordinary && inc <= Ceiling(maxRate, dt+jump) && step != inc {
				t.Fatalf("op %#x: recorded %d for an ordinary step of %d", op, step, inc)
			}
			if present {
				lastRead = counter
			}
		}
		if total > truth+allowance {
			t.Fatalf("recorded %d of %d bytes (allowance %d)", total, truth, allowance)
		}
	})
}
