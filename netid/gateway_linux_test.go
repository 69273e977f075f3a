package netid

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

// The veth pair of a netnsPair: the NIC whose network is detected, in
// the inner namespace, and its peer, the gateway, in the other. Every
// test has its own namespaces, so the names and link-local addresses
// never collide; no traffic leaves the pair.
const (
	nicName   = "pbnet0"
	peerName  = "pbnet1"
	nicAddr   = "169.254.90.1"
	peerAddr  = "169.254.90.2"
	nicAddr6  = "fe80::90:1"
	peerAddr6 = "fe80::90:2"
	peerMAC1  = "02:00:00:00:90:02"
	peerMAC2  = "02:00:00:00:90:03"
)

var netnsSeq atomic.Int64

// netnsPair is two network namespaces joined by a veth pair.
type netnsPair struct {
	t           *testing.T
	inner, peer string
}

// newNetnsPair creates the namespaces and the veth pair with IPv4
// link-local addresses, both ends up, and no routes beyond the link's.
// Without root or ip(8) the test is skipped (or fails where netns is
// required).
func newNetnsPair(t *testing.T) *netnsPair {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Require(t, "netns", fmt.Errorf("needs root (euid %d)", os.Geteuid()))
	}
	if _, err := exec.LookPath("ip"); err != nil {
		testenv.Require(t, "netns", err)
	}
	n := netnsSeq.Add(1)
	p := &netnsPair{
		t:     t,
		inner: fmt.Sprintf("pbnetid-%d-%d-a", os.Getpid(), n),
		peer:  fmt.Sprintf("pbnetid-%d-%d-b", os.Getpid(), n),
	}
	for i, ns := range []string{p.inner, p.peer} {
		if out, err := p.run("netns", "add", ns); err != nil {
			if i == 0 {
				testenv.Require(t, "netns", fmt.Errorf("ip netns add: %v: %s", err, out))
			}
			t.Fatalf("ip netns add %s: %v: %s", ns, err, out)
		}
		t.Cleanup(func() {
			if out, err := p.run("netns", "del", ns); err != nil {
				t.Errorf("ip netns del %s: %v: %s", ns, err, out)
			}
		})
	}
	p.ip("-n", p.inner, "link", "add", nicName, "type", "veth", "peer", "name", peerName, "netns", p.peer)
	p.ip("-n", p.peer, "link", "set", peerName, "address", peerMAC1)
	p.ip("-n", p.inner, "addr", "add", nicAddr+"/16", "dev", nicName)
	p.ip("-n", p.peer, "addr", "add", peerAddr+"/16", "dev", peerName)
	p.ip("-n", p.inner, "link", "set", nicName, "up")
	p.ip("-n", p.peer, "link", "set", peerName, "up")
	return p
}

func (p *netnsPair) run(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, "ip", args...).CombinedOutput()
}

func (p *netnsPair) ip(args ...string) {
	p.t.Helper()
	if out, err := p.run(args...); err != nil {
		p.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// inInner runs f on an OS thread in the inner namespace and returns its
// result. The thread is locked and never unlocked: it ends with f's
// goroutine, so no other goroutine ever runs in the namespace.
func inInner[T any](p *netnsPair, f func() T) T {
	p.t.Helper()
	fd, err := unix.Open(filepath.Join("/run/netns", p.inner), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		p.t.Fatal(err)
	}
	defer unix.Close(fd)
	var result T
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", p.inner, err)
			return
		}
		result = f()
		errc <- nil
	}()
	if err := <-errc; err != nil {
		p.t.Fatal(err)
	}
	return result
}

// probeResult is what sources.probe returned.
type probeResult struct {
	key string
	err error
}

func (r probeResult) String() string { return fmt.Sprintf("%q, %v", r.key, r.err) }

// resolveAndProbe sends a datagram to the peer at addr (the discard
// port), so that the kernel resolves its link-layer address, and probes
// the NIC until the key is want (or 5 s have passed). It runs in the
// inner namespace.
func resolveAndProbe(ctx context.Context, s *sources, addr, want string) probeResult {
	conn, err := net.Dial("udp", net.JoinHostPort(addr, "9"))
	if err != nil {
		return probeResult{err: err}
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("who has")); err != nil {
		return probeResult{err: err}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		key, err := s.probe(ctx, nicName)
		if key == want || time.Now().After(deadline) {
			return probeResult{key, err}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestGatewayMACInNetns detects the network of a real NIC by its default
// gateway: none without a default route, uncertain until the gateway's
// address is resolved, then the gateway's MAC address; when the gateway's
// MAC changes (another network), the key changes too, at once after
// Invalidate.
func TestGatewayMACInNetns(t *testing.T) {
	t.Parallel()
	p := newNetnsPair(t)
	s := testSources(t, "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	probe := func() probeResult {
		key, err := s.probe(t.Context(), nicName)
		return probeResult{key, err}
	}

	if got := inInner(p, probe); got.key != "" || got.err != nil {
		t.Errorf("without a default route: probe = %v; want \"\", nil", got)
	}
	p.ip("-n", p.inner, "route", "add", "default", "via", peerAddr, "dev", nicName)
	if got := inInner(p, probe); got.key != "" || !errors.Is(got.err, errUnresolved) {
		t.Errorf("before the gateway is resolved: probe = %v; want errUnresolved", got)
	}
	first := "gateway:" + peerMAC1
	if got := inInner(p, func() probeResult { return resolveAndProbe(t.Context(), s, peerAddr, first) }); got.key != first || got.err != nil {
		t.Fatalf("probe = %v; want %q", got, first)
	}

	clock := newFakeClock()
	d := NewDetector(Options{Now: clock.Now, Probe: s.probe})
	networks := func() string {
		return inInner(p, func() map[string]string { return d.Networks(t.Context(), []string{nicName}) })[nicName]
	}
	if got := networks(); got != first {
		t.Errorf("Detector: network = %q, want %q", got, first)
	}

	// Another gateway on the same link: the peer's MAC address changes,
	// and the inner namespace learns it afresh.
	p.ip("-n", p.peer, "link", "set", peerName, "address", peerMAC2)
	p.ip("-n", p.inner, "neigh", "flush", "dev", nicName)
	second := "gateway:" + peerMAC2
	if got := inInner(p, func() probeResult { return resolveAndProbe(t.Context(), s, peerAddr, second) }); got.key != second || got.err != nil {
		t.Fatalf("after the gateway's MAC changed: probe = %v; want %q", got, second)
	}
	if got := networks(); got != first {
		t.Errorf("Detector within the interval: network = %q, want the cached %q", got, first)
	}
	d.Invalidate()
	if got := networks(); got != second {
		t.Errorf("Detector after Invalidate: network = %q, want %q", got, second)
	}
}

// TestGatewayMACInNetnsIPv6: a NIC whose only default route is IPv6, via
// the router's link-local address.
func TestGatewayMACInNetnsIPv6(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/sys/net/ipv6"); err != nil {
		t.Skipf("no IPv6 in this kernel: %v", err)
	}
	p := newNetnsPair(t)
	p.ip("-n", p.inner, "addr", "add", nicAddr6+"/64", "dev", nicName, "nodad")
	p.ip("-n", p.peer, "addr", "add", peerAddr6+"/64", "dev", peerName, "nodad")
	p.ip("-n", p.inner, "-6", "route", "add", "default", "via", peerAddr6, "dev", nicName)
	s := testSources(t, "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	want := "gateway:" + peerMAC1
	got := inInner(p, func() probeResult { return resolveAndProbe(t.Context(), s, peerAddr6+"%"+nicName, want) })
	if got.key != want || got.err != nil {
		t.Errorf("probe = %v; want %q", got, want)
	}
}

// TestGatewayMACInNetnsRouteForms: default routes written in the other
// ways the kernel knows, each in its own pair of namespaces.
func TestGatewayMACInNetnsRouteForms(t *testing.T) {
	t.Parallel()
	const otherHop = "169.254.90.3" // on the link, but nobody answers
	for _, tc := range []struct {
		name  string
		setup [][]string // ip commands in the inner namespace
	}{
		{"multipath, the lower address preferred", [][]string{
			{"route", "add", "default", "nexthop", "via", otherHop, "dev", nicName, "nexthop", "via", peerAddr, "dev", nicName},
		}},
		{"nexthop object", [][]string{
			{"nexthop", "add", "id", "7", "via", peerAddr, "dev", nicName},
			{"route", "add", "default", "nhid", "7"},
		}},
		{"in another table than main", [][]string{
			{"route", "add", "default", "via", peerAddr, "dev", nicName, "table", "100"},
		}},
		{"main table before another", [][]string{
			{"route", "add", "default", "via", otherHop, "dev", nicName, "table", "100"},
			{"route", "add", "default", "via", peerAddr, "dev", nicName, "metric", "900"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newNetnsPair(t)
			for _, args := range tc.setup {
				args = append([]string{"-n", p.inner}, args...)
				if out, err := p.run(args...); err != nil {
					if args[2] == "nexthop" {
						t.Skipf("kernel without nexthop objects: ip %s: %v: %s", strings.Join(args, " "), err, out)
					}
					t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
				}
			}
			s := testSources(t, "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
			want := "gateway:" + peerMAC1
			if got := inInner(p, func() probeResult { return resolveAndProbe(t.Context(), s, peerAddr, want) }); got.key != want || got.err != nil {
				t.Errorf("probe = %v; want %q", got, want)
			}
		})
	}
}
