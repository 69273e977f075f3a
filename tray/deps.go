package tray

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/packetbuddy/packetbuddy/monitor"
	"github.com/packetbuddy/packetbuddy/packaging"
	"github.com/packetbuddy/packetbuddy/report"
	"github.com/packetbuddy/packetbuddy/store"
)

// Monitor is what the tray needs from the live monitor (*monitor.Monitor).
type Monitor interface {
	Snapshot() monitor.Snapshot
	Pause(ctx context.Context) error
	Resume(ctx context.Context) error
	// Unflushed is traffic counted but not yet in the store, in buckets
	// starting at or after since.
	Unflushed(since time.Time, nic string) (sent, recv uint64)
}

// Store is what the tray needs from the database (*store.Store).
type Store interface {
	Day(ctx context.Context, d store.Date, loc *time.Location, sc store.Scope) (store.Report, error)
	Month(ctx context.Context, year int, month time.Month, loc *time.Location, sc store.Scope) (store.Report, error)
	Export(ctx context.Context, w io.Writer, o store.ExportOptions) (int64, error)
}

// Autostart is the login item behind "Start at login".
type Autostart interface {
	Enable() error
	Disable() error
	State() (packaging.AutostartStatus, error)
}

// LoginItem is the Autostart of an executable through package packaging,
// the same functions "packetbuddy autostart" calls.
type LoginItem struct {
	Exe string // absolute path of the running executable
}

// Enable creates or repairs the login item.
func (l LoginItem) Enable() error { return packaging.EnableAutostart(l.Exe) }

// Disable removes the login item.
func (l LoginItem) Disable() error { return packaging.DisableAutostart() }

// State reports the login item.
func (l LoginItem) State() (packaging.AutostartStatus, error) {
	return packaging.AutostartState(l.Exe)
}

// SyncState is the state of cloud sync.
type SyncState int

// The sync states.
const (
	SyncOff     SyncState = iota // switched off by the user
	SyncOK                       // on, and the last attempt succeeded (or none yet)
	SyncFailing                  // on, and the last attempt failed
)

// SyncStatus is what the tray shows about cloud sync.
type SyncStatus struct {
	State       SyncState
	LastSuccess time.Time // zero when it never succeeded
	LastError   string    // the last failure, safe to show (no password)
}

// Sync is the cloud sync engine. Status must be cheap: the tray calls it
// once a second.
type Sync interface {
	Status() SyncStatus
	SetEnabled(ctx context.Context, on bool) error
}

// sampleNotifier is a Monitor that says when it has taken a reading
// (monitor.Monitor does); the tray then refreshes on that instead of its
// own ticker.
type sampleNotifier interface {
	Sampled() <-chan struct{}
}

// Deps are the parts of the program the tray shows and acts on.
type Deps struct {
	Monitor Monitor
	Store   Store
	// Pricing returns the current prices and units; it is called on every
	// refresh, so that a change made in the dashboard or the file shows at
	// once.
	Pricing      func() report.Pricing
	DashboardURL string
	Autostart    Autostart
	// Sync is nil when no database URL is configured: the "Cloud sync"
	// item is then disabled and says why.
	Sync Sync
	// Network returns the label of the network the device is on now
	// ("Home Wi-Fi"), shown beside today's usage in the tooltip; "" when
	// it is unknown or there is none. It is called on every refresh, so
	// it must be cheap. Nil: no network is shown.
	Network func() string
}

// Options are the optional settings of New; zero values mean defaults.
type Options struct {
	Logger *slog.Logger // default discards
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Location is the zone of "today" and "this month"; default time.Local.
	Location *time.Location
	// OpenURL opens the dashboard; default github.com/pkg/browser.OpenURL.
	// It may block: the tray calls it on a worker goroutine.
	OpenURL func(url string) error
	// ExportDir is where exports go; default the user's Downloads folder,
	// or DataDir when there is none.
	ExportDir string
	DataDir   string
	// Interval between tooltip and menu refreshes; default 1 s.
	Interval time.Duration
	// ShowSpeedInTitle shows the compact speed as the title (the menu-bar
	// text on macOS).
	ShowSpeedInTitle bool
	// OnExit is called when the native tray loop ends, on the goroutine
	// that ends it. When Windows ends the session (WM_ENDSESSION) or macOS
	// terminates the app, the process exits as soon as it returns and no
	// signal arrives: it should stop the app and wait, briefly, for its
	// final flush.
	OnExit func()
}

// ErrUnavailable means this build or session cannot show a tray.
var ErrUnavailable = errors.New("no system tray available")
