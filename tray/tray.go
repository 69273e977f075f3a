//go:build cgo || !darwin

package tray

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"fyne.io/systray"
	"github.com/pkg/browser"

	"github.com/packetbuddy/packetbuddy/monitor"
	"github.com/packetbuddy/packetbuddy/report"
	"github.com/packetbuddy/packetbuddy/store"
	"github.com/packetbuddy/packetbuddy/tray/internal/icon"
)

// menuRefresh is how often the menu's usage lines follow the traffic.
const menuRefresh = 5 * time.Second

// appTitle is the item's title; on Linux and the BSDs it is also its
// stable Id, by which tray hosts remember where the user put it.
const appTitle = "PacketBuddy"

// action is something the event loop is asked to do.
type action int

// The actions: one per clickable menu item, and the menu being opened.
const (
	actOpen action = iota
	actPause
	actSync
	actExportCSV
	actExportJSON
	actAutostart
	actQuit
	actMenuOpened
)

// String names the action in logs.
func (a action) String() string {
	return [...]string{"open dashboard", "pause", "cloud sync", "export csv", "export json", "start at login", "quit", "menu opened"}[a]
}

// menu holds the items; only the event loop touches them after onReady.
type menu struct {
	today, month, sync, problem, notice *systray.MenuItem
	open, pause, cloud, export          *systray.MenuItem
	exportCSV, exportJSON               *systray.MenuItem
	autostart, quit                     *systray.MenuItem
}

// totals caches the store's part of today's and this month's usage; it is
// read again only after a flush, at midnight or once a minute, so that an
// idle tray does not query SQLite every second.
type totals struct {
	day                  store.Date
	flush                time.Time
	read                 time.Time
	todaySent, todayRecv uint64
	monthSent, monthRecv uint64
	valid                bool
}

// Tray is the tray icon and its menu.
type Tray struct {
	d    Deps
	o    Options
	log  *slog.Logger
	loc  *time.Location
	menu menu

	clicks  chan action
	results chan func()
	wake    chan struct{} // a problem was reported

	mu       sync.Mutex
	problems map[string]string // component -> message

	workers sync.WaitGroup // the receivers and the actions' workers
	icons   iconCache

	// Owned by the event loop.
	cache      totals
	shown      shown
	inflight   map[action]bool // actions whose work is running
	autostart  autostartView
	notice     string    // the result of the last action
	lastTotals error     // the last failure to read totals, nil after a success
	applyMenu  bool      // refresh the usage lines at the next apply
	menuAt     time.Time // when they were last refreshed
}

// shown is what was last handed to systray, to update only on change.
type shown struct {
	set, menuSet                        bool
	icon                                icon.State
	tooltip, title                      string
	today, month, sync, problem, notice string
	paused, cloud                       bool
	cloudLabel                          string
	autostart                           autostartView
}

// autostartView is what the "Start at login" checkbox shows.
type autostartView struct {
	checked bool
	label   string
}

// New returns a tray for d. Nothing is shown until Run.
func New(d Deps, o Options) *Tray {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.OpenURL == nil {
		o.OpenURL = browser.OpenURL
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	return &Tray{
		d: d, o: o, log: o.Logger, loc: o.Location,
		clicks:   make(chan action, 16),
		results:  make(chan func(), 16),
		wake:     make(chan struct{}, 1),
		problems: map[string]string{},
		inflight: map[action]bool{},
	}
}

// ReportProblem shows that a component failed (err != nil) or recovered
// (err == nil): a menu line, the tooltip and the icon's badge. It is safe
// to call from any goroutine, before or during Run.
func (t *Tray) ReportProblem(component string, err error) {
	t.mu.Lock()
	if err == nil {
		delete(t.problems, component)
	} else {
		t.problems[component] = component + ": " + err.Error()
	}
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// Run shows the tray and runs its menu until the user picks Quit (it then
// returns nil) or ctx ends. It must be called on the main goroutine. After
// Run returns the caller cancels the rest of the program and waits for its
// final flush.
func (t *Tray) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	v := t.compute(ctx)
	err := t.show(ctx, v, func() { t.loop(ctx) })
	cancel()
	t.workers.Wait()
	return err
}

// buildMenu creates the items and starts one receiver per item before it
// returns: systray answers the host's first GetLayout only after onReady
// (which calls this) is done, so no click can arrive unheard.
func (t *Tray) buildMenu(ctx context.Context, v view) {
	m := &t.menu
	m.today = systray.AddMenuItem("Today: …", "Usage of this device today")
	m.today.Disable()
	m.month = systray.AddMenuItem("This month: …", "Usage of this device this month")
	m.month.Disable()
	m.sync = systray.AddMenuItem("Sync: …", "Cloud sync state")
	m.sync.Disable()
	m.problem = systray.AddMenuItem("", "A part of PacketBuddy is not working")
	m.problem.Disable()
	m.problem.Hide()
	systray.AddSeparator()
	m.open = systray.AddMenuItem("Open Dashboard", "Open the dashboard in the browser")
	systray.AddSeparator()
	m.pause = systray.AddMenuItemCheckbox("Pause monitoring", "Stop counting until resumed", v.paused)
	m.cloud = systray.AddMenuItemCheckbox("Cloud sync", "Sum usage across devices in PostgreSQL", false)
	m.export = systray.AddMenuItem("Export", "Export all history of this device")
	m.exportCSV = m.export.AddSubMenuItem("CSV", "Export as CSV to the Downloads folder")
	m.exportJSON = m.export.AddSubMenuItem("JSON", "Export as JSON to the Downloads folder")
	m.notice = systray.AddMenuItem("", "Result of the last action")
	m.notice.Disable()
	m.notice.Hide()
	m.autostart = systray.AddMenuItemCheckbox("Start at login", "Start PacketBuddy when you log in", false)
	systray.AddSeparator()
	m.quit = systray.AddMenuItem("Quit", "Save and stop counting")

	t.shown.paused = v.paused
	t.readAutostart()
	t.apply(v)

	for item, a := range map[*systray.MenuItem]action{
		m.open: actOpen, m.pause: actPause, m.cloud: actSync, m.exportCSV: actExportCSV,
		m.exportJSON: actExportJSON, m.autostart: actAutostart, m.quit: actQuit,
	} {
		t.receive(ctx, item.ClickedCh, a)
	}
	t.receive(ctx, systray.TrayOpenedCh, actMenuOpened)
}

// receive forwards signals from ch to the event loop until ctx ends.
func (t *Tray) receive(ctx context.Context, ch <-chan struct{}, a action) {
	t.workers.Add(1)
	go func() {
		defer t.workers.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-ch:
				if !ok {
					return
				}
				select {
				case t.clicks <- a:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
}

// loop is the event loop: it owns the menu state.
func (t *Tray) loop(ctx context.Context) {
	// Refresh right after each monitor sample when the monitor says when
	// that is: no timer of our own to wake the process, and the speed shown
	// is never a tick old. The ticker then only covers failed readings.
	interval := t.o.Interval
	sampler, _ := t.d.Monitor.(sampleNotifier)
	var sampled <-chan struct{}
	if sampler != nil {
		sampled = sampler.Sampled()
		interval = max(interval, 5*time.Second)
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sampled:
			sampled = sampler.Sampled()
			tick.Reset(interval)
			t.applyMenu = time.Since(t.menuAt) >= menuRefresh
			t.apply(t.compute(ctx))
		case <-tick.C:
			t.applyMenu = time.Since(t.menuAt) >= menuRefresh
			t.apply(t.compute(ctx))
		case <-t.wake:
			t.apply(t.compute(ctx))
		case f := <-t.results:
			f()
			t.applyMenu = true // show the action's effect at once
			t.apply(t.compute(ctx))
		case a := <-t.clicks:
			if a == actQuit {
				t.log.Info("quit requested from the tray")
				return
			}
			t.handle(ctx, a)
		}
	}
}

// compute gathers what the tray shows.
func (t *Tray) compute(ctx context.Context) view {
	snap := t.d.Monitor.Snapshot()
	now := t.o.Now().In(t.loc)
	v := view{up: snap.Up, down: snap.Down, paused: snap.Paused}

	today := store.DateOf(now)
	if t.cache.stale(today, snap.LastFlush, now) {
		t.refreshTotals(ctx, today, snap.LastFlush, now)
	}
	// The store has what was flushed; the monitor adds what was counted since.
	dayStart := today.Start(t.loc)
	monthStart := store.Date{Year: today.Year, Month: today.Month, Day: 1}.Start(t.loc)
	us, ur := t.d.Monitor.Unflushed(dayStart, "")
	ms, mr := t.d.Monitor.Unflushed(monthStart, "")
	v.todaySent, v.todayRecv = t.cache.todaySent+us, t.cache.todayRecv+ur
	v.monthSent, v.monthRecv = t.cache.monthSent+ms, t.cache.monthRecv+mr

	if t.d.Sync != nil {
		s := t.d.Sync.Status()
		v.sync = &s
	}
	if t.d.Network != nil {
		v.network = t.d.Network()
	}
	v.problems = t.problemList(snap)
	return v
}

// stale reports whether the cached totals must be read again: after a
// flush, on a new day, a minute after the last read, or when the clock went
// back.
func (c *totals) stale(today store.Date, flush, now time.Time) bool {
	return !c.valid || c.day != today || !flush.Equal(c.flush) || now.Sub(c.read) >= time.Minute || now.Before(c.read)
}

// refreshTotals reads the totals again, logging a failure once rather than
// on every refresh; the menu shows it as a problem until a read succeeds.
func (t *Tray) refreshTotals(ctx context.Context, today store.Date, flush, now time.Time) {
	err := t.readTotals(ctx, today, flush, now)
	if err != nil && (t.lastTotals == nil || t.lastTotals.Error() != err.Error()) {
		t.log.Warn("cannot read totals for the tray", "err", err)
	}
	t.lastTotals = err
}

// problemList is every current problem: the reported ones sorted by
// component, then saving and reading usage.
func (t *Tray) problemList(snap monitor.Snapshot) []string {
	t.mu.Lock()
	problems := slices.Sorted(maps.Values(t.problems))
	t.mu.Unlock()
	if snap.FlushError != "" {
		problems = append(problems, "saving usage: "+snap.FlushError)
	}
	if t.lastTotals != nil {
		problems = append(problems, "reading usage: "+t.lastTotals.Error())
	}
	return problems
}

// readTotals reads today's and this month's totals from the store into the
// cache.
func (t *Tray) readTotals(ctx context.Context, today store.Date, flush, now time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	day, err := t.d.Store.Day(ctx, today, t.loc, store.Scope{})
	if err != nil {
		return fmt.Errorf("today: %w", err)
	}
	month, err := t.d.Store.Month(ctx, today.Year, today.Month, t.loc, store.Scope{})
	if err != nil {
		return fmt.Errorf("this month: %w", err)
	}
	t.cache = totals{
		day: today, flush: flush, read: now, valid: true,
		todaySent: day.Sent, todayRecv: day.Recv, monthSent: month.Sent, monthRecv: month.Recv,
	}
	return nil
}

// pricing is the current prices and units, or the defaults when none were
// given.
func (t *Tray) pricing() report.Pricing {
	if t.d.Pricing == nil {
		return report.DefaultPricing()
	}
	return t.d.Pricing()
}

// apply hands what changed to systray: every change costs the tray host an
// update over D-Bus (or a window message), so unchanged values are skipped.
func (t *Tray) apply(v view) {
	p := t.pricing()
	t.applyIcon(p, v)
	if t.menu.today == nil {
		// Before the item exists (Linux and the BSDs): icon and tooltip
		// only, so that the title stays the item's Id.
		return
	}
	first := !t.shown.menuSet
	t.shown.menuSet = true
	if t.o.ShowSpeedInTitle {
		t.applyTitle(p, v)
	}
	t.applyLines(p, v, first)
	t.applyChecks(v, first)
}

// applyIcon sets the icon and the tooltip.
func (t *Tray) applyIcon(p report.Pricing, v view) {
	s := &t.shown
	if st := v.iconState(); !s.set || st != s.icon {
		s.icon = st
		t.icons.set(st)
	}
	if tip := tooltipText(p, v); !s.set || tip != s.tooltip {
		s.tooltip = tip
		systray.SetTooltip(tip)
	}
	s.set = true
}

// applyTitle sets the title to the compact speed.
func (t *Tray) applyTitle(p report.Pricing, v view) {
	if title := titleText(p, v); title != t.shown.title {
		t.shown.title = title
		systray.SetTitle(title)
	}
}

// applyLines sets the menu's text lines: usage, sync, the first problem and
// the result of the last action. first forces every line.
func (t *Tray) applyLines(p report.Pricing, v view, first bool) {
	s, m := &t.shown, &t.menu
	// The usage lines follow the traffic, so they change at most every few
	// seconds (and at once when the menu opens or an action completes).
	if first || t.applyMenu {
		t.applyMenu, t.menuAt = false, time.Now()
		setText(m.today, &s.today, "Today: "+usageText(p, v.todaySent, v.todayRecv), first)
		setText(m.month, &s.month, "This month: "+usageText(p, v.monthSent, v.monthRecv), first)
	}
	setText(m.sync, &s.sync, syncText(v.sync, t.o.Now()), first)
	setOptional(m.problem, &s.problem, problemText(v.problems), first)
	setOptional(m.notice, &s.notice, t.notice, first)
}

// applyChecks sets the checkboxes: Pause, Cloud sync and Start at login.
// first forces every one.
func (t *Tray) applyChecks(v view, first bool) {
	s, m := &t.shown, &t.menu
	if first || v.paused != s.paused {
		s.paused = v.paused
		setChecked(m.pause, v.paused)
	}
	cloudOn := v.sync != nil && v.sync.State != SyncOff
	label := "Cloud sync"
	if v.sync == nil {
		label = "Cloud sync (no database URL configured)"
	}
	if first || cloudOn != s.cloud || label != s.cloudLabel {
		s.cloud, s.cloudLabel = cloudOn, label
		setChecked(m.cloud, cloudOn)
		m.cloud.SetTitle(label)
		if v.sync == nil {
			m.cloud.Disable()
		} else {
			m.cloud.Enable()
		}
	}
	if a := t.autostart; first || a != s.autostart {
		s.autostart = a
		setChecked(m.autostart, a.checked)
		m.autostart.SetTitle(a.label)
	}
}

// setText sets an item's title when it changed or force is set.
func setText(it *systray.MenuItem, last *string, text string, force bool) {
	if force || text != *last {
		*last = text
		it.SetTitle(text)
	}
}

// setOptional shows an item with text, or hides it when text is empty.
func setOptional(it *systray.MenuItem, last *string, text string, force bool) {
	if !force && text == *last {
		return
	}
	*last = text
	if text == "" {
		it.Hide()
		return
	}
	it.SetTitle(text)
	it.Show()
}

// setChecked checks or unchecks a checkbox item.
func setChecked(it *systray.MenuItem, on bool) {
	if on {
		it.Check()
	} else {
		it.Uncheck()
	}
}

// iconCache encodes each icon state once; Windows keeps every distinct icon
// it is given, so the set stays fixed.
type iconCache struct {
	mu    sync.Mutex
	bytes map[icon.State][]byte
}

// set shows the icon of state s.
func (c *iconCache) set(s icon.State) {
	c.mu.Lock()
	if c.bytes == nil {
		c.bytes = map[icon.State][]byte{}
	}
	b, ok := c.bytes[s]
	if !ok {
		b = encodeIcon(s)
		c.bytes[s] = b
	}
	c.mu.Unlock()
	showIcon(s, b)
}

// shortPath writes a path under the home directory as ~/...
func shortPath(p string) string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return p
	}
	if rel, err := filepath.Rel(home, p); err == nil && !strings.HasPrefix(rel, "..") {
		return "~" + string(filepath.Separator) + rel
	}
	return p
}
