package packaging

import (
	"os"
	"path/filepath"
	"testing"
)

// newExecutable creates an executable file at dir/name (dir is created) and
// returns its path.
func newExecutable(t *testing.T, dir, name string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoginItemStatus(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	exe := newExecutable(t, dir, "packetbuddy")
	other := newExecutable(t, dir, "old-packetbuddy")
	link := filepath.Join(dir, "link")
	if err := os.Symlink(exe, link); err != nil {
		// Windows allows symlinks only with developer mode or privileges.
		t.Logf("no symlink (%v); the symlink case checks a plain path", err)
		link = exe
	} else if _, err := os.Stat(link); err != nil {
		// Wine 8.0's CreateSymbolicLink reports success and creates nothing.
		t.Logf("symlink not usable (%v); the symlink case checks a plain path", err)
		link = exe
	}
	gone := filepath.Join(dir, "moved-away")

	tests := []struct {
		name string
		item loginItem
		want AutostartStatus
	}{
		{"none", loginItem{location: "L"},
			AutostartStatus{Location: "L"}},
		{"current", loginItem{location: "L", found: true, path: exe},
			AutostartStatus{Enabled: true, Path: exe, Location: "L"}},
		{"symlink to current", loginItem{location: "L", found: true, path: link},
			AutostartStatus{Enabled: true, Path: link, Location: "L"}},
		{"other executable", loginItem{location: "L", found: true, path: other},
			AutostartStatus{Enabled: true, Path: other, Stale: true, Location: "L"}},
		{"file gone", loginItem{location: "L", found: true, path: gone},
			AutostartStatus{Enabled: true, Path: gone, Stale: true, Location: "L"}},
		{"unreadable entry", loginItem{location: "L", found: true},
			AutostartStatus{Enabled: true, Stale: true, Location: "L"}},
		{"switched off by user", loginItem{location: "L", found: true, disabled: true, path: exe},
			AutostartStatus{Path: exe, Location: "L"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.item.status(exe); got != tt.want {
				t.Errorf("status = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCheckExecutable(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	exe := newExecutable(t, dir, "packetbuddy")
	tests := []struct {
		name    string
		exe     string
		wantErr bool
	}{
		{"absolute file", exe, false},
		{"relative", "packetbuddy", true},
		{"empty", "", true},
		{"missing", filepath.Join(dir, "missing"), true},
		{"directory", dir, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkExecutable(tt.exe)
			if (err != nil) != tt.wantErr {
				t.Errorf("checkExecutable(%q) = %v, want error %v", tt.exe, err, tt.wantErr)
			}
		})
	}
}
