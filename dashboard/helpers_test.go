package dashboard

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/monitor"
	"github.com/packetbuddy/packetbuddy/store"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cancel != nil {
		shared.cancel()
		os.RemoveAll(shared.dataDir)
	}
	if benchDB.dir != "" {
		os.RemoveAll(benchDB.dir)
	}
	os.Exit(code)
}

// requireComponent skips the test when a component is missing, unless
// PACKETBUDDY_TEST_REQUIRE is "all" or names it: then it fails.
func requireComponent(t testing.TB, name, reason string) {
	t.Helper()
	testenv.Require(t, name, errors.New(reason))
}

// setTimeout sets one of the package's timeouts until the test ends. Every
// test sees the change, so a test that calls it must not run in parallel.
func setTimeout(t testing.TB, timeout *time.Duration, d time.Duration) {
	t.Helper()
	old := *timeout
	*timeout = d
	t.Cleanup(func() { *timeout = old })
}

// testOutputDir is where screenshots and logs go.
func testOutputDir(t testing.TB) string { return testenv.OutputDir(t, "dashboard") }

// fakeCounters is the OS boundary of the monitor: kernel counters that
// grow by a fixed amount per read while traffic is on.
type fakeCounters struct {
	mu         sync.Mutex
	on         bool
	sent, recv uint64
	stepSent   uint64
	stepRecv   uint64
	network    string // the key of eth0's network
}

// networks is the monitor's network detector: eth0 is on f.network.
func (f *fakeCounters) networks(ctx context.Context, nics []string) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for _, n := range nics {
		if n == "eth0" {
			out[n] = f.network
		}
	}
	return out
}

// setNetwork moves eth0 to another network.
func (f *fakeCounters) setNetwork(key string) {
	f.mu.Lock()
	f.network = key
	f.mu.Unlock()
}

func (f *fakeCounters) read(ctx context.Context) ([]monitor.Counter, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.on {
		f.sent += f.stepSent
		f.recv += f.stepRecv
	}
	return []monitor.Counter{{Name: "eth0", Sent: f.sent, Recv: f.recv}}, nil
}

func (f *fakeCounters) setTraffic(on bool) {
	f.mu.Lock()
	f.on = on
	f.mu.Unlock()
}

// The networks of the test database: eth0 is on the office's wired
// network today (its gateway's MAC; "Network 1"), wlan0 on the "Home"
// Wi-Fi; the older days were counted before networks were (unknown).
const (
	officeKey   = "gateway:02:00:5e:00:00:01"
	officeLabel = "Network 1"
	homeKey     = "wifi:Home"
	homeLabel   = "Home"
)

// seed is the known usage of the test database, in UTC.
type seed struct {
	nic     string
	network string
	at      time.Time
	sent    uint64
	recv    uint64
}

// testToday is the UTC date the seeded "today" rows are in: today by the
// test clock, which the store, the monitor and the server all run on.
func testToday() store.Date { return store.DateOf(testenv.Now().UTC()) }

// seedRows returns the usage every test database holds: two NICs today,
// and one row per day on eth0 for the 40 days before.
func seedRows() []seed {
	d := testToday().Start(time.UTC)
	rows := []seed{
		{nic: "eth0", network: officeKey, at: d, sent: 1_000_000, recv: 5_000_000},
		{nic: "wlan0", network: homeKey, at: d.Add(time.Hour), sent: 250_000, recv: 750_000},
	}
	for i := 1; i <= 40; i++ {
		rows = append(rows, seed{nic: "eth0", at: d.AddDate(0, 0, -i).Add(12 * time.Hour), sent: uint64(i) * 1_000_000, recv: 2 * uint64(i) * 1_000_000})
	}
	return rows
}

// sumSeed adds up the seeded usage in [from, to).
func sumSeed(from, to time.Time, nic string) (sent, recv uint64) {
	return sumSeedIf(from, to, func(r seed) bool { return nic == "" || nic == r.nic })
}

// sumSeedNetwork adds up the seeded usage over one network in [from, to).
func sumSeedNetwork(from, to time.Time, network string) (sent, recv uint64) {
	return sumSeedIf(from, to, func(r seed) bool { return r.network == network })
}

func sumSeedIf(from, to time.Time, keep func(seed) bool) (sent, recv uint64) {
	for _, r := range seedRows() {
		if !r.at.Before(from) && r.at.Before(to) && keep(r) {
			sent += r.sent
			recv += r.recv
		}
	}
	return sent, recv
}

// testEnv is a real store and a real monitor fed by fake counters.
type testEnv struct {
	dir      string
	cfgPath  string
	st       *store.Store
	mon      *monitor.Monitor
	counters *fakeCounters
	token    string
	ctx      context.Context
}

func newTestEnv(t testing.TB) *testEnv { return newTestEnvSeeded(t, true) }

// newTestEnvSeeded is newTestEnv with or without the seeded usage.
func newTestEnvSeeded(t testing.TB, seeded bool) *testEnv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	st, err := store.Open(ctx, dir, store.Options{Location: time.UTC, Now: testenv.Now})
	if err != nil {
		t.Fatal(err)
	}
	var b store.Batch
	b.At = testenv.Now()
	rows := seedRows()
	if !seeded {
		rows = nil
	}
	for _, r := range rows {
		b.Deltas = append(b.Deltas, store.Delta{NIC: r.nic, Network: r.network, Start: r.at.Unix(), Sent: r.sent, Recv: r.recv})
	}
	if err := st.Flush(ctx, b); err != nil {
		t.Fatal(err)
	}
	fc := &fakeCounters{stepSent: 1500, stepRecv: 12000, network: officeKey}
	mon := monitor.New(st, monitor.Options{
		PollInterval:  100 * time.Millisecond,
		FlushInterval: time.Hour,
		Read:          fc.read,
		Networks:      fc.networks,
		Boot:          func(context.Context) (store.Boot, error) { return store.Boot{ID: "test-boot"}, nil },
		Now:           testenv.Now,
	})
	if err := mon.Start(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mon.Loop(ctx) }()
	tok, err := LoadOrCreateToken(dir)
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{dir: dir, cfgPath: filepath.Join(dir, "config.toml"), st: st, mon: mon, counters: fc, token: tok, ctx: ctx}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("monitor: %v", err)
		}
		st.Close()
	})
	return e
}

func (e *testEnv) server(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = e.token
	}
	if opts.Settings == nil {
		opts.Settings = NewFileSettings(e.cfgPath)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = testenv.Now
	}
	opts.Version = "test"
	return New(e.st, e.mon, opts)
}

// serve runs s on a loopback port until the test ends; it returns the base
// URL, http://127.0.0.1:PORT.
func serve(t testing.TB, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func mustListen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func exportColumns() []string { return store.ExportColumns }

func storeBatch(nic string, at time.Time, sent, recv uint64) store.Batch {
	return networkBatch(nic, "", at, sent, recv)
}

func networkBatch(nic, network string, at time.Time, sent, recv uint64) store.Batch {
	return store.Batch{At: testenv.Now(), Deltas: []store.Delta{{NIC: nic, Network: network, Start: at.Unix(), Sent: sent, Recv: recv}}}
}
