package packaging

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

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
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	return writeFile(file, data, 0o644)
}

func disableAutostart() error {
	file, err := autostartFile()
	if err != nil {
		return err
	}
	return removeFile(file)
}

func autostartEntry() (loginItem, error) {
	file, err := autostartFile()
	if err != nil {
		return loginItem{}, err
	}
	item := loginItem{location: file}
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return item, nil
	}
	if err != nil {
		return loginItem{}, err
	}
	item.found = true
	item.path, item.disabled = parseDesktopEntry(data)
	return item, nil
}
