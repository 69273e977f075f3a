package netid

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"slices"
	"testing"
)

// The rows below are laid out by hand from netioapi.h, with literal
// offsets (not the decoder's constants), over bytes that are not zero:
// the tables Windows returns have garbage in unused union arms.

// sockaddrInet writes a SOCKADDR_INET at b.
func putSockaddrInet(b []byte, a netip.Addr) {
	if a.Is4() {
		binary.LittleEndian.PutUint16(b, 2)
		copy(b[4:8], a.AsSlice())
		return
	}
	binary.LittleEndian.PutUint16(b, 23)
	copy(b[8:24], a.AsSlice())
}

// forwardRow is a MIB_IPFORWARD_ROW2 (104 bytes).
func forwardRow(ifindex uint32, prefix netip.Prefix, nextHop netip.Addr, metric uint32, loopback bool) []byte {
	row := bytes.Repeat([]byte{0xa5}, 104)
	binary.LittleEndian.PutUint64(row[0:], 0x0006000000000000|uint64(ifindex)<<24) // InterfaceLuid
	binary.LittleEndian.PutUint32(row[8:], ifindex)
	putSockaddrInet(row[12:40], prefix.Addr())
	row[40] = byte(prefix.Bits())
	putSockaddrInet(row[44:72], nextHop)
	binary.LittleEndian.PutUint32(row[84:], metric)
	row[92] = 0
	if loopback {
		row[92] = 1
	}
	return row
}

// ipnetRow is a MIB_IPNET_ROW2 (88 bytes).
func ipnetRow(ifindex uint32, ip netip.Addr, mac []byte, state uint32) []byte {
	row := bytes.Repeat([]byte{0xa5}, 88)
	putSockaddrInet(row[0:28], ip)
	binary.LittleEndian.PutUint32(row[28:], ifindex)
	copy(row[40:72], mac)
	binary.LittleEndian.PutUint32(row[72:], uint32(len(mac)))
	binary.LittleEndian.PutUint32(row[76:], state)
	return row
}

// mibTable2 is a MIB_*_TABLE2: the count, 4 bytes of padding, the rows.
func mibTable2(rows ...[]byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(rows)))
	b = append(b, 0xa5, 0xa5, 0xa5, 0xa5)
	return append(b, slices.Concat(rows...)...)
}

func TestDecodeForwardTable(t *testing.T) {
	t.Parallel()
	anyV4, anyV6 := netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")
	table := mibTable2(
		forwardRow(7, anyV4, netip.MustParseAddr("192.168.1.1"), 25, false),
		forwardRow(7, netip.MustParsePrefix("192.168.1.0/24"), netip.IPv4Unspecified(), 281, false),
		forwardRow(7, anyV6, netip.MustParseAddr("fe80::1"), 281, false),
		forwardRow(1, anyV4, netip.MustParseAddr("127.0.0.1"), 0, true),
		forwardRow(12, anyV4, netip.IPv4Unspecified(), 5, false), // on-link default (a VPN)
	)
	got, err := decodeForwardTable(table)
	if err != nil {
		t.Fatal(err)
	}
	want := []defaultRoute{
		{ifindex: 7, gateway: netip.MustParseAddr("192.168.1.1"), metric: 25},
		{ifindex: 7, gateway: netip.MustParseAddr("fe80::1"), metric: 281},
		{ifindex: 12, gateway: netip.IPv4Unspecified(), metric: 5},
	}
	if !slices.Equal(got, want) {
		t.Errorf("decodeForwardTable =\n%+v\nwant\n%+v", got, want)
	}
	if gw, ok := defaultGateway(got, 12); ok {
		t.Errorf("an on-link default route has gateway %v", gw)
	}
}

// TestDecodeForwardTableFromWine decodes a table GetIpForwardTable2
// returned under Wine 8 (which mirrors the Windows headers) on a Linux
// host with "default via 192.0.2.1 dev eth0" and "192.0.2.0/24 dev eth0"
// (interface index 4), garbage in unused bytes included.
func TestDecodeForwardTableFromWine(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/ipforward_table2_wine.bin")
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeForwardTable(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []defaultRoute{{ifindex: 4, gateway: netip.MustParseAddr("192.0.2.1")}}
	if !slices.Equal(got, want) {
		t.Errorf("decodeForwardTable = %+v, want %+v", got, want)
	}
}

func TestDecodeNeighbourTable(t *testing.T) {
	t.Parallel()
	const (
		unreachable, incomplete, stale, reachable, permanent = 0, 1, 4, 5, 6
	)
	mac := func(last byte) []byte { return []byte{0x02, 0, 0, 0, 0, last} }
	table := mibTable2(
		ipnetRow(7, netip.MustParseAddr("192.168.1.1"), mac(1), reachable),
		ipnetRow(7, netip.MustParseAddr("192.168.1.2"), mac(2), stale),
		ipnetRow(7, netip.MustParseAddr("192.168.1.3"), mac(3), incomplete),
		ipnetRow(7, netip.MustParseAddr("192.168.1.4"), mac(4), unreachable),
		ipnetRow(7, netip.MustParseAddr("192.168.1.5"), nil, reachable),
		ipnetRow(9, netip.MustParseAddr("fe80::1"), mac(6), permanent),
	)
	got, err := decodeNeighbourTable(table)
	if err != nil {
		t.Fatal(err)
	}
	want := []neighbour{
		{ifindex: 7, ip: netip.MustParseAddr("192.168.1.1"), mac: mac(1)},
		{ifindex: 7, ip: netip.MustParseAddr("192.168.1.2"), mac: mac(2)},
		{ifindex: 9, ip: netip.MustParseAddr("fe80::1"), mac: mac(6)},
	}
	if !slices.EqualFunc(got, want, func(a, b neighbour) bool {
		return a.ifindex == b.ifindex && a.ip == b.ip && bytes.Equal(a.mac, b.mac)
	}) {
		t.Errorf("decodeNeighbourTable =\n%v\nwant\n%v", got, want)
	}
	// The addresses are copies: the table is freed after decoding.
	clear(table)
	if got[0].mac.String() != net.HardwareAddr(mac(1)).String() {
		t.Errorf("the MAC address shares the table's memory: %v after the table was cleared", got[0].mac)
	}
}

func TestDecodeTablesShort(t *testing.T) {
	t.Parallel()
	for _, b := range [][]byte{
		nil,
		{1, 0},
		mibTable2(ipnetRow(1, netip.MustParseAddr("10.0.0.1"), []byte{2, 0, 0, 0, 0, 1}, 5))[:50],
	} {
		if _, err := decodeNeighbourTable(b); !errors.Is(err, errShortTable) {
			t.Errorf("decodeNeighbourTable(%d bytes) error %v, want errShortTable", len(b), err)
		}
		if _, err := decodeForwardTable(b); !errors.Is(err, errShortTable) {
			t.Errorf("decodeForwardTable(%d bytes) error %v, want errShortTable", len(b), err)
		}
	}
	if got, err := decodeForwardTable([]byte{0, 0, 0, 0}); err != nil || got != nil {
		t.Errorf("empty table: %v, %v", got, err)
	}
}
