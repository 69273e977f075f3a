package monitor

import (
	"path"
	"strings"
)

// DefaultExclude are NICs whose traffic is not the machine's own or is
// counted again on a physical NIC: loopback, virtual switches and bridges,
// container and VM links, and VPN tunnels (their packets also cross the
// physical NIC, so counting both would double the bill).
var DefaultExclude = []string{
	// loopback
	"lo", "lo0", "loopback*", "npcap loopback*",
	// containers, bridges, hypervisors
	"docker*", "veth*", "br-*", "virbr*", "vmnet*", "vboxnet*", "vnet*", "cni*", "flannel*",
	"cali*", "kube-*", "lxcbr*", "lxdbr*", "podman*", "vethernet*", "*virtualbox*", "*vmware*",
	"bridge*", "dummy*", "ifb*", "gif*", "stf*", "anpi*", "ap1", "awdl*", "llw*", "isatap*", "teredo*",
	// VPN tunnels
	"tun*", "tap*", "wg*", "utun*", "tailscale*", "zt*", "ipsec*", "nordlynx*", "proton*", "ppp-vpn*",
}

// Filter decides which NICs are counted. Patterns are path.Match globs
// matched case-insensitively; Include wins over Exclude and the defaults.
type Filter struct {
	Include []string
	Exclude []string
	// NoDefaults drops DefaultExclude (tests, or users who want everything).
	NoDefaults bool
}

func matchAny(patterns []string, name string) bool {
	n := strings.ToLower(name)
	for _, p := range patterns {
		if ok, _ := path.Match(strings.ToLower(p), n); ok {
			return true
		}
	}
	return false
}

// Counted reports whether the NIC name is counted.
func (f Filter) Counted(name string) bool {
	if matchAny(f.Include, name) {
		return true
	}
	if matchAny(f.Exclude, name) {
		return false
	}
	return f.NoDefaults || !matchAny(DefaultExclude, name)
}
