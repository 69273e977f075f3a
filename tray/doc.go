// Package tray is PacketBuddy's system-tray icon and menu (fyne.io/systray).
//
// The tray holds no business logic: it reads the monitor's live snapshot and
// the store's totals, and every menu action calls the same functions as the
// HTTP API and the CLI (Monitor.Pause and Resume, Store.Export, the
// packaging login-item functions, the sync engine's SetEnabled). Its
// dependencies are small interfaces declared here, in Deps.
//
// Tray.Run owns the calling goroutine, which must be the program's main
// goroutine, until the user picks Quit or the context ends. One event loop
// owns all menu state; per-item receivers are running before the menu can be
// opened (fyne drops clicks nobody is waiting for), and slow actions (export,
// opening the browser, login items, sync) run on worker goroutines that Run
// waits for before it returns.
//
// On Linux and the BSDs the tray is a StatusNotifierItem on the D-Bus
// session bus. Available tells, before anything touches systray, whether a
// tray can exist: without a reachable session bus the program must run
// headless. The icon, tooltip and title are set before the item is
// exported, so a tray host never sees them empty.
//
// Files ending in _xdg.go build for those freedesktop.org (XDG) desktops,
// Linux, FreeBSD, OpenBSD and NetBSD: the D-Bus tray, and the Downloads
// folder from the XDG user directories. Files ending in _other.go build for
// the rest that fyne.io/systray supports: Windows, and macOS built with cgo
// (without cgo, macOS gets the stub in tray_nocgo_darwin.go).
//
//go:generate go run ./internal/icon/gen -out ../assets/icons
package tray
