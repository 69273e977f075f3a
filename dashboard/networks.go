package dashboard

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/packetbuddy/packetbuddy/report"
	"github.com/packetbuddy/packetbuddy/store"
)

// NetworkView is one network in GET /api/networks.
type NetworkView struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Kind  string `json:"kind"`
	// FirstSeen and LastSeen are when traffic over the network was first
	// and last recorded on this machine.
	FirstSeen time.Time `json:"first_seen,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
	// Current says a NIC this device counts is attached to it now.
	Current bool `json:"current"`
	// The lifetime totals within the request's device and NIC, with
	// this device's traffic not flushed yet.
	report.Usage
}

// Networks is the body of GET /api/networks.
type Networks struct {
	Networks []NetworkView `json:"networks"`
}

// currentNetworks returns the keys of the networks the counted NICs are
// attached to now.
func (s *Server) currentNetworks() map[string]bool {
	cur := map[string]bool{}
	if s.live == nil {
		return cur
	}
	for _, n := range s.snapshot().NICs {
		cur[n.Network] = true
	}
	return cur
}

// networks lists every network with its lifetime usage, in the order
// they were first seen. It takes nic= and device= for the totals.
func (s *Server) networks(w http.ResponseWriter, r *http.Request) {
	q, err := s.parseQuery(r)
	if err == nil {
		err = q.only("/api/networks", "nic", "device")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	nets, err := s.st.Networks(r.Context(), q.scope)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	prefs, err := s.opts.Settings.Prefs(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pr := prefs.Pricing()
	cur := s.currentNetworks()
	var live map[string]store.Traffic
	if s.live != nil && s.includesLocal(q.scope) {
		live = s.live.UnflushedByNetwork(time.Time{}, q.scope.NIC)
	}
	out := Networks{Networks: make([]NetworkView, 0, len(nets))}
	for _, n := range nets {
		t := live[n.Key]
		delete(live, n.Key)
		out.Networks = append(out.Networks, networkView(n, cur[n.Key], pr.Usage(n.Sent+t.Sent, n.Recv+t.Received)))
	}
	// Networks first used since the last flush: the store records them
	// (with their default labels) at the next one.
	for _, key := range slices.Sorted(maps.Keys(live)) {
		t := live[key]
		if t.IsZero() {
			continue
		}
		label, err := s.st.NetworkLabel(r.Context(), key)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		n := store.Network{Key: key, Label: label, Kind: store.NetworkKind(key)}
		out.Networks = append(out.Networks, networkView(n, cur[key], pr.Usage(t.Sent, t.Received)))
	}
	writeJSON(w, http.StatusOK, out)
}

func networkView(n store.Network, current bool, u report.Usage) NetworkView {
	return NetworkView{Key: n.Key, Label: n.Label, Kind: n.Kind, FirstSeen: n.FirstSeen, LastSeen: n.LastSeen, Current: current, Usage: u}
}

// renameRequest is the body of POST /api/networks/rename. Network is a
// pointer because "" is a key too: the unknown network's.
type renameRequest struct {
	Network *string `json:"network"`
	Label   *string `json:"label"`
}

// renameNetwork gives a network a new label; the store checks the label
// (length, control characters, taken by another network).
func (s *Server) renameNetwork(w http.ResponseWriter, r *http.Request) {
	var body renameRequest
	if !s.readBody(w, r, &body, false) {
		return
	}
	switch {
	case body.Network == nil:
		s.fail(w, r, badParam("network", `missing: want {"network": KEY or LABEL, "label": NEW} (see /api/networks)`))
		return
	case body.Label == nil:
		s.fail(w, r, badParam("label", `missing: want {"network": KEY or LABEL, "label": NEW}`))
		return
	}
	n, err := s.st.RenameNetwork(r.Context(), *body.Network, *body.Label)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Cached reports carry the old label.
	s.Invalidate()
	s.log.Info("network renamed from the dashboard", "network", n.Key)
	prefs, err := s.opts.Settings.Prefs(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, networkView(n, s.currentNetworks()[n.Key], prefs.Pricing().Usage(n.Sent, n.Recv)))
}

// networkFilter is a usage query's network: every network, or (one) the
// network with key.
type networkFilter struct {
	one bool
	key string
}

// match reports whether traffic over the network key is in the filter.
func (f networkFilter) match(key string) bool { return !f.one || f.key == key }

// resolveNetwork finds the key of a network= value the store has accepted
// (a key or a label, "" for every network), by the store's rule: a key
// first, then a label, then the one label equal under case folding. The
// store lists every network but the unknown one when that has no traffic
// anywhere, so a name it accepted but does not list is that network.
func (s *Server) resolveNetwork(ctx context.Context, name string) (networkFilter, error) {
	if name == "" {
		return networkFilter{}, nil
	}
	nets, err := s.st.Networks(ctx, store.Scope{Device: "all"})
	if err != nil {
		return networkFilter{}, err
	}
	var folded []string
	for _, n := range nets {
		if n.Key == name {
			return networkFilter{one: true, key: n.Key}, nil
		}
	}
	for _, n := range nets {
		if n.Label == name {
			return networkFilter{one: true, key: n.Key}, nil
		}
		if strings.EqualFold(n.Label, name) {
			folded = append(folded, n.Key)
		}
	}
	if len(folded) == 1 {
		return networkFilter{one: true, key: folded[0]}, nil
	}
	return networkFilter{one: true, key: ""}, nil
}
