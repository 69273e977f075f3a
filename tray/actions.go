//go:build cgo || !darwin

package tray

import (
	"context"
	"fmt"

	"github.com/packetbuddy/packetbuddy/store"
)

// work is the part of an action that touches the disk, the network or
// another program. It runs on a worker goroutine and returns the update the
// event loop applies when it is done (nil for none).
type work func(ctx context.Context) (done func())

// handle starts an action: its inputs are read here, on the event loop, and
// its work runs on a worker, one at a time per action.
func (t *Tray) handle(ctx context.Context, a action) {
	if a == actMenuOpened {
		t.readAutostart()
		t.applyMenu = true
		t.apply(t.compute(ctx))
		return
	}
	if t.inflight[a] {
		t.log.Debug("tray action already running", "action", a.String())
		return
	}
	t.log.Debug("tray action", "action", a.String())
	if w := t.workFor(a); w != nil {
		t.startWork(ctx, a, w)
	}
}

// workFor is the work of action a, or nil when there is nothing to do.
func (t *Tray) workFor(a action) work {
	switch a {
	case actOpen:
		return t.openDashboard(t.d.DashboardURL)
	case actPause:
		return t.togglePause(t.d.Monitor.Snapshot().Paused)
	case actSync:
		if t.d.Sync == nil {
			return nil
		}
		return t.setSync(t.d.Sync.Status().State == SyncOff)
	case actExportCSV:
		return t.exportWork(store.FormatCSV)
	case actExportJSON:
		return t.exportWork(store.FormatJSON)
	case actAutostart:
		return t.setAutostart(!t.autostart.checked)
	}
	return nil
}

// startWork runs w on a worker and hands its update back to the loop,
// which marks a as finished.
func (t *Tray) startWork(ctx context.Context, a action, w work) {
	t.inflight[a] = true
	t.workers.Add(1)
	go func() {
		defer t.workers.Done()
		done := w(ctx)
		select {
		case t.results <- func() {
			delete(t.inflight, a)
			if done != nil {
				done()
			}
		}:
		case <-ctx.Done():
		}
	}()
}

// openDashboard opens url in the browser, which may take a while.
func (t *Tray) openDashboard(url string) work {
	return func(context.Context) func() {
		if err := t.o.OpenURL(url); err != nil {
			return t.fail("open dashboard", err)
		}
		return nil
	}
}

// togglePause resumes a paused monitor and pauses a running one.
func (t *Tray) togglePause(paused bool) work {
	return func(ctx context.Context) func() {
		what, change := "pause", t.d.Monitor.Pause
		if paused {
			what, change = "resume", t.d.Monitor.Resume
		}
		if err := change(ctx); err != nil {
			return t.fail(what, err)
		}
		t.log.Info("monitoring paused from the tray", "paused", !paused)
		return nil
	}
}

// setSync switches cloud sync on or off.
func (t *Tray) setSync(on bool) work {
	return func(ctx context.Context) func() {
		if err := t.d.Sync.SetEnabled(ctx, on); err != nil {
			return t.fail("cloud sync", err)
		}
		return nil
	}
}

// exportWork exports under the name of the moment of the click.
func (t *Tray) exportWork(format string) work {
	now := t.o.Now().In(t.loc)
	return func(ctx context.Context) func() {
		path, rows, err := t.export(ctx, format, now)
		if err != nil {
			return t.fail("export", err)
		}
		t.log.Info("exported from the tray", "file", path, "rows", rows)
		return func() { t.notice = fmt.Sprintf("Exported %d rows to %s", rows, shortPath(path)) }
	}
}

// setAutostart creates or removes the login item; either way the checkbox
// then shows the item's real state, which a failure may have left as it was.
func (t *Tray) setAutostart(enable bool) work {
	return func(context.Context) func() {
		change := t.d.Autostart.Disable
		if enable {
			change = t.d.Autostart.Enable
		}
		err := change()
		return func() {
			t.readAutostart()
			if err != nil {
				t.fail("start at login", err)()
			}
		}
	}
}

// fail logs a failed action and returns the loop-side update that shows it.
func (t *Tray) fail(what string, err error) func() {
	t.log.Warn("tray action failed", "action", what, "err", err)
	return func() { t.notice = truncateUTF16(fmt.Sprintf("%s failed: %v", what, err), 100) }
}

// readAutostart reads the login item's real state into the loop's view.
func (t *Tray) readAutostart() {
	label := "Start at login"
	st, err := t.d.Autostart.State()
	switch {
	case err != nil:
		t.log.Warn("cannot read the login item", "err", err)
		label = "Start at login (state unknown)"
	case st.Enabled && st.Stale:
		label = "Start at login (starts another copy: click to repair)"
	}
	t.autostart = autostartView{checked: err == nil && st.Enabled && !st.Stale, label: label}
}
