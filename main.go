// Command packetbuddy counts every byte this computer sends and receives,
// shows live speed and today's cost in the system tray, keeps the history in
// a local SQLite file, serves a localhost dashboard and exports the data.
//
// Run without arguments it starts the app; with a subcommand it answers a
// question about the recorded usage (see "packetbuddy help").
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/packetbuddy/packetbuddy/config"
	"github.com/packetbuddy/packetbuddy/report"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // a runtime failure, or another instance is running
	exitUsage   = 2 // bad arguments or a bad configuration file
)

// usageError is a mistake in the command line, reported with exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// globals are the options every subcommand accepts.
type globals struct {
	configPath string
	dataDir    string
	headless   bool
	verbose    bool
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.configPath, "config", g.configPath, "configuration `file` (env PACKETBUDDY_CONFIG)")
	fs.StringVar(&g.dataDir, "data-dir", g.dataDir, "data `directory` (env PACKETBUDDY_DATA_DIR)")
	fs.BoolVar(&g.verbose, "verbose", g.verbose, "log debug details")
}

// env is what a subcommand runs with.
type env struct {
	globals
	cfg    config.Config
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type command struct {
	name    string
	summary string
	run     func(e *env, args []string) error
	// needsConfig is false for commands that must work even with a broken
	// configuration file (version, help).
	needsConfig bool
}

func commands() []command {
	return []command{
		{"today", "today's usage", cmdToday, true},
		{"month", "a month's usage per day: month [YYYY-MM]", cmdMonth, true},
		{"range", "usage per day between two dates: range --from YYYY-MM-DD --to YYYY-MM-DD", cmdRange, true},
		{"summary", "lifetime usage per month and the top days", cmdSummary, true},
		{"gaps", "traffic recorded while PacketBuddy was not running", cmdGaps, true},
		{"export", "export usage as CSV or JSON: export --format csv|json [--from] [--to] [-o FILE]", cmdExport, true},
		{"live", "live speed per NIC until Ctrl-C", cmdLive, true},
		{"sync", "multi-device sync: sync status [--json] | sync now", cmdSync, true},
		{"devices", "synced devices: devices [--json] | devices rename ID|NAME NEW-NAME", cmdDevices, true},
		{"autostart", "start at login: autostart enable|disable|status", cmdAutostart, false},
		{"version", "print the version", cmdVersion, false},
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, `PacketBuddy %s counts the bytes this computer sends and receives.

Usage:
  packetbuddy [--headless] [--config FILE] [--data-dir DIR]   run the app
  packetbuddy [--config FILE] [--data-dir DIR] COMMAND [flags]

Commands:
`, version)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun \"packetbuddy COMMAND -h\" for a command's flags.\n")
}

// run is main without the process: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	g := globals{configPath: os.Getenv("PACKETBUDDY_CONFIG"), dataDir: os.Getenv("PACKETBUDDY_DATA_DIR")}
	fs := flag.NewFlagSet("packetbuddy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs)
	fs.BoolVar(&g.headless, "headless", false, "run without a tray icon (dashboard and counting only)")
	fs.Usage = func() { printUsage(stderr); fmt.Fprintln(stderr, "\nFlags:"); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	rest := fs.Args()
	e := &env{globals: g, stdout: stdout, stderr: stderr}

	var cmd *command
	if len(rest) > 0 {
		if rest[0] == "help" {
			printUsage(stdout)
			return exitOK
		}
		for _, c := range commands() {
			if c.name == rest[0] {
				cmd = &c
				break
			}
		}
		if cmd == nil {
			fmt.Fprintf(stderr, "packetbuddy: unknown command %q (see \"packetbuddy help\")\n", rest[0])
			return exitUsage
		}
		rest = rest[1:]
	}
	if cmd != nil && !cmd.needsConfig {
		return exitStatus(e, cmd.run(e, rest))
	}
	// Subcommand flags may also set the globals, so configuration is
	// loaded by each command after its own flags are parsed.
	if cmd == nil {
		return exitStatus(e, runApp(e))
	}
	return exitStatus(e, cmd.run(e, rest))
}

// exitStatus prints err as one line and maps it to an exit status.
func exitStatus(e *env, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var ue *usageError
	var ce *config.Error
	var fe *failure
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "packetbuddy: %s\n", ue.msg)
		return exitUsage
	case errors.As(err, &ce):
		fmt.Fprintf(e.stderr, "packetbuddy: bad configuration: %s\n", ce)
		return exitUsage
	case errors.As(err, &fe):
		fmt.Fprintf(e.stderr, "packetbuddy: %s\n", fe.msg)
		return fe.code
	}
	fmt.Fprintf(e.stderr, "packetbuddy: %s\n", err)
	return exitFailure
}

// failure is an error with a chosen exit status.
type failure struct {
	msg  string
	code int
}

func (f *failure) Error() string { return f.msg }

// load resolves paths, loads the configuration and sets up logging.
func (e *env) load() error {
	if e.configPath == "" {
		p, err := config.DefaultPath()
		if err != nil {
			return err
		}
		e.configPath = p
	}
	if e.dataDir == "" {
		d, err := config.DefaultDataDir()
		if err != nil {
			return err
		}
		e.dataDir = d
	}
	level := slog.LevelInfo
	if e.verbose || strings.EqualFold(os.Getenv("PACKETBUDDY_LOG"), "debug") {
		level = slog.LevelDebug
	}
	e.log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	cfg, err := config.Load(e.configPath)
	if err != nil {
		return err
	}
	e.cfg = cfg
	return nil
}

// pricing is the configured cost and units.
func (e *env) pricing() report.Pricing {
	u, _ := report.ParseUnits(e.cfg.Display.Units)
	return report.Pricing{
		Currency: e.cfg.Cost.Currency, CurrencyCode: e.cfg.Cost.CurrencyCode,
		RateSentPerGB: e.cfg.Cost.RateSentPerGB, RateReceivedPerGB: e.cfg.Cost.RateReceivedPerGB,
		Units: u,
	}
}

func cmdVersion(e *env, args []string) error {
	fmt.Fprintf(e.stdout, "packetbuddy %s\n", version)
	return nil
}
