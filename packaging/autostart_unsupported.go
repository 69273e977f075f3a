//go:build !linux && !freebsd && !openbsd && !netbsd && !darwin && !windows

package packaging

import (
	"errors"
	"fmt"
)

// The systems without a login item: every one that has neither an XDG
// desktop (autostart_xdg.go), launchd (autostart_darwin.go) nor the Run key
// (autostart_windows.go). They build, and EnableAutostart, DisableAutostart
// and AutostartState report errors.ErrUnsupported.

var errUnsupported = fmt.Errorf("login items on this system: %w", errors.ErrUnsupported)

func enableAutostart(string) error { return errUnsupported }

func disableAutostart() error { return errUnsupported }

func autostartEntry() (loginItem, error) { return loginItem{}, errUnsupported }
