package netid

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
)

// The layouts of the IP Helper tables (netioapi.h) that gatewayMAC reads
// on Windows, decoded from bytes so that the decoding is tested on every
// system. Both tables are a ULONG count, padding to the rows' 8-byte
// alignment (they hold a NET_LUID), then the rows.
const (
	mibTableHeader = 8

	// SOCKADDR_INET: the address family, then an IPv4 address at 4 or an
	// IPv6 address at 8.
	sockaddrInetSize = 28
	afInet           = 2  // AF_INET
	afInet6          = 23 // AF_INET6 on Windows

	// MIB_IPFORWARD_ROW2
	forwardRowSize         = 104
	forwardInterfaceIndex  = 8
	forwardPrefixLength    = 12 + sockaddrInetSize // after DestinationPrefix.Prefix
	forwardNextHop         = 44
	forwardMetric          = 84
	forwardLoopbackBoolean = 92

	// MIB_IPNET_ROW2
	netRowSize            = 88
	netInterfaceIndex     = 28
	netPhysicalAddress    = 40
	netPhysicalAddressLen = 72
	netState              = 76
	maxPhysicalAddressLen = 32 // IF_MAX_PHYS_ADDRESS_LENGTH

	// NL_NEIGHBOR_STATE values whose link-layer address is not known.
	nlnsUnreachable = 0
	nlnsIncomplete  = 1
)

var errShortTable = errors.New("table shorter than its row count")

// tableRows splits a MIB_*_TABLE2 into its rows.
func tableRows(b []byte, rowSize int) ([][]byte, error) {
	if len(b) < 4 {
		return nil, errShortTable
	}
	n := int(binary.LittleEndian.Uint32(b))
	if n == 0 {
		return nil, nil
	}
	if len(b) < mibTableHeader || (len(b)-mibTableHeader)/rowSize < n {
		return nil, fmt.Errorf("%d rows of %d bytes in %d bytes: %w", n, rowSize, len(b), errShortTable)
	}
	rows := make([][]byte, n)
	for i := range rows {
		off := mibTableHeader + i*rowSize
		rows[i] = b[off : off+rowSize]
	}
	return rows, nil
}

// decodeForwardTable picks the default routes with a next hop out of a
// MIB_IPFORWARD_TABLE2.
func decodeForwardTable(b []byte) ([]defaultRoute, error) {
	rows, err := tableRows(b, forwardRowSize)
	if err != nil {
		return nil, fmt.Errorf("MIB_IPFORWARD_TABLE2: %w", err)
	}
	var routes []defaultRoute
	for _, row := range rows {
		if row[forwardPrefixLength] != 0 || row[forwardLoopbackBoolean] != 0 {
			continue
		}
		routes = append(routes, defaultRoute{
			ifindex: int(binary.LittleEndian.Uint32(row[forwardInterfaceIndex:])),
			gateway: sockaddrInetAddr(row[forwardNextHop : forwardNextHop+sockaddrInetSize]),
			metric:  binary.LittleEndian.Uint32(row[forwardMetric:]),
		})
	}
	return routes, nil
}

// decodeNeighbourTable lists the entries of a MIB_IPNET_TABLE2 whose
// link-layer address is known. The addresses are copied: the table is
// freed after.
func decodeNeighbourTable(b []byte) ([]neighbour, error) {
	rows, err := tableRows(b, netRowSize)
	if err != nil {
		return nil, fmt.Errorf("MIB_IPNET_TABLE2: %w", err)
	}
	var neighbours []neighbour
	for _, row := range rows {
		state := binary.LittleEndian.Uint32(row[netState:])
		n := binary.LittleEndian.Uint32(row[netPhysicalAddressLen:])
		if state == nlnsUnreachable || state == nlnsIncomplete || n == 0 || n > maxPhysicalAddressLen {
			continue
		}
		ip := sockaddrInetAddr(row[:sockaddrInetSize])
		if !ip.IsValid() {
			continue
		}
		neighbours = append(neighbours, neighbour{
			ifindex: int(binary.LittleEndian.Uint32(row[netInterfaceIndex:])),
			ip:      ip,
			mac:     net.HardwareAddr(slices.Clone(row[netPhysicalAddress : netPhysicalAddress+int(n)])),
		})
	}
	return neighbours, nil
}

// sockaddrInetAddr reads the address of a SOCKADDR_INET; the zero Addr
// for another family.
func sockaddrInetAddr(b []byte) netip.Addr {
	switch binary.LittleEndian.Uint16(b) {
	case afInet:
		return netip.AddrFrom4([4]byte(b[4:8]))
	case afInet6:
		return netip.AddrFrom16([16]byte(b[8:24])).Unmap()
	}
	return netip.Addr{}
}
