package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/packetbuddy/packetbuddy/cloudsync"
	"github.com/packetbuddy/packetbuddy/dashboard"
	"github.com/packetbuddy/packetbuddy/monitor"
	"github.com/packetbuddy/packetbuddy/store"
)

// runApp runs the counting app until SIGINT/SIGTERM (or the tray's Quit).
func runApp(e *env) error {
	if err := e.load(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, a second one is no longer caught: it ends a
	// shutdown that hangs.
	context.AfterFunc(ctx, stop)

	url := "http://" + e.cfg.Dashboard.Addr + "/"
	lock, holder, err := store.AcquireLock(e.dataDir, url)
	if errors.Is(err, store.ErrLocked) {
		msg := "PacketBuddy is already running for " + e.dataDir
		if holder != "" {
			msg += "; its dashboard is at " + holder
		}
		return &failure{msg: msg, code: exitFailure}
	}
	if err != nil {
		return err
	}
	defer lock.Release()

	st, err := store.Open(ctx, e.dataDir, store.Options{Location: localZone(), Logger: e.log})
	if err != nil {
		return err
	}
	defer st.Close()

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
	})
	if err != nil {
		return fmt.Errorf("start sync: %w", err)
	}

	mon := monitor.New(st, monitor.Options{
		PollInterval:  e.cfg.Monitor.PollInterval.Duration,
		FlushInterval: e.cfg.Monitor.FlushInterval.Duration,
		Filter:        monitor.Filter{Include: e.cfg.Monitor.Include, Exclude: e.cfg.Monitor.Exclude},
		MaxRate:       float64(e.cfg.Monitor.MaxRate),
		Logger:        e.log.With("component", "monitor"),
	})
	if err := mon.Start(ctx); err != nil {
		return fmt.Errorf("start monitor: %w", err)
	}
	// Settings live in the configuration file; the dashboard writes them
	// and the tray reads them, so a change shows everywhere at once.
	settings := dashboard.NewFileSettings(e.configPath)
	dopts := dashboardOptions(e, settings)
	dopts.Sync = dashboardSync(syncer)
	srv := dashboard.New(st, mon, dopts)
	// The tray, when one can exist, owns the main goroutine and the
	// shutdown: Quit cancels ctx, and g.Wait below waits for the monitor's
	// final flush.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// monDone closes when the monitor's loop has returned, after its final
	// flush.
	monDone := make(chan struct{})
	tr, why := newTray(ctx, e, trayParts{
		store: st, monitor: mon, syncer: syncer, dashboardURL: url, pricing: livePricing(e, settings),
		// Windows session end and macOS termination exit the process as
		// soon as the tray's exit callback returns: stop and wait there
		// for the final flush, as a signal would.
		onExit: func() {
			cancel()
			select {
			case <-monDone:
			case <-time.After(3 * time.Second):
			}
		},
	})
	if tr == nil {
		e.log.Info("PacketBuddy running headless", "reason", why, "dashboard", url, "data_dir", e.dataDir, "config", e.configPath)
	} else {
		e.log.Info("PacketBuddy running in the tray", "dashboard", url, "data_dir", e.dataDir, "config", e.configPath)
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(monDone)
		return mon.Loop(gctx)
	})
	g.Go(func() error { return syncer.Run(gctx) })
	g.Go(func() error {
		// A dashboard that cannot listen is reported, but counting goes on.
		if err := srv.Run(gctx); err != nil {
			e.log.Error("dashboard not available", "err", err)
			if tr != nil {
				tr.ReportProblem("dashboard", err)
			}
		}
		return nil
	})
	if tr != nil {
		// Returns nil on Quit (or when a component failed and ended gctx):
		// then everything stops. A tray that failed (the session bus went
		// away) leaves the app counting headless until a signal.
		if err := tr.Run(gctx); err != nil {
			e.log.Error("tray failed; counting goes on headless", "err", err, "dashboard", url)
			<-gctx.Done()
		}
		cancel()
	}
	err = g.Wait()
	e.log.Info("stopped", "uptime", time.Since(mon.Snapshot().Started).Round(time.Second))
	return err
}
