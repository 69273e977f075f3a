//go:build linux || freebsd || openbsd || netbsd

package tray

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParseUserDirs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, data, want string
	}{
		{"default", "# comment\nXDG_DESKTOP_DIR=\"$HOME/Desktop\"\nXDG_DOWNLOAD_DIR=\"$HOME/Downloads\"\n", "/home/u/Downloads"},
		{"translated", "XDG_DOWNLOAD_DIR=\"$HOME/Téléchargements\"", "/home/u/Téléchargements"},
		{"absolute", "XDG_DOWNLOAD_DIR=\"/data/dl\"", "/data/dl"},
		{"disabled", "XDG_DOWNLOAD_DIR=\"$HOME/\"", ""},
		{"unquoted", "XDG_DOWNLOAD_DIR=$HOME/Downloads", ""},
		{"relative", "XDG_DOWNLOAD_DIR=\"Downloads\"", ""},
		{"missing", "XDG_MUSIC_DIR=\"$HOME/Music\"", ""},
		{"commented out", "#XDG_DOWNLOAD_DIR=\"$HOME/Downloads\"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseUserDirs([]byte(tt.data), "XDG_DOWNLOAD_DIR", "/home/u"); got != tt.want {
				t.Errorf("parseUserDirs = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestExportDir(t *testing.T) {
	dir := t.TempDir()
	home, cfg, data := filepath.Join(dir, "home"), filepath.Join(dir, "config"), filepath.Join(dir, "data")
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", cfg)
	mkdir := func(p string) {
		t.Helper()
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mkdir(cfg)
	if got := exportDir("", data); got != data {
		t.Errorf("without Downloads: %q, want the data dir %q", got, data)
	}
	mkdir(filepath.Join(home, "Downloads"))
	if got, want := exportDir("", data), filepath.Join(home, "Downloads"); got != want {
		t.Errorf("with ~/Downloads: %q, want %q", got, want)
	}
	mkdir(filepath.Join(home, "Téléchargements"))
	if err := os.WriteFile(filepath.Join(cfg, "user-dirs.dirs"), []byte(`XDG_DOWNLOAD_DIR="$HOME/Téléchargements"`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := exportDir("", data), filepath.Join(home, "Téléchargements"); got != want {
		t.Errorf("with user-dirs.dirs: %q, want %q", got, want)
	}
	if got := exportDir("/chosen", data); got != "/chosen" {
		t.Errorf("configured: %q", got)
	}
}
