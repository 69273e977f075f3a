package monitor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v4/common"

	"github.com/packetbuddy/packetbuddy/store"
)

// fakeProc is a directory that gopsutil reads as /proc: the counters are
// written as a real /proc/net/dev file and parsed by ReadCounters.
type fakeProc struct {
	t    testing.TB
	dir  string
	nics map[string][2]uint64 // name -> {sent, recv}
}

func newFakeProc(t testing.TB) *fakeProc {
	t.Helper()
	skipUnlessProcNetDev(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "net"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := &fakeProc{t: t, dir: dir, nics: map[string][2]uint64{}}
	p.write()
	return p
}

// ctx returns a context whose gopsutil environment points /proc at p.
func (p *fakeProc) ctx(parent context.Context) context.Context {
	return context.WithValue(parent, common.EnvKey, common.EnvMap{common.HostProcEnvKey: p.dir})
}

// set sets one NIC's counters; remove makes it vanish.
func (p *fakeProc) set(name string, sent, recv uint64) {
	p.nics[name] = [2]uint64{sent, recv}
	p.write()
}

func (p *fakeProc) remove(name string) {
	delete(p.nics, name)
	p.write()
}

// replace makes nics the complete list of NICs.
func (p *fakeProc) replace(nics map[string][2]uint64) {
	p.nics = map[string][2]uint64{}
	for n, v := range nics {
		p.nics[n] = v
	}
	p.write()
}

// write renders /proc/net/dev the way Linux does: two header lines, then
// one line per NIC with receive fields before transmit fields.
func (p *fakeProc) write() {
	p.t.Helper()
	var b strings.Builder
	b.WriteString("Inter-|   Receive                                                |  Transmit\n")
	b.WriteString(" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n")
	names := make([]string, 0, len(p.nics))
	for n := range p.nics {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		v := p.nics[n]
		fmt.Fprintf(&b, "%6s: %8d %7d    0    0    0     0          0         0 %8d %7d    0    0    0     0       0          0\n",
			n, v[1], v[1]/1000, v[0], v[0]/1000)
	}
	tmp := filepath.Join(p.dir, "net", "dev.tmp")
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		p.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(p.dir, "net", "dev")); err != nil {
		p.t.Fatal(err)
	}
}

// skipUnlessProcNetDev skips where gopsutil does not read /proc/net/dev
// (Windows and macOS ask the OS directly), so a fake /proc means nothing.
func skipUnlessProcNetDev(t testing.TB) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skipf("gopsutil reads /proc/net/dev only on Linux, not on %s", runtime.GOOS)
	}
}

// fakeClock has a wall clock and a monotonic clock that can move apart, as
// they do when the machine suspends or the wall clock is set.
type fakeClock struct {
	mu   sync.Mutex
	wall time.Time
	mono time.Duration
}

// testBase is a bucket-aligned instant; tests place traffic relative to it.
var testBase = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func newFakeClock() *fakeClock { return &fakeClock{wall: testBase, mono: time.Hour} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wall
}

func (c *fakeClock) Mono() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mono
}

// Advance moves both clocks: ordinary time passing.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wall = c.wall.Add(d)
	c.mono += d
}

// JumpWall moves only the wall clock: a suspend (the monotonic clock stops
// while the machine sleeps) or the clock being set.
func (c *fakeClock) JumpWall(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wall = c.wall.Add(d)
}

// harness runs a Monitor on a fake /proc, a fake clock and a real store.
type harness struct {
	t       *testing.T
	ctx     context.Context
	proc    *fakeProc
	clock   *fakeClock
	dir     string
	st      *store.Store
	boot    store.Boot
	bootErr error
	opts    Options // template for every start
	m       *Monitor
	fs      *flakyStore

	netMu sync.Mutex
	net   map[string]string // NIC -> the network it is on now
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	proc := newFakeProc(t)
	clock := newFakeClock()
	h := &harness{
		t:     t,
		ctx:   proc.ctx(t.Context()),
		proc:  proc,
		clock: clock,
		dir:   t.TempDir(),
		boot:  store.Boot{ID: "boot-1", Time: testBase.Add(-time.Hour).Unix()},
	}
	st, err := store.Open(h.ctx, h.dir, store.Options{Location: time.UTC, Now: clock.Now})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	h.st = st
	h.fs = &flakyStore{Store: st}
	return h
}

// start builds a new Monitor (as a fresh process would) and runs Start.
func (h *harness) start() {
	h.t.Helper()
	if err := h.tryStart(); err != nil {
		h.t.Fatalf("start: %v", err)
	}
}

func (h *harness) tryStart() error {
	o := h.opts
	o.Now, o.Mono = h.clock.Now, h.clock.Mono
	o.Boot = func(context.Context) (store.Boot, error) { return h.boot, h.bootErr }
	o.Logger = slog.New(slog.DiscardHandler)
	if o.Networks == nil {
		o.Networks = h.networks
	}
	h.m = New(h.fs, o)
	return h.m.Start(h.ctx)
}

// setNetwork moves a NIC to the network key; the next reading sees it.
func (h *harness) setNetwork(nic, key string) {
	h.netMu.Lock()
	defer h.netMu.Unlock()
	if h.net == nil {
		h.net = map[string]string{}
	}
	h.net[nic] = key
}

// networks is the harness's Options.Networks: the networks set by
// setNetwork, for the NICs asked about.
func (h *harness) networks(_ context.Context, nics []string) map[string]string {
	h.netMu.Lock()
	defer h.netMu.Unlock()
	out := make(map[string]string, len(nics))
	for _, n := range nics {
		out[n] = h.net[n]
	}
	return out
}

// step lets d pass on both clocks and samples.
func (h *harness) step(d time.Duration) {
	h.clock.Advance(d)
	h.m.Sample(h.ctx)
}

func (h *harness) flush() {
	h.t.Helper()
	if err := h.m.Flush(h.ctx); err != nil {
		h.t.Fatalf("flush: %v", err)
	}
}

// crash drops the monitor without a final flush, like kill -9.
func (h *harness) crash() { h.m = nil }

// reboot gives the machine a new boot identity, booted at the wall clock.
func (h *harness) reboot(id string) {
	h.boot = store.Boot{ID: id, Time: h.clock.Now().Unix()}
}

// lifetime returns the store's lifetime totals of one NIC, gaps included.
func (h *harness) lifetime(nic string) (sent, recv uint64) {
	h.t.Helper()
	r, err := h.st.Lifetime(h.ctx, time.UTC, store.Scope{NIC: nic})
	if errors.Is(err, store.ErrUnknownNIC) {
		return 0, 0
	}
	if err != nil {
		h.t.Fatalf("lifetime %s: %v", nic, err)
	}
	return r.Sent, r.Recv
}

// bucketSums reads the bucket table directly: bytes and non-empty buckets
// per NIC of this device.
func (h *harness) bucketSums() map[string]bucketSum {
	h.t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(filepath.Join(h.dir, store.FileName))+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		h.t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(h.ctx, `SELECT n.name, sum(b.sent), sum(b.recv), count(*), min(b.start), max(b.start)
		FROM buckets b JOIN nics n ON n.id = b.nic WHERE b.device = 1 GROUP BY n.name`)
	if err != nil {
		h.t.Fatalf("read buckets: %v", err)
	}
	defer rows.Close()
	out := map[string]bucketSum{}
	for rows.Next() {
		var n string
		var s bucketSum
		var first, last int64
		if err := rows.Scan(&n, &s.Sent, &s.Recv, &s.Buckets, &first, &last); err != nil {
			h.t.Fatal(err)
		}
		s.First, s.Last = time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC()
		out[n] = s
	}
	if err := rows.Err(); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// networkSums reads the bucket table directly: bytes per NIC and network
// key of this device.
func (h *harness) networkSums() map[nicNetwork][2]uint64 {
	h.t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(filepath.Join(h.dir, store.FileName))+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		h.t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(h.ctx, `SELECT n.name, w.key, sum(b.sent), sum(b.recv)
		FROM buckets b JOIN nics n ON n.id = b.nic JOIN networks w ON w.id = b.network
		WHERE b.device = 1 GROUP BY n.name, w.key`)
	if err != nil {
		h.t.Fatalf("read buckets: %v", err)
	}
	defer rows.Close()
	out := map[nicNetwork][2]uint64{}
	for rows.Next() {
		var k nicNetwork
		var v [2]uint64
		if err := rows.Scan(&k.nic, &k.network, &v[0], &v[1]); err != nil {
			h.t.Fatal(err)
		}
		if v != ([2]uint64{}) {
			out[k] = v
		}
	}
	if err := rows.Err(); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// nicNetwork is a NIC on a network (a key).
type nicNetwork struct{ nic, network string }

// wantNetworkTotals checks that the store holds exactly want per NIC and
// network, in the buckets and in the lifetime report scoped to both, and
// nothing elsewhere; then wantTotals checks the sums per NIC.
func (h *harness) wantNetworkTotals(want map[nicNetwork][2]uint64) {
	h.t.Helper()
	got := h.networkSums()
	perNIC := map[string][2]uint64{}
	for k, w := range want {
		if w == ([2]uint64{}) {
			continue
		}
		if got[k] != w {
			h.t.Errorf("%s on %q: buckets hold %v, want %v", k.nic, k.network, got[k], w)
		}
		name := k.network
		if name == "" {
			name = store.UnknownLabel // "" would mean every network
		}
		r, err := h.st.Lifetime(h.ctx, time.UTC, store.Scope{NIC: k.nic, Network: name})
		if err != nil {
			h.t.Fatalf("lifetime of %s on %q: %v", k.nic, k.network, err)
		}
		if r.Sent != w[0] || r.Recv != w[1] {
			h.t.Errorf("%s on %q: lifetime sent %d recv %d, want %v", k.nic, k.network, r.Sent, r.Recv, w)
		}
		p := perNIC[k.nic]
		perNIC[k.nic] = [2]uint64{p[0] + w[0], p[1] + w[1]}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			h.t.Errorf("%s on %q: recorded %v, want nothing", k.nic, k.network, v)
		}
	}
	h.wantTotals(perNIC)
}

type bucketSum struct {
	Sent, Recv  uint64
	Buckets     int
	First, Last time.Time // bucket starts
}

func (h *harness) gaps() []store.Gap {
	h.t.Helper()
	g, err := h.st.Gaps(h.ctx, time.Time{}, time.Time{})
	if err != nil {
		h.t.Fatalf("gaps: %v", err)
	}
	slices.Reverse(g) // oldest first
	return g
}

// wantTotals checks that the store holds exactly want per NIC, both in the
// buckets and in the lifetime report, and nothing for other NICs.
func (h *harness) wantTotals(want map[string][2]uint64) {
	h.t.Helper()
	sums := h.bucketSums()
	for nic, w := range want {
		s := sums[nic]
		if s.Sent != w[0] || s.Recv != w[1] {
			h.t.Errorf("%s: buckets hold sent %d recv %d, want %d %d", nic, s.Sent, s.Recv, w[0], w[1])
		}
		ls, lr := h.lifetime(nic)
		if ls != w[0] || lr != w[1] {
			h.t.Errorf("%s: lifetime sent %d recv %d, want %d %d", nic, ls, lr, w[0], w[1])
		}
	}
	for nic, s := range sums {
		if _, ok := want[nic]; !ok && (s.Sent != 0 || s.Recv != 0) {
			h.t.Errorf("%s: recorded sent %d recv %d, want nothing", nic, s.Sent, s.Recv)
		}
	}
}

// errFlush is the failure a flakyStore injects.
var errFlush = errors.New("injected flush failure")

// flakyStore is a real store whose Flush can be made to fail.
type flakyStore struct {
	*store.Store
	mu      sync.Mutex
	fail    bool
	flushes int // successful ones
}

func (f *flakyStore) setFail(v bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = v
}

func (f *flakyStore) Flush(ctx context.Context, b store.Batch) error {
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail {
		return fmt.Errorf("flush: %w", errFlush)
	}
	if err := f.Store.Flush(ctx, b); err != nil {
		return err
	}
	f.mu.Lock()
	f.flushes++
	f.mu.Unlock()
	return nil
}
