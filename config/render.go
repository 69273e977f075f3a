package config

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Render returns c as TOML with a comment explaining every key.
func Render(c Config) string {
	q := strconv.Quote
	list := func(v []string) string {
		parts := make([]string, len(v))
		for i, s := range v {
			parts[i] = q(s)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
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
		dur(c.Monitor.PollInterval), dur(c.Monitor.FlushInterval), list(c.Monitor.Include), list(c.Monitor.Exclude), q(string(rate)),
		q(c.Cost.Currency), q(c.Cost.CurrencyCode), num(c.Cost.RateSentPerGB), num(c.Cost.RateReceivedPerGB),
		q(c.Display.Units), q(c.Dashboard.Addr), c.Dashboard.AllowRemote,
		c.Sync.Enabled, q(c.Sync.DatabaseURL), dur(c.Sync.Interval), c.Sync.AllowInsecure,
		c.Tray.ShowSpeedInTitle)
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

// Value is a TOML value for Update: string, bool, float64, int or []string.
type Value any

func tomlValue(v Value) (string, error) {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case int:
		return strconv.Itoa(x), nil
	case []string:
		parts := make([]string, len(x))
		for i, s := range x {
			parts[i] = strconv.Quote(s)
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	}
	return "", fmt.Errorf("unsupported config value %T", v)
}

var sectionRE = regexp.MustCompile(`^\s*\[([A-Za-z0-9_.-]+)\]\s*(#.*)?$`)

// Update changes keys ("section.key" -> value) in the file at path, keeping
// every other line and comment as it is; a key that is missing is added to
// its section. The result is parsed before it replaces the file, so an
// update can never leave an invalid file behind.
func Update(path string, changes map[string]Value) (Config, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		data = []byte(Render(Default()))
	} else if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	lines := strings.Split(string(data), "\n")
	for full, v := range changes {
		section, key, ok := strings.Cut(full, ".")
		if !ok {
			return Config{}, fmt.Errorf("config key %q: want section.key", full)
		}
		val, err := tomlValue(v)
		if err != nil {
			return Config{}, err
		}
		lines = setKey(lines, section, key, val)
	}
	out := strings.Join(lines, "\n")
	c, err := Parse(path, []byte(out))
	if err != nil {
		return c, err
	}
	if err := writeFileAtomic(path, []byte(out)); err != nil {
		return c, err
	}
	return c, nil
}

func setKey(lines []string, section, key, val string) []string {
	keyRE := regexp.MustCompile(`^(\s*` + regexp.QuoteMeta(key) + `\s*=\s*)(.*)$`)
	cur, sectionEnd, found := "", -1, false
	for i, l := range lines {
		if m := sectionRE.FindStringSubmatch(l); m != nil {
			if cur == section && sectionEnd < 0 {
				sectionEnd = i
			}
			cur = m[1]
			continue
		}
		if cur == section {
			if m := keyRE.FindStringSubmatch(l); m != nil {
				lines[i] = m[1] + val + trailingComment(m[2])
				return lines
			}
		}
	}
	if cur == section && sectionEnd < 0 {
		sectionEnd = len(lines)
		found = true
	}
	if sectionEnd < 0 && !found {
		return append(lines, "", "["+section+"]", key+" = "+val)
	}
	// Insert after the section's last non-blank line.
	at := sectionEnd
	for at > 0 && strings.TrimSpace(lines[at-1]) == "" {
		at--
	}
	return append(lines[:at], append([]string{key + " = " + val}, lines[at:]...)...)
}

// trailingComment returns the " # ..." part after a simple value, if any.
func trailingComment(rest string) string {
	inStr := false
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case '\\':
			if inStr {
				i++
			}
		case '"':
			inStr = !inStr
		case '#':
			if !inStr {
				j := i
				for j > 0 && (rest[j-1] == ' ' || rest[j-1] == '\t') {
					j--
				}
				return rest[j:]
			}
		}
	}
	return ""
}
