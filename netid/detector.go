package netid

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// DefaultInterval is how long a NIC's network is trusted when
	// Options.Interval is zero.
	DefaultInterval = 5 * time.Second

	// retryInterval bounds how long an uncertain answer (a probe that
	// failed, a gateway whose address is not resolved yet) is kept: a
	// network that was just joined is recognised within a second or two.
	retryInterval = time.Second

	// watchedInterval is how long a NIC's network is trusted while Run
	// watches the system's notifications: then the interval only catches
	// what they do not report (an SSID change that moves no link, address,
	// route or neighbour), and a probe every few seconds would be most of
	// an idle app's system calls.
	watchedInterval = time.Minute

	// probeTimeout bounds the probes of one Networks call, so that a hung
	// NetworkManager cannot stall the sampling loop for long, however
	// many NICs there are.
	probeTimeout = time.Second
)

// Options are the optional settings of NewDetector; zero values mean
// defaults.
type Options struct {
	// Interval is how long a NIC's network is trusted before the system is
	// asked again, when no change was noticed (see Run and Invalidate)
	// meanwhile. Default DefaultInterval.
	Interval time.Duration
	// Now is the clock the Interval is measured on. Default time.Now.
	Now func() time.Time
	// Logger receives debug messages: sources that are unavailable, and
	// each NIC's network as it changes. Default: discarded.
	Logger *slog.Logger
	// Probe identifies one NIC's network, returning its key ("" for
	// unknown). An error means the answer may change soon (a probe that
	// failed, a gateway not yet resolved): the key is used, and the NIC
	// is probed again after at most a second. Default: the system's
	// sources. Tests replace it.
	Probe func(ctx context.Context, nic string) (string, error)
}

// Detector knows the network of each NIC, from a cache refreshed at most
// every Interval per NIC. Its methods are safe for concurrent use.
type Detector struct {
	interval time.Duration
	now      func() time.Time
	log      *slog.Logger
	probe    func(ctx context.Context, nic string) (string, error)
	watcher  osWatcher // Run's seams (Linux)

	generation atomic.Uint64 // bumped by Invalidate
	watched    atomic.Bool   // Run receives the system's notifications

	mu    sync.Mutex
	cache map[string]cacheEntry // by NIC
}

// cacheEntry is one NIC's last probe.
type cacheEntry struct {
	key        string
	at         time.Time     // when the probe started
	ttl        time.Duration // Interval, or retryInterval after an error
	generation uint64
}

// NewDetector returns a Detector; it asks the system nothing until
// Networks is called.
func NewDetector(opts Options) *Detector {
	d := &Detector{
		interval: opts.Interval,
		now:      opts.Now,
		log:      opts.Logger,
		probe:    opts.Probe,
		cache:    make(map[string]cacheEntry),
	}
	if d.interval <= 0 {
		d.interval = DefaultInterval
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.probe == nil {
		d.probe = newSources(d.log).probe
	}
	return d
}

// Networks returns the network key of each NIC in nics ("" = unknown), in
// a map that is the caller's. A NIC probed less than Interval ago (and
// not since Invalidate) is answered from the cache without asking the
// system; the others are probed now, one after the other, within a
// second in all.
func (d *Detector) Networks(ctx context.Context, nics []string) map[string]string {
	generation := d.generation.Load()
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	out := make(map[string]string, len(nics))
	var probeCtx context.Context // made at the first probe
	for _, nic := range nics {
		e, ok := d.cache[nic]
		if !ok || !e.fresh(now, generation) {
			if probeCtx == nil {
				var cancel context.CancelFunc
				probeCtx, cancel = context.WithTimeout(ctx, probeTimeout)
				defer cancel()
			}
			e = d.probeNIC(probeCtx, nic, now, generation, e.key)
			d.cache[nic] = e
		}
		out[nic] = e.key
	}
	if probeCtx != nil {
		d.forgetUnused(now)
	}
	return out
}

// Invalidate makes the next Networks call probe every NIC again: for a
// change the caller noticed (a NIC re-created, an address or a route
// changed), so that it is not attributed to the old network for up to an
// Interval.
func (d *Detector) Invalidate() {
	d.generation.Add(1)
}

// Run invalidates the cache whenever the system reports a change that
// may move a NIC to another network, until ctx ends; it returns nil then.
// It never probes itself: the next Networks call does, so a change is
// seen at the next sample instead of up to an Interval later.
//
// Linux: rtnetlink notifications of links, addresses, default routes and
// neighbour entries, a burst coalesced over a tenth of a second; the
// routine ones (a neighbour going stale, other routes) are ignored.
// Without them (the socket cannot be opened) it logs that at debug level
// and the Interval alone bounds how late a change is seen. While the
// notifications arrive, a NIC's network is trusted for a minute (or the
// Interval, if longer). Other systems: the Interval alone.
//
// Run is optional, and is called once.
func (d *Detector) Run(ctx context.Context) error {
	return d.watch(ctx)
}

// fresh reports whether the entry may still be used at now. A clock that
// went backwards makes it stale rather than trusted for longer.
func (e cacheEntry) fresh(now time.Time, generation uint64) bool {
	age := now.Sub(e.at)
	return e.generation == generation && age >= 0 && age < e.ttl
}

// probeNIC asks the system for nic's network.
func (d *Detector) probeNIC(ctx context.Context, nic string, now time.Time, generation uint64, previous string) cacheEntry {
	key, err := d.probe(ctx, nic)
	e := cacheEntry{key: key, at: now, ttl: d.interval, generation: generation}
	if d.watched.Load() {
		e.ttl = max(e.ttl, watchedInterval)
	}
	if err != nil {
		e.ttl = min(retryInterval, d.interval)
		d.log.Debug("network of NIC uncertain", "nic", nic, "network", key, "err", err)
	}
	if key != previous {
		d.log.Debug("network of NIC", "nic", nic, "network", key, "previous", previous)
	}
	return e
}

// forgetUnused drops the NICs no one has asked about for a while (gone,
// or no longer counted), so that a churn of virtual NICs cannot grow the
// cache without bound.
func (d *Detector) forgetUnused(now time.Time) {
	for nic, e := range d.cache {
		if now.Sub(e.at) > 4*d.interval {
			delete(d.cache, nic)
		}
	}
}
