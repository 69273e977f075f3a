package netid

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

func TestParseIPConfigSummary(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file     string
		want     ipconfigSummary
		wantSSID string
	}{
		{"ipconfig_getsummary_wifi.txt", ipconfigSummary{interfaceType: "WiFi", ssid: "Café : 5 GHz"}, "Café : 5 GHz"},
		{"ipconfig_getsummary_redacted.txt", ipconfigSummary{interfaceType: "WiFi", ssid: "<redacted>"}, ""},
		{"ipconfig_getsummary_ethernet.txt", ipconfigSummary{interfaceType: "Ethernet"}, ""},
		{"ipconfig_getsummary_wifi_off.txt", ipconfigSummary{interfaceType: "WiFi"}, ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			out, err := os.ReadFile("testdata/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			got := parseIPConfigSummary(out)
			if got != tc.want {
				t.Errorf("parseIPConfigSummary = %+v, want %+v", got, tc.want)
			}
			if ssid := got.wifiSSID(); ssid != tc.wantSSID {
				t.Errorf("wifiSSID = %q, want %q", ssid, tc.wantSSID)
			}
		})
	}
	if got := parseIPConfigSummary(nil); got != (ipconfigSummary{}) {
		t.Errorf("no output: %+v", got)
	}
}

func TestIPConfigMemo(t *testing.T) {
	t.Parallel()
	now := testenv.Now()
	var m ipconfigMemo
	m.remember("en0", ipconfigSummary{interfaceType: "WiFi", ssid: "Home"}, nil, now)
	m.remember("en1", ipconfigSummary{interfaceType: "WiFi"}, nil, now)
	m.remember("en5", ipconfigSummary{interfaceType: "Ethernet"}, nil, now)
	m.remember("en7", ipconfigSummary{interfaceType: "WiFi", ssid: redactedSSID}, nil, now)
	m.remember("utun3", ipconfigSummary{}, errors.New("exit status 1"), now)
	for _, tc := range []struct {
		nic   string
		after time.Duration
		skip  bool
	}{
		{"en0", time.Second, false},
		{"en1", time.Second, false},
		{"en5", time.Second, true},
		{"en5", notWiFiRecheck, false},
		{"en7", redactedRecheck - time.Second, true},
		{"en7", redactedRecheck, false},
		{"utun3", time.Minute, true},
		{"en9", 0, false},
	} {
		if got := m.skip(tc.nic, now.Add(tc.after)); got != tc.skip {
			t.Errorf("skip(%s) after %v = %v, want %v", tc.nic, tc.after, got, tc.skip)
		}
	}
	// A redacted NIC that shows its SSID again is asked every time.
	m.remember("en7", ipconfigSummary{interfaceType: "WiFi", ssid: "Home"}, nil, now.Add(redactedRecheck))
	if m.skip("en7", now.Add(redactedRecheck+time.Second)) {
		t.Error("en7 still skipped after its SSID showed")
	}
}
