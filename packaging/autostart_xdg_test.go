//go:build linux || freebsd || openbsd || netbsd

package packaging

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

// useTempConfig points XDG_CONFIG_HOME and HOME at a fresh directory and
// returns the entry's expected location.
func useTempConfig(t *testing.T) (entry string) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("HOME", filepath.Join(dir, "home"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	return filepath.Join(dir, "config", "autostart", "packetbuddy.desktop")
}

// requireTool returns the path of an external program, or skips the test
// when it is missing, unless PACKETBUDDY_TEST_REQUIRE ("all", or a list that
// names the program) says a missing one is a failure.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	testenv.Require(t, name, fmt.Errorf("not installed (Debian package desktop-file-utils): %w", err))
	return ""
}

// validateDesktopEntry runs desktop-file-validate, which prints nothing
// for an entry without errors, warnings or hints.
func validateDesktopEntry(t *testing.T, file string) {
	t.Helper()
	validator := requireTool(t, "desktop-file-validate")
	out, err := exec.Command(validator, file).CombinedOutput()
	if err != nil || len(out) > 0 {
		data, _ := os.ReadFile(file)
		t.Errorf("desktop-file-validate: %v\n%s\nentry:\n%s", err, out, data)
	}
}

func TestAutostartEnableWritesEntry(t *testing.T) {
	entry := useTempConfig(t)
	exe := newExecutable(t, filepath.Join(t.TempDir(), "bin"), "packetbuddy")

	if err := EnableAutostart(exe); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(entry)
	if err != nil {
		t.Fatal(err)
	}
	want := `[Desktop Entry]
# Written by PacketBuddy's "Start at login" setting; turning the setting off removes this file.
Type=Application
Name=PacketBuddy
Comment=Count the bytes this computer sends and receives
Exec="` + exe + `"
Icon=packetbuddy
Terminal=false
X-GNOME-Autostart-enabled=true
Categories=Network;Monitor;
`
	if string(data) != want {
		t.Errorf("entry:\n%s\nwant:\n%s", data, want)
	}
	fi, err := os.Stat(entry)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("entry mode %v, want 0644", fi.Mode().Perm())
	}
	di, err := os.Stat(filepath.Dir(entry))
	if err != nil {
		t.Fatal(err)
	}
	// MkdirAll asks for 0755; the umask may only take bits away.
	if !di.IsDir() || di.Mode().Perm()&^0o755 != 0 || di.Mode().Perm()&0o700 != 0o700 {
		t.Errorf("autostart directory mode %v, want 0755 less the umask", di.Mode())
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(entry), ".*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
	validateDesktopEntry(t, entry)
}

// TestAutostartRoundTrip enables autostart for executables in awkward
// directories and reads them back through the Exec quoting.
func TestAutostartRoundTrip(t *testing.T) {
	dirs := []struct{ name, dir string }{
		{"plain", "bin"},
		{"spaces", "Packet Buddy/my apps"},
		{"double quotes", `say "hi"`},
		{"single quote", "it's"},
		{"dollar", "$HOME and ${PATH}"},
		{"percent", "100% %u %%"},
		{"backslash", `back\slash\\`},
		{"backquote", "`id`"},
		{"shell characters", "a;b|c&d<e>f*g?h#i(j)~k"},
		{"tab", "tab\there"},
		{"newline", "new\nline\r"},
		{"unicode", "Ünïcödé 😀"},
		{"everything", "\"$`\\%' &;"},
	}
	for _, d := range dirs {
		t.Run(d.name, func(t *testing.T) {
			entry := useTempConfig(t)
			exe := newExecutable(t, filepath.Join(t.TempDir(), d.dir), "packet buddy")

			if err := EnableAutostart(exe); err != nil {
				t.Fatal(err)
			}
			validateDesktopEntry(t, entry)
			got, err := AutostartState(exe)
			if err != nil {
				t.Fatal(err)
			}
			want := AutostartStatus{Enabled: true, Path: exe, Location: entry}
			if got != want {
				t.Errorf("AutostartState = %+v, want %+v", got, want)
			}
		})
	}
}

func TestAutostartStaleAndRepair(t *testing.T) {
	tests := []struct {
		name string
		// change turns the enabled executable a into the current one.
		change func(t *testing.T, a string) (current string)
	}{
		{"binary moved", func(t *testing.T, a string) string {
			b := filepath.Join(t.TempDir(), "new home", "packetbuddy")
			if err := os.MkdirAll(filepath.Dir(b), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(a, b); err != nil {
				t.Fatal(err)
			}
			return b
		}},
		{"another copy runs", func(t *testing.T, a string) string {
			return newExecutable(t, t.TempDir(), "packetbuddy")
		}},
		{"binary deleted, same path reinstalled elsewhere", func(t *testing.T, a string) string {
			if err := os.Remove(a); err != nil {
				t.Fatal(err)
			}
			return newExecutable(t, t.TempDir(), "packetbuddy")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entry := useTempConfig(t)
			a := newExecutable(t, t.TempDir(), "packetbuddy")
			if err := EnableAutostart(a); err != nil {
				t.Fatal(err)
			}
			b := tt.change(t, a)

			got, err := AutostartState(b)
			if err != nil {
				t.Fatal(err)
			}
			if want := (AutostartStatus{Enabled: true, Path: a, Stale: true, Location: entry}); got != want {
				t.Errorf("after the change: AutostartState = %+v, want %+v", got, want)
			}

			if err := EnableAutostart(b); err != nil {
				t.Fatal(err)
			}
			got, err = AutostartState(b)
			if err != nil {
				t.Fatal(err)
			}
			if want := (AutostartStatus{Enabled: true, Path: b, Location: entry}); got != want {
				t.Errorf("after repair: AutostartState = %+v, want %+v", got, want)
			}
			validateDesktopEntry(t, entry)
		})
	}
}

func TestAutostartRepairsEntry(t *testing.T) {
	tests := []struct {
		name, entry string
		wantBefore  AutostartStatus // Location is filled in by the test
	}{
		{"garbage", "not a desktop entry\x00", AutostartStatus{Enabled: true, Stale: true}},
		{"switched off in GNOME", "[Desktop Entry]\nExec=/nonexistent/pb\nX-GNOME-Autostart-enabled=false\n",
			AutostartStatus{Path: "/nonexistent/pb", Stale: true}},
		{"hidden", "[Desktop Entry]\nExec=/nonexistent/pb\nHidden=true\n",
			AutostartStatus{Path: "/nonexistent/pb", Stale: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entry := useTempConfig(t)
			exe := newExecutable(t, t.TempDir(), "packetbuddy")
			if err := os.MkdirAll(filepath.Dir(entry), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(entry, []byte(tt.entry), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := AutostartState(exe)
			if err != nil {
				t.Fatal(err)
			}
			tt.wantBefore.Location = entry
			if got != tt.wantBefore {
				t.Errorf("before: AutostartState = %+v, want %+v", got, tt.wantBefore)
			}
			if err := EnableAutostart(exe); err != nil {
				t.Fatal(err)
			}
			got, err = AutostartState(exe)
			if err != nil {
				t.Fatal(err)
			}
			if want := (AutostartStatus{Enabled: true, Path: exe, Location: entry}); got != want {
				t.Errorf("after: AutostartState = %+v, want %+v", got, want)
			}
			if fi, err := os.Stat(entry); err != nil || fi.Mode().Perm() != 0o644 {
				t.Errorf("repaired entry: %v, %v; want mode 0644", fi, err)
			}
		})
	}
}

func TestAutostartDisable(t *testing.T) {
	entry := useTempConfig(t)
	exe := newExecutable(t, t.TempDir(), "packetbuddy")

	// Nothing there yet: not an error, and nothing is created.
	if err := DisableAutostart(); err != nil {
		t.Fatalf("DisableAutostart with no entry: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(entry)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("DisableAutostart created %s", filepath.Dir(entry))
	}

	if err := EnableAutostart(exe); err != nil {
		t.Fatal(err)
	}
	if err := DisableAutostart(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(entry); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("entry still there after DisableAutostart: %v", err)
	}
	got, err := AutostartState(exe)
	if err != nil {
		t.Fatal(err)
	}
	if want := (AutostartStatus{Location: entry}); got != want {
		t.Errorf("AutostartState = %+v, want %+v", got, want)
	}
	if err := DisableAutostart(); err != nil {
		t.Errorf("second DisableAutostart: %v", err)
	}
}

func TestAutostartLocation(t *testing.T) {
	home := t.TempDir()
	tests := []struct {
		name, xdg, want string
		wantErr         bool
	}{
		{"XDG_CONFIG_HOME", filepath.Join(home, "xdg"), filepath.Join(home, "xdg", "autostart", "packetbuddy.desktop"), false},
		{"default ~/.config", "", filepath.Join(home, ".config", "autostart", "packetbuddy.desktop"), false},
		// The XDG spec says to ignore a relative path; os.UserConfigDir
		// refuses it, which is safer than writing somewhere unexpected.
		{"relative XDG_CONFIG_HOME", "config", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("HOME", home)
			t.Setenv("XDG_CONFIG_HOME", tt.xdg)
			got, err := AutostartState("/nonexistent")
			if (err != nil) != tt.wantErr || got.Location != tt.want {
				t.Errorf("AutostartState: Location %q, error %v; want %q, error %v", got.Location, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestEnableAutostartRejects(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, exe string }{
		{"relative", "packetbuddy"},
		{"missing", filepath.Join(dir, "missing")},
		{"directory", dir},
		{"not UTF-8", newExecutable(t, dir, "pb\xff")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entry := useTempConfig(t)
			if err := EnableAutostart(tt.exe); err == nil {
				t.Errorf("EnableAutostart(%q) succeeded", tt.exe)
			}
			if _, err := os.Stat(entry); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("an entry was written: %v", err)
			}
		})
	}
}
