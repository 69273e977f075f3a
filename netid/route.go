package netid

import (
	"bytes"
	"cmp"
	"net"
	"net/netip"
	"slices"
)

// defaultRoute is a default route (prefix length 0) with a next hop, as
// every system's route table gives it.
type defaultRoute struct {
	ifindex int
	gateway netip.Addr // without zone: ifindex tells the link
	metric  uint32
	// secondary marks a route outside the main table (Linux policy
	// routing), considered after those in it.
	secondary bool
}

// neighbour is an entry of a neighbour (ARP or NDP) table whose
// link-layer address is known.
type neighbour struct {
	ifindex int
	ip      netip.Addr // without zone
	mac     net.HardwareAddr
}

// defaultGateway is the next hop of the default route the system prefers
// out of the NIC with index ifindex: IPv4 before IPv6 (a dual-stack
// network keeps the same key whichever family was seen first), the main
// table before others, then the lowest metric.
func defaultGateway(routes []defaultRoute, ifindex int) (netip.Addr, bool) {
	var best *defaultRoute
	for i := range routes {
		r := &routes[i]
		if r.ifindex != ifindex || !r.gateway.IsValid() || r.gateway.IsUnspecified() {
			continue
		}
		if best == nil || compareRoutes(r, best) < 0 {
			best = r
		}
	}
	if best == nil {
		return netip.Addr{}, false
	}
	return best.gateway, true
}

// compareRoutes orders routes by preference, the preferred first.
func compareRoutes(a, b *defaultRoute) int {
	rank := func(r *defaultRoute) (int, int) {
		family, table := 0, 0
		if !r.gateway.Unmap().Is4() {
			family = 1
		}
		if r.secondary {
			table = 1
		}
		return family, table
	}
	af, at := rank(a)
	bf, bt := rank(b)
	return cmp.Or(cmp.Compare(af, bf), cmp.Compare(at, bt), cmp.Compare(a.metric, b.metric),
		a.gateway.Compare(b.gateway))
}

// neighbourMAC is the link-layer address of ip on the NIC with index
// ifindex; nil when the table has none (or only zeros, an entry not yet
// resolved).
func neighbourMAC(neighbours []neighbour, ifindex int, ip netip.Addr) net.HardwareAddr {
	ip = ip.Unmap().WithZone("")
	for _, n := range neighbours {
		if n.ifindex != ifindex || n.ip.Unmap().WithZone("") != ip {
			continue
		}
		if len(n.mac) == 0 || isZero(n.mac) {
			continue
		}
		return slices.Clone(n.mac)
	}
	return nil
}

func isZero(b []byte) bool {
	return len(bytes.Trim(b, "\x00")) == 0
}
