package tray

import (
	"os"
	"path/filepath"
)

// exportDir is where an export goes: the configured directory, else the
// user's Downloads folder, else the data directory.
func exportDir(configured, dataDir string) string {
	if configured != "" {
		return configured
	}
	if d := downloadsDir(); d != "" && isDir(d) {
		return d
	}
	if home, err := os.UserHomeDir(); err == nil {
		if d := filepath.Join(home, "Downloads"); isDir(d) {
			return d
		}
	}
	return dataDir
}

// isDir reports whether p is a directory (following symlinks).
func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
