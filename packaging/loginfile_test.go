package packaging

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestWriteLoginFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		old  []byte // the file already there; nil for none
	}{
		{"new file in a new directory", nil},
		{"replaces a private file", []byte("old entry")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(tempDir(t), "autostart", "packetbuddy.desktop")
			if tt.old != nil {
				if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, tt.old, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := writeLoginFile(file, []byte("new entry")); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(file)
			if err != nil || string(got) != "new entry" {
				t.Errorf("content = %q, %v; want %q", got, err, "new entry")
			}
			fi, err := os.Stat(file)
			if err != nil {
				t.Fatal(err)
			}
			// Windows has no such modes.
			if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o644 {
				t.Errorf("mode = %v, want 0644", fi.Mode().Perm())
			}
			if left, _ := filepath.Glob(filepath.Join(filepath.Dir(file), ".*")); len(left) > 0 {
				t.Errorf("temporary files left behind: %v", left)
			}
		})
	}
}

func TestRemoveLoginFile(t *testing.T) {
	t.Parallel()
	file := filepath.Join(tempDir(t), "packetbuddy.desktop")
	if err := os.WriteFile(file, []byte("entry"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := removeLoginFile(file); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("file still there: %v", err)
	}
	if err := removeLoginFile(file); err != nil {
		t.Errorf("removing a file that is gone: %v", err)
	}
}

func TestReadLoginFile(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	entry := filepath.Join(dir, "entry")
	if err := os.WriteFile(entry, []byte("/opt/pb off"), 0o644); err != nil {
		t.Fatal(err)
	}
	parse := func(data []byte) (string, bool) {
		if string(data) != "/opt/pb off" {
			t.Errorf("parse got %q", data)
		}
		return "/opt/pb", true
	}
	tests := []struct {
		name    string
		file    string
		want    loginItem
		wantErr bool
	}{
		{"missing", filepath.Join(dir, "missing"), loginItem{location: filepath.Join(dir, "missing")}, false},
		{"present", entry, loginItem{location: entry, found: true, path: "/opt/pb", disabled: true}, false},
		{"unreadable", dir, loginItem{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readLoginFile(tt.file, parse)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("readLoginFile = %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
