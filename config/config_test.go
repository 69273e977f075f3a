package config

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestDefaultFileRoundTrips(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sub", "config.toml")
	c, err := Load(path)
	if err != nil {
		t.Fatalf("first load writes defaults: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "# How often the network counters are read.") {
		t.Error("default file has no comments")
	}
	if runtime.GOOS != "windows" {
		fi, _ := os.Stat(path)
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("config mode %o, want 600", fi.Mode().Perm())
		}
	}
	again, err := Load(path)
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	if Render(again) != Render(c) || Render(c) != Render(Default()) {
		t.Error("defaults do not survive a write and a read")
	}
	if c.Monitor.PollInterval.Duration != time.Second || c.Monitor.FlushInterval.Duration != 30*time.Second ||
		c.Dashboard.Addr != "127.0.0.1:7373" || c.Cost.Currency != "₹" || c.Cost.RateSentPerGB != 7.5 ||
		c.Display.Units != "decimal" || c.Sync.Interval.Duration != time.Minute || float64(c.Monitor.MaxRate) != 100e9/8 {
		t.Errorf("defaults %+v", c)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body string
		line, col  int
		want       string
	}{
		{"unknown key", "[monitor]\npoll_interval = \"2s\"\npol_interval = \"1s\"\n", 3, 1, "unknown key monitor.pol_interval"},
		{"unknown section", "[monitr]\nx = 1\n", 1, 0, "unknown key"},
		{"wrong type", "[cost]\nrate_sent_per_gb = \"cheap\"\n", 2, 20, "cost.rate_sent_per_gb"},
		{"bad duration", "[monitor]\npoll_interval = \"soon\"\n", 2, 0, "monitor.poll_interval: bad duration \"soon\""},
		{"duration as number", "[monitor]\nflush_interval = 30\n", 2, 0, "monitor.flush_interval"},
		{"bad rate", "[monitor]\nmax_rate = \"fast\"\n", 2, 0, "bad rate"},
		{"syntax", "[monitor\n", 1, 0, ""},
		{"bad units", "[display]\nunits = \"furlongs\"\n", 0, 0, "display.units"},
		{"poll too fast", "[monitor]\npoll_interval = \"1ms\"\n", 0, 0, "poll_interval"},
		{"bad glob", "[monitor]\ninclude = [\"[eth\"]\n", 0, 0, "pattern"},
		{"negative rate", "[cost]\nrate_received_per_gb = -1.0\n", 0, 0, "cost rates"},
		{"escape in currency", "[cost]\ncurrency = \"\\u001b[31m\"\n", 0, 0, "control characters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("/etc/pb.toml", []byte(c.body))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v (%T) is not a *config.Error", err, err)
			}
			if c.line > 0 && ce.Line != c.line {
				t.Errorf("line %d, want %d (%v)", ce.Line, c.line, err)
			}
			if c.col > 0 && ce.Column != c.col {
				t.Errorf("column %d, want %d (%v)", ce.Column, c.col, err)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "/etc/pb.toml") {
				t.Errorf("message %q lacks %q or the file name", err, c.want)
			}
		})
	}
}

func TestParseValues(t *testing.T) {
	t.Parallel()
	c, err := Parse("x", []byte(`
[monitor]
poll_interval = "500ms"
flush_interval = "5m"
include = ["veth*"]
exclude = ["*"]
max_rate = "2 GB/s"
[display]
units = "iec"
[sync]
interval = "90s"
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Monitor.PollInterval.Duration != 500*time.Millisecond || c.Monitor.FlushInterval.Duration != 5*time.Minute ||
		c.Monitor.Include[0] != "veth*" || float64(c.Monitor.MaxRate) != 2e9 || c.Sync.Interval.Duration != 90*time.Second {
		t.Errorf("parsed %+v", c)
	}
}

func TestParseRate(t *testing.T) {
	t.Parallel()
	cases := map[string]float64{
		"100Gbit/s": 12.5e9, "1 Mbit/s": 125000, "2GB/s": 2e9, "1MiB/s": 1 << 20, "8bit/s": 1, "1.5kB/s": 1500,
	}
	for in, want := range cases {
		got, err := ParseRate(in)
		if err != nil || float64(got) != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "fast", "-1GB/s", "0bit/s", "1 GB", "GB/s", "NaNGB/s", "1e400GB/s"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted", bad)
		}
	}
}

func TestUpdateKeepsComments(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.toml")
	body := Render(Default()) + "\n# my own note\n"
	body = strings.Replace(body, "rate_sent_per_gb = 7.5", "rate_sent_per_gb = 7.5 # what my carrier charges", 1)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Update(path, map[string]Value{
		"cost.rate_sent_per_gb": 9.25,
		"cost.currency":         "€",
		"display.units":         "iec",
		"sync.enabled":          true,
		"monitor.include":       []string{"eth*", "wl\"an*"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Cost.RateSentPerGB != 9.25 || c.Cost.Currency != "€" || c.Display.Units != "iec" || !c.Sync.Enabled || c.Monitor.Include[1] != `wl"an*` {
		t.Errorf("updated config %+v", c)
	}
	data, _ := os.ReadFile(path)
	for _, want := range []string{"rate_sent_per_gb = 9.25 # what my carrier charges", "# my own note", "# Cost = bytes / 10^9 x rate, per direction."} {
		if !strings.Contains(string(data), want) {
			t.Errorf("file lost %q:\n%s", want, data)
		}
	}
	loaded, err := Load(path)
	if err != nil || loaded.Cost.RateSentPerGB != 9.25 {
		t.Errorf("reload after update: %v %+v", err, loaded.Cost)
	}
	// A change that makes the file invalid is refused and leaves it alone.
	if _, err := Update(path, map[string]Value{"display.units": "furlongs"}); err == nil {
		t.Error("invalid update accepted")
	}
	after, _ := os.ReadFile(path)
	if string(after) != string(data) {
		t.Error("a refused update changed the file")
	}
	// A key missing from the file is added to its section.
	if err := os.WriteFile(path, []byte("[cost]\ncurrency = \"$\"\n\n[display]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = Update(path, map[string]Value{"cost.rate_received_per_gb": 1.0, "tray.show_speed_in_title": true})
	if err != nil || c.Cost.RateReceivedPerGB != 1 || !c.Tray.ShowSpeedInTitle || c.Cost.Currency != "$" {
		t.Errorf("adding keys: %v %+v", err, c)
	}
}

// TestUpdateWritesPrivateFileInOneRename checks that Update replaces the
// file through a temporary one, left nowhere, and makes it private to the
// user whatever its mode was: it may hold the sync database's password.
func TestUpdateWritesPrivateFileInOneRename(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(Render(Default())), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Update(path, map[string]Value{"sync.database_url": "postgres://u:secret@db/pb"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(data), `database_url = "postgres://u:secret@db/pb"`) {
		t.Errorf("after Update: %v\n%s", err, data)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("config mode %o, want 600", fi.Mode().Perm())
		}
	}
	names, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	hidden, err := filepath.Glob(filepath.Join(dir, ".*"))
	if err != nil {
		t.Fatal(err)
	}
	if names = append(names, hidden...); len(names) != 1 {
		t.Errorf("directory holds %q, want only config.toml", names)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(Render(Default())))
	f.Add([]byte("[monitor]\npoll_interval = \"1s\"\n"))
	f.Add([]byte("[cost]\nrate_sent_per_gb = 1e308\n"))
	entries, _ := os.ReadDir("testdata")
	for _, e := range entries {
		if b, err := os.ReadFile(filepath.Join("testdata", e.Name())); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.toml", data)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		// Whatever parses must validate, render and parse back the same.
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed but invalid: %v", err)
		}
		c2, err := Parse("again.toml", []byte(Render(c)))
		if err != nil {
			t.Fatalf("rendered config does not parse: %v\n%s", err, Render(c))
		}
		if Render(c2) != Render(c) {
			t.Fatalf("render is not stable:\n%s\n---\n%s", Render(c), Render(c2))
		}
	})
}
