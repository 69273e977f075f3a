package netid

import (
	"bufio"
	"bytes"
	"strings"
	"sync"
	"time"
)

// redactedSSID is what macOS's ipconfig prints for the SSID to a process
// without location permission (macOS 14.4 and later).
const redactedSSID = "<redacted>"

// How long wifiSSID on macOS trusts what ipconfig said before running it
// again for a NIC that is not Wi-Fi, or whose SSID was redacted (the user
// may grant the permission, or make ipconfig verbose) or which ipconfig
// failed for.
const (
	notWiFiRecheck  = time.Hour
	redactedRecheck = 10 * time.Minute
)

// ipconfigSummary is what wifiSSID needs from `ipconfig getsummary`.
type ipconfigSummary struct {
	interfaceType string // "WiFi", "Ethernet", ...; "" when not printed
	ssid          string // as printed: redactedSSID when hidden
}

// wifiSSID is the SSID the summary tells, "" when hidden or absent.
func (s ipconfigSummary) wifiSSID() string {
	if s.ssid == redactedSSID {
		return ""
	}
	return s.ssid
}

// parseIPConfigSummary reads the top-level InterfaceType and SSID keys of
// `ipconfig getsummary` output, a nested "<dictionary> {" listing with one
// "key : value" a line; keys of nested dictionaries and arrays are
// skipped.
func parseIPConfigSummary(out []byte) ipconfigSummary {
	var s ipconfigSummary
	depth := 0
	lines := bufio.NewScanner(bytes.NewReader(out))
	for lines.Scan() {
		line := strings.TrimSpace(lines.Text())
		if line == "}" {
			depth--
			continue
		}
		key, value, ok := strings.Cut(line, " : ")
		if !ok {
			if strings.HasSuffix(line, "{") { // the root, "<dictionary> {"
				depth++
			}
			continue
		}
		if value == "<dictionary> {" || value == "<array> {" {
			depth++
			continue
		}
		if depth != 1 {
			continue
		}
		switch key {
		case "InterfaceType":
			s.interfaceType = value
		case "SSID":
			s.ssid = value
		}
	}
	return s
}

// ipconfigMemo remembers the NICs ipconfig need not be asked about for a
// while. Its methods are safe for concurrent use.
type ipconfigMemo struct {
	mu    sync.Mutex
	until map[string]time.Time // by NIC
}

// skip reports whether the SSID of nic is known to be absent at now.
func (m *ipconfigMemo) skip(nic string, now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	until, ok := m.until[nic]
	return ok && now.Before(until)
}

// remember notes what ipconfig said about nic at now, or that it failed.
func (m *ipconfigMemo) remember(nic string, s ipconfigSummary, err error, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.until == nil {
		m.until = make(map[string]time.Time)
	}
	switch {
	case err != nil:
		m.until[nic] = now.Add(redactedRecheck)
	case s.interfaceType != "" && s.interfaceType != "WiFi":
		m.until[nic] = now.Add(notWiFiRecheck)
	case s.ssid == redactedSSID:
		m.until[nic] = now.Add(redactedRecheck)
	default:
		delete(m.until, nic)
	}
}
