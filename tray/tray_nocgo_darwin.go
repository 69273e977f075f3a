//go:build !cgo

package tray

import "context"

// Tray is unavailable: fyne.io/systray needs cgo on macOS.
type Tray struct{}

// New returns a tray that cannot be shown.
func New(d Deps, o Options) *Tray { return &Tray{} }

// ReportProblem does nothing without a tray.
func (t *Tray) ReportProblem(component string, err error) {}

// Run returns ErrUnavailable.
func (t *Tray) Run(ctx context.Context) error { return ErrUnavailable }

// available is always false: there is no tray to show.
func available(ctx context.Context) (bool, string) {
	return false, "this macOS build has no tray (built without cgo)"
}
