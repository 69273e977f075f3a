//go:build !linux && !windows

package tray

// downloadsDir has no platform lookup here; exportDir falls back to
// ~/Downloads, which is where macOS keeps it.
func downloadsDir() string { return "" }
