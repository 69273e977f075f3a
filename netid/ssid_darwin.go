package netid

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// ipconfigPath is macOS's ipconfig, which prints an interface's summary
// (its SSID among it) to any user, without a location prompt.
const ipconfigPath = "/usr/sbin/ipconfig"

// osSources remembers what ipconfig said, so that it is not run every
// few seconds for a NIC that is not Wi-Fi or whose SSID is hidden.
type osSources struct {
	ipconfig ipconfigMemo
}

// wifiSSID runs `ipconfig getsummary nic` and reads the SSID from it.
// Since macOS 14.4 the SSID is "<redacted>" for processes without
// location permission, which is never asked for: then there is none.
func (s *sources) wifiSSID(ctx context.Context, nic string) (string, error) {
	now := time.Now()
	if strings.HasPrefix(nic, "-") || s.os.ipconfig.skip(nic, now) {
		return "", nil
	}
	out, err := exec.CommandContext(ctx, ipconfigPath, "getsummary", nic).Output()
	summary := parseIPConfigSummary(out)
	s.os.ipconfig.remember(nic, summary, err, now)
	if err != nil {
		return "", fmt.Errorf("%s getsummary %s: %w", ipconfigPath, nic, err)
	}
	return summary.wifiSSID(), nil
}

// close has nothing to release: ipconfig runs once per probe.
func (o *osSources) close() {}
