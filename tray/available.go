package tray

import "context"

// Available reports whether a tray icon can be shown in this session and,
// when not, why. Call it before Run: on Linux and the BSDs, systray without a session
// bus blocks and then panics on Quit. A bus without a tray host is fine;
// the icon appears when a host starts.
func Available(ctx context.Context) (ok bool, reason string) {
	return available(ctx)
}
