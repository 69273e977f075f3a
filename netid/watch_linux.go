package netid

import (
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const (
	// routeGroups are the rtnetlink multicast groups whose messages can
	// change a NIC's network: links (up, down, re-created, Wi-Fi
	// association events), addresses, routes and neighbours.
	routeGroups = unix.RTMGRP_LINK | unix.RTMGRP_IPV4_IFADDR | unix.RTMGRP_IPV6_IFADDR |
		unix.RTMGRP_IPV4_ROUTE | unix.RTMGRP_IPV6_ROUTE | unix.RTMGRP_NEIGH

	// settleDelay is how long after a notification the cache is
	// invalidated: joining a network is a burst of messages (link,
	// address, route, neighbour), and the next probe should see its end.
	settleDelay = 100 * time.Millisecond

	// maxNeighbours bounds the neighbour entries a watcher remembers; a
	// host with more forgets them all and starts again.
	maxNeighbours = 4096
)

// osWatcher is Linux's seam for the watcher's socket.
type osWatcher struct {
	// listen opens the socket notifications arrive on. Default
	// listenRouteChanges; tests replace it.
	listen func() (*os.File, error)
}

// watch invalidates the cache when the kernel reports a change of a link,
// an address, a default route or a neighbour's link-layer address, until
// ctx ends. It never probes: the next Networks call does.
func (d *Detector) watch(ctx context.Context) error {
	listen := d.watcher.listen
	if listen == nil {
		listen = listenRouteChanges
	}
	f, err := listen()
	if err != nil {
		d.log.Debug("no notifications of network changes; networks are re-detected every interval", "interval", d.interval, "err", err)
		<-ctx.Done()
		return nil
	}
	defer f.Close()
	d.watched.Store(true)
	defer func() {
		// Without notifications the minute-long trust is too long.
		d.watched.Store(false)
		d.Invalidate()
	}()
	// The socket is in the runtime's poller: a deadline in the past ends
	// a Read that waits.
	stop := context.AfterFunc(ctx, func() { f.SetReadDeadline(time.Now()) })
	defer stop()
	settle := newDebouncer(settleDelay, d.Invalidate)
	defer settle.stop()
	var changes changeFilter
	buf := make([]byte, 32<<10)
	for {
		n, err := f.Read(buf)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, unix.ENOBUFS):
			// The socket's buffer overflowed: notifications were lost, so
			// anything may have changed.
			settle.poke()
		case err != nil:
			d.log.Debug("notifications of network changes failed; networks are re-detected every interval", "interval", d.interval, "err", err)
			d.watched.Store(false)
			d.Invalidate()
			<-ctx.Done()
			return nil
		case changes.changed(buf[:n]):
			settle.poke()
		}
	}
}

// listenRouteChanges opens a NETLINK_ROUTE socket subscribed to
// routeGroups, non-blocking so that it is read through the runtime's
// poller. Listening needs no privileges.
func listenRouteChanges() (*os.File, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, os.NewSyscallError("socket NETLINK_ROUTE", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: routeGroups}); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("bind NETLINK_ROUTE", err)
	}
	return os.NewFile(uintptr(fd), "netlink route notifications"), nil
}

// neighbourID names a neighbour entry.
type neighbourID struct {
	ifindex int
	ip      netip.Addr
}

// changeFilter tells the notifications that may change a NIC's network
// from the routine ones: a neighbour's reachability going from reachable
// to stale and back every half minute, routes other than default routes
// (a router's many), bridge forwarding entries (on the neighbour group
// too).
type changeFilter struct {
	// neighbours is the link-layer address of each IP neighbour seen in a
	// notification, "" while it has none that a probe would use.
	neighbours map[neighbourID]string
}

// changed reports whether the datagram b holds a notification that may
// change a NIC's network. A datagram that does not parse is taken for a
// change.
func (c *changeFilter) changed(b []byte) bool {
	msgs, err := syscall.ParseNetlinkMessage(b)
	if err != nil {
		return true
	}
	changed := false
	for _, m := range msgs {
		switch m.Header.Type {
		case unix.RTM_NEWLINK, unix.RTM_DELLINK, unix.RTM_NEWADDR, unix.RTM_DELADDR:
			changed = true
		case unix.RTM_NEWROUTE, unix.RTM_DELROUTE:
			// rtm_dst_len: a default route has none.
			changed = changed || len(m.Data) < unix.SizeofRtMsg || m.Data[1] == 0
		case unix.RTM_NEWNEIGH, unix.RTM_DELNEIGH:
			// Every entry must be remembered, so no short cut here.
			changed = c.neighbourChanged(m) || changed
		}
	}
	return changed
}

// neighbourChanged reports whether an IP neighbour notification changes
// the link-layer address a probe would find for the entry (a new one, a
// different one, or none any more), and remembers it.
func (c *changeFilter) neighbourChanged(m syscall.NetlinkMessage) bool {
	if len(m.Data) < unix.SizeofNdMsg {
		return true
	}
	if family := m.Data[0]; family != unix.AF_INET && family != unix.AF_INET6 {
		return false // a bridge's forwarding entry
	}
	id := neighbourID{ifindex: int(int32(binary.NativeEndian.Uint32(m.Data[4:8])))}
	var mac []byte
	for typ, val := range netlinkAttrs(m.Data[unix.SizeofNdMsg:]) {
		switch typ {
		case unix.NDA_DST:
			id.ip = addrFrom(val)
		case unix.NDA_LLADDR:
			mac = val
		}
	}
	// What a probe would use: see parseNeighbourMessages and neighbourMAC.
	state := binary.NativeEndian.Uint16(m.Data[8:10])
	if m.Header.Type == unix.RTM_DELNEIGH || state&(unix.NUD_INCOMPLETE|unix.NUD_FAILED) != 0 || isZero(mac) {
		mac = nil
	}
	if c.neighbours == nil || len(c.neighbours) >= maxNeighbours {
		c.neighbours = make(map[neighbourID]string)
	}
	previous, known := c.neighbours[id]
	if m.Header.Type == unix.RTM_DELNEIGH {
		delete(c.neighbours, id)
	} else {
		c.neighbours[id] = string(mac)
	}
	return !known || previous != string(mac)
}

// debouncer calls f once, delay after the first of a burst of pokes.
type debouncer struct {
	timer *time.Timer
	delay time.Duration
	armed atomic.Bool
}

func newDebouncer(delay time.Duration, f func()) *debouncer {
	d := &debouncer{delay: delay}
	d.timer = time.AfterFunc(time.Hour, func() {
		// Disarm first: a poke while f runs calls it again.
		d.armed.Store(false)
		f()
	})
	d.timer.Stop()
	return d
}

// poke calls f after delay, unless a call is already due.
func (d *debouncer) poke() {
	if d.armed.CompareAndSwap(false, true) {
		d.timer.Reset(d.delay)
	}
}

// stop cancels a call that is due.
func (d *debouncer) stop() { d.timer.Stop() }
