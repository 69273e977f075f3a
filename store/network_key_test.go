package store

import (
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// unescapeSSID reverses WiFiNetwork's escaping.
func unescapeSSID(t *testing.T, key string) string {
	t.Helper()
	s, ok := strings.CutPrefix(key, wifiPrefix)
	if !ok {
		t.Fatalf("key %q lacks the wifi prefix", key)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+4 > len(s) || s[i+1] != 'x' {
			t.Fatalf("key %q: bad escape at %d", key, i)
		}
		v, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
		if err != nil {
			t.Fatalf("key %q: bad escape at %d: %v", key, i, err)
		}
		b.WriteByte(byte(v))
		i += 3
	}
	return b.String()
}

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
		if back := unescapeSSID(t, key); back != ssid {
			t.Fatalf("key %q reads back as %q, not %q", key, back, ssid)
		}
		if NetworkKind(key) != NetworkWiFi {
			t.Fatalf("NetworkKind(%q) = %q", key, NetworkKind(key))
		}
	})
}
