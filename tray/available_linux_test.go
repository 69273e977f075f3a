package tray

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

// TestAvailable checks the tray-or-headless decision: it must never start a
// bus itself, and must say why there is no tray.
func TestAvailable(t *testing.T) {
	missing := "unix:path=" + filepath.Join(t.TempDir(), "no-bus")
	tests := []struct {
		name, addr string
		ok         bool
		reason     string
	}{
		{"unset", "", false, "DBUS_SESSION_BUS_ADDRESS is not set"},
		{"autolaunch", "autolaunch:", false, "autolaunch"},
		{"nobody listening", missing, false, "not reachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DBUS_SESSION_BUS_ADDRESS", tt.addr)
			ok, reason := Available(context.Background())
			if ok != tt.ok || !strings.Contains(reason, tt.reason) {
				t.Errorf("Available = %v, %q; want %v and a reason with %q", ok, reason, tt.ok, tt.reason)
			}
		})
	}
	t.Run("running bus", func(t *testing.T) {
		if _, err := exec.LookPath("dbus-daemon"); err != nil {
			requireComponent(t, "dbus", "dbus-daemon not installed")
		}
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", testenv.StartDBus(t))
		if ok, reason := Available(context.Background()); !ok {
			t.Errorf("Available = false (%s) with a running bus", reason)
		}
	})
}
