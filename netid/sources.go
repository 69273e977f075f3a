package netid

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/packetbuddy/packetbuddy/store"
)

// errUnresolved means a NIC has a default gateway whose link-layer
// address the system does not know (yet): it is being resolved, or the
// gateway does not answer.
var errUnresolved = errors.New("default gateway's link-layer address not resolved")

// sources asks the operating system about a NIC's network. Each system's
// file implements two methods on it:
//
//	// wifiSSID is the SSID of the Wi-Fi network nic is associated with;
//	// "" when nic is not Wi-Fi, not associated, or the system does not
//	// tell an unprivileged process.
//	func (s *sources) wifiSSID(ctx context.Context, nic string) (string, error)
//
//	// gatewayMAC is the link-layer address of nic's default gateway; nil
//	// when nic has no default route with a gateway, errUnresolved when
//	// the gateway's address is not known.
//	func (s *sources) gatewayMAC(ctx context.Context, nic string) (net.HardwareAddr, error)
//
// and osSources, what the system keeps between probes, with a close
// method for tests.
type sources struct {
	log *slog.Logger
	// busAddress is the D-Bus address NetworkManager is asked on (Linux);
	// "" means the system bus.
	busAddress string
	os         osSources // what a system keeps between probes
}

func newSources(log *slog.Logger) *sources {
	return &sources{log: log}
}

// probe identifies nic's network: the Wi-Fi SSID first (any bytes: the
// store escapes what a key cannot hold), else the default gateway's MAC
// address, else unknown (""). The SSID source failing is not an error
// (most NICs are not Wi-Fi, and NetworkManager may not run): it is logged
// at debug level and the gateway is asked.
func (s *sources) probe(ctx context.Context, nic string) (string, error) {
	ssid, err := s.wifiSSID(ctx, nic)
	if err != nil {
		s.log.Debug("no Wi-Fi SSID", "nic", nic, "err", err)
	}
	if ssid != "" {
		return store.WiFiNetwork(ssid), nil
	}
	mac, err := s.gatewayMAC(ctx, nic)
	if err != nil {
		return "", fmt.Errorf("gateway of %s: %w", nic, err)
	}
	if len(mac) == 0 {
		return "", nil
	}
	return store.GatewayNetwork(mac), nil
}

// interfaceIndex is the system's index of the NIC named nic.
func interfaceIndex(nic string) (int, error) {
	ifi, err := net.InterfaceByName(nic)
	if err != nil {
		return 0, err
	}
	return ifi.Index, nil
}
