package netid

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/net/route"
)

// gatewayMAC finds nic's default route in a routing table dump and its
// next hop's link-layer address among the routing socket's link-layer
// (RTF_LLINFO) entries, the ARP and NDP caches, as `arp -an` and
// `ndp -an` read them. No privileges are needed.
func (s *sources) gatewayMAC(_ context.Context, nic string) (net.HardwareAddr, error) {
	ifindex, err := interfaceIndex(nic)
	if err != nil {
		return nil, err
	}
	msgs, err := fetchRIB(syscall.AF_UNSPEC, route.RIBTypeRoute, 0)
	if err != nil {
		return nil, err
	}
	gateway, ok := defaultGateway(darwinDefaultRoutes(msgs), ifindex)
	if !ok {
		return nil, nil
	}
	family := syscall.AF_INET6
	if gateway.Is4() {
		family = syscall.AF_INET
	}
	msgs, err = fetchRIB(family, syscall.NET_RT_FLAGS, syscall.RTF_LLINFO)
	if err != nil {
		return nil, err
	}
	mac := neighbourMAC(darwinNeighbours(msgs), ifindex, gateway)
	if mac == nil {
		return nil, fmt.Errorf("%s via %s: %w", nic, gateway, errUnresolved)
	}
	return mac, nil
}

func fetchRIB(family int, typ route.RIBType, arg int) ([]route.Message, error) {
	rib, err := route.FetchRIB(family, typ, arg)
	if err != nil {
		return nil, fmt.Errorf("routing table: %w", err)
	}
	msgs, err := route.ParseRIB(typ, rib)
	if err != nil {
		return nil, fmt.Errorf("routing table: %w", err)
	}
	return msgs, nil
}

// darwinDefaultRoutes picks the default routes through a gateway (one
// per interface: macOS scopes those of the non-primary ones).
func darwinDefaultRoutes(msgs []route.Message) []defaultRoute {
	var routes []defaultRoute
	for _, m := range msgs {
		rm, ok := m.(*route.RouteMessage)
		const want = syscall.RTF_UP | syscall.RTF_GATEWAY
		if !ok || rm.Flags&want != want || rm.Flags&syscall.RTF_HOST != 0 || len(rm.Addrs) <= syscall.RTAX_NETMASK {
			continue
		}
		dst, mask := inetAddr(rm.Addrs[syscall.RTAX_DST]), inetAddr(rm.Addrs[syscall.RTAX_NETMASK])
		if !dst.IsValid() || !dst.IsUnspecified() || (mask.IsValid() && !mask.IsUnspecified()) {
			continue
		}
		if gateway := inetAddr(rm.Addrs[syscall.RTAX_GATEWAY]); gateway.IsValid() {
			routes = append(routes, defaultRoute{ifindex: rm.Index, gateway: gateway})
		}
	}
	return routes
}

// darwinNeighbours lists the link-layer entries: a destination address
// and, as the gateway, the neighbour's link-layer address.
func darwinNeighbours(msgs []route.Message) []neighbour {
	var neighbours []neighbour
	for _, m := range msgs {
		rm, ok := m.(*route.RouteMessage)
		if !ok || len(rm.Addrs) <= syscall.RTAX_GATEWAY {
			continue
		}
		link, ok := rm.Addrs[syscall.RTAX_GATEWAY].(*route.LinkAddr)
		ip := inetAddr(rm.Addrs[syscall.RTAX_DST])
		if !ok || !ip.IsValid() || len(link.Addr) == 0 {
			continue
		}
		ifindex := rm.Index
		if link.Index != 0 {
			ifindex = link.Index
		}
		neighbours = append(neighbours, neighbour{ifindex: ifindex, ip: ip, mac: net.HardwareAddr(link.Addr)})
	}
	return neighbours
}

// inetAddr is the IP address of a routing message address (without the
// zone; x/net/route has taken the KAME scope out of link-local ones); the
// zero Addr for another kind.
func inetAddr(a route.Addr) netip.Addr {
	switch a := a.(type) {
	case *route.Inet4Addr:
		return netip.AddrFrom4(a.IP)
	case *route.Inet6Addr:
		return netip.AddrFrom16(a.IP).Unmap()
	}
	return netip.Addr{}
}
