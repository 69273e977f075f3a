package monitor

import (
	"path"
	"testing"
)

func TestFilterCounted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		filter Filter
		nic    string
		want   bool
	}{
		{"physical ethernet", Filter{}, "eth0", true},
		{"predictable ethernet name", Filter{}, "enp3s0", true},
		{"wifi", Filter{}, "wlp2s0", true},
		{"macOS wifi", Filter{}, "en0", true},
		{"Windows adapter", Filter{}, "Wi-Fi", true},
		{"loopback", Filter{}, "lo", false},
		{"docker bridge", Filter{}, "docker0", false},
		{"container veth", Filter{}, "veth4f2a1c0", false},
		{"compose bridge", Filter{}, "br-0f3a9c1d2e4b", false},
		{"libvirt bridge", Filter{}, "virbr0", false},
		{"OpenVPN tunnel", Filter{}, "tun0", false},
		{"WireGuard", Filter{}, "wg0", false},
		{"macOS tunnel", Filter{}, "utun3", false},
		{"Tailscale", Filter{}, "tailscale0", false},
		{"Windows loopback", Filter{}, "Loopback Pseudo-Interface 1", false},
		{"upper case loopback", Filter{}, "LO", false},
		{"mixed case docker", Filter{}, "Docker0", false},
		{"upper case veth", Filter{}, "VETH123", false},
		{"include wins over the defaults", Filter{Include: []string{"wg0"}}, "wg0", true},
		{"include is case-insensitive", Filter{Include: []string{"WG*"}}, "wg1", true},
		{"include wins over exclude", Filter{Include: []string{"eth*"}, Exclude: []string{"eth1"}}, "eth1", true},
		{"exclude", Filter{Exclude: []string{"eth1"}}, "eth1", false},
		{"exclude is case-insensitive", Filter{Exclude: []string{"ETH*"}}, "eth1", false},
		{"exclude leaves others", Filter{Exclude: []string{"eth1"}}, "eth0", true},
		{"include does not exclude the rest", Filter{Include: []string{"wg0"}}, "eth0", true},
		{"no defaults counts loopback", Filter{NoDefaults: true}, "lo", true},
		{"no defaults keeps exclude", Filter{NoDefaults: true, Exclude: []string{"lo"}}, "lo", false},
		{"bad pattern matches nothing", Filter{Exclude: []string{"eth["}}, "eth[", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.filter.Counted(tt.nic); got != tt.want {
				t.Errorf("%+v.Counted(%q) = %v, want %v", tt.filter, tt.nic, got, tt.want)
			}
		})
	}
}

// TestDefaultExcludePatterns checks that every default is a valid,
// lower-case glob: a bad one would silently match nothing.
func TestDefaultExcludePatterns(t *testing.T) {
	t.Parallel()
	for _, p := range DefaultExclude {
		if _, err := path.Match(p, ""); err != nil {
			t.Errorf("pattern %q: %v", p, err)
		}
		if (Filter{}).Counted(p) {
			t.Errorf("pattern %q does not exclude itself", p)
		}
	}
}
