package main

import (
	"os"

	"github.com/packetbuddy/packetbuddy/dashboard"
)

// dashboardOptions builds the dashboard's options from the app's
// configuration. Settings live in the configuration file itself, so a
// change made in the dashboard is what the tray and the CLI read next,
// and an edit of the file shows in the dashboard without a restart.
// PACKETBUDDY_DASHBOARD_DIR serves the web UI from a directory on disk
// (development of dashboard/static without rebuilding).
func dashboardOptions(e *env) dashboard.Options {
	return dashboard.Options{
		Addr:        e.cfg.Dashboard.Addr,
		AllowRemote: e.cfg.Dashboard.AllowRemote,
		Version:     version,
		DataDir:     e.dataDir,
		Settings:    dashboard.NewFileSettings(e.configPath),
		StaticDir:   os.Getenv("PACKETBUDDY_DASHBOARD_DIR"),
		Logger:      e.log.With("component", "dashboard"),
	}
}
