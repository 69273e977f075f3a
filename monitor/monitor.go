package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/packetbuddy/packetbuddy/store"
)

// Store is what the monitor needs from the database.
type Store interface {
	Flush(ctx context.Context, b store.Batch) error
	LoadSaved(ctx context.Context) (store.Saved, error)
	Paused(ctx context.Context) (bool, error)
}

// Options are the optional settings of New; zero values mean defaults.
type Options struct {
	PollInterval  time.Duration // default 1 s
	FlushInterval time.Duration // default 30 s
	Filter        Filter
	MaxRate       float64 // bytes per second; default 100 Gbit/s
	RingSize      int     // default 300 points
	// Read returns the OS counters; default ReadCounters.
	Read func(ctx context.Context) ([]Counter, error)
	// Boot identifies the current boot; default BootIdentity.
	Boot func(ctx context.Context) (store.Boot, error)
	// Now is the wall clock: it places traffic in buckets. Default time.Now.
	Now func() time.Time
	// Mono is the monotonic clock: the time elapsed since a fixed instant,
	// unaffected by wall-clock changes. The monitor compares it with Now
	// to tell a stall or suspend (the wall clock moved far, the monotonic
	// one did not) from normal sampling. Default: the monotonic reading of
	// Now (Now().Sub of a first reading), which time.Now carries.
	Mono func() time.Duration
	// Networks returns the network each of nics (the counted NICs) is
	// attached to now, by NIC name: a key made by store.WiFiNetwork or
	// store.GatewayNetwork, or "" (or no entry) when unknown. The monitor
	// calls it once per reading, outside its lock, and stores the
	// reading's traffic under the network current at its end; it must be
	// cheap (netid.Detector caches) and must not keep nics, which the
	// monitor reuses. Default: every network is unknown.
	Networks func(ctx context.Context, nics []string) map[string]string
	// NetworkChanged is called when a counted NIC's counters restarted (a
	// NIC re-created, or back after it was gone; a driver reset): it may
	// be on another network, which a cache behind Networks would not know
	// yet (the app invalidates netid.Detector's). It is called during the
	// reading, before Networks is asked for it, so that the reading's
	// traffic goes to the network found afresh; it must be cheap. Default:
	// none.
	NetworkChanged func()
	Logger         *slog.Logger
}

// nicState is what the monitor remembers of one NIC between samples.
type nicState struct {
	sent, recv uint64
	present    bool
	network    string // at the last reading, a store key; "" is unknown
}

// bucketKey is a pending bucket: a NIC's traffic over one network.
type bucketKey struct {
	nic, network string
	start        int64
}

// Monitor samples counters, accounts deltas and flushes them.
type Monitor struct {
	st   Store
	opts Options
	log  *slog.Logger

	// flushMu serialises flushes, so that a batch is taken and committed
	// before the next one is taken.
	flushMu sync.Mutex
	// sampleMu serialises reading the counters with using the reading
	// (Start, Sample, Pause, Resume), so that an older reading is never
	// accounted after a newer baseline.
	sampleMu sync.Mutex
	// names is the list of counted NICs handed to Options.Networks, kept
	// between readings; sampleMu guards it.
	names []string

	mu       sync.Mutex // guards everything below
	paused   bool
	boot     store.Boot
	nics     map[string]*nicState
	known    map[string]bool
	pending  map[bucketKey]store.Traffic
	gaps     []store.Gap
	dirty    bool // counters changed since the last flush
	lastMono time.Duration
	lastWall time.Time
	total    *ring
	perNIC   map[string]*ring
	// filtered caches Filter.Counted per NIC name: matching dozens of
	// globs was nine tenths of a sample's cost.
	filtered  map[string]bool
	started   time.Time
	lastFlush time.Time
	flushErr  error
	anomalies int
	// unsavedPause is a pause state whose flush failed, retried with the
	// next flush.
	unsavedPause *bool
	// sampled is closed at the next sample; nil until someone waits.
	sampled chan struct{}
}

// New returns a monitor writing to st.
func New(st Store, opts Options) *Monitor {
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 30 * time.Second
	}
	if opts.MaxRate <= 0 {
		opts.MaxRate = 100e9 / 8
	}
	if opts.RingSize <= 0 {
		opts.RingSize = 300
	}
	if opts.Read == nil {
		opts.Read = ReadCounters
	}
	if opts.Boot == nil {
		opts.Boot = BootIdentity
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Mono == nil {
		now := opts.Now
		base := now()
		opts.Mono = func() time.Duration { return now().Sub(base) }
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Monitor{
		st: st, opts: opts, log: opts.Logger,
		nics: map[string]*nicState{}, known: map[string]bool{},
		pending: map[bucketKey]store.Traffic{},
		total:   newRing(opts.RingSize), perNIC: map[string]*ring{},
		filtered: map[string]bool{},
	}
}

// counted is Filter.Counted, cached; m.mu must be held.
func (m *Monitor) counted(name string) bool {
	v, ok := m.filtered[name]
	if !ok {
		if len(m.filtered) >= 4096 {
			// Container hosts make a new veth name per container.
			clear(m.filtered)
		}
		v = m.opts.Filter.Counted(name)
		m.filtered[name] = v
	}
	return v
}

// Run recovers what happened while the app was down, then samples every
// poll interval and flushes every flush interval until ctx ends; it flushes
// once more before returning.
func (m *Monitor) Run(ctx context.Context) error {
	if err := m.Start(ctx); err != nil {
		return err
	}
	return m.Loop(ctx)
}

// Loop samples and flushes until ctx ends, then flushes a last time. Start
// must have succeeded first.
func (m *Monitor) Loop(ctx context.Context) error {
	poll := time.NewTicker(m.opts.PollInterval)
	defer poll.Stop()
	flush := time.NewTicker(m.opts.FlushInterval)
	defer flush.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			// One last reading, so that traffic up to the stop is kept.
			m.Sample(fctx)
			if err := m.Flush(fctx); err != nil {
				return fmt.Errorf("final flush: %w", err)
			}
			return nil
		case <-poll.C:
			m.Sample(ctx)
		case <-flush.C:
			if err := m.Flush(ctx); err != nil && ctx.Err() == nil {
				m.log.Warn("flush failed; will retry", "err", err)
			}
		}
	}
}

// Start performs start-up recovery (invariant 2 of the design): compares
// the counters saved with the last flush to the live ones, records the
// difference as gaps, sets the baseline and flushes it.
func (m *Monitor) Start(ctx context.Context) error {
	paused, err := m.st.Paused(ctx)
	if err != nil {
		return err
	}
	saved, err := m.st.LoadSaved(ctx)
	if err != nil {
		return err
	}
	boot, err := m.opts.Boot(ctx)
	if err != nil {
		m.log.Warn("cannot identify the boot; recovering from the counters alone", "err", err)
		boot = store.Boot{}
	}
	m.sampleMu.Lock()
	live, err := m.opts.Read(ctx)
	if err != nil {
		m.sampleMu.Unlock()
		return err
	}
	now, mono := m.opts.Now(), m.opts.Mono()
	// The traffic while down goes to the network seen now.
	nets := m.networks(ctx, live)

	m.mu.Lock()
	m.started, m.paused, m.boot = now, paused, boot
	m.lastMono, m.lastWall = mono, now.Round(0)
	m.recover(live, nets, saved, now.Round(0))
	m.dirty = true
	m.mu.Unlock()
	m.sampleMu.Unlock()
	return m.Flush(ctx)
}

// recover sets the baseline from the live counters and keeps the traffic
// since the last flush as gaps, each under its NIC's network in nets;
// m.mu is held.
func (m *Monitor) recover(live []Counter, nets map[string]string, saved store.Saved, now time.Time) {
	// Only NICs this device has counters for were counted here before:
	// saved.Known also names NICs of imported or other devices' history.
	for n := range saved.Counters {
		m.known[n] = true
	}
	sameBoot := saved.Valid && sameBootAs(m.boot, saved.Boot, saved.At)
	for _, c := range live {
		if !m.counted(c.Name) {
			continue
		}
		m.nics[c.Name] = &nicState{sent: c.Sent, recv: c.Recv, present: true, network: nets[c.Name]}
		if m.paused || !saved.Valid || !m.known[c.Name] {
			// First sight of this NIC: its counter is only the baseline.
			m.known[c.Name] = true
			continue
		}
		if g, ok := downtimeGap(c, saved, m.boot, sameBoot, now); ok && m.plausibleGap(g) {
			g.Network = nets[c.Name]
			m.log.Info("recovered traffic while not counting", "nic", c.Name, "network", g.Network, "reason", g.Reason, "sent", g.Sent, "recv", g.Recv, "from", g.From, "to", g.To)
			m.gaps = append(m.gaps, g)
		}
	}
	// A NIC absent now is remembered as absent, so that when it comes back
	// its counters are read as a new kernel object's.
	for n, c := range saved.Counters {
		if _, ok := m.nics[n]; !ok && m.counted(n) {
			m.nics[n] = &nicState{sent: c.Sent, recv: c.Recv, present: false}
		}
	}
}

// downtimeGap is the traffic of a NIC, live now with counters c, since the
// flush that saved its counters, or since the boot when this is a new one.
// ok is false when there was none.
func downtimeGap(c Counter, saved store.Saved, boot store.Boot, sameBoot bool, now time.Time) (g store.Gap, ok bool) {
	g = store.Gap{NIC: c.Name, From: saved.At, To: now}
	prev, had := saved.Counters[c.Name]
	switch {
	case !sameBoot:
		// A new boot: the counter is all the traffic since boot.
		g.Sent, g.Recv, g.Reason = c.Sent, c.Recv, store.GapSinceBoot
		if boot.Time > 0 {
			g.From = time.Unix(boot.Time, 0)
		}
	case had && prev.Present && c.Sent >= prev.Sent && c.Recv >= prev.Recv:
		g.Sent, g.Recv, g.Reason = c.Sent-prev.Sent, c.Recv-prev.Recv, store.GapNotRunning
	default:
		// Same boot but the NIC was re-created meanwhile (or was gone at
		// the last flush): its counter is the traffic since then.
		g.Sent, g.Recv, g.Reason = c.Sent, c.Recv, store.GapResetOffline
	}
	if g.From.After(g.To) {
		g.From = g.To
	}
	return g, g.Sent != 0 || g.Recv != 0
}

// plausibleGap reports whether the link could have carried g in its
// interval; an implausible gap is counted as an anomaly and dropped.
func (m *Monitor) plausibleGap(g store.Gap) bool {
	ceiling := Ceiling(m.opts.MaxRate, g.To.Sub(g.From)+m.opts.FlushInterval)
	if g.Sent <= ceiling && g.Recv <= ceiling {
		return true
	}
	m.anomalies++
	m.log.Warn("dropped implausible traffic while not running", "nic", g.NIC, "sent", g.Sent, "recv", g.Recv, "from", g.From, "to", g.To)
	return false
}

// sameBootAs reports whether the boot cur is the boot saved was flushed in
// at savedAt. When in doubt it says yes: taking a new boot for the same one
// can only undercount (the counters went down, so they are counted from
// zero, or did not, and only their rise is counted), while taking the same
// boot for a new one would claim again every byte this boot already counted.
func sameBootAs(cur, saved store.Boot, savedAt time.Time) bool {
	if cur.ID != "" && saved.ID != "" {
		return cur.ID == saved.ID
	}
	if cur.Time == 0 || saved.Time == 0 {
		return true // unidentified
	}
	if (store.Boot{Time: cur.Time}).SameBoot(store.Boot{Time: saved.Time}) {
		return true
	}
	// A boot time is the wall clock minus the uptime, so it moves when the
	// wall clock is set. A new boot began after the last flush of the old
	// one; a boot that began before it is the same boot.
	return cur.Time <= savedAt.Unix()
}

// Sample reads the counters once and accounts the deltas.
func (m *Monitor) Sample(ctx context.Context) {
	m.sampleMu.Lock()
	defer m.sampleMu.Unlock()
	m.sample(ctx)
}

// sample is Sample with sampleMu held.
func (m *Monitor) sample(ctx context.Context) {
	live, err := m.opts.Read(ctx)
	now, mono := m.opts.Now(), m.opts.Mono()
	if err != nil {
		m.log.Debug("sample failed", "err", err)
		return
	}
	m.account(live, m.networks(ctx, live), now, mono)
}

// networks asks Options.Networks for the networks of the counted NICs of
// live; nil when there is no such function. When a NIC's counters
// restarted, it calls Options.NetworkChanged first. It takes m.mu only to
// filter the names: a slow answer must not hold up Snapshot. sampleMu is
// held.
func (m *Monitor) networks(ctx context.Context, live []Counter) map[string]string {
	if m.opts.Networks == nil && m.opts.NetworkChanged == nil {
		return nil
	}
	m.mu.Lock()
	names := m.names[:0]
	check, restarted := m.opts.NetworkChanged != nil, false
	for _, c := range live {
		if m.counted(c.Name) {
			names = append(names, c.Name)
			restarted = restarted || (check && m.restarted(c))
		}
	}
	m.mu.Unlock()
	m.names = names
	if restarted && m.opts.NetworkChanged != nil {
		m.opts.NetworkChanged()
	}
	if m.opts.Networks == nil {
		return nil
	}
	return m.opts.Networks(ctx, names)
}

// restarted reports whether the counters c of a counted NIC restarted
// since the last reading, as nicDelta will find: the NIC was absent (or,
// known from history, not seen by this run), or a counter went down other
// than by a 32-bit wrap. m.mu is held.
func (m *Monitor) restarted(c Counter) bool {
	st, seen := m.nics[c.Name]
	if !seen {
		return m.known[c.Name]
	}
	if !st.present {
		return true
	}
	_, sent := CounterDelta(st.sent, c.Sent, math.MaxUint64)
	_, recv := CounterDelta(st.recv, c.Recv, math.MaxUint64)
	return sent == Reset || recv == Reset
}

// interval is the time between two readings of the counters, as the
// accounting of the second one sees it.
type interval struct {
	at      time.Time     // the wall clock at the second reading, without its monotonic part
	wall    time.Duration // wall-clock time since the last reading
	elapsed time.Duration // the longer of the wall and monotonic times since
	ceiling uint64        // the most bytes elapsed allows
	secs    float64       // the seconds the speed is averaged over
	// stalled is a long silence (suspend, a stopped process): its traffic
	// is a gap spread over the interval, not a burst at "now".
	stalled bool
}

// advance moves the clocks to a reading taken at now and monoNow and
// returns the interval since the last one; m.mu is held.
func (m *Monitor) advance(now time.Time, monoNow time.Duration) interval {
	iv := interval{at: now.Round(0)}
	mono := monoNow - m.lastMono    // unaffected by wall-clock jumps
	iv.wall = iv.at.Sub(m.lastWall) // unaffected by suspend on Linux
	iv.elapsed = max(mono, iv.wall)
	m.lastMono, m.lastWall = monoNow, iv.at
	iv.ceiling = Ceiling(m.opts.MaxRate, iv.elapsed)
	iv.stalled = iv.wall > max(10*m.opts.PollInterval, 30*time.Second)
	iv.secs = mono.Seconds()
	if iv.secs <= 0 {
		iv.secs = m.opts.PollInterval.Seconds()
	}
	return iv
}

// account turns one reading into deltas, the pure core of Sample. nets is
// the network of each NIC at the reading (missing: unknown), now the wall
// clock, monoNow the monotonic clock at the reading.
func (m *Monitor) account(live []Counter, nets map[string]string, now time.Time, monoNow time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	iv := m.advance(now, monoNow)
	total := RatePoint{T: iv.at}
	seen := make(map[string]bool, len(live))
	for _, c := range live {
		if !m.counted(c.Name) {
			continue
		}
		seen[c.Name] = true
		network := nets[c.Name]
		d, ok := m.nicDelta(c, network, iv)
		if !ok || m.paused {
			continue
		}
		m.record(c.Name, network, d, iv)
		p := RatePoint{T: iv.at, Up: float64(d.Sent) / iv.secs, Down: float64(d.Received) / iv.secs}
		total.Up += p.Up
		total.Down += p.Down
		m.nicRing(c.Name).add(p)
	}
	m.markGone(seen)
	m.total.add(total)
	m.notifySampled()
}

// nicDelta takes the NIC's new counters c and network and returns its
// traffic since the last reading; ok is false at the first sight of a
// NIC, whose counters are only the baseline. m.mu is held.
func (m *Monitor) nicDelta(c Counter, network string, iv interval) (d store.Traffic, ok bool) {
	st, seen := m.nics[c.Name]
	if !seen {
		st = &nicState{}
		m.nics[c.Name] = st
	}
	prev := *st
	st.sent, st.recv, st.present, st.network = c.Sent, c.Recv, true, network
	m.dirty = true
	if !seen {
		if !m.known[c.Name] {
			m.known[c.Name] = true
			m.log.Info("new NIC; counting from now", "nic", c.Name)
			return store.Traffic{}, false
		}
		// Known from history but not seen by this run: it was
		// re-created, so its counter is all traffic since then.
		prev = nicState{present: false}
	}
	d, sentKind, recvKind := counterChange(prev, c, iv.ceiling)
	if sentKind == Anomaly || recvKind == Anomaly {
		m.anomalies++
		m.log.Warn("dropped implausible counter change", "nic", c.Name, "prev_sent", prev.sent, "sent", c.Sent, "prev_recv", prev.recv, "recv", c.Recv, "elapsed", iv.elapsed)
	} else if sentKind != Normal || recvKind != Normal {
		m.log.Info("counter discontinuity", "nic", c.Name, "sent", sentKind.String(), "recv", recvKind.String())
	}
	return d, true
}

// counterChange is the traffic from one reading of a NIC's counters, prev,
// to the next, c, and how each counter changed. A NIC that was not
// present in prev vanished and came back: a new kernel object whose
// counters started at zero. An anomalous counter contributes nothing.
func counterChange(prev nicState, c Counter, ceiling uint64) (d store.Traffic, sent, recv Kind) {
	if !prev.present {
		if c.Sent > ceiling || c.Recv > ceiling {
			return store.Traffic{}, Anomaly, Reset
		}
		return store.Traffic{Sent: c.Sent, Received: c.Recv}, Reset, Reset
	}
	d.Sent, sent = CounterDelta(prev.sent, c.Sent, ceiling)
	d.Received, recv = CounterDelta(prev.recv, c.Recv, ceiling)
	return d, sent, recv
}

// record keeps a NIC's traffic over network for the next flush: in the
// bucket of the reading, or as a gap over the silence of a stalled one.
// m.mu is held.
func (m *Monitor) record(nic, network string, d store.Traffic, iv interval) {
	if d.IsZero() {
		return
	}
	if iv.stalled {
		m.gaps = append(m.gaps, store.Gap{NIC: nic, Network: network, From: iv.at.Add(-iv.wall), To: iv.at, Sent: d.Sent, Recv: d.Received, Reason: "suspended or stalled"})
		return
	}
	k := bucketKey{nic, network, store.AlignBucket(iv.at.Unix())}
	m.pending[k] = m.pending[k].Add(d)
}

// nicRing returns the speed ring of a NIC, made at its first use; m.mu is
// held.
func (m *Monitor) nicRing(nic string) *ring {
	r := m.perNIC[nic]
	if r == nil {
		r = newRing(m.opts.RingSize)
		m.perNIC[nic] = r
	}
	return r
}

// markGone marks the NICs missing from a reading as absent; m.mu is held.
func (m *Monitor) markGone(seen map[string]bool) {
	for n, st := range m.nics {
		if !seen[n] && st.present {
			st.present = false
			m.dirty = true
			m.log.Info("NIC disappeared", "nic", n)
		}
	}
}

// Flush commits pending deltas and gaps with the counters they came from.
// On failure nothing is lost: the batch stays pending for the next flush.
func (m *Monitor) Flush(ctx context.Context) error {
	return m.flush(ctx, nil)
}

// flush is Flush that also saves the pause state when paused is set.
func (m *Monitor) flush(ctx context.Context, paused *bool) error {
	m.flushMu.Lock()
	defer m.flushMu.Unlock()
	m.mu.Lock()
	if paused != nil {
		// Save the state as it is when the batch is taken, not as the
		// caller saw it: a Resume that flushed in between must win.
		now := m.paused
		paused = &now
	} else {
		paused = m.unsavedPause
	}
	if !m.dirty && len(m.pending) == 0 && len(m.gaps) == 0 && paused == nil {
		m.mu.Unlock()
		return nil
	}
	b := store.Batch{At: m.opts.Now().Round(0), Boot: m.boot, Gaps: m.gaps, Paused: paused}
	for k, v := range m.pending {
		b.Deltas = append(b.Deltas, store.Delta{NIC: k.nic, Network: k.network, Start: k.start, Sent: v.Sent, Recv: v.Received})
	}
	for n, st := range m.nics {
		b.Counters = append(b.Counters, store.Counter{NIC: n, Sent: st.sent, Recv: st.recv, Present: st.present})
	}
	taken := m.pending
	m.pending, m.gaps, m.dirty = map[bucketKey]store.Traffic{}, nil, false
	m.mu.Unlock()

	err := m.st.Flush(ctx, b)

	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		// Put the batch back in front of whatever arrived meanwhile.
		for k, v := range taken {
			m.pending[k] = m.pending[k].Add(v)
		}
		m.gaps = append(b.Gaps, m.gaps...)
		m.dirty = true
		m.flushErr = err
		m.unsavedPause = paused
		return err
	}
	m.lastFlush, m.flushErr, m.unsavedPause = b.At, nil, nil
	return nil
}

// Pause stops counting and remembers that across restarts: the counted
// traffic, the counters and the pause state are committed together.
func (m *Monitor) Pause(ctx context.Context) error {
	m.sampleMu.Lock()
	// Count up to the moment of the pause, not up to the last tick.
	m.sample(ctx)
	m.mu.Lock()
	m.paused = true
	m.mu.Unlock()
	m.sampleMu.Unlock()
	yes := true
	return m.flush(ctx, &yes)
}

// Resume starts counting again from fresh counters, so that the paused
// interval is never counted later.
func (m *Monitor) Resume(ctx context.Context) error {
	m.sampleMu.Lock()
	if !m.Paused() {
		// Re-baselining a running monitor would drop the traffic since
		// the last sample.
		m.sampleMu.Unlock()
		return nil
	}
	live, err := m.opts.Read(ctx)
	if err != nil {
		m.sampleMu.Unlock()
		return err
	}
	now, mono := m.opts.Now(), m.opts.Mono()
	m.mu.Lock()
	for _, c := range live {
		if !m.counted(c.Name) {
			continue
		}
		st := m.nics[c.Name]
		if st == nil {
			st = &nicState{}
			m.nics[c.Name] = st
		}
		st.sent, st.recv, st.present = c.Sent, c.Recv, true // its network stays
		m.known[c.Name] = true
	}
	m.lastMono, m.lastWall = mono, now.Round(0)
	m.paused = false
	m.dirty = true
	m.mu.Unlock()
	m.sampleMu.Unlock()
	no := false
	return m.flush(ctx, &no)
}

// Paused reports whether counting is paused.
func (m *Monitor) Paused() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.paused
}

// NICRate is one NIC's latest speed.
type NICRate struct {
	Name string `json:"nic"`
	// Network is the key of the network the NIC was attached to at its
	// last reading; "" when unknown.
	Network string  `json:"network"`
	Up      float64 `json:"up"`
	Down    float64 `json:"down"`
}

// Snapshot is the live state for the tray and dashboard.
type Snapshot struct {
	At          time.Time   `json:"at"`
	Started     time.Time   `json:"started"`
	Paused      bool        `json:"paused"`
	Up          float64     `json:"up"`   // bytes per second, all counted NICs
	Down        float64     `json:"down"` // bytes per second
	NICs        []NICRate   `json:"nics"`
	Points      []RatePoint `json:"points"` // oldest first, one per sample
	LastFlush   time.Time   `json:"last_flush"`
	FlushError  string      `json:"flush_error,omitempty"`
	Anomalies   int         `json:"anomalies"`
	PollSeconds float64     `json:"poll_seconds"`
}

// Snapshot returns a copy of the live state; it never touches the database.
func (m *Monitor) Snapshot() Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Snapshot{Started: m.started, Paused: m.paused, Points: m.total.points(), LastFlush: m.lastFlush, Anomalies: m.anomalies, PollSeconds: m.opts.PollInterval.Seconds(), NICs: []NICRate{}}
	if p, ok := m.total.last(); ok {
		s.At, s.Up, s.Down = p.T, p.Up, p.Down
	}
	if m.flushErr != nil {
		s.FlushError = m.flushErr.Error()
	}
	for n, r := range m.perNIC {
		p, _ := r.last()
		if m.paused || !p.T.Equal(s.At) {
			p.Up, p.Down = 0, 0
		}
		var network string
		if st := m.nics[n]; st != nil {
			network = st.network
		}
		s.NICs = append(s.NICs, NICRate{Name: n, Network: network, Up: p.Up, Down: p.Down})
	}
	// A NIC counted but without a speed yet (paused since the start) is
	// listed too, for its network.
	for n, st := range m.nics {
		if _, ok := m.perNIC[n]; st.present && !ok {
			s.NICs = append(s.NICs, NICRate{Name: n, Network: st.network})
		}
	}
	sort.Slice(s.NICs, func(i, j int) bool { return s.NICs[i].Name < s.NICs[j].Name })
	return s
}

// Unflushed returns traffic counted but not yet in the database, in buckets
// starting at or after since, over every network; optionally for one NIC.
func (m *Monitor) Unflushed(since time.Time, nic string) (sent, recv uint64) {
	var t store.Traffic
	m.unflushed(since, nic, func(_ string, d store.Traffic) { t = t.Add(d) })
	return t.Sent, t.Received
}

// UnflushedByNetwork is Unflushed split by network: the traffic per
// network key ("" is the unknown network), only networks with traffic.
func (m *Monitor) UnflushedByNetwork(since time.Time, nic string) map[string]store.Traffic {
	out := map[string]store.Traffic{}
	m.unflushed(since, nic, func(network string, d store.Traffic) { out[network] = out[network].Add(d) })
	return out
}

// unflushed calls add with each part of the unflushed traffic in buckets
// starting at or after since, of one NIC or ("") all.
func (m *Monitor) unflushed(since time.Time, nic string, add func(network string, d store.Traffic)) {
	from := store.AlignBucket(since.Unix())
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, v := range m.pending {
		if k.start >= from && (nic == "" || nic == k.nic) && !v.IsZero() {
			add(k.network, v)
		}
	}
	// Gaps found while running (a suspend) are flushed spread over their
	// interval; count the same parts here.
	for _, g := range m.gaps {
		if nic != "" && nic != g.NIC {
			continue
		}
		for _, d := range store.SpreadGap(g) {
			if d.Start >= from && (d.Sent != 0 || d.Recv != 0) {
				add(g.Network, store.Traffic{Sent: d.Sent, Received: d.Recv})
			}
		}
	}
}
