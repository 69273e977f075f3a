package main

import (
	"context"
	"os"

	"github.com/packetbuddy/packetbuddy/cloudsync"
	"github.com/packetbuddy/packetbuddy/dashboard"
	"github.com/packetbuddy/packetbuddy/report"
)

// dashboardOptions builds the dashboard's options from the app's
// configuration. Settings live in the configuration file itself, so a
// change made in the dashboard is what the tray and the CLI read next,
// and an edit of the file shows in the dashboard without a restart.
// PACKETBUDDY_DASHBOARD_DIR serves the web UI from a directory on disk
// (development of dashboard/static without rebuilding).
func dashboardOptions(e *env, settings *dashboard.FileSettings) dashboard.Options {
	return dashboard.Options{
		Addr:        e.cfg.Dashboard.Addr,
		AllowRemote: e.cfg.Dashboard.AllowRemote,
		Version:     version,
		DataDir:     e.dataDir,
		Settings:    settings,
		StaticDir:   os.Getenv("PACKETBUDDY_DASHBOARD_DIR"),
		Logger:      e.log.With("component", "dashboard"),
	}
}

// livePricing reads prices and units from the shared settings each time,
// falling back to the configuration loaded at start when the file cannot
// be read.
func livePricing(e *env, settings *dashboard.FileSettings) func() report.Pricing {
	return func() report.Pricing {
		p, err := settings.Prefs(context.Background())
		if err != nil {
			return e.pricing()
		}
		return p.Pricing()
	}
}

// dashboardSync is the app's syncer as the dashboard's Options.Sync. The
// dashboard reads its status for /api/health, /api/devices and the event
// stream (and drops its cached answers when a cycle ends, so pulled rows
// show at once), and calls SetEnabled and SyncNow for POST /api/sync and
// POST /api/sync/now. A nil syncer gives a nil interface, not an interface
// holding a nil pointer: the dashboard then reports sync off and answers
// 409 to the POSTs. A syncer without a database URL is passed as is; its
// status says "not configured" and the POSTs answer 409 the same way.
func dashboardSync(s *cloudsync.Syncer) dashboard.Sync {
	if s == nil {
		return nil
	}
	return s
}
