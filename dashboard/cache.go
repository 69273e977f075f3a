package dashboard

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/packetbuddy/packetbuddy/store"
)

// cacheTTL bounds how long a cached query result is used. Local traffic
// invalidates it at once (see version); the TTL only bounds how stale
// rows written by something else (sync pulling other devices) can be.
const cacheTTL = 10 * time.Second

// maxCacheEntries bounds the cache; arbitrary ranges could fill it.
const maxCacheEntries = 256

// cachedResult is what one usage query reads from the database.
type cachedResult struct {
	rep  store.Report
	top  []store.Point
	gaps []store.Gap
	net  networkFilter // the scope's network, resolved to its key
}

// clone returns a copy whose slices the caller may change.
func (c cachedResult) clone() cachedResult {
	c.rep.Series = slices.Clone(c.rep.Series)
	c.rep.ByNIC = slices.Clone(c.rep.ByNIC)
	c.rep.ByNetwork = slices.Clone(c.rep.ByNetwork)
	return c
}

// queryCache memoises database reads between flushes. Usage only changes
// in the database when the monitor flushes, so an entry is valid while the
// monitor's last flush time is the one it was read under; the live part
// (unflushed traffic) is added to every answer from memory. Concurrent
// misses of one key wait for a single query instead of all running it.
type queryCache struct {
	mu sync.Mutex
	m  map[string]*cacheEntry
}

// cacheEntry is one query's result, or the wait for it while it loads.
type cacheEntry struct {
	ready   chan struct{} // closed when val and err are set
	version time.Time
	expires time.Time
	val     cachedResult
	err     error
}

func newQueryCache() *queryCache { return &queryCache{m: map[string]*cacheEntry{}} }

// get returns the result cached under key when it was read under this
// version (the monitor's last flush) and has not expired; otherwise it
// runs load, once for all the callers that miss together. Each caller
// gets its own copy.
func (c *queryCache) get(ctx context.Context, key string, version, now time.Time, load func(context.Context) (cachedResult, error)) (cachedResult, error) {
	c.mu.Lock()
	if e, ok := c.m[key]; ok && e.version.Equal(version) && now.Before(e.expires) {
		c.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			return cachedResult{}, ctx.Err()
		}
		if e.err == nil {
			return e.val.clone(), nil
		}
		// The loader failed (perhaps its client went away): try ourselves.
		return load(ctx)
	}
	if len(c.m) >= maxCacheEntries {
		clear(c.m)
	}
	e := &cacheEntry{ready: make(chan struct{}), version: version, expires: now.Add(cacheTTL)}
	c.m[key] = e
	c.mu.Unlock()

	e.val, e.err = load(ctx)
	close(e.ready)
	if e.err != nil {
		c.mu.Lock()
		if c.m[key] == e {
			delete(c.m, key)
		}
		c.mu.Unlock()
		return cachedResult{}, e.err
	}
	return e.val.clone(), nil
}

// Invalidate drops every cached query result. Writers of usage other than
// the local monitor (sync pulling other devices' buckets) call it after
// committing, so the dashboard shows their rows at once instead of within
// the cache's TTL.
func (s *Server) Invalidate() {
	s.cache.mu.Lock()
	clear(s.cache.m)
	s.cache.mu.Unlock()
}
