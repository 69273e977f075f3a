package dashboard

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/packetbuddy/packetbuddy/report"
	"github.com/packetbuddy/packetbuddy/store"
)

// badRequest is a client mistake; its message names the parameter.
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func badParam(name, format string, args ...any) error {
	return &badRequest{name + ": " + fmt.Sprintf(format, args...)}
}

// queryError is a query the store refused because of its input, as the
// API words it: the store's message under the parameter's name, with a
// pointer to the list of devices for a device the store does not know.
func queryError(qe *store.QueryError) error {
	if qe.Param == "device" {
		return badParam(qe.Param, "%s (see /api/devices)", qe.Msg)
	}
	return badParam(qe.Param, "%s", qe.Msg)
}

// fail answers err: a client mistake as 400 with its message, anything
// else as a 500 that says nothing about the internals.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var br *badRequest
	var qe *store.QueryError
	if errors.As(err, &qe) {
		err = queryError(qe)
	}
	switch {
	case errors.As(err, &br):
		writeError(w, http.StatusBadRequest, br.msg)
	case errors.Is(err, errBodyTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, err.Error())
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away; nobody reads the answer.
	default:
		s.log.Error("request failed", "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal error (details are in PacketBuddy's log)")
	}
}

// query is the parsed common parameters: nic=, device=, network=, tz=.
type query struct {
	vals  url.Values
	scope store.Scope
	loc   *time.Location
}

func (s *Server) parseQuery(r *http.Request) (query, error) {
	vals, err := url.ParseQuery(r.URL.RawQuery)
	q := query{vals: vals, loc: s.st.Location()}
	if err != nil {
		// r.URL.Query would drop the bad pair (device=a;b) silently and
		// answer for another scope than the one asked for.
		return q, &badRequest{"malformed query string: " + err.Error()}
	}
	for k, v := range q.vals {
		if len(v) > 1 {
			return q, badParam(k, "given more than once")
		}
	}
	q.scope = store.Scope{NIC: q.vals.Get("nic"), Device: q.vals.Get("device"), Network: q.vals.Get("network")}
	if tz := q.vals.Get("tz"); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil || tz == "Local" || strings.Contains(tz, "..") {
			return q, badParam("tz", "unknown time zone %s: want an IANA name such as Asia/Kolkata", quote(tz))
		}
		q.loc = loc
	}
	return q, nil
}

// only refuses every parameter but names, for an endpoint that takes
// no others.
func (q query) only(endpoint string, names ...string) error {
	for _, k := range slices.Sorted(maps.Keys(q.vals)) {
		if !slices.Contains(names, k) {
			return badParam(k, "unknown parameter: %s takes %s", endpoint, strings.Join(names, ", "))
		}
	}
	return nil
}

func (q query) date(name string) (store.Date, bool, error) {
	v := q.vals.Get(name)
	if v == "" {
		return store.Date{}, false, nil
	}
	d, err := store.ParseDate(v)
	if err != nil {
		return d, false, badParam(name, "bad date %s: want YYYY-MM-DD", quote(v))
	}
	return d, true, nil
}

// Usage is a usage response: the shared usage shape plus what the
// dashboard shows beside it.
type Usage struct {
	report.JSON
	// Gaps are the labelled traffic records ("while PacketBuddy was not
	// running") overlapping the period; their bytes are in the totals.
	Gaps []store.Gap `json:"gaps"`
	// UnflushedBytes is the part of the totals counted live but not yet
	// written to the database.
	UnflushedBytes uint64 `json:"unflushed_bytes"`
	// Projection is the month's expected usage at today's pace; only for
	// the current month.
	Projection *report.Usage `json:"projection,omitempty"`
}

// includesLocal reports whether a scope covers this device's live traffic.
func (s *Server) includesLocal(sc store.Scope) bool {
	return sc.Device == "" || sc.Device == "all" || sc.Device == s.st.DeviceID()
}

// addUnflushed adds traffic the monitor counted but has not flushed yet to
// a report that covers now, so the dashboard is live rather than one flush
// interval behind. net is the report's network (see usageQuery). It
// returns the bytes it added.
func (s *Server) addUnflushed(ctx context.Context, r *store.Report, sc store.Scope, net networkFilter) (uint64, error) {
	if !s.coversLive(r, sc) {
		return 0, nil
	}
	now := s.opts.Now()
	byNet := s.unflushedByNetwork(r.Start, sc.NIC, net)
	var total store.Traffic
	for _, t := range byNet {
		total = total.Add(t)
	}
	if total.IsZero() {
		return 0, nil
	}
	r.Sent += total.Sent
	r.Recv += total.Received
	for i := len(r.Series) - 1; i >= 0; i-- {
		if !r.Series[i].Start.After(now) {
			r.Series[i].Sent += total.Sent
			r.Series[i].Recv += total.Received
			break
		}
	}
	s.addUnflushedByNIC(r, sc, net)
	return total.Sent + total.Received, s.addUnflushedByNetwork(ctx, r, byNet)
}

// coversLive reports whether a report includes this device's traffic of
// now, which the monitor has partly not flushed yet.
func (s *Server) coversLive(r *store.Report, sc store.Scope) bool {
	now := s.opts.Now()
	return s.live != nil && s.includesLocal(sc) && !now.Before(r.Start) && now.Before(r.End)
}

// unflushedByNetwork is the monitor's unflushed traffic since a time, per
// network key, of one NIC or ("") all, and of one network or all.
func (s *Server) unflushedByNetwork(since time.Time, nic string, net networkFilter) map[string]store.Traffic {
	byNet := s.live.UnflushedByNetwork(since, nic)
	if net.one {
		for k := range byNet {
			if k != net.key {
				delete(byNet, k)
			}
		}
	}
	return byNet
}

// unflushed is the monitor's unflushed traffic since a time, of one NIC or
// ("") all, and of one network or all.
func (s *Server) unflushed(since time.Time, nic string, net networkFilter) (sent, recv uint64) {
	if !net.one {
		return s.live.Unflushed(since, nic)
	}
	t := s.live.UnflushedByNetwork(since, nic)[net.key]
	return t.Sent, t.Received
}

// addUnflushedByNIC adds each NIC's unflushed traffic to its share of r,
// asking per name so that each share is exact.
func (s *Server) addUnflushedByNIC(r *store.Report, sc store.Scope, net networkFilter) {
	names := map[string]bool{}
	for _, n := range r.ByNIC {
		names[n.NIC] = true
	}
	for _, n := range s.snapshot().NICs {
		if sc.NIC == "" || n.Name == sc.NIC {
			names[n.Name] = true
		}
	}
	changed := false
	for name := range names {
		ns, nr := s.unflushed(r.Start, name, net)
		if ns == 0 && nr == 0 {
			continue
		}
		changed = true
		i := slices.IndexFunc(r.ByNIC, func(t store.NICTotal) bool { return t.NIC == name })
		if i < 0 {
			r.ByNIC = append(r.ByNIC, store.NICTotal{NIC: name})
			i = len(r.ByNIC) - 1
		}
		r.ByNIC[i].Sent += ns
		r.ByNIC[i].Recv += nr
	}
	if changed {
		slices.SortFunc(r.ByNIC, func(a, b store.NICTotal) int {
			return byTotal(a.Sent+a.Recv, b.Sent+b.Recv, a.NIC, b.NIC)
		})
	}
}

// addUnflushedByNetwork adds each network's unflushed traffic to its share
// of r. A network the report does not list yet gets its label from the
// store (for one first used since the last flush, the label the next
// flush will give it).
func (s *Server) addUnflushedByNetwork(ctx context.Context, r *store.Report, byNet map[string]store.Traffic) error {
	for key, t := range byNet {
		if t.IsZero() {
			continue
		}
		i := slices.IndexFunc(r.ByNetwork, func(n store.NetworkTotal) bool { return n.Key == key })
		if i < 0 {
			label, err := s.st.NetworkLabel(ctx, key)
			if err != nil {
				return err
			}
			r.ByNetwork = append(r.ByNetwork, store.NetworkTotal{Key: key, Label: label})
			i = len(r.ByNetwork) - 1
		}
		r.ByNetwork[i].Sent += t.Sent
		r.ByNetwork[i].Recv += t.Received
	}
	slices.SortFunc(r.ByNetwork, func(a, b store.NetworkTotal) int {
		return byTotal(a.Sent+a.Recv, b.Sent+b.Recv, a.Label, b.Label)
	})
	return nil
}

// byTotal orders shares of a report: the largest total first, then by name.
func byTotal(x, y uint64, a, b string) int {
	if x != y {
		if x > y {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// usageQuery reads a report (and gaps, and top days when n > 0) through
// the cache; key must identify the query.
func (s *Server) usageQuery(ctx context.Context, q query, key string, top int, load func(ctx context.Context) (store.Report, error)) (cachedResult, error) {
	s.noticeSync()
	version := s.snapshot().LastFlush
	// Quoted: device, NIC and network names may contain the separator.
	key += "|" + q.loc.String() + "|" + strconv.Quote(q.scope.Device) + "|" + strconv.Quote(q.scope.NIC) + "|" + strconv.Quote(q.scope.Network)
	return s.cache.get(ctx, key, version, s.opts.Now(), func(ctx context.Context) (cachedResult, error) {
		var res cachedResult
		var err error
		if res.rep, err = load(ctx); err != nil {
			return res, err
		}
		// The store accepted the scope: its network is known.
		if res.net, err = s.resolveNetwork(ctx, q.scope.Network); err != nil {
			return res, err
		}
		if top > 0 {
			if res.top, err = s.st.TopDays(ctx, q.loc, q.scope, top); err != nil {
				return res, err
			}
		}
		res.gaps, err = s.scopeGaps(ctx, q.scope, res.net, res.rep.Start, res.rep.End)
		return res, err
	})
}

// scopeGaps returns the labelled traffic records of a scope overlapping
// [from, to): gaps are this device's only.
func (s *Server) scopeGaps(ctx context.Context, sc store.Scope, net networkFilter, from, to time.Time) ([]store.Gap, error) {
	out := []store.Gap{}
	if !s.includesLocal(sc) {
		return out, nil
	}
	gaps, err := s.st.Gaps(ctx, from, to)
	if err != nil {
		return nil, err
	}
	for _, g := range gaps {
		if (sc.NIC == "" || g.NIC == sc.NIC) && net.match(g.Network) {
			out = append(out, g)
		}
	}
	return out, nil
}

// respond renders a query result in the usage shape with the current
// prices, adding the traffic not flushed yet.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, q query, res cachedResult, month bool) {
	prefs, err := s.opts.Settings.Prefs(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pr := prefs.Pricing()
	rep := res.rep
	unflushed, err := s.addUnflushed(r.Context(), &rep, q.scope, res.net)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := Usage{JSON: pr.Report(rep, res.top), Gaps: res.gaps, UnflushedBytes: unflushed}
	if now := s.opts.Now(); month && !now.Before(rep.Start) && now.Before(rep.End) {
		elapsed := now.Sub(rep.Start).Seconds()
		whole := rep.End.Sub(rep.Start).Seconds()
		if elapsed >= 3600 {
			f := whole / elapsed
			u := pr.Usage(uint64(float64(rep.Sent)*f), uint64(float64(rep.Recv)*f))
			out.Projection = &u
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) today(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	day := store.DateOf(s.opts.Now().In(q.loc))
	res, err := s.usageQuery(r.Context(), q, "day|"+day.String(), 0, func(ctx context.Context) (store.Report, error) {
		return s.st.Day(ctx, day, q.loc, q.scope)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.respond(w, r, q, res, false)
}

func (s *Server) month(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	first := store.DateOf(s.opts.Now().In(q.loc))
	first.Day = 1
	if v := q.vals.Get("month"); v != "" {
		if first, err = store.ParseMonth(v); err != nil {
			s.fail(w, r, badParam("month", "%v", err))
			return
		}
	}
	last := store.DateOf(time.Date(first.Year, first.Month+1, 0, 12, 0, 0, 0, time.UTC))
	res, err := s.usageQuery(r.Context(), q, "range|"+first.String()+"|"+last.String(), 0, func(ctx context.Context) (store.Report, error) {
		return s.st.Range(ctx, first, last, q.loc, q.scope)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.respond(w, r, q, res, true)
}

func (s *Server) rangeUsage(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	from, okFrom, err := q.date("start")
	if err == nil && !okFrom {
		err = badParam("start", "missing: want start=YYYY-MM-DD")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	to, okTo, err := q.date("end")
	if err == nil && !okTo {
		err = badParam("end", "missing: want end=YYYY-MM-DD")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.usageQuery(r.Context(), q, "range|"+from.String()+"|"+to.String(), 0, func(ctx context.Context) (store.Report, error) {
		return s.st.Range(ctx, from, to, q.loc, q.scope)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.respond(w, r, q, res, false)
}

// topDays is how many days the summary lists.
const topDays = 10

func (s *Server) summary(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Lifetime ends with the current month, so the key carries it.
	month := s.opts.Now().In(q.loc).Format("2006-01")
	res, err := s.usageQuery(r.Context(), q, "lifetime|"+month, topDays, func(ctx context.Context) (store.Report, error) {
		return s.st.Lifetime(ctx, q.loc, q.scope)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.respond(w, r, q, res, false)
}

func (s *Server) nics(w http.ResponseWriter, r *http.Request) {
	names, err := s.st.NICs(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if names == nil {
		names = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"nics": names})
}

// exportWriteTimeout bounds each write of an export: a client that stops
// reading must not hold a database read connection (and its snapshot,
// which keeps the WAL from being checkpointed) for ever.
var exportWriteTimeout = 30 * time.Second

// countingWriter notes whether anything reached the client, and gives
// every write a deadline.
type countingWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
	n  int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	// Not every ResponseWriter supports deadlines (httptest's does not).
	c.rc.SetWriteDeadline(time.Now().Add(exportWriteTimeout))
	n, err := c.ResponseWriter.Write(p)
	c.n += int64(n)
	return n, err
}

func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	format := q.vals.Get("format")
	if format == "" {
		format = store.FormatCSV
	}
	if format != store.FormatCSV && format != store.FormatJSON {
		s.fail(w, r, badParam("format", "unknown format %s: want csv or json", quote(format)))
		return
	}
	o := store.ExportOptions{Format: format, Location: q.loc, Scope: q.scope}
	from, okFrom, err := q.date("start")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	to, okTo, err := q.date("end")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name := "packetbuddy"
	if okFrom {
		o.Start = from.Start(q.loc)
		name += "-" + from.String()
	}
	if okTo {
		o.End = to.AddDays(1).Start(q.loc)
		name += "-to-" + to.String()
	}
	ctype := "text/csv; charset=utf-8"
	if format == store.FormatJSON {
		ctype = "application/json"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", `attachment; filename="`+name+`.`+format+`"`)
	cw := &countingWriter{ResponseWriter: w, rc: http.NewResponseController(w)}
	// Export checks the range and the scope before writing, and buffers
	// its first rows, so a bad end=, nic= or device= still gets a clean 400.
	if _, err := s.st.Export(r.Context(), cw, o); err != nil {
		if cw.n == 0 {
			s.fail(w, r, err)
			return
		}
		// Headers are gone: the truncated download is all we can do.
		s.log.Warn("export interrupted", "err", err)
	}
}
