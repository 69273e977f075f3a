//go:build linux || freebsd || openbsd || netbsd

package tray

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// available checks for a reachable session bus without ever letting godbus
// start one (with no address it would run dbus-launch).
func available(ctx context.Context) (bool, string) {
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		return false, "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
	}
	if strings.HasPrefix(addr, "autolaunch:") {
		return false, "the D-Bus session bus address asks for autolaunch, which is not used"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	type result struct {
		conn *dbus.Conn
		err  error
	}
	done := make(chan result, 1)
	// Connect has no dial timeout of its own; a stuck dial is abandoned
	// and its connection closed when it finally returns.
	go func() {
		c, err := dbus.Connect(addr)
		done <- result{c, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return false, "the D-Bus session bus is not reachable: " + r.err.Error()
		}
		r.conn.Close()
		return true, ""
	case <-ctx.Done():
		go func() {
			if r := <-done; r.err == nil {
				r.conn.Close()
			}
		}()
		return false, "the D-Bus session bus did not answer within 3 s"
	}
}
