//go:build !linux

package netid

import "context"

// osWatcher is empty: these systems have no watcher yet.
type osWatcher struct{}

// watch waits for ctx: the Interval alone bounds how late a change is
// seen.
func (d *Detector) watch(ctx context.Context) error {
	<-ctx.Done()
	return nil
}
