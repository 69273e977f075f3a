//go:build !(linux || freebsd || openbsd || netbsd) && (cgo || !darwin)

package tray

import "context"

// available is always true on Windows and macOS: they always have a
// notification area or a menu bar.
func available(ctx context.Context) (bool, string) { return true, "" }
