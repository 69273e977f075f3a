package store

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestWiFiNetworkKeys(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ ssid, key string }{
		{"", ""},
		{"Home", "wifi:Home"},
		{"Café 5G", "wifi:Café 5G"},
		{`a\b`, `wifi:a\x5cb`},
		{"tab\there", `wifi:tab\x09here`},
		{"nul\x00", `wifi:nul\x00`},
		{"bad\xffutf8", `wifi:bad\xffutf8`},
	} {
		if got := WiFiNetwork(tc.ssid); got != tc.key {
			t.Errorf("WiFiNetwork(%q) = %q, want %q", tc.ssid, got, tc.key)
		}
	}
}

// FuzzWiFiNetwork: every SSID gets a key that PostgreSQL accepts (valid
// UTF-8, no control characters) and that names that SSID alone.
func FuzzWiFiNetwork(f *testing.F) {
	for _, s := range []string{"Home", `a\x41`, "\x00\xff", "ünïcode", `\\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ssid string) {
		if ssid == "" {
			return
		}
		key := WiFiNetwork(ssid)
		if !utf8.ValidString(key) {
			t.Fatalf("key %q for %q is not valid UTF-8", key, ssid)
		}
		for _, r := range key {
			if unicode.IsControl(r) {
				t.Fatalf("key %q for %q holds a control character", key, ssid)
			}
		}
		if !strings.HasPrefix(key, wifiPrefix) {
			t.Fatalf("key %q lacks the wifi prefix", key)
		}
		if back := ssidOf(key); back != ssid {
			t.Fatalf("key %q reads back as %q, not %q", key, back, ssid)
		}
		if NetworkKind(key) != NetworkWiFi {
			t.Fatalf("NetworkKind(%q) = %q", key, NetworkKind(key))
		}
	})
}
