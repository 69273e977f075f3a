//go:build !linux && !freebsd && !openbsd && !netbsd && (cgo || !darwin)

package tray

import "context"

// available: Windows and macOS always have a notification area or menu bar.
func available(ctx context.Context) (bool, string) { return true, "" }
