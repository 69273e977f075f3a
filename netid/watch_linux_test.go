package netid

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/sys/unix"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

// netlinkMessage is one message as the kernel sends it: a header, the
// fixed part of the body, then attributes.
func netlinkMessage(typ uint16, fixed []byte, attrs ...[]byte) []byte {
	body := fixed
	for _, a := range attrs {
		body = append(body, a...)
	}
	m := make([]byte, unix.SizeofNlMsghdr, unix.SizeofNlMsghdr+len(body))
	binary.NativeEndian.PutUint32(m[0:4], uint32(unix.SizeofNlMsghdr+len(body)))
	binary.NativeEndian.PutUint16(m[4:6], typ)
	return append(m, body...)
}

func netlinkAttr(typ uint16, val []byte) []byte {
	a := make([]byte, unix.SizeofRtAttr, netlinkAlign(unix.SizeofRtAttr+len(val)))
	binary.NativeEndian.PutUint16(a[0:2], uint16(unix.SizeofRtAttr+len(val)))
	binary.NativeEndian.PutUint16(a[2:4], typ)
	a = append(a, val...)
	return a[:cap(a)]
}

// routeMessage is a route to a prefix of length dstLen.
func routeMessage(typ uint16, dstLen byte) []byte {
	rtm := make([]byte, unix.SizeofRtMsg)
	rtm[0], rtm[1], rtm[4], rtm[7] = unix.AF_INET, dstLen, unix.RT_TABLE_MAIN, unix.RTN_UNICAST
	return netlinkMessage(typ, rtm)
}

// neighbourMessage is a neighbour entry of family on the NIC with index
// ifindex; mac "" has no link-layer address.
func neighbourMessage(typ uint16, family byte, ifindex int, ip string, mac string, state uint16) []byte {
	ndm := make([]byte, unix.SizeofNdMsg)
	ndm[0] = family
	binary.NativeEndian.PutUint32(ndm[4:8], uint32(ifindex))
	binary.NativeEndian.PutUint16(ndm[8:10], state)
	attrs := [][]byte{netlinkAttr(unix.NDA_DST, netip.MustParseAddr(ip).AsSlice())}
	if mac != "" {
		hw, err := net.ParseMAC(mac)
		if err != nil {
			panic(err)
		}
		attrs = append(attrs, netlinkAttr(unix.NDA_LLADDR, hw))
	}
	return netlinkMessage(typ, ndm, attrs...)
}

// TestChangeFilter feeds one watcher a sequence of datagrams and checks
// which ones count as a change of network.
func TestChangeFilter(t *testing.T) {
	t.Parallel()
	const (
		gw, gw6    = "192.168.1.1", "fe80::1"
		mac1, mac2 = "02:00:00:00:00:01", "02:00:00:00:00:02"
		zeroMAC    = "00:00:00:00:00:00"
	)
	neigh := func(typ uint16, ip, mac string, state uint16) []byte {
		family := byte(unix.AF_INET)
		if strings.Contains(ip, ":") {
			family = unix.AF_INET6
		}
		return neighbourMessage(typ, family, 2, ip, mac, state)
	}
	steps := []struct {
		name     string
		datagram []byte
		want     bool
	}{
		{"a link changes", netlinkMessage(unix.RTM_NEWLINK, make([]byte, unix.SizeofIfInfomsg)), true},
		{"a link goes", netlinkMessage(unix.RTM_DELLINK, make([]byte, unix.SizeofIfInfomsg)), true},
		{"an address is added", netlinkMessage(unix.RTM_NEWADDR, make([]byte, unix.SizeofIfAddrmsg)), true},
		{"an address is removed", netlinkMessage(unix.RTM_DELADDR, make([]byte, unix.SizeofIfAddrmsg)), true},
		{"a route to a subnet", routeMessage(unix.RTM_NEWROUTE, 24), false},
		{"a route to a subnet removed", routeMessage(unix.RTM_DELROUTE, 24), false},
		{"a default route", routeMessage(unix.RTM_NEWROUTE, 0), true},
		{"a default route removed", routeMessage(unix.RTM_DELROUTE, 0), true},
		{"a route message too short", netlinkMessage(unix.RTM_NEWROUTE, []byte{unix.AF_INET}), true},
		{"the gateway, first seen", neigh(unix.RTM_NEWNEIGH, gw, mac1, unix.NUD_REACHABLE), true},
		{"the gateway goes stale", neigh(unix.RTM_NEWNEIGH, gw, mac1, unix.NUD_STALE), false},
		{"and is reachable again", neigh(unix.RTM_NEWNEIGH, gw, mac1, unix.NUD_REACHABLE), false},
		{"routine messages together", append(routeMessage(unix.RTM_NEWROUTE, 16), neigh(unix.RTM_NEWNEIGH, gw, mac1, unix.NUD_STALE)...), false},
		{"a change among routine ones", append(routeMessage(unix.RTM_NEWROUTE, 0), neigh(unix.RTM_NEWNEIGH, gw, mac1, unix.NUD_DELAY)...), true},
		{"another host answers for it", neigh(unix.RTM_NEWNEIGH, gw, mac2, unix.NUD_STALE), true},
		{"a bridge's forwarding entry", neighbourMessage(unix.RTM_NEWNEIGH, unix.AF_BRIDGE, 2, gw, mac1, unix.NUD_REACHABLE), false},
		{"the gateway fails", neigh(unix.RTM_NEWNEIGH, gw, mac2, unix.NUD_FAILED), true},
		{"and is resolved again", neigh(unix.RTM_NEWNEIGH, gw, "", unix.NUD_INCOMPLETE), false},
		{"to the same address", neigh(unix.RTM_NEWNEIGH, gw, mac2, unix.NUD_REACHABLE), true},
		{"an address of zeros", neigh(unix.RTM_NEWNEIGH, gw, zeroMAC, unix.NUD_NOARP), true},
		{"the gateway is deleted, unusable", neigh(unix.RTM_DELNEIGH, gw, "", unix.NUD_NONE), false},
		{"an entry never seen is deleted", neigh(unix.RTM_DELNEIGH, "192.168.1.7", mac1, unix.NUD_STALE), true},
		{"the same entry on another NIC", neighbourMessage(unix.RTM_NEWNEIGH, unix.AF_INET, 3, gw, mac2, unix.NUD_REACHABLE), true},
		{"an IPv6 router", neigh(unix.RTM_NEWNEIGH, gw6, mac1, unix.NUD_REACHABLE), true},
		{"a usable entry deleted", neigh(unix.RTM_DELNEIGH, gw6, mac1, unix.NUD_REACHABLE), true},
		{"a neighbour message too short", netlinkMessage(unix.RTM_NEWNEIGH, []byte{unix.AF_INET}), true},
		{"a datagram cut short", routeMessage(unix.RTM_NEWROUTE, 24)[:unix.SizeofNlMsghdr+4], true},
		{"a message of another kind", netlinkMessage(unix.RTM_NEWRULE, make([]byte, 12)), false},
	}
	var c changeFilter
	for _, step := range steps {
		if got := c.changed(step.datagram); got != step.want {
			t.Errorf("%s: changed = %v, want %v", step.name, got, step.want)
		}
	}
}

// TestChangeFilterForgets: a host with more neighbours than the filter
// keeps starts again rather than growing.
func TestChangeFilterForgets(t *testing.T) {
	t.Parallel()
	var c changeFilter
	for i := range maxNeighbours + 10 {
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String()
		c.changed(neighbourMessage(unix.RTM_NEWNEIGH, unix.AF_INET, 2, ip, "02:00:00:00:00:01", unix.NUD_REACHABLE))
	}
	if n := len(c.neighbours); n > maxNeighbours {
		t.Errorf("filter keeps %d neighbours, want at most %d", n, maxNeighbours)
	}
}

// TestDebouncer: a burst of pokes makes one call, a delay after the
// first; a poke after that makes another; stop cancels a call due.
func TestDebouncer(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		d := newDebouncer(100*time.Millisecond, func() { calls.Add(1) })
		check := func(when string, want int32) {
			t.Helper()
			synctest.Wait()
			if got := calls.Load(); got != want {
				t.Errorf("%s: %d calls, want %d", when, got, want)
			}
		}
		for range 5 {
			d.poke()
			time.Sleep(10 * time.Millisecond)
		}
		check("during the burst", 0)
		time.Sleep(50*time.Millisecond - time.Nanosecond)
		check("just before the delay", 0)
		time.Sleep(time.Nanosecond)
		check("at the delay after the first poke", 1)
		time.Sleep(time.Second)
		check("a second later", 1)
		d.poke()
		time.Sleep(100 * time.Millisecond)
		check("after another poke", 2)
		d.poke()
		d.stop()
		time.Sleep(time.Second)
		check("after stop", 2)
	})
}

// TestWatcherWithoutNotifications: when the socket cannot be opened, Run
// says so once at debug level, the interval still refreshes the cache,
// and Run returns nil when its context ends.
func TestWatcherWithoutNotifications(t *testing.T) {
	t.Parallel()
	var logs testenv.Buffer
	clock := newFakeClock()
	p := newFakeProbe(map[string]string{"eth0": "gateway:02:00:00:00:00:01"})
	d := NewDetector(Options{
		Interval: time.Minute, Now: clock.Now, Probe: p.probe,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	d.watcher.listen = func() (*os.File, error) { return nil, os.NewSyscallError("socket NETLINK_ROUTE", unix.EPERM) }
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	d.Networks(t.Context(), []string{"eth0"})
	p.set("eth0", "gateway:02:00:00:00:00:02", nil)
	clock.Advance(time.Minute)
	if got := d.Networks(t.Context(), []string{"eth0"})["eth0"]; got != "gateway:02:00:00:00:00:02" {
		t.Errorf("after the interval: network = %q, want the new gateway", got)
	}
	select {
	case err := <-done:
		t.Fatalf("Run returned %v before its context ended", err)
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	checkRunEnds(t, done)
	if n := strings.Count(logs.String(), "level=DEBUG msg=\"no notifications of network changes"); n != 1 {
		t.Errorf("logged %d times that there are no notifications, want once:\n%s", n, logs.String())
	}
}

// goInNetns runs f on an OS thread in the named network namespace and
// returns at once; the channel receives f's error. The thread is locked
// and never unlocked: it ends with the goroutine.
func goInNetns(t *testing.T, ns string, f func() error) <-chan error {
	t.Helper()
	fd, err := unix.Open(filepath.Join("/run/netns", ns), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		defer unix.Close(fd)
		runtime.LockOSThread()
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			done <- err
			return
		}
		done <- f()
	}()
	return done
}

// TestWatcherInNetns changes a real NIC's network in every way the
// watcher hears of, with an Interval of an hour on a clock that stands
// still: only the watcher can explain that Networks sees each change. The
// routine messages (a route to a subnet, a neighbour's state) do not make
// it probe.
func TestWatcherInNetns(t *testing.T) {
	t.Parallel()
	const (
		otherHop    = "169.254.90.3"
		peerMAC3    = "02:00:00:00:90:04"
		otherHopMAC = "02:00:00:00:90:05"
		seenWithin  = 2 * time.Second
	)
	p := newNetnsPair(t)
	if _, err := os.Stat("/proc/sys/net/ipv6"); err == nil {
		// No IPv6 link-local address: its autoconfiguration ends a second
		// or two after the link came up, with a notification that would
		// blur the steps below.
		p.ip("-n", p.inner, "link", "set", nicName, "addrgenmode", "none")
		p.ip("-n", p.inner, "-6", "addr", "flush", "dev", nicName)
	}
	p.ip("-n", p.inner, "route", "add", "default", "via", peerAddr, "dev", nicName)
	p.ip("-n", p.inner, "neigh", "add", otherHop, "lladdr", otherHopMAC, "dev", nicName, "nud", "permanent")
	s := testSources(t, "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	first := "gateway:" + peerMAC1
	if got := inInner(p, func() probeResult { return resolveAndProbe(t.Context(), s, peerAddr, first) }); got.key != first || got.err != nil {
		t.Fatalf("probe = %v; want %q", got, first)
	}

	d := NewDetector(Options{Interval: time.Hour, Now: newFakeClock().Now, Probe: s.probe})
	opened := make(chan *os.File, 1)
	d.watcher.listen = func() (*os.File, error) {
		f, err := listenRouteChanges()
		opened <- f
		return f, err
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := goInNetns(t, p.inner, func() error { return d.Run(ctx) })
	var socket *os.File
	select {
	case socket = <-opened:
	case err := <-done:
		t.Fatalf("Run returned %v at once", err)
	}
	if socket == nil {
		t.Fatal("the watcher could not open its socket in the namespace")
	}
	networks := func() string {
		return inInner(p, func() map[string]string { return d.Networks(t.Context(), []string{nicName}) })[nicName]
	}
	if got := networks(); got != first {
		t.Fatalf("network = %q, want %q", got, first)
	}
	waitQuiet(t, d)

	for _, step := range []struct {
		name    string
		change  func()
		want    string
		routine bool // the watcher must not invalidate
	}{
		{name: "the gateway's MAC changes and it announces itself", change: func() {
			p.ip("-n", p.peer, "link", "set", peerName, "address", peerMAC2)
			p.ip("-n", p.peer, "neigh", "flush", "dev", peerName)
			// The peer's ARP request carries its new address; the inner
			// namespace updates its neighbour entry from it.
			if err := <-goInNetns(t, p.peer, func() error { return sendDatagram(nicAddr) }); err != nil {
				t.Fatal(err)
			}
		}, want: "gateway:" + peerMAC2},
		{name: "the neighbour entry is replaced", change: func() {
			p.ip("-n", p.inner, "neigh", "replace", peerAddr, "lladdr", peerMAC3, "dev", nicName, "nud", "permanent")
		}, want: "gateway:" + peerMAC3},
		{name: "a route to a subnet is added", change: func() {
			p.ip("-n", p.inner, "route", "add", "10.9.0.0/16", "via", peerAddr, "dev", nicName)
		}, want: "gateway:" + peerMAC3, routine: true},
		{name: "the gateway's entry changes state only", change: func() {
			p.ip("-n", p.inner, "neigh", "change", peerAddr, "lladdr", peerMAC3, "dev", nicName, "nud", "reachable")
		}, want: "gateway:" + peerMAC3, routine: true},
		{name: "the default route is replaced", change: func() {
			p.ip("-n", p.inner, "route", "replace", "default", "via", otherHop, "dev", nicName)
		}, want: "gateway:" + otherHopMAC},
		{name: "the default route is removed", change: func() {
			p.ip("-n", p.inner, "route", "del", "default")
		}, want: ""},
	} {
		generation := d.generation.Load()
		start := time.Now()
		step.change()
		if step.routine {
			time.Sleep(3 * settleDelay)
			if g := d.generation.Load(); g != generation {
				t.Errorf("%s: the watcher invalidated the cache", step.name)
			}
			if got := networks(); got != step.want {
				t.Errorf("%s: network = %q, want %q", step.name, got, step.want)
			}
			continue
		}
		got := networks()
		for got != step.want && time.Since(start) < seenWithin {
			time.Sleep(10 * time.Millisecond)
			got = networks()
		}
		if got != step.want {
			t.Errorf("%s: network = %q %v later, want %q", step.name, got, seenWithin, step.want)
			continue
		}
		t.Logf("%s: seen after %v", step.name, time.Since(start).Round(time.Millisecond))
		waitQuiet(t, d)
	}

	cancel()
	checkRunEnds(t, done)
	if _, err := socket.Read(make([]byte, 1)); !errors.Is(err, os.ErrClosed) {
		t.Errorf("after Run: reading its socket = %v, want os.ErrClosed", err)
	}
}

// waitQuiet waits until the watcher has not invalidated the cache for a
// few settle delays: the last step's notifications are behind.
func waitQuiet(t *testing.T, d *Detector) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		g := d.generation.Load()
		time.Sleep(3 * settleDelay)
		if d.generation.Load() == g {
			return
		}
	}
	t.Fatal("the watcher kept invalidating for 10 s")
}

// sendDatagram sends a datagram to addr's discard port.
func sendDatagram(addr string) error {
	conn, err := net.Dial("udp", net.JoinHostPort(addr, "9"))
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Write([]byte("hello"))
	return err
}

// TestWatchedInterval: while the watcher receives notifications, a NIC's
// network is trusted for a minute instead of the Interval, so an idle app
// does not probe every few seconds; when the watcher stops, the Interval
// applies again.
func TestWatchedInterval(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	p := newFakeProbe(map[string]string{"eth0": "gateway:02:00:00:00:00:01"})
	d := NewDetector(Options{Interval: 5 * time.Second, Now: clock.Now, Probe: p.probe})
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	d.watcher.listen = func() (*os.File, error) { return r, nil }
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	for deadline := time.Now().Add(5 * time.Second); !d.watched.Load(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the watcher did not start within 5 s")
		}
	}

	d.Networks(t.Context(), []string{"eth0"})
	p.set("eth0", "gateway:02:00:00:00:00:02", nil)
	clock.Advance(30 * time.Second)
	if got := d.Networks(t.Context(), []string{"eth0"})["eth0"]; got != "gateway:02:00:00:00:00:01" {
		t.Errorf("30 s later while watching: network = %q, want the cached one", got)
	}
	clock.Advance(30 * time.Second)
	if got := d.Networks(t.Context(), []string{"eth0"})["eth0"]; got != "gateway:02:00:00:00:00:02" {
		t.Errorf("a minute later while watching: network = %q, want the new gateway", got)
	}

	cancel()
	checkRunEnds(t, done)
	p.set("eth0", "gateway:02:00:00:00:00:03", nil)
	if got := d.Networks(t.Context(), []string{"eth0"})["eth0"]; got != "gateway:02:00:00:00:00:03" {
		t.Errorf("when the watcher stopped: network = %q, want a probe at once", got)
	}
	p.set("eth0", "gateway:02:00:00:00:00:04", nil)
	clock.Advance(5 * time.Second)
	if got := d.Networks(t.Context(), []string{"eth0"})["eth0"]; got != "gateway:02:00:00:00:00:04" {
		t.Errorf("an Interval after the watcher stopped: network = %q, want a probe", got)
	}
}
