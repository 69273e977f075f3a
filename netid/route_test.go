package netid

import (
	"net"
	"net/netip"
	"testing"
)

func TestDefaultGateway(t *testing.T) {
	t.Parallel()
	v4 := netip.MustParseAddr("192.168.1.1")
	v4b := netip.MustParseAddr("192.168.1.254")
	v6 := netip.MustParseAddr("fe80::1")
	for _, tc := range []struct {
		name   string
		routes []defaultRoute
		want   netip.Addr // zero: none
	}{
		{name: "no routes"},
		{name: "other NIC only", routes: []defaultRoute{{ifindex: 3, gateway: v4}}},
		{name: "without a next hop", routes: []defaultRoute{{ifindex: 2}, {ifindex: 2, gateway: netip.IPv4Unspecified()}}},
		{name: "one", routes: []defaultRoute{{ifindex: 3, gateway: v4b}, {ifindex: 2, gateway: v4}}, want: v4},
		{name: "IPv4 before IPv6", routes: []defaultRoute{{ifindex: 2, gateway: v6}, {ifindex: 2, gateway: v4, metric: 600}}, want: v4},
		{name: "IPv6 alone", routes: []defaultRoute{{ifindex: 2, gateway: v6, metric: 1024}}, want: v6},
		{name: "main table first", routes: []defaultRoute{{ifindex: 2, gateway: v4b, secondary: true}, {ifindex: 2, gateway: v4, metric: 100}}, want: v4},
		{name: "lowest metric", routes: []defaultRoute{{ifindex: 2, gateway: v4, metric: 600}, {ifindex: 2, gateway: v4b, metric: 100}}, want: v4b},
		{name: "IPv4-mapped counts as IPv4", routes: []defaultRoute{{ifindex: 2, gateway: v6}, {ifindex: 2, gateway: netip.AddrFrom16(v4b.As16())}}, want: netip.AddrFrom16(v4b.As16())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := defaultGateway(tc.routes, 2)
			if ok != tc.want.IsValid() || got != tc.want {
				t.Errorf("defaultGateway = %v, %v; want %v", got, ok, tc.want)
			}
		})
	}
}

func TestNeighbourMAC(t *testing.T) {
	t.Parallel()
	mac := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x07}
	gw := netip.MustParseAddr("192.168.1.1")
	for _, tc := range []struct {
		name       string
		neighbours []neighbour
		ip         netip.Addr
		want       net.HardwareAddr
	}{
		{name: "empty table", ip: gw},
		{name: "found", ip: gw, want: mac, neighbours: []neighbour{
			{ifindex: 2, ip: netip.MustParseAddr("192.168.1.9"), mac: net.HardwareAddr{2, 9, 9, 9, 9, 9}},
			{ifindex: 2, ip: gw, mac: mac}}},
		{name: "same address on another NIC", ip: gw, neighbours: []neighbour{{ifindex: 3, ip: gw, mac: mac}}},
		{name: "zero address is unresolved", ip: gw, neighbours: []neighbour{{ifindex: 2, ip: gw, mac: make(net.HardwareAddr, 6)}}},
		{name: "mapped and plain IPv4 match", ip: netip.AddrFrom16(gw.As16()), want: mac, neighbours: []neighbour{{ifindex: 2, ip: gw, mac: mac}}},
		{name: "zone ignored", ip: netip.MustParseAddr("fe80::1%eth0"), want: mac, neighbours: []neighbour{{ifindex: 2, ip: netip.MustParseAddr("fe80::1"), mac: mac}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := neighbourMAC(tc.neighbours, 2, tc.ip)
			if got.String() != tc.want.String() {
				t.Errorf("neighbourMAC = %v, want %v", got, tc.want)
			}
		})
	}
}
