//go:build linux || freebsd || openbsd || netbsd

package packaging

import (
	"fmt"
	"os"
	"path/filepath"
)

// The login item of the desktops that follow freedesktop.org's XDG
// autostart specification: Linux and the BSDs, the systems the tray icon
// runs on besides macOS and Windows.

// autostartFile is the user's XDG autostart entry. A file of the same name
// in $XDG_CONFIG_HOME/autostart also overrides one installed system-wide in
// /etc/xdg/autostart, so this is the only place to look.
func autostartFile() (string, error) {
	// os.UserConfigDir follows the XDG rules: $XDG_CONFIG_HOME if it is an
	// absolute path, ~/.config otherwise.
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("locate autostart directory: %w", err)
	}
	return filepath.Join(dir, "autostart", "packetbuddy.desktop"), nil
}

func enableAutostart(exe string) error {
	file, err := autostartFile()
	if err != nil {
		return err
	}
	data, err := desktopEntry(exe)
	if err != nil {
		return err
	}
	return writeLoginFile(file, data)
}

func disableAutostart() error {
	file, err := autostartFile()
	if err != nil {
		return err
	}
	return removeLoginFile(file)
}

func autostartEntry() (loginItem, error) {
	file, err := autostartFile()
	if err != nil {
		return loginItem{}, err
	}
	return readLoginFile(file, parseDesktopEntry)
}
