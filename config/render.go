package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Render returns c as TOML with a comment explaining every key.
func Render(c Config) string {
	q := strconv.Quote
	dur := func(d Duration) string { return q(shortDuration(d.Duration)) }
	rate, _ := c.Monitor.MaxRate.MarshalText()
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	return fmt.Sprintf(`# PacketBuddy configuration. Durations are strings such as "1s", "30s", "5m".
# Delete this file to get the defaults back; unknown keys are an error.

[app]
# Turn "start at login" on the first time the tray runs.
autostart_on_first_run = %t

[monitor]
# How often the network counters are read.
poll_interval = %s
# How often counted traffic is written to the database (and at exit).
flush_interval = %s
# NIC name globs to count even if excluded by default (include wins), e.g. ["eth*", "wlan0"].
include = %s
# NIC name globs not to count, in addition to loopback, virtual NICs and VPN tunnels.
exclude = %s
# A reading implying more than this rate is a counter glitch and is dropped.
max_rate = %s

[cost]
# Cost = bytes / 10^9 x rate, per direction.
currency = %s
currency_code = %s
rate_sent_per_gb = %s
rate_received_per_gb = %s

[display]
# "decimal" (kB, MB, GB: what carriers bill) or "iec" (KiB, MiB, GiB).
units = %s

[dashboard]
# Address of the local dashboard and API.
addr = %s
# Listening on a non-loopback address exposes your data; only with this set.
allow_remote = %t

[sync]
# Sum several devices in one PostgreSQL database (Neon or any other).
enabled = %t
# Prefer the PACKETBUDDY_DATABASE_URL environment variable to keeping a password here.
database_url = %s
interval = %s
# Allow a remote database without TLS (not recommended).
allow_insecure = %t

[tray]
# macOS: show the compact speed beside the icon in the menu bar.
show_speed_in_title = %t
`, c.App.AutostartOnFirstRun,
		dur(c.Monitor.PollInterval), dur(c.Monitor.FlushInterval), tomlStrings(c.Monitor.Include), tomlStrings(c.Monitor.Exclude), q(string(rate)),
		q(c.Cost.Currency), q(c.Cost.CurrencyCode), num(c.Cost.RateSentPerGB), num(c.Cost.RateReceivedPerGB),
		q(c.Display.Units), q(c.Dashboard.Addr), c.Dashboard.AllowRemote,
		c.Sync.Enabled, q(c.Sync.DatabaseURL), dur(c.Sync.Interval), c.Sync.AllowInsecure,
		c.Tray.ShowSpeedInTitle)
}

// tomlStrings writes v as a TOML array of strings.
func tomlStrings(v []string) string {
	parts := make([]string, len(v))
	for i, s := range v {
		parts[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// shortDuration drops the zero parts that time.Duration.String keeps ("1m0s").
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
