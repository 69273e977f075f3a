//go:build cgo || !darwin

package tray

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"fyne.io/systray"
	"github.com/pkg/browser"

	"github.com/packetbuddy/packetbuddy/report"
	"github.com/packetbuddy/packetbuddy/store"
	"github.com/packetbuddy/packetbuddy/tray/internal/icon"
)

// menuRefresh is how often the menu's usage lines follow the traffic.
const menuRefresh = 5 * time.Second

// appTitle is the item's title; on Linux it is also its stable Id, by
// which tray hosts remember where the user put it.
const appTitle = "PacketBuddy"

// action is something the event loop is asked to do.
type action int

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

	// Owned by the event loop.
	cache      totals
	shown      shown
	inflight   map[action]bool
	autostart  autostartView
	notice     string
	lastTotals error
	workers    sync.WaitGroup
	icons      iconCache
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
	c := &t.cache
	if !c.valid || c.day != today || !snap.LastFlush.Equal(c.flush) || now.Sub(c.read) >= time.Minute || now.Before(c.read) {
		if err := t.readTotals(ctx, today, snap.LastFlush, now); err != nil {
			if t.lastTotals == nil || t.lastTotals.Error() != err.Error() {
				t.log.Warn("cannot read totals for the tray", "err", err)
			}
			t.lastTotals = err
		} else {
			t.lastTotals = nil
		}
	}
	dayStart := today.Start(t.loc)
	monthStart := store.Date{Year: today.Year, Month: today.Month, Day: 1}.Start(t.loc)
	us, ur := t.d.Monitor.Unflushed(dayStart, "")
	ms, mr := t.d.Monitor.Unflushed(monthStart, "")
	v.todaySent, v.todayRecv = c.todaySent+us, c.todayRecv+ur
	v.monthSent, v.monthRecv = c.monthSent+ms, c.monthRecv+mr

	if t.d.Sync != nil {
		s := t.d.Sync.Status()
		v.sync = &s
	}
	t.mu.Lock()
	for _, p := range t.problems {
		v.problems = append(v.problems, p)
	}
	t.mu.Unlock()
	sort.Strings(v.problems)
	if snap.FlushError != "" {
		v.problems = append(v.problems, "saving usage: "+snap.FlushError)
	}
	if t.lastTotals != nil {
		v.problems = append(v.problems, "reading usage: "+t.lastTotals.Error())
	}
	return v
}

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

// apply hands what changed to systray.
func (t *Tray) apply(v view) {
	p, s, m := t.pricing(), &t.shown, &t.menu
	if st := v.iconState(); !s.set || st != s.icon {
		s.icon = st
		t.icons.set(st)
	}
	if tip := tooltipText(p, v); !s.set || tip != s.tooltip {
		s.tooltip = tip
		systray.SetTooltip(tip)
	}
	s.set = true
	if m.today == nil {
		// Before the item exists (Linux): icon and tooltip only, so that
		// the title stays the item's Id.
		return
	}
	if t.o.ShowSpeedInTitle {
		if title := titleText(p, v); title != s.title {
			s.title = title
			systray.SetTitle(title)
		}
	}
	first := !s.menuSet
	s.menuSet = true
	// The usage lines follow the traffic; every change costs the host a
	// layout update, so they change at most every few seconds (and at once
	// when the menu opens or an action completes).
	if first || t.applyMenu {
		t.applyMenu, t.menuAt = false, time.Now()
		setText(m.today, &s.today, "Today: "+usageText(p, v.todaySent, v.todayRecv), first)
		setText(m.month, &s.month, "This month: "+usageText(p, v.monthSent, v.monthRecv), first)
	}
	setText(m.sync, &s.sync, syncText(v.sync, t.o.Now()), first)

	problem := ""
	if len(v.problems) > 0 {
		problem = truncateUTF16("⚠ "+v.problems[0], 100)
		if len(v.problems) > 1 {
			problem = truncateUTF16(fmt.Sprintf("⚠ %s (and %d more)", v.problems[0], len(v.problems)-1), 100)
		}
	}
	setOptional(m.problem, &s.problem, problem, first)
	setOptional(m.notice, &s.notice, t.notice, first)

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

func setChecked(it *systray.MenuItem, on bool) {
	if on {
		it.Check()
	} else {
		it.Uncheck()
	}
}

// handle starts an action. Actions that touch the disk, the network or
// another program run on a worker and report back to the loop.
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
	var work func(context.Context) func()
	switch a {
	case actOpen:
		url := t.d.DashboardURL
		work = func(context.Context) func() {
			if err := t.o.OpenURL(url); err != nil {
				return t.fail("open dashboard", err)
			}
			return nil
		}
	case actPause:
		paused := t.d.Monitor.Snapshot().Paused
		work = func(ctx context.Context) func() {
			var err error
			if paused {
				err = t.d.Monitor.Resume(ctx)
			} else {
				err = t.d.Monitor.Pause(ctx)
			}
			if err != nil {
				return t.fail(map[bool]string{true: "resume", false: "pause"}[paused], err)
			}
			t.log.Info("monitoring paused from the tray", "paused", !paused)
			return nil
		}
	case actSync:
		if t.d.Sync == nil {
			return
		}
		on := t.d.Sync.Status().State == SyncOff
		work = func(ctx context.Context) func() {
			if err := t.d.Sync.SetEnabled(ctx, on); err != nil {
				return t.fail("cloud sync", err)
			}
			return nil
		}
	case actExportCSV, actExportJSON:
		format := store.FormatCSV
		if a == actExportJSON {
			format = store.FormatJSON
		}
		now := t.o.Now().In(t.loc)
		work = func(ctx context.Context) func() {
			path, rows, err := t.export(ctx, format, now)
			if err != nil {
				return t.fail("export", err)
			}
			t.log.Info("exported from the tray", "file", path, "rows", rows)
			return func() { t.notice = fmt.Sprintf("Exported %d rows to %s", rows, shortPath(path)) }
		}
	case actAutostart:
		enable := !t.autostart.checked
		work = func(context.Context) func() {
			var err error
			if enable {
				err = t.d.Autostart.Enable()
			} else {
				err = t.d.Autostart.Disable()
			}
			return func() {
				t.readAutostart()
				if err != nil {
					t.fail("start at login", err)()
				}
			}
		}
	default:
		return
	}
	t.inflight[a] = true
	t.workers.Add(1)
	go func() {
		defer t.workers.Done()
		done := work(ctx)
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

// iconCache encodes each icon state once; Windows keeps every distinct icon
// it is given, so the set stays fixed.
type iconCache struct {
	mu    sync.Mutex
	bytes map[icon.State][]byte
}

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
