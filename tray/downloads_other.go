//go:build !(linux || freebsd || openbsd || netbsd || windows)

package tray

// downloadsDir has no lookup on macOS (and any system not named elsewhere):
// exportDir falls back to ~/Downloads, which is where macOS keeps it.
func downloadsDir() string { return "" }
