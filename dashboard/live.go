package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/packetbuddy/packetbuddy/monitor"
	"github.com/packetbuddy/packetbuddy/report"
	"github.com/packetbuddy/packetbuddy/store"
)

// snapshotMaxAge is how long one monitor snapshot serves the usage
// handlers, which only need its NIC list and last flush time; a snapshot
// copies the whole live ring, too much to do for every request.
const snapshotMaxAge = 50 * time.Millisecond

// snapshot returns a recent monitor snapshot for the usage handlers.
func (s *Server) snapshot() monitor.Snapshot {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	now := time.Now()
	if s.snapAt.IsZero() || now.Sub(s.snapAt) > snapshotMaxAge || now.Before(s.snapAt) {
		s.snap, s.snapAt = s.live.Snapshot(), now
	}
	return s.snap
}

// Health is the body of GET /api/health.
type Health struct {
	Status         string    `json:"status"`
	Version        string    `json:"version"`
	UptimeSeconds  int64     `json:"uptime_seconds"`
	CountingSince  time.Time `json:"counting_since"`
	DeviceID       string    `json:"device_id"`
	Paused         bool      `json:"paused"`
	LastFlush      time.Time `json:"last_flush,omitzero"`
	FlushError     string    `json:"flush_error,omitempty"`
	Sync           SyncState `json:"sync"`
	DatabaseBytes  int64     `json:"database_bytes"`
	TimeZone       string    `json:"tz"`
	StreamInterval float64   `json:"stream_interval_seconds"`
	// Now is the server's clock and Today its date in TimeZone. The page
	// takes "now" and its default dates from them rather than from the
	// browser's clock, so that it asks for the periods the API calls
	// today and this month.
	Now   time.Time `json:"now"`
	Today string    `json:"today"`
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	snap := s.live.Snapshot()
	now := s.opts.Now()
	loc := s.st.Location()
	h := Health{
		Status:         "ok",
		Version:        s.opts.Version,
		UptimeSeconds:  int64(now.Sub(snap.Started).Seconds()),
		CountingSince:  snap.Started,
		DeviceID:       s.st.DeviceID(),
		Paused:         snap.Paused,
		LastFlush:      snap.LastFlush,
		FlushError:     snap.FlushError,
		Sync:           s.syncState(),
		DatabaseBytes:  s.st.Size(),
		TimeZone:       loc.String(),
		StreamInterval: s.opts.StreamInterval.Seconds(),
		Now:            now,
		Today:          store.DateOf(now.In(loc)).String(),
	}
	if h.FlushError != "" {
		h.Status = "degraded"
	}
	writeJSON(w, http.StatusOK, h)
}

// LiveView is the body of GET /api/live: the monitor's snapshot, which
// holds the current rates (total and per NIC) and the last points, and
// the networks the NICs are attached to.
type LiveView struct {
	monitor.Snapshot
	Networks []LiveNetwork `json:"networks"`
}

// LiveNetwork is a network counted NICs are attached to now.
type LiveNetwork struct {
	Key   string   `json:"key"`
	Label string   `json:"label"`
	NICs  []string `json:"nics"`
}

// liveNetworks groups the NICs of a snapshot by their current network,
// in the order of the NICs' names, with the networks' labels.
func (s *Server) liveNetworks(ctx context.Context, nics []monitor.NICRate) ([]LiveNetwork, error) {
	out := []LiveNetwork{}
	for _, n := range nics {
		i := slices.IndexFunc(out, func(l LiveNetwork) bool { return l.Key == n.Network })
		if i < 0 {
			label, err := s.st.NetworkLabel(ctx, n.Network)
			if err != nil {
				return nil, err
			}
			out = append(out, LiveNetwork{Key: n.Network, Label: label})
			i = len(out) - 1
		}
		out[i].NICs = append(out[i].NICs, n.Name)
	}
	return out, nil
}

func (s *Server) liveNow(w http.ResponseWriter, r *http.Request) {
	snap := s.live.Snapshot()
	nets, err := s.liveNetworks(r.Context(), snap.NICs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, LiveView{Snapshot: snap, Networks: nets})
}

// StreamEvent is one /api/stream event: live rates and today's totals.
type StreamEvent struct {
	At     time.Time         `json:"at"`
	Paused bool              `json:"paused"`
	Up     float64           `json:"up"`
	Down   float64           `json:"down"`
	NICs   []monitor.NICRate `json:"nics"`
	// Networks are the networks of NICs, with their labels.
	Networks []LiveNetwork `json:"networks"`
	Today    *report.Usage `json:"today,omitempty"`
	// Sync lets the page notice a finished sync cycle and reload.
	Sync SyncState `json:"sync"`
}

func (s *Server) pause(w http.ResponseWriter, r *http.Request) { s.setPaused(w, r, true) }

func (s *Server) resume(w http.ResponseWriter, r *http.Request) { s.setPaused(w, r, false) }

func (s *Server) setPaused(w http.ResponseWriter, r *http.Request, paused bool) {
	var body struct{}
	if !s.readBody(w, r, &body, true) {
		return
	}
	var err error
	if paused {
		err = s.live.Pause(r.Context())
	} else {
		err = s.live.Resume(r.Context())
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("counting " + map[bool]string{true: "paused", false: "resumed"}[paused] + " from the dashboard")
	s.hub.kick()
	writeJSON(w, http.StatusOK, map[string]bool{"paused": s.live.Snapshot().Paused})
}

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) {
	p, err := s.opts.Settings.Prefs(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) putSettings(w http.ResponseWriter, r *http.Request) {
	var patch prefsPatch
	if !s.readBody(w, r, &patch, false) {
		return
	}
	cur, err := s.opts.Settings.Prefs(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	next, err := patch.apply(cur)
	if err != nil {
		s.fail(w, r, &badRequest{err.Error()})
		return
	}
	saved, err := s.opts.Settings.SetPrefs(r.Context(), next)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("settings changed from the dashboard")
	writeJSON(w, http.StatusOK, saved)
}

// stream sends server-sent events until the client goes away or the
// server shuts down. Events are built once per interval by the hub and
// shared by every client; a slow client misses events rather than
// slowing anyone else.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	ch, cancel, ok := s.hub.subscribe()
	if !ok {
		// Each stream holds a connection and a goroutine: a local process
		// opening thousands must not exhaust the app's file descriptors.
		w.Header().Set("Retry-After", "10")
		writeError(w, http.StatusServiceUnavailable, "too many live streams are open; close some dashboard tabs")
		return
	}
	defer cancel()
	w.WriteHeader(http.StatusOK)
	// Tell EventSource how soon to reconnect, then send the latest event
	// at once so the page does not wait for the next tick.
	if _, err := w.Write([]byte("retry: 2000\n\n")); err != nil {
		return
	}
	if ev := s.hub.latest(); ev != nil {
		if _, err := w.Write(ev); err != nil {
			return
		}
	}
	if err := rc.Flush(); err != nil {
		return
	}
	keepAlive := time.NewTicker(25 * time.Second)
	defer keepAlive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case ev := <-ch:
			rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if _, err := w.Write(ev); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		case <-keepAlive.C:
			rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if _, err := w.Write([]byte(": keep-alive\n\n")); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}
}

// hub builds one stream event per interval and fans it out. Its goroutine
// runs only while at least one client is subscribed: the first subscriber
// starts it and the last one to leave stops it.
type hub struct {
	s *Server

	mu     sync.Mutex // guards the fields below
	subs   map[chan []byte]struct{}
	stop   context.CancelFunc
	done   chan struct{}
	last   []byte
	kickCh chan struct{}
}

func newHub(s *Server) *hub {
	return &hub{s: s, subs: map[chan []byte]struct{}{}, kickCh: make(chan struct{}, 1)}
}

// maxStreams bounds the live streams open at once.
const maxStreams = 256

// subscribe registers a client; cancel must be called when it leaves. ok is
// false when maxStreams are already open.
func (h *hub) subscribe() (_ <-chan []byte, _ func(), ok bool) {
	ch := make(chan []byte, 2)
	h.mu.Lock()
	if len(h.subs) >= maxStreams {
		h.mu.Unlock()
		return nil, nil, false
	}
	h.subs[ch] = struct{}{}
	if h.stop == nil {
		ctx, cancel := context.WithCancel(context.Background())
		h.stop, h.done = cancel, make(chan struct{})
		go h.loop(ctx, h.done)
	}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs, ch)
		var done chan struct{}
		if len(h.subs) == 0 && h.stop != nil {
			h.stop()
			done = h.done
			h.stop, h.done, h.last = nil, nil, nil
		}
		h.mu.Unlock()
		if done != nil {
			<-done
		}
	}, true
}

// subscribers returns the number of connected stream clients.
func (h *hub) subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

func (h *hub) latest() []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

// kick makes the hub send an event now (after pause or resume).
func (h *hub) kick() {
	select {
	case h.kickCh <- struct{}{}:
	default:
	}
}

func (h *hub) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(h.s.opts.StreamInterval)
	defer t.Stop()
	h.publish(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-h.kickCh:
		}
		h.publish(ctx)
	}
}

func (h *hub) publish(ctx context.Context) {
	ev, err := h.s.streamEvent(ctx)
	if err != nil {
		if ctx.Err() == nil {
			h.s.log.Warn("stream event", "err", err)
		}
		return
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	msg := make([]byte, 0, len(b)+16)
	msg = append(msg, "event: live\ndata: "...)
	msg = append(msg, b...)
	msg = append(msg, "\n\n"...)
	h.mu.Lock()
	defer h.mu.Unlock()
	if ctx.Err() != nil {
		return // stopped meanwhile: this event is for nobody
	}
	h.last = msg
	for ch := range h.subs {
		select {
		case ch <- msg:
		default: // a slow client skips this event
		}
	}
}

// streamEvent is the live snapshot plus today's totals (one query for
// every client together).
func (s *Server) streamEvent(ctx context.Context) (StreamEvent, error) {
	snap := s.live.Snapshot()
	ev := StreamEvent{At: snap.At, Paused: snap.Paused, Up: snap.Up, Down: snap.Down, NICs: snap.NICs, Sync: s.syncState()}
	if ev.At.IsZero() {
		ev.At = s.opts.Now()
	}
	q := query{loc: s.st.Location()}
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var err error
	if ev.Networks, err = s.liveNetworks(qctx, snap.NICs); err != nil {
		return ev, err
	}
	day := store.DateOf(s.opts.Now().In(q.loc))
	res, err := s.usageQuery(qctx, q, "day|"+day.String(), 0, func(ctx context.Context) (store.Report, error) {
		return s.st.Day(ctx, day, q.loc, q.scope)
	})
	if err != nil {
		return ev, err
	}
	sent, recv := res.rep.Sent, res.rep.Recv
	if s.coversLive(&res.rep, q.scope) {
		us, ur := s.live.Unflushed(res.rep.Start, "")
		sent, recv = sent+us, recv+ur
	}
	prefs, err := s.opts.Settings.Prefs(ctx)
	if err != nil {
		return ev, err
	}
	u := prefs.Pricing().Usage(sent, recv)
	ev.Today = &u
	return ev, nil
}
