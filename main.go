// Command packetbuddy counts every byte this computer sends and receives,
// shows live speed and today's cost in the system tray, keeps the history in
// a local SQLite file, serves a localhost dashboard and exports the data.
//
// Run without arguments it starts the app; with a subcommand it answers a
// question about the recorded usage (see "packetbuddy help").
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/packetbuddy/packetbuddy/config"
	"github.com/packetbuddy/packetbuddy/report"
	"github.com/packetbuddy/packetbuddy/store"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1   // a runtime failure, or another instance is running
	exitUsage       = 2   // bad arguments or a bad configuration file
	exitInterrupted = 130 // Ctrl-C or SIGTERM ended a command, as a shell reports it
)

// usageError is a mistake in the command line, reported with exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// failure is an error with a chosen exit status.
type failure struct {
	msg  string
	code int
}

func (f *failure) Error() string { return f.msg }

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

// env is what the app and every command run with.
type env struct {
	globals
	cfg    config.Config
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
	// now is the one clock of the command line and the app: "today", "ago"
	// and elapsed times all read it, so that tests can fix the instant.
	now func() time.Time
	// zone is the machine's zone, that of every date shown without --tz.
	zone *time.Location
}

// newEnv is the environment of a process on the real clock and in the
// machine's zone.
func newEnv(stdout, stderr io.Writer) *env {
	return &env{stdout: stdout, stderr: stderr, now: time.Now, zone: localZone()}
}

func main() {
	// One signal context for the whole process: the app shuts down on it,
	// a command stops (an export removes its temporary file). After the
	// first signal a second one is no longer caught: it ends a shutdown
	// that hangs.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	code := run(ctx, newEnv(os.Stdout, os.Stderr), os.Args[1:])
	stop()
	os.Exit(code)
}

// run is main without the process: it parses the command line, loads the
// configuration (once, after every flag that may name the file or the data
// directory), runs the app or the command, and returns the exit status.
func run(ctx context.Context, e *env, args []string) int {
	inv, err := parseCommandLine(e, args)
	if err == nil && inv.config {
		err = e.load()
	}
	if err == nil {
		err = inv.run(ctx, e, inv.args)
	}
	return exitStatus(ctx, e, err)
}

// invocation is a parsed command line: what to run, and with which
// arguments.
type invocation struct {
	run    func(ctx context.Context, e *env, args []string) error
	args   []string
	config bool // load the configuration first
}

// parseCommandLine parses the global flags, then the command's, into e and
// the invocation. Without a command it runs the app.
func parseCommandLine(e *env, args []string) (invocation, error) {
	e.configPath = os.Getenv("PACKETBUDDY_CONFIG")
	e.dataDir = os.Getenv("PACKETBUDDY_DATA_DIR")
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	e.globals.register(fs)
	fs.BoolVar(&e.headless, "headless", false, "run without a tray icon (dashboard and counting only)")
	help := func() { printUsage(e.stderr); fmt.Fprintln(e.stderr, "\nFlags:"); printDefaults(fs, e.stderr) }
	if err := parseFlags(fs, args, help); err != nil {
		return invocation{}, err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		app := func(ctx context.Context, e *env, _ []string) error { return runApp(ctx, e) }
		return invocation{run: app, config: true}, nil
	}
	if rest[0] == "help" {
		return invocation{run: func(context.Context, *env, []string) error { printUsage(e.stdout); return nil }}, nil
	}
	for _, c := range commands() {
		if c.name == rest[0] {
			return c.parse(e, rest[1:])
		}
	}
	return invocation{}, usagef("unknown command %q (see \"packetbuddy help\")", rest[0])
}

// exitStatus prints err as one line and maps it to an exit status.
func exitStatus(ctx context.Context, e *env, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	err = userError(err)
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
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		fmt.Fprintln(e.stderr, "packetbuddy: interrupted")
		return exitInterrupted
	}
	fmt.Fprintf(e.stderr, "packetbuddy: %s\n", err)
	return exitFailure
}

// userError turns a store query's bad input (an unknown NIC or device, a
// range too long) into the usage error the user sees, adding where device
// names are listed. Other errors pass unchanged.
func userError(err error) error {
	var qe *store.QueryError
	if !errors.As(err, &qe) {
		return err
	}
	if qe.Param == "device" {
		return usagef("%s (see \"packetbuddy devices\")", qe.Msg)
	}
	return usagef("%s", qe.Msg)
}

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
