package netid

import (
	"context"
	"fmt"
	"net"
)

// gatewayMAC finds nic's default route in the IP Helper route table
// (GetIpForwardTable2) and its next hop's link-layer address in the
// neighbour table (GetIpNetTable2).
func (s *sources) gatewayMAC(_ context.Context, nic string) (net.HardwareAddr, error) {
	ifindex, err := interfaceIndex(nic)
	if err != nil {
		return nil, err
	}
	routes, err := mibTable(procGetIpForwardTable2, forwardRowSize, decodeForwardTable)
	if err != nil {
		return nil, fmt.Errorf("GetIpForwardTable2: %w", err)
	}
	gateway, ok := defaultGateway(routes, ifindex)
	if !ok {
		return nil, nil
	}
	neighbours, err := mibTable(procGetIpNetTable2, netRowSize, decodeNeighbourTable)
	if err != nil {
		return nil, fmt.Errorf("GetIpNetTable2: %w", err)
	}
	mac := neighbourMAC(neighbours, ifindex, gateway)
	if mac == nil {
		return nil, fmt.Errorf("%s via %s: %w", nic, gateway, errUnresolved)
	}
	return mac, nil
}
