//go:build !linux && !windows && !darwin

package netid

import (
	"context"
	"net"
)

// osSources is empty: these systems have no source yet.
type osSources struct{}

// wifiSSID: no source on these systems.
func (s *sources) wifiSSID(context.Context, string) (string, error) { return "", nil }

// gatewayMAC: no source on these systems, so every NIC's network is
// unknown.
func (s *sources) gatewayMAC(context.Context, string) (net.HardwareAddr, error) { return nil, nil }

// close has nothing to release.
func (o *osSources) close() {}
