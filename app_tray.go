package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/packetbuddy/packetbuddy/cloudsync"
	"github.com/packetbuddy/packetbuddy/monitor"
	"github.com/packetbuddy/packetbuddy/packaging"
	"github.com/packetbuddy/packetbuddy/report"
	"github.com/packetbuddy/packetbuddy/store"
	"github.com/packetbuddy/packetbuddy/tray"
)

// metaFirstTrayRun records, in the store, when the tray first ran: start at
// login is switched on once, at that moment, and never again behind the
// user's back.
const metaFirstTrayRun = "first_tray_run"

// trayParts are what the tray shows and acts on.
type trayParts struct {
	store        *store.Store
	monitor      *monitor.Monitor
	syncer       *cloudsync.Syncer // nil when sync is not set up
	dashboardURL string
	pricing      func() report.Pricing
	onExit       func() // see tray.Options.OnExit
}

// newTray decides between the tray and headless. It returns the tray to
// run on the main goroutine, or nil and the reason to run headless. On
// Linux the decision is made before anything touches systray: without a
// reachable session bus systray blocks, and its Quit then panics.
func newTray(ctx context.Context, e *env, p trayParts) (*tray.Tray, string) {
	if e.headless {
		return nil, "--headless given"
	}
	if ok, reason := tray.Available(ctx); !ok {
		return nil, reason
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, "cannot locate the running executable: " + err.Error()
	}
	log := e.log.With("component", "tray")
	if err := firstRunAutostart(ctx, e, p.store, exe); err != nil {
		// Not fatal: the tray's checkbox shows the real state.
		log.Warn("cannot turn on start at login on the first run", "err", err)
	}
	deps := tray.Deps{
		Monitor:      p.monitor,
		Store:        p.store,
		Pricing:      p.pricing,
		DashboardURL: p.dashboardURL,
		Autostart:    tray.LoginItem{Exe: exe},
	}
	if s := traySync(p.syncer); s != nil {
		deps.Sync = s
	}
	labels := &networkLabels{monitor: p.monitor, store: p.store, now: e.now}
	deps.Network = func() string { return labels.current(ctx) }
	return tray.New(deps, tray.Options{
		Logger:           log,
		Location:         p.store.Location(),
		DataDir:          e.dataDir,
		ShowSpeedInTitle: e.cfg.Tray.ShowSpeedInTitle,
		OnExit:           p.onExit,
		Now:              e.now,
	}), ""
}

// newTrayOrHeadless returns the tray to run, or nil after logging why the
// app runs headless.
func (e *env) newTrayOrHeadless(ctx context.Context, p trayParts) *tray.Tray {
	tr, why := newTray(ctx, e, p)
	if tr == nil {
		e.log.Info("PacketBuddy running headless", "reason", why, "dashboard", p.dashboardURL, "data_dir", e.dataDir, "config", e.configPath)
	} else {
		e.log.Info("PacketBuddy running in the tray", "dashboard", p.dashboardURL, "data_dir", e.dataDir, "config", e.configPath)
	}
	return tr
}

// firstRunAutostart turns start at login on the first time the tray runs
// (the original installed itself as a login service), unless
// [app] autostart_on_first_run is false or a login item already exists —
// one the user switched off in the desktop's settings included.
func firstRunAutostart(ctx context.Context, e *env, st *store.Store, exe string) error {
	_, done, err := st.GetMeta(ctx, metaFirstTrayRun)
	if err != nil || done {
		return err
	}
	if err := st.SetMeta(ctx, metaFirstTrayRun, e.now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	if !e.cfg.App.AutostartOnFirstRun {
		e.log.Info("first run: start at login left off ([app] autostart_on_first_run = false)")
		return nil
	}
	s, err := packaging.AutostartState(exe)
	if err != nil {
		return err
	}
	if s.Enabled || s.Path != "" {
		return nil
	}
	if err := packaging.EnableAutostart(exe); err != nil {
		return err
	}
	e.log.Info("first run: start at login turned on", "entry", s.Location)
	return nil
}

// syncForTray shows a cloudsync.Syncer in the tray.
type syncForTray struct{ s *cloudsync.Syncer }

// traySync is nil, so that the tray's "Cloud sync" item is disabled and
// says why, when no database URL is configured.
func traySync(s *cloudsync.Syncer) tray.Sync {
	if s == nil || !s.Status().Configured {
		return nil
	}
	return syncForTray{s}
}

func (a syncForTray) Status() tray.SyncStatus { return traySyncStatus(a.s.Status()) }

// traySyncStatus is a sync status as the tray shows it.
func traySyncStatus(st cloudsync.Status) tray.SyncStatus {
	out := tray.SyncStatus{LastSuccess: st.LastSuccess, LastError: st.LastError}
	switch st.Summary() {
	case cloudsync.SummaryOff:
		out.State = tray.SyncOff
	case cloudsync.SummaryFailing:
		out.State = tray.SyncFailing
	default:
		out.State = tray.SyncOK
	}
	return out
}

func (a syncForTray) SetEnabled(ctx context.Context, on bool) error {
	return a.s.SetEnabled(ctx, on)
}

// autostartCmd is "packetbuddy autostart enable|disable|status": the login
// item that starts PacketBuddy when the user logs in, the same functions as
// the tray's "Start at login" checkbox.
type autostartCmd struct{}

func (*autostartCmd) flags(*flag.FlagSet) {}

func (*autostartCmd) run(ctx context.Context, e *env, args []string) error {
	if len(args) != 1 {
		return usagef("autostart wants one of enable, disable, status")
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("locate the running executable: %w", err)
	}
	switch args[0] {
	case "enable":
		if err := packaging.EnableAutostart(exe); err != nil {
			return err
		}
		s, err := packaging.AutostartState(exe)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Start at login: on (%s)\n", s.Location)
		return nil
	case "disable":
		if err := packaging.DisableAutostart(); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "Start at login: off")
		return nil
	case "status":
		s, err := packaging.AutostartState(exe)
		if err != nil {
			return err
		}
		printAutostart(e, s, exe)
		return nil
	}
	return usagef("unknown autostart action %q: want enable, disable or status", args[0])
}

// printAutostart prints the login item's state and, when it starts another
// executable, how to repair it.
func printAutostart(e *env, s packaging.AutostartStatus, exe string) {
	state := "off"
	switch {
	case s.Enabled && s.Stale:
		state = "on, but stale"
	case s.Enabled:
		state = "on"
	case s.Path != "":
		state = "off (switched off in the desktop's settings)"
	}
	fmt.Fprintf(e.stdout, "Start at login: %s\nEntry:          %s\n", state, s.Location)
	if s.Path != "" {
		fmt.Fprintf(e.stdout, "Starts:         %s\n", s.Path)
	}
	if s.Stale && s.Enabled {
		fmt.Fprintf(e.stdout, "The entry does not start this executable (%s); run \"packetbuddy autostart enable\" to repair it.\n", exe)
	}
}

// networkLabels names the network the counted NICs are on, for the tray's
// tooltip, from the store's labels. The tray refreshes every second and
// otherwise reads the store only after a flush or once a minute, so a
// label is read again at most every labelTTL: a rename in the dashboard or
// the CLI shows within that.
type networkLabels struct {
	monitor interface{ Snapshot() monitor.Snapshot }
	store   interface {
		NetworkLabel(ctx context.Context, key string) (string, error)
	}
	now func() time.Time
	// read is the label last read for each key and when; a failed read
	// keeps showing it.
	read map[string]readLabel
}

// labelTTL is how long the tray trusts a network label it read.
const labelTTL = 30 * time.Second

type readLabel struct {
	label string
	at    time.Time
}

// current is the label of the network the counted NICs are on, "" when
// none is on a known network. NICs on different networks (Ethernet and
// Wi-Fi, say) show every label, in the monitor's NIC order, joined:
// choosing the busiest would make the tooltip flicker between them as
// traffic shifts. Only the tray's goroutine calls it.
func (l *networkLabels) current(ctx context.Context) string {
	var labels []string
	for _, n := range l.monitor.Snapshot().NICs {
		if n.Network == "" {
			continue // unknown: nothing to name
		}
		if label := l.label(ctx, n.Network); !slices.Contains(labels, label) {
			labels = append(labels, label)
		}
	}
	return strings.Join(labels, ", ")
}

// label is the store's label for key (its default one before the network
// is stored), read again after labelTTL. A failed read shows the label
// read last, else the key.
func (l *networkLabels) label(ctx context.Context, key string) string {
	now := l.now()
	last, ok := l.read[key]
	if ok && now.Sub(last.at) < labelTTL && !now.Before(last.at) {
		return last.label
	}
	label, err := l.store.NetworkLabel(ctx, key)
	if err == nil {
		if l.read == nil {
			l.read = map[string]readLabel{}
		}
		l.read[key] = readLabel{label: label, at: now}
		return label
	}
	if ok {
		return last.label
	}
	return key
}
