//go:build linux || freebsd || openbsd || netbsd

package tray

import (
	"context"
	"fmt"

	"fyne.io/systray"
)

// show runs the tray with systray's external loop. Title, icon and tooltip
// are handed to systray before start: they then become the initial values
// of the exported properties, so a host reading them right after the item
// registers never sees them empty (set in onReady they can be lost to a race
// with the export).
func (t *Tray) show(ctx context.Context, v view, loop func()) error {
	systray.SetTitle(appTitle)
	t.apply(v)
	ready := make(chan struct{})
	start, end := systray.RunWithExternalLoop(func() {
		t.buildMenu(ctx, v)
		close(ready)
	}, nil)
	start()
	<-ready
	loop()
	return stop(end)
}

// stop ends systray. If the bus went away between Available and start,
// systray has no connection and its end panics on it (fyne#6403); that is
// reported rather than crashing the shutdown and losing the final flush.
func stop(end func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("stop the tray: %v", r)
		}
	}()
	end()
	return nil
}
