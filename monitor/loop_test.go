package monitor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/packetbuddy/packetbuddy/store"
)

// memStore records the batches flushed to it; fail decides whether the
// n-th flush attempt (0 is the one at start) fails.
type memStore struct {
	mu       sync.Mutex
	attempts int
	batches  []store.Batch
	fail     func(n int) bool
}

func (s *memStore) Flush(_ context.Context, b store.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.attempts
	s.attempts++
	if s.fail != nil && s.fail(n) {
		return fmt.Errorf("flush %d: %w", n, errFlush)
	}
	s.batches = append(s.batches, b)
	return nil
}

func (s *memStore) LoadSaved(context.Context) (store.Saved, error) {
	return store.Saved{Counters: map[string]store.Counter{}, Known: map[string]bool{}}, nil
}

func (s *memStore) Paused(context.Context) (bool, error) { return false, nil }

func (s *memStore) snapshot() (attempts int, batches []store.Batch) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts, append([]store.Batch(nil), s.batches...)
}

// countingReader is an OS whose eth0 sends 1000 and receives 2000 bytes
// between two readings.
type countingReader struct {
	mu    sync.Mutex
	reads uint64
}

func (r *countingReader) read(context.Context) ([]Counter, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.reads
	r.reads++
	return []Counter{{Name: "eth0", Sent: 1000 * n, Recv: 2000 * n}}, nil
}

func (r *countingReader) count() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reads
}

// The networks countingReader's eth0 is on: home until the 40th reading
// after the baseline, the phone's hotspot from it (the whole interval
// before it included) until the 70th, then home again.
var (
	loopHome  = store.WiFiNetwork("Home")
	loopPhone = store.GatewayNetwork(net.HardwareAddr{0x02, 0, 0, 0, 0, 0x2a})
)

// networks is an Options.Networks answering from the count of readings.
func (r *countingReader) networks(_ context.Context, nics []string) map[string]string {
	n := r.count() - 1 // the reading just taken
	network := loopHome
	if n >= 40 && n < 70 {
		network = loopPhone
	}
	out := map[string]string{}
	for _, nic := range nics {
		out[nic] = network
	}
	return out
}

// TestRunLoop runs Run on synctest's fake clock: one reading per poll
// interval, one flush per flush interval, a last reading and flush when the
// context ends, every batch consistent with the counters it carries, and
// each reading's traffic on the network of its end, across flushes and
// failed ones.
func TestRunLoop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fail    func(n int) bool
		wantErr bool
		// wantFlushAt are the flushes committed before the cancel, as
		// offsets from the start.
		wantFlushAt []time.Duration
	}{
		{
			name:        "every flush works",
			wantFlushAt: []time.Duration{0, 30 * time.Second, 60 * time.Second, 90 * time.Second},
		},
		{
			name:        "failed flushes are retried by the next",
			fail:        func(n int) bool { return n == 1 || n == 2 },
			wantFlushAt: []time.Duration{0, 90 * time.Second},
		},
		{
			name:        "failing final flush is returned",
			fail:        func(n int) bool { return n >= 3 },
			wantErr:     true,
			wantFlushAt: []time.Duration{0, 30 * time.Second, 60 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				st := &memStore{fail: tt.fail}
				kernel := &countingReader{}
				m := New(st, Options{
					PollInterval:  time.Second,
					FlushInterval: 30 * time.Second,
					Read:          kernel.read,
					Networks:      kernel.networks,
					Boot:          func(context.Context) (store.Boot, error) { return store.Boot{ID: "b"}, nil },
				})
				start := time.Now()
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				done := make(chan error, 1)
				go func() { done <- m.Run(ctx) }()

				time.Sleep(95*time.Second + 500*time.Millisecond)
				synctest.Wait()
				if got := kernel.count(); got != 1+95 {
					t.Errorf("%d readings after 95.5 s, want 96 (start and one per second)", got)
				}
				_, batches := st.snapshot()
				var at []time.Duration
				for _, b := range batches {
					at = append(at, b.At.Sub(start))
				}
				if fmt.Sprint(at) != fmt.Sprint(tt.wantFlushAt) {
					t.Errorf("flushes at %v, want %v", at, tt.wantFlushAt)
				}

				cancel()
				err := <-done
				if tt.wantErr != (err != nil) || (err != nil && !errors.Is(err, errFlush)) {
					t.Fatalf("Run = %v, want error %v", err, tt.wantErr)
				}
				if got := kernel.count(); got != 1+95+1 {
					t.Errorf("%d readings at the end, want 97 (a last one at the cancel)", got)
				}
				_, batches = st.snapshot()
				// Each batch's deltas, summed with all before, must equal
				// its counters minus the baseline: nothing lost or doubled.
				var sent, recv uint64
				perNetwork := map[string]uint64{}
				for i, b := range batches {
					for _, d := range b.Deltas {
						sent += d.Sent
						recv += d.Recv
						perNetwork[d.Network] += d.Sent
					}
					if len(b.Counters) != 1 || b.Counters[0].Sent != sent || b.Counters[0].Recv != recv {
						t.Errorf("batch %d: counters %+v, deltas so far %d, %d", i, b.Counters, sent, recv)
					}
				}
				if tt.wantErr {
					return
				}
				last := batches[len(batches)-1]
				if got := last.At.Sub(start); got != 95*time.Second+500*time.Millisecond {
					t.Errorf("final flush at %v, want at the cancel (95.5s)", got)
				}
				if sent != 96*1000 || recv != 96*2000 {
					t.Errorf("flushed %d, %d; want %d, %d", sent, recv, 96*1000, 96*2000)
				}
				// Readings 1-39 and 70-96 at home, 40-69 on the phone.
				if want := map[string]uint64{loopHome: 66 * 1000, loopPhone: 30 * 1000}; !maps.Equal(perNetwork, want) {
					t.Errorf("sent per network %v, want %v", perNetwork, want)
				}
				if s := m.Snapshot(); len(s.NICs) != 1 || s.NICs[0].Network != loopHome {
					t.Errorf("snapshot NICs %+v, want eth0 at home", s.NICs)
				}
				if s := m.Snapshot(); s.FlushError != "" || !s.LastFlush.Equal(last.At) {
					t.Errorf("snapshot flush error %q, last flush %v; want none, %v", s.FlushError, s.LastFlush, last.At)
				}
			})
		})
	}
}

// TestResumeWaitsForReadingInFlight checks that a reading taken before a
// Resume is never accounted after the Resume's fresh baseline: it would
// look like a counter reset and count the whole counter again.
func TestResumeWaitsForReadingInFlight(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	counter := uint64(1000)
	var gate, inRead chan struct{} // set to hold the next reading
	read := func(context.Context) ([]Counter, error) {
		mu.Lock()
		v, g, in := counter, gate, inRead
		gate, inRead = nil, nil
		mu.Unlock()
		if g != nil {
			close(in)
			<-g
		}
		return []Counter{{Name: "eth0", Sent: v, Recv: v}}, nil
	}
	set := func(v uint64) {
		mu.Lock()
		defer mu.Unlock()
		counter = v
	}
	st := &memStore{}
	m := New(st, Options{Read: read, Boot: func(context.Context) (store.Boot, error) { return store.Boot{ID: "b"}, nil }})
	ctx := t.Context()
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Pause(ctx); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	gate, inRead = make(chan struct{}), make(chan struct{})
	g, in := gate, inRead
	mu.Unlock()
	release := sync.OnceFunc(func() { close(g) })
	defer release()
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		m.Sample(ctx) // reads 1000, then waits at the gate
	}()
	<-in
	set(2000)
	resumed := make(chan error, 1)
	go func() { resumed <- m.Resume(ctx) }()
	select {
	case <-resumed:
		t.Fatal("Resume finished while a reading was in flight")
	case <-time.After(100 * time.Millisecond):
	}
	release()
	<-sampled
	if err := <-resumed; err != nil {
		t.Fatal(err)
	}
	set(2500)
	m.Sample(ctx)
	if err := m.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var sent uint64
	_, batches := st.snapshot()
	for _, b := range batches {
		for _, d := range b.Deltas {
			sent += d.Sent
		}
	}
	if sent != 500 {
		t.Errorf("recorded %d bytes, want the 500 after the resume", sent)
	}
}
