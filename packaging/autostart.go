package packaging

import (
	"fmt"
	"os"
	"path/filepath"
)

// AutostartStatus reports the login item.
type AutostartStatus struct {
	Enabled  bool   // an entry exists and the desktop has not been told to skip it
	Path     string // executable path the entry launches ("" when none)
	Stale    bool   // entry exists but its Path differs from the current executable or does not exist
	Location string // where the entry lives (file path, or registry key\value name)
}

// EnableAutostart creates the login item that starts exe when the user logs
// in, or repairs it by overwriting whatever entry is there. exe must be the
// absolute path of an existing executable, such as os.Executable returns.
func EnableAutostart(exe string) error {
	if err := checkExecutable(exe); err != nil {
		return fmt.Errorf("enable autostart: %w", err)
	}
	if err := enableAutostart(filepath.Clean(exe)); err != nil {
		return fmt.Errorf("enable autostart: %w", err)
	}
	return nil
}

// DisableAutostart removes the login item. It is not an error if there is
// none.
func DisableAutostart() error {
	if err := disableAutostart(); err != nil {
		return fmt.Errorf("disable autostart: %w", err)
	}
	return nil
}

// AutostartState reports the login item. exe is the running executable: an
// entry that would start anything else is reported as stale, and calling
// EnableAutostart(exe) repairs it. Location is filled in even when there is no
// entry, so that it can be shown to the user.
func AutostartState(exe string) (AutostartStatus, error) {
	e, err := autostartEntry()
	if err != nil {
		return AutostartStatus{}, fmt.Errorf("autostart state: %w", err)
	}
	return e.status(exe), nil
}

// Each system's file (autostart_xdg.go, autostart_darwin.go,
// autostart_windows.go, autostart_unsupported.go) provides the same three
// functions, which the exported ones above wrap:
//
//	enableAutostart(exe string) error   // write the login item for exe
//	disableAutostart() error            // remove it; none is not an error
//	autostartEntry() (loginItem, error) // read it back

// loginItem is what a platform found at its login item's location, before
// anything is judged against the running executable.
type loginItem struct {
	location string
	found    bool   // an entry exists at location
	disabled bool   // the entry exists but the user switched it off in the desktop's own settings
	path     string // executable the entry launches; "" if it could not be read
}

// status judges the item against the running executable exe.
func (it loginItem) status(exe string) AutostartStatus {
	if !it.found {
		return AutostartStatus{Location: it.location}
	}
	return AutostartStatus{
		Enabled:  !it.disabled,
		Path:     it.path,
		Stale:    !sameExecutable(it.path, exe),
		Location: it.location,
	}
}

// sameExecutable reports whether an entry launching path starts exe. Files
// are compared rather than strings, so a symlink to exe, or a path that
// differs only in case on a case-insensitive file system, is not stale, while
// an entry whose file is gone (the binary was moved or uninstalled) is.
func sameExecutable(path, exe string) bool {
	if path == "" || exe == "" {
		return false
	}
	a, err := os.Stat(path)
	if err != nil {
		return false
	}
	b, err := os.Stat(exe)
	if err != nil {
		return false
	}
	return os.SameFile(a, b)
}

// checkExecutable refuses what a login item could never start: the desktop
// resolves no relative paths at login, and an entry for a missing file
// would only fail then, far from the click that created it.
func checkExecutable(exe string) error {
	if !filepath.IsAbs(exe) {
		return fmt.Errorf("executable %q is not an absolute path", exe)
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return fmt.Errorf("executable: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("executable %q is not a regular file", exe)
	}
	return nil
}
