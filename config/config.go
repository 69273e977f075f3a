package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/pelletier/go-toml/v2"

	"github.com/packetbuddy/packetbuddy/internal/atomicfile"
)

// Duration is a time.Duration written as a string such as "30s" or "5m".
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return &valueError{raw: string(b), msg: fmt.Sprintf("bad duration %q: want a string with a unit, such as \"1s\", \"30s\" or \"5m\"", string(b))}
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Rate is a speed in bytes per second, written like "100Gbit/s" or "2GB/s".
type Rate float64

// rateUnits are the units ParseRate accepts, lower-cased, with what each
// multiplies to make bytes per second.
var rateUnits = []struct {
	suffix string
	mult   float64
}{
	// Longest suffixes first so that "Gbit/s" is not read as "bit/s".
	{"tbit/s", 1e12 / 8}, {"gbit/s", 1e9 / 8}, {"mbit/s", 1e6 / 8}, {"kbit/s", 1e3 / 8}, {"bit/s", 1.0 / 8},
	{"tib/s", 1 << 40}, {"gib/s", 1 << 30}, {"mib/s", 1 << 20}, {"kib/s", 1 << 10},
	{"tb/s", 1e12}, {"gb/s", 1e9}, {"mb/s", 1e6}, {"kb/s", 1e3}, {"b/s", 1},
}

// ParseRate parses a rate such as "100Gbit/s", "2 GB/s" or "500MiB/s".
func ParseRate(s string) (Rate, error) {
	t := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	for _, u := range rateUnits {
		if num, ok := strings.CutSuffix(t, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil || !(v > 0 && v <= 1e18) {
				break
			}
			return Rate(v * u.mult), nil
		}
	}
	return 0, fmt.Errorf("bad rate %q: want a positive number with a unit, such as \"100Gbit/s\" or \"2GB/s\"", s)
}

// UnmarshalText parses a rate.
func (r *Rate) UnmarshalText(b []byte) error {
	v, err := ParseRate(string(b))
	if err != nil {
		return &valueError{raw: string(b), msg: err.Error()}
	}
	*r = v
	return nil
}

// MarshalText writes the rate in Gbit/s.
func (r Rate) MarshalText() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(r)*8/1e9, 'f', -1, 64) + "Gbit/s"), nil
}

// Config is the whole configuration file.
type Config struct {
	App       App       `toml:"app"`
	Monitor   Monitor   `toml:"monitor"`
	Cost      Cost      `toml:"cost"`
	Display   Display   `toml:"display"`
	Dashboard Dashboard `toml:"dashboard"`
	Sync      Sync      `toml:"sync"`
	Tray      Tray      `toml:"tray"`
}

// App holds application-wide settings.
type App struct {
	AutostartOnFirstRun bool `toml:"autostart_on_first_run"`
}

// Monitor holds the sampling settings.
type Monitor struct {
	PollInterval  Duration `toml:"poll_interval"`
	FlushInterval Duration `toml:"flush_interval"`
	Include       []string `toml:"include"`
	Exclude       []string `toml:"exclude"`
	MaxRate       Rate     `toml:"max_rate"`
}

// Cost holds the pricing.
type Cost struct {
	Currency          string  `toml:"currency"`
	CurrencyCode      string  `toml:"currency_code"`
	RateSentPerGB     float64 `toml:"rate_sent_per_gb"`
	RateReceivedPerGB float64 `toml:"rate_received_per_gb"`
}

// Display holds presentation settings.
type Display struct {
	Units string `toml:"units"`
}

// Dashboard holds the local web server settings.
type Dashboard struct {
	Addr        string `toml:"addr"`
	AllowRemote bool   `toml:"allow_remote"`
}

// Sync holds the multi-device sync settings.
type Sync struct {
	Enabled       bool     `toml:"enabled"`
	DatabaseURL   string   `toml:"database_url"`
	Interval      Duration `toml:"interval"`
	AllowInsecure bool     `toml:"allow_insecure"`
}

// Tray holds tray icon settings.
type Tray struct {
	ShowSpeedInTitle bool `toml:"show_speed_in_title"`
}

// Default returns the defaults, which are also what a new file contains.
func Default() Config {
	return Config{
		App: App{AutostartOnFirstRun: true},
		Monitor: Monitor{
			PollInterval:  Duration{time.Second},
			FlushInterval: Duration{30 * time.Second},
			Include:       []string{},
			Exclude:       []string{},
			MaxRate:       Rate(100e9 / 8),
		},
		Cost:      Cost{Currency: "₹", CurrencyCode: "INR", RateSentPerGB: 7.5, RateReceivedPerGB: 7.5},
		Display:   Display{Units: "decimal"},
		Dashboard: Dashboard{Addr: "127.0.0.1:7373"},
		Sync:      Sync{Interval: Duration{time.Minute}},
	}
}

// Validate checks values that TOML types cannot.
func (c *Config) Validate() error {
	var errs []error
	if c.Monitor.PollInterval.Duration < 100*time.Millisecond || c.Monitor.PollInterval.Duration > time.Minute {
		errs = append(errs, fmt.Errorf("monitor.poll_interval %s: want between 100ms and 1m", c.Monitor.PollInterval.Duration))
	}
	if c.Monitor.FlushInterval.Duration < c.Monitor.PollInterval.Duration || c.Monitor.FlushInterval.Duration > time.Hour {
		errs = append(errs, fmt.Errorf("monitor.flush_interval %s: want between poll_interval and 1h", c.Monitor.FlushInterval.Duration))
	}
	if c.Monitor.MaxRate <= 0 {
		errs = append(errs, errors.New("monitor.max_rate: want a positive rate such as \"100Gbit/s\""))
	}
	for _, p := range slices.Concat(c.Monitor.Include, c.Monitor.Exclude) {
		if _, err := filepath.Match(p, ""); err != nil {
			errs = append(errs, fmt.Errorf("monitor include/exclude pattern %q: %w", p, err))
		}
	}
	if c.Cost.RateSentPerGB < 0 || c.Cost.RateReceivedPerGB < 0 || c.Cost.RateSentPerGB > 1e9 || c.Cost.RateReceivedPerGB > 1e9 {
		errs = append(errs, errors.New("cost rates: want numbers between 0 and 1e9 per GB"))
	}
	if len(c.Cost.Currency) > 16 || len(c.Cost.CurrencyCode) > 8 {
		errs = append(errs, errors.New("cost.currency: at most 16 bytes; cost.currency_code: at most 8"))
	}
	// They are printed in terminals and the tray: no control characters.
	if strings.IndexFunc(c.Cost.Currency+c.Cost.CurrencyCode, unicode.IsControl) >= 0 {
		errs = append(errs, errors.New("cost.currency and cost.currency_code: no control characters"))
	}
	switch strings.ToLower(c.Display.Units) {
	case "decimal", "si", "iec", "binary":
	default:
		errs = append(errs, fmt.Errorf("display.units %q: want \"decimal\" or \"iec\"", c.Display.Units))
	}
	if c.Dashboard.Addr == "" {
		errs = append(errs, errors.New("dashboard.addr: want host:port such as \"127.0.0.1:7373\""))
	}
	if c.Sync.Interval.Duration < 5*time.Second || c.Sync.Interval.Duration > 24*time.Hour {
		errs = append(errs, fmt.Errorf("sync.interval %s: want between 5s and 24h", c.Sync.Interval.Duration))
	}
	return errors.Join(errs...)
}

// Error is a problem with the configuration file, for the user to fix.
type Error struct {
	Path   string
	Line   int // 0 when unknown
	Column int
	Msg    string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// valueError is a bad value of one of our text types.
type valueError struct{ raw, msg string }

func (e *valueError) Error() string { return e.msg }

// locateValue returns the 1-based line and dotted key of the first
// "key = value" whose value is raw (quoted or bare), or 0 and "".
func locateValue(data []byte, raw string) (int, string) {
	section := ""
	for i, l := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
			section = strings.Trim(t, "[] ")
			continue
		}
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if j := strings.Index(v, " #"); j >= 0 {
			v = strings.TrimSpace(v[:j])
		}
		if v == raw || strings.Trim(v, `"'`) == raw {
			key := strings.TrimSpace(k)
			if section != "" {
				key = section + "." + key
			}
			return i + 1, key
		}
	}
	return 0, ""
}

// Parse decodes and validates configuration bytes; path is for messages.
func Parse(path string, data []byte) (Config, error) {
	c := Default()
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, decodeError(path, data, err)
	}
	if err := c.Validate(); err != nil {
		return c, &Error{Path: path, Msg: strings.ReplaceAll(err.Error(), "\n", "; ")}
	}
	return c, nil
}

// decodeError turns an error of the TOML decoder into an *Error that names
// the line, the column and the key wherever they can be found.
func decodeError(path string, data []byte, err error) *Error {
	var strict *toml.StrictMissingError
	var de *toml.DecodeError
	var ve *valueError
	switch {
	case errors.As(err, &strict) && len(strict.Errors) > 0:
		line, col := strict.Errors[0].Position()
		keys := make([]string, 0, len(strict.Errors))
		for _, e := range strict.Errors {
			keys = append(keys, strings.Join(e.Key(), "."))
		}
		return &Error{Path: path, Line: line, Column: col, Msg: "unknown key " + strings.Join(keys, ", ") + " (see the commented defaults: delete the file to get them back)"}
	case errors.As(err, &de):
		line, col := de.Position()
		msg := de.Error()
		if k := de.Key(); len(k) > 0 {
			msg = strings.Join(k, ".") + ": " + strings.TrimPrefix(msg, "toml: ")
		}
		return &Error{Path: path, Line: line, Column: col, Msg: msg}
	case errors.As(err, &ve):
		// go-toml gives no position for errors of UnmarshalText: find the
		// line that holds the value.
		line, key := locateValue(data, ve.raw)
		msg := ve.msg
		if key != "" {
			msg = key + ": " + msg
		}
		return &Error{Path: path, Line: line, Column: 1, Msg: msg}
	}
	return &Error{Path: path, Msg: err.Error()}
}

// Load reads the file at path, writing the commented defaults first when it
// does not exist.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if err := WriteDefault(path); err != nil {
			return Default(), err
		}
		return Default(), nil
	}
	if err != nil {
		return Default(), &Error{Path: path, Msg: err.Error()}
	}
	return Parse(path, data)
}

// DefaultPath is the OS config dir's packetbuddy/config.toml.
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find config directory: %w", err)
	}
	return filepath.Join(dir, "packetbuddy", "config.toml"), nil
}

// DefaultDataDir is where the database lives unless overridden.
func DefaultDataDir() (string, error) {
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, "PacketBuddy"), nil
		}
	case "darwin":
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(home, "Library", "Application Support", "PacketBuddy"), nil
	default:
		if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
			return filepath.Join(d, "packetbuddy"), nil
		}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find data directory: %w", err)
	}
	if runtime.GOOS == "windows" {
		return filepath.Join(home, "AppData", "Local", "PacketBuddy"), nil
	}
	return filepath.Join(home, ".local", "share", "packetbuddy"), nil
}

// WriteDefault writes the commented default file, private to the user.
func WriteDefault(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create config directory: %w", err)
	}
	return writeFile(path, []byte(Render(Default())))
}

// writeFile replaces the file at path in one rename, so that a crash never
// leaves a half-written configuration, and private to the user, because it
// may hold the sync database's password.
func writeFile(path string, data []byte) error {
	if err := atomicfile.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	return nil
}
