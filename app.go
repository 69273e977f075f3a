package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/packetbuddy/packetbuddy/cloudsync"
	"github.com/packetbuddy/packetbuddy/dashboard"
	"github.com/packetbuddy/packetbuddy/monitor"
	"github.com/packetbuddy/packetbuddy/netid"
	"github.com/packetbuddy/packetbuddy/store"
)

// runApp runs the counting app until ctx ends (SIGINT, SIGTERM) or the
// tray's Quit.
func runApp(ctx context.Context, e *env) error {
	url := "http://" + e.cfg.Dashboard.Addr + "/"
	lock, err := e.lockDataDir(url)
	if err != nil {
		return err
	}
	defer lock.Release()
	st, err := store.Open(ctx, e.dataDir, store.Options{Location: e.zone, Logger: e.log, Now: e.now})
	if err != nil {
		return err
	}
	defer st.Close()
	syncer, err := e.newSyncer(ctx, st)
	if err != nil {
		return err
	}
	// Which network each NIC is on, for the monitor; its watcher runs
	// under serve.
	detector := netid.NewDetector(netid.Options{Now: e.now, Logger: e.log.With("component", "netid")})
	mon, err := e.startMonitor(ctx, st, detector)
	if err != nil {
		return err
	}
	// Settings live in the configuration file; the dashboard writes them
	// and the tray reads them, so a change shows everywhere at once.
	settings := dashboard.NewFileSettings(e.configPath)
	dopts := dashboardOptions(e, settings)
	dopts.Sync = dashboardSync(syncer)
	return e.serve(ctx, appParts{
		trayParts: trayParts{store: st, monitor: mon, syncer: syncer, dashboardURL: url, pricing: livePricing(e, settings)},
		dashboard: dashboard.New(st, mon, dopts),
		detector:  detector,
	})
}

// lockDataDir makes this process the one app counting into the data
// directory. A second one fails with exit status 1 and says where the
// first one's dashboard is.
func (e *env) lockDataDir(url string) (*store.Lock, error) {
	lock, holder, err := store.AcquireLock(e.dataDir, url)
	if errors.Is(err, store.ErrLocked) {
		msg := "PacketBuddy is already running for " + e.dataDir
		if holder != "" {
			msg += "; its dashboard is at " + holder
		}
		return nil, &failure{msg: msg, code: exitFailure}
	}
	return lock, err
}

// newSyncer returns the syncer of the configuration. A configuration it
// cannot use is logged and shown as the syncer's error; counting goes on.
func (e *env) newSyncer(ctx context.Context, st *store.Store) (*cloudsync.Syncer, error) {
	src, srcErr := cloudsync.ResolveURL(e.cfg.Sync, e.configPath, nil)
	if srcErr != nil {
		e.log.Error("sync not available", "err", srcErr)
	}
	syncer, err := cloudsync.New(ctx, st, cloudsync.Options{
		Source: src, ConfigError: srcErr,
		Enabled:    e.cfg.Sync.Enabled,
		Interval:   e.cfg.Sync.Interval.Duration,
		Conn:       cloudsync.ConnOptions{AllowInsecure: e.cfg.Sync.AllowInsecure},
		AppVersion: version,
		Logger:     e.log.With("component", "sync"),
		Now:        e.now,
	})
	if err != nil {
		return nil, fmt.Errorf("start sync: %w", err)
	}
	return syncer, nil
}

// startMonitor starts counting: the monitor takes its first reading, and
// its loop runs under serve.
func (e *env) startMonitor(ctx context.Context, st *store.Store, detector *netid.Detector) (*monitor.Monitor, error) {
	mon := monitor.New(st, monitor.Options{
		PollInterval:  e.cfg.Monitor.PollInterval.Duration,
		FlushInterval: e.cfg.Monitor.FlushInterval.Duration,
		Filter:        monitor.Filter{Include: e.cfg.Monitor.Include, Exclude: e.cfg.Monitor.Exclude},
		MaxRate:       float64(e.cfg.Monitor.MaxRate),
		// Every delta is stored under the network its NIC is on; the
		// detector caches per NIC, so the per-sample call stays cheap. A
		// NIC whose counters restarted may be on another network: the
		// detector asks the system again for that reading.
		Networks:       detector.Networks,
		NetworkChanged: detector.Invalidate,
		Logger:         e.log.With("component", "monitor"),
		Now:            e.now,
	})
	if err := mon.Start(ctx); err != nil {
		return nil, fmt.Errorf("start monitor: %w", err)
	}
	return mon, nil
}

// appParts are the running app's components.
type appParts struct {
	trayParts
	dashboard *dashboard.Server
	detector  *netid.Detector
}

// serve runs the monitor's loop, the network detector's watcher, the
// syncer and the dashboard until ctx ends or the tray quits, then waits
// for them, the monitor's final flush included. The tray, when one can
// exist, owns the main goroutine.
func (e *env) serve(ctx context.Context, p appParts) error {
	// Quit in the tray, or a component failing, stops the rest.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	// monDone closes when the monitor's loop has returned, after its final
	// flush.
	monDone := make(chan struct{})
	// Windows session end and macOS termination exit the process as soon
	// as the tray's exit callback returns: stop and wait there for the
	// final flush, as a signal would.
	p.onExit = func() {
		stop()
		select {
		case <-monDone:
		case <-time.After(3 * time.Second):
		}
	}
	tr := e.newTrayOrHeadless(runCtx, p.trayParts)

	g, gctx := errgroup.WithContext(runCtx)
	g.Go(func() error {
		defer close(monDone)
		return p.monitor.Loop(gctx)
	})
	// A network change is noticed at once, not up to an interval later.
	g.Go(func() error { return p.detector.Run(gctx) })
	g.Go(func() error { return p.syncer.Run(gctx) })
	g.Go(func() error {
		// A dashboard that cannot listen is reported, but counting goes on.
		if err := p.dashboard.Run(gctx); err != nil {
			e.log.Error("dashboard not available", "err", err)
			if tr != nil {
				tr.ReportProblem("dashboard", err)
			}
		}
		return nil
	})
	if tr != nil {
		// Run returns on Quit, or when a component failed and ended gctx.
		// A tray that failed (the session bus went away) leaves the app
		// counting headless until a signal.
		if err := tr.Run(gctx); err != nil {
			e.log.Error("tray failed; counting goes on headless", "err", err, "dashboard", p.dashboardURL)
			<-gctx.Done()
		}
		stop()
	}
	err := g.Wait()
	e.log.Info("stopped", "uptime", e.now().Sub(p.monitor.Snapshot().Started).Round(time.Second))
	return err
}
