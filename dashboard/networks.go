package dashboard

import (
	"context"
	"maps"
	"net/http"
	"slices"
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

// currentNetworks returns the keys of the networks the counted NICs (or
// one of them) are attached to now.
func (s *Server) currentNetworks(nic string) map[string]bool {
	cur := map[string]bool{}
	if s.live == nil {
		return cur
	}
	for _, n := range s.snapshot().NICs {
		if nic == "" || n.Name == nic {
			cur[n.Network] = true
		}
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
	nets, err := s.listNetworks(r.Context(), q.scope)
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
	out := Networks{Networks: make([]NetworkView, 0, len(nets))}
	for _, n := range nets {
		out.Networks = append(out.Networks, networkView(n.Network, n.current, pr.Usage(n.Sent, n.Recv)))
	}
	writeJSON(w, http.StatusOK, out)
}

// listedNetwork is a network of GET /api/networks.
type listedNetwork struct {
	store.Network
	current bool
}

// listNetworks returns the store's networks in a scope with this device's
// unflushed traffic added, then those the store does not list yet: first
// used since the last flush (the next one records them), or current but
// without traffic in the scope.
func (s *Server) listNetworks(ctx context.Context, sc store.Scope) ([]listedNetwork, error) {
	nets, err := s.st.Networks(ctx, sc)
	if err != nil {
		return nil, err
	}
	cur := s.currentNetworks(sc.NIC)
	var live map[string]store.Traffic
	extra := map[string]bool{}
	if s.live != nil && s.includesLocal(sc) {
		live = s.live.UnflushedByNetwork(time.Time{}, sc.NIC)
		for key, t := range live {
			extra[key] = !t.IsZero()
		}
		for key := range cur {
			extra[key] = true
		}
	}
	out := make([]listedNetwork, 0, len(nets)+len(extra))
	for _, n := range nets {
		t := live[n.Key]
		n.Sent, n.Recv = n.Sent+t.Sent, n.Recv+t.Received
		out = append(out, listedNetwork{n, cur[n.Key]})
		delete(extra, n.Key)
	}
	for _, key := range slices.Sorted(maps.Keys(extra)) {
		if !extra[key] {
			continue
		}
		label, err := s.st.NetworkLabel(ctx, key)
		if err != nil {
			return nil, err
		}
		t := live[key]
		n := store.Network{Key: key, Label: label, Kind: store.NetworkKind(key), Sent: t.Sent, Recv: t.Received}
		out = append(out, listedNetwork{n, cur[key]})
	}
	return out, nil
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
	writeJSON(w, http.StatusOK, networkView(n, s.currentNetworks("")[n.Key], prefs.Pricing().Usage(n.Sent, n.Recv)))
}

// networkFilter is a usage query's network: every network, or (one) the
// network with key.
type networkFilter struct {
	one bool
	key string
}

// match reports whether traffic over the network key is in the filter.
func (f networkFilter) match(key string) bool { return !f.one || f.key == key }

// resolveNetwork finds the key of a network= value (a key or a label, ""
// for every network) by the store's rule, to filter the monitor's
// unflushed traffic the same way the store filters its rows.
func (s *Server) resolveNetwork(ctx context.Context, name string) (networkFilter, error) {
	if name == "" {
		return networkFilter{}, nil
	}
	n, err := s.st.ResolveNetwork(ctx, name)
	if err != nil {
		return networkFilter{}, err
	}
	return networkFilter{one: true, key: n.Key}, nil
}
