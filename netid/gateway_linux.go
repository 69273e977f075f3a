package netid

import (
	"context"
	"encoding/binary"
	"fmt"
	"iter"
	"net"
	"net/netip"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// gatewayMAC finds nic's default route in the kernel's routing tables and
// the link-layer address of its next hop in the neighbour table, both by
// netlink dumps (no privileges needed).
func (s *sources) gatewayMAC(_ context.Context, nic string) (net.HardwareAddr, error) {
	ifindex, err := interfaceIndex(nic)
	if err != nil {
		return nil, err
	}
	rib, err := syscall.NetlinkRIB(unix.RTM_GETROUTE, unix.AF_UNSPEC)
	if err != nil {
		return nil, os.NewSyscallError("netlink RTM_GETROUTE", err)
	}
	routes, err := parseRouteMessages(rib)
	if err != nil {
		return nil, err
	}
	gateway, ok := defaultGateway(routes, ifindex)
	if !ok {
		return nil, nil
	}
	family := unix.AF_INET6
	if gateway.Is4() {
		family = unix.AF_INET
	}
	rib, err = syscall.NetlinkRIB(unix.RTM_GETNEIGH, family)
	if err != nil {
		return nil, os.NewSyscallError("netlink RTM_GETNEIGH", err)
	}
	neighbours, err := parseNeighbourMessages(rib)
	if err != nil {
		return nil, err
	}
	mac := neighbourMAC(neighbours, ifindex, gateway)
	if mac == nil {
		return nil, fmt.Errorf("%s via %s: %w", nic, gateway, errUnresolved)
	}
	return mac, nil
}

// parseRouteMessages picks the IPv4 and IPv6 unicast default routes with
// a next hop out of an RTM_GETROUTE dump; a multipath route gives one
// per next hop.
func parseRouteMessages(rib []byte) ([]defaultRoute, error) {
	msgs, err := syscall.ParseNetlinkMessage(rib)
	if err != nil {
		return nil, fmt.Errorf("parse routes: %w", err)
	}
	var routes []defaultRoute
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWROUTE || len(m.Data) < unix.SizeofRtMsg {
			continue
		}
		family, dstLen, table, routeType := m.Data[0], m.Data[1], uint32(m.Data[4]), m.Data[7]
		if (family != unix.AF_INET && family != unix.AF_INET6) || dstLen != 0 || routeType != unix.RTN_UNICAST {
			continue
		}
		r := defaultRoute{}
		var multipath []byte
		for typ, val := range netlinkAttrs(m.Data[unix.SizeofRtMsg:]) {
			switch typ {
			case unix.RTA_TABLE:
				table = nativeUint32(val)
			case unix.RTA_OIF:
				r.ifindex = int(nativeUint32(val))
			case unix.RTA_PRIORITY:
				r.metric = nativeUint32(val)
			case unix.RTA_GATEWAY:
				r.gateway = addrFrom(val)
			case unix.RTA_VIA:
				r.gateway = viaAddr(val)
			case unix.RTA_MULTIPATH:
				multipath = val
			}
		}
		r.secondary = table != unix.RT_TABLE_MAIN
		if multipath == nil {
			routes = append(routes, r)
			continue
		}
		for hop := range nextHops(multipath, r) {
			routes = append(routes, hop)
		}
	}
	return routes, nil
}

// nextHops yields one route per struct rtnexthop of an RTA_MULTIPATH
// attribute, each a copy of r with the hop's NIC and gateway.
func nextHops(b []byte, r defaultRoute) iter.Seq[defaultRoute] {
	return func(yield func(defaultRoute) bool) {
		for len(b) >= unix.SizeofRtNexthop {
			n := int(binary.NativeEndian.Uint16(b[0:2]))
			if n < unix.SizeofRtNexthop || n > len(b) {
				return
			}
			hop := r
			hop.ifindex = int(int32(binary.NativeEndian.Uint32(b[4:8])))
			hop.gateway = netip.Addr{}
			for typ, val := range netlinkAttrs(b[unix.SizeofRtNexthop:n]) {
				switch typ {
				case unix.RTA_GATEWAY:
					hop.gateway = addrFrom(val)
				case unix.RTA_VIA:
					hop.gateway = viaAddr(val)
				}
			}
			if !yield(hop) {
				return
			}
			b = b[min(netlinkAlign(n), len(b)):]
		}
	}
}

// parseNeighbourMessages lists the entries of an RTM_GETNEIGH dump whose
// link-layer address is known (not incomplete, not failed).
func parseNeighbourMessages(rib []byte) ([]neighbour, error) {
	msgs, err := syscall.ParseNetlinkMessage(rib)
	if err != nil {
		return nil, fmt.Errorf("parse neighbours: %w", err)
	}
	var neighbours []neighbour
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWNEIGH || len(m.Data) < unix.SizeofNdMsg {
			continue
		}
		state := binary.NativeEndian.Uint16(m.Data[8:10])
		if state&(unix.NUD_INCOMPLETE|unix.NUD_FAILED) != 0 {
			continue
		}
		n := neighbour{ifindex: int(int32(binary.NativeEndian.Uint32(m.Data[4:8])))}
		for typ, val := range netlinkAttrs(m.Data[unix.SizeofNdMsg:]) {
			switch typ {
			case unix.NDA_DST:
				n.ip = addrFrom(val)
			case unix.NDA_LLADDR:
				n.mac = net.HardwareAddr(val)
			}
		}
		if n.ip.IsValid() && len(n.mac) > 0 {
			neighbours = append(neighbours, n)
		}
	}
	return neighbours, nil
}

// netlinkAttrs yields the type and value of each struct rtattr in b.
func netlinkAttrs(b []byte) iter.Seq2[uint16, []byte] {
	return func(yield func(uint16, []byte) bool) {
		for len(b) >= unix.SizeofRtAttr {
			n := int(binary.NativeEndian.Uint16(b[0:2]))
			if n < unix.SizeofRtAttr || n > len(b) {
				return
			}
			if !yield(binary.NativeEndian.Uint16(b[2:4])&^(unix.NLA_F_NESTED|unix.NLA_F_NET_BYTEORDER), b[unix.SizeofRtAttr:n]) {
				return
			}
			b = b[min(netlinkAlign(n), len(b)):]
		}
	}
}

func netlinkAlign(n int) int { return (n + unix.RTA_ALIGNTO - 1) &^ (unix.RTA_ALIGNTO - 1) }

func nativeUint32(b []byte) uint32 {
	if len(b) < 4 {
		return 0
	}
	return binary.NativeEndian.Uint32(b)
}

// addrFrom reads a 4- or 16-byte address; anything else is no address.
func addrFrom(b []byte) netip.Addr {
	a, _ := netip.AddrFromSlice(b)
	return a.Unmap()
}

// viaAddr reads a struct rtvia: a next hop of another family (an IPv4
// route via an IPv6 router).
func viaAddr(b []byte) netip.Addr {
	if len(b) < 2 {
		return netip.Addr{}
	}
	return addrFrom(b[2:])
}
