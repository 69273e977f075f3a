package tray

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
	"github.com/packetbuddy/packetbuddy/monitor"
	"github.com/packetbuddy/packetbuddy/report"
	"github.com/packetbuddy/packetbuddy/store"
)

// The tray process used by the D-Bus and screen tests: fyne.io/systray is
// a process-wide singleton that can run once, so each scenario runs this
// test binary again with PB_TRAY_HELPER=1. The process is wired like
// package main wires the app: a real SQLite store, a real monitor fed
// known counters through monitor.Options.Read, the tray on the main
// goroutine, and the monitor's final flush after the tray returns.
func TestMain(m *testing.M) {
	if os.Getenv("PB_TRAY_HELPER") == "1" {
		os.Exit(trayHelperMain())
	}
	os.Exit(m.Run())
}

// Traffic of the helper, per tick of its fake clock: the example
// tooltip, "↑ 1.2 MB/s  ↓ 5.4 MB/s — Today 1.32 GB · ₹9.90".
const (
	helperStepSent   = 1_200_000
	helperStepRecv   = 5_400_000
	helperSeedSent   = 300_000_000
	helperSeedRecv   = 1_013_400_000
	helperMonthRecv  = 10_000_000_000 // on the 1st of the month, unless today is the 1st
	helperDashboard  = "http://127.0.0.1:7373/"
	helperNIC        = "eth0"
	helperZoneOffset = 19800 // +05:30, a zone where hours are not UTC hours
)

var helperZone = time.FixedZone("+05:30", helperZoneOffset)

// helperClock is the fake clock shared by the store, the monitor and the
// tray; the counters are a function of its tick.
type helperClock struct {
	mu   sync.Mutex
	now  time.Time
	tick uint64
}

func (c *helperClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *helperClock) advance() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	c.tick++
}

func (c *helperClock) read(context.Context) ([]monitor.Counter, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return []monitor.Counter{{Name: helperNIC, Sent: c.tick * helperStepSent, Recv: c.tick * helperStepRecv}}, nil
}

// helperSSID is the Wi-Fi network the helper's NIC is on, changed by the
// parent with "network NAME", and the labels of the networks it was on, as
// the store makes them: a Wi-Fi network's label is its SSID.
type helperSSID struct {
	mu     sync.Mutex
	name   string
	labels map[string]string // network key -> label
}

func (s *helperSSID) set(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.name = name
	if s.labels == nil {
		s.labels = map[string]string{}
	}
	s.labels[store.WiFiNetwork(name)] = name
}

// networks is the helper's monitor.Options.Networks: every NIC is on the
// current Wi-Fi network.
func (s *helperSSID) networks(_ context.Context, nics []string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(nics))
	for _, n := range nics {
		out[n] = store.WiFiNetwork(s.name)
	}
	return out
}

// label is the label of the network of the first NIC in snap that has
// one, as the app's tray wiring finds it.
func (s *helperSSID) label(snap monitor.Snapshot) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range snap.NICs {
		if l := s.labels[n.Network]; l != "" {
			return l
		}
	}
	return ""
}

// fakeSync is a sync engine that fails until switched off.
type fakeSync struct {
	mu sync.Mutex
	st SyncStatus
}

func (f *fakeSync) Status() SyncStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st
}

func (f *fakeSync) SetEnabled(ctx context.Context, on bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if on {
		f.st.State = SyncFailing
	} else {
		f.st.State = SyncOff
	}
	return nil
}

// helperBase is the fake clock's start: noon of a day given by the parent.
func helperBase() (time.Time, error) {
	sec, err := strconv.ParseInt(os.Getenv("PB_BASE"), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("PB_BASE: %w", err)
	}
	return time.Unix(sec, 0).In(helperZone), nil
}

// noonToday is the helper's base: noon of the test clock's day in the
// helper's zone.
func noonToday() time.Time {
	d := store.DateOf(testenv.Now().In(helperZone))
	return d.Start(helperZone).Add(12 * time.Hour)
}

func trayHelperMain() int {
	if err := trayHelper(); err != nil {
		fmt.Fprintln(os.Stderr, "tray helper:", err)
		return 1
	}
	return 0
}

func trayHelper() error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	base, err := helperBase()
	if err != nil {
		return err
	}
	clock := &helperClock{now: base}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dir := os.Getenv("PB_DATA_DIR")
	st, err := store.Open(ctx, dir, store.Options{Location: helperZone, Now: clock.Now, Logger: log})
	if err != nil {
		return err
	}
	defer st.Close()
	boot := store.Boot{ID: "tray-test-boot", Time: base.Unix() - 3600}
	seed := []store.Delta{{NIC: helperNIC, Start: base.Unix(), Sent: helperSeedSent, Recv: helperSeedRecv}}
	if store.DateOf(base).Day != 1 {
		first := (store.Date{Year: base.Year(), Month: base.Month(), Day: 1}).Start(helperZone)
		seed = append(seed, store.Delta{NIC: helperNIC, Start: first.Unix(), Recv: helperMonthRecv})
	}
	if err := st.Flush(ctx, store.Batch{At: base, Boot: boot, Deltas: seed}); err != nil {
		return err
	}

	mopts := monitor.Options{
		Read:          clock.read,
		Boot:          func(context.Context) (store.Boot, error) { return boot, nil },
		Now:           clock.Now,
		PollInterval:  time.Hour, // the parent drives samples with "tick"
		FlushInterval: time.Hour, // so that only Pause/Resume and the final flush write
		Filter:        monitor.Filter{NoDefaults: true},
		Logger:        log.With("component", "monitor"),
	}
	now, interval := clock.Now, 100*time.Millisecond
	idle := os.Getenv("PB_IDLE") == "1"
	if idle {
		// The app's own settings on this machine's real counters, for
		// BenchmarkTrayIdle.
		now, interval = testenv.Clock(), time.Second
		mopts = monitor.Options{Logger: mopts.Logger, Now: now}
	}
	ssid := &helperSSID{}
	if name := os.Getenv("PB_NETWORK"); name != "" {
		// The app's wiring: the monitor learns each NIC's network, the
		// tray shows the label of the one in the snapshot.
		ssid.set(name)
		mopts.Networks = ssid.networks
	}
	mon := monitor.New(st, mopts)
	if err := mon.Start(ctx); err != nil {
		return err
	}
	clock.advance()
	mon.Sample(ctx)

	exe, err := os.Executable()
	if err != nil {
		return err
	}
	deps := Deps{
		Monitor: mon, Store: st, Pricing: report.DefaultPricing,
		DashboardURL: helperDashboard, Autostart: LoginItem{Exe: exe},
	}
	if mopts.Networks != nil {
		deps.Network = func() string { return ssid.label(mon.Snapshot()) }
	}
	if os.Getenv("PB_SYNC") == "failing" {
		deps.Sync = &fakeSync{st: SyncStatus{State: SyncFailing, LastError: "dial tcp 127.0.0.1:5432: connect: connection refused"}}
	}
	tr := New(deps, Options{
		Logger: log.With("component", "tray"), Now: now, Location: helperZone,
		DataDir: dir, Interval: interval,
	})
	if p := os.Getenv("PB_PROBLEM"); p != "" {
		tr.ReportProblem("dashboard", errors.New(p))
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return mon.Loop(gctx) })
	// Commands from the parent; the goroutine ends with stdin or at exit.
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			switch sc.Text() {
			case "tick":
				clock.advance()
				mon.Sample(ctx)
				fmt.Println("ok")
			default:
				if name, ok := strings.CutPrefix(sc.Text(), "network "); ok {
					ssid.set(name)
					fmt.Println("ok")
				}
			}
		}
	}()

	runErr := tr.Run(gctx)
	cancel()
	if err := g.Wait(); err != nil {
		return fmt.Errorf("monitor: %w", err)
	}
	log.Info("tray helper exited cleanly")
	return runErr
}
