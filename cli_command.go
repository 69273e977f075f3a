package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one subcommand of the command line.
type command struct {
	name    string
	summary string
	// usage is the synopsis "packetbuddy NAME -h" prints above the flags;
	// default "NAME [flags]".
	usage string
	// new returns the command's flags and work, fresh for each run.
	new func() runner
	// noConfig marks the commands that work whatever the configuration
	// file says, or when there is none.
	noConfig bool
	// actionFirst lets the first argument, a word, come before the flags:
	// "sync status --json" as well as "sync --json status".
	actionFirst bool
}

// runner is a command's flags and its work. run registers the flags beside
// the global ones, parses them, loads the configuration and then calls the
// runner's run with the arguments left after the flags.
type runner interface {
	flags(fs *flag.FlagSet)
	run(ctx context.Context, e *env, args []string) error
}

// commands are the subcommands, in the order "packetbuddy help" lists them.
func commands() []command {
	return []command{
		{name: "today", summary: "today's usage", new: func() runner { return new(todayCmd) }},
		{name: "month", summary: "a month's usage per day: month [YYYY-MM]", new: func() runner { return new(monthCmd) }},
		{name: "range", summary: "usage per day between two dates: range --from YYYY-MM-DD --to YYYY-MM-DD", new: func() runner { return new(rangeCmd) }},
		{name: "summary", summary: "lifetime usage per month and the top days", new: func() runner { return new(summaryCmd) }},
		{name: "gaps", summary: "traffic recorded while PacketBuddy was not running", new: func() runner { return new(gapsCmd) }},
		{name: "export", summary: "export usage as CSV or JSON: export --format csv|json [--from] [--to] [-o FILE]", new: func() runner { return new(exportCmd) }},
		{name: "live", summary: "live speed per NIC until Ctrl-C", new: func() runner { return new(liveCmd) }},
		{name: "sync", summary: "multi-device sync: sync status [--json] | sync now", usage: "sync status [--json] | packetbuddy sync now",
			new: func() runner { return new(syncCmd) }, actionFirst: true},
		{name: "devices", summary: "synced devices: devices [--json] | devices rename ID|NAME NEW-NAME", usage: "devices [--json] | packetbuddy devices rename ID|NAME NEW-NAME",
			new: func() runner { return new(devicesCmd) }},
		{name: "networks", summary: "networks seen: networks [--json] | networks rename KEY|LABEL NEW-LABEL", usage: "networks [--json] | packetbuddy networks rename KEY|LABEL NEW-LABEL",
			new: func() runner { return new(networksCmd) }},
		{name: "autostart", summary: "start at login: autostart enable|disable|status", usage: "autostart enable|disable|status",
			new: func() runner { return new(autostartCmd) }, noConfig: true},
		{name: "version", summary: "print the version", new: func() runner { return new(versionCmd) }, noConfig: true},
	}
}

// printUsage prints what "packetbuddy help" shows.
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

// parse parses the command's flags, the global ones among them, into e
// and the command's runner.
func (c command) parse(e *env, args []string) (invocation, error) {
	r := c.new()
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	e.globals.register(fs)
	r.flags(fs)
	var action []string
	if c.actionFirst && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		action, args = args[:1], args[1:]
	}
	if err := parseFlags(fs, args, func() { c.printHelp(e.stderr, fs) }); err != nil {
		return invocation{}, err
	}
	return invocation{run: r.run, args: append(action, fs.Args()...), config: !c.noConfig}, nil
}

// printHelp prints what "packetbuddy NAME -h" shows.
func (c command) printHelp(w io.Writer, fs *flag.FlagSet) {
	usage := c.usage
	if usage == "" {
		usage = c.name + " [flags]"
	}
	fmt.Fprintf(w, "Usage: packetbuddy %s\n", usage)
	printDefaults(fs, w)
}

// parseFlags parses args into fs. A mistake is a usage error of one line:
// the flag package's own message and usage are not printed. -h calls help
// and returns flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string, help func()) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		help()
		return err
	case err != nil && fs.Name() == "":
		return usagef("%v", err) // the global flags, before any command
	case err != nil:
		return usagef("%s: %v", fs.Name(), err)
	}
	return nil
}

// printDefaults prints the flags of fs and their defaults to w.
func printDefaults(fs *flag.FlagSet, w io.Writer) {
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// versionCmd is "packetbuddy version".
type versionCmd struct{}

func (*versionCmd) flags(*flag.FlagSet) {}

func (*versionCmd) run(ctx context.Context, e *env, args []string) error {
	fmt.Fprintf(e.stdout, "packetbuddy %s\n", version)
	return nil
}
