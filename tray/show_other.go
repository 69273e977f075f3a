//go:build !(linux || freebsd || openbsd || netbsd) && (cgo || !darwin)

package tray

import (
	"context"
	"sync/atomic"

	"fyne.io/systray"
)

// show runs systray's own loop on this goroutine (Windows pumps its window
// messages there; macOS requires the main thread). The event loop runs on
// a goroutine started in onReady and quits systray when it ends.
func (t *Tray) show(ctx context.Context, v view, loop func()) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	var started atomic.Bool
	systray.Run(func() {
		t.buildMenu(ctx, v)
		started.Store(true)
		go func() {
			defer close(done)
			loop()
			systray.Quit()
		}()
	}, t.o.OnExit)
	// systray may also stop on its own (the session ends): stop the loop.
	cancel()
	if started.Load() {
		<-done
	}
	return nil
}
