package packaging

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/packetbuddy/packetbuddy/internal/atomicfile"
)

// A login item that is a file of the user's: the XDG autostart entry
// (autostart_xdg.go) and the launchd agent (autostart_darwin.go). This file
// has no build tag so that its tests run on every system, Windows included.

// writeLoginFile replaces file with data in one rename, so that a crash or a
// full disk never leaves a half-written login item for the desktop to trip
// over at the next login. The mode is 0644 whatever the umask: the desktop
// must be able to read the entry, and launchd refuses agents that others can
// write to.
func writeLoginFile(file string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(file, data, 0o644)
}

// removeLoginFile removes file; one that is already gone is what the caller
// wanted.
func removeLoginFile(file string) error {
	if err := os.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// readLoginFile reads the login item at file. parse returns the executable
// the item starts ("" if it cannot tell) and whether the user switched the
// item off. A missing file is no login item, not an error.
func readLoginFile(file string, parse func(data []byte) (path string, disabled bool)) (loginItem, error) {
	item := loginItem{location: file}
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return item, nil
	}
	if err != nil {
		return loginItem{}, err
	}
	item.found = true
	item.path, item.disabled = parse(data)
	return item, nil
}
