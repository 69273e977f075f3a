package packaging

import (
	"errors"
	"maps"
	"path/filepath"
	"testing"
)

// fakeKey is a registry key in memory, returning errValueNotExist the way
// the adapter in autostart_windows.go does.
type fakeKey struct {
	strs map[string]string
	bins map[string][]byte
	err  error // when set, every call fails with it
}

func newFakeKey() *fakeKey {
	return &fakeKey{strs: map[string]string{}, bins: map[string][]byte{}}
}

func (k *fakeKey) GetStringValue(name string) (string, error) {
	if k.err != nil {
		return "", k.err
	}
	v, ok := k.strs[name]
	if !ok {
		return "", errValueNotExist
	}
	return v, nil
}

func (k *fakeKey) SetStringValue(name, value string) error {
	if k.err != nil {
		return k.err
	}
	k.strs[name] = value
	return nil
}

func (k *fakeKey) GetBinaryValue(name string) ([]byte, error) {
	if k.err != nil {
		return nil, k.err
	}
	v, ok := k.bins[name]
	if !ok {
		return nil, errValueNotExist
	}
	return v, nil
}

func (k *fakeKey) DeleteValue(name string) error {
	if k.err != nil {
		return k.err
	}
	_, s := k.strs[name]
	_, b := k.bins[name]
	if !s && !b {
		return errValueNotExist
	}
	delete(k.strs, name)
	delete(k.bins, name)
	return nil
}

const wantLocation = `HKCU\Software\Microsoft\Windows\CurrentVersion\Run\PacketBuddy`

func TestRunKeyEnable(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	exe := newExecutable(t, filepath.Join(dir, "Program Files", "PacketBuddy"), "packetbuddy.exe")
	run, approved := newFakeKey(), newFakeKey()
	run.strs["Other"] = `"C:\other.exe"`
	approved.bins["Other"] = []byte{3, 0, 0, 0}
	approved.bins[runValueName] = []byte{3, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8} // disabled in Task Manager

	if err := enableRunKey(run, approved, exe); err != nil {
		t.Fatal(err)
	}
	if got, want := run.strs[runValueName], `"`+exe+`"`; got != want {
		t.Errorf("Run value = %s, want %s", got, want)
	}
	if _, ok := approved.bins[runValueName]; ok {
		t.Error("Task Manager's Disabled mark survived enabling")
	}
	if run.strs["Other"] == "" || approved.bins["Other"] == nil {
		t.Error("other programs' entries were touched")
	}
	item, err := runKeyEntry(run, approved)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := item.status(exe), (AutostartStatus{Enabled: true, Path: exe, Location: wantLocation}); got != want {
		t.Errorf("status = %+v, want %+v", got, want)
	}

	// Without a StartupApproved key (never touched in Task Manager).
	run = newFakeKey()
	if err := enableRunKey(run, nil, exe); err != nil {
		t.Fatal(err)
	}
	if item, err := runKeyEntry(run, nil); err != nil || item.status(exe) != (AutostartStatus{Enabled: true, Path: exe, Location: wantLocation}) {
		t.Errorf("without StartupApproved: %+v, %v", item, err)
	}
}

func TestRunKeyEnableRejectsQuote(t *testing.T) {
	t.Parallel()
	run := newFakeKey()
	if err := enableRunKey(run, nil, `C:\a"b.exe`); err == nil {
		t.Error("a path with a quote was accepted")
	}
	if len(run.strs) != 0 {
		t.Errorf("values written: %v", run.strs)
	}
}

func TestRunKeyState(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	exe := newExecutable(t, dir, "packetbuddy.exe")
	old := newExecutable(t, filepath.Join(dir, "old"), "packetbuddy.exe")
	gone := filepath.Join(dir, "Downloads", "packetbuddy.exe")

	tests := []struct {
		name     string
		run      map[string]string
		approved map[string][]byte // nil: no StartupApproved key
		want     AutostartStatus
	}{
		{"none", nil, nil,
			AutostartStatus{Location: wantLocation}},
		{"current", map[string]string{runValueName: `"` + exe + `"`}, nil,
			AutostartStatus{Enabled: true, Path: exe, Location: wantLocation}},
		{"written by hand with arguments", map[string]string{runValueName: ` "` + exe + `" --minimized`}, nil,
			AutostartStatus{Enabled: true, Path: exe, Location: wantLocation}},
		{"unquoted", map[string]string{runValueName: exe}, nil,
			AutostartStatus{Enabled: true, Path: exe, Location: wantLocation}},
		{"moved: file gone", map[string]string{runValueName: `"` + gone + `"`}, nil,
			AutostartStatus{Enabled: true, Path: gone, Stale: true, Location: wantLocation}},
		{"another copy", map[string]string{runValueName: `"` + old + `"`}, nil,
			AutostartStatus{Enabled: true, Path: old, Stale: true, Location: wantLocation}},
		{"allowed in Task Manager", map[string]string{runValueName: `"` + exe + `"`}, map[string][]byte{runValueName: {2, 0, 0, 0}},
			AutostartStatus{Enabled: true, Path: exe, Location: wantLocation}},
		{"disabled in Task Manager", map[string]string{runValueName: `"` + exe + `"`}, map[string][]byte{runValueName: {3, 0, 0, 0}},
			AutostartStatus{Path: exe, Location: wantLocation}},
		{"other program disabled", map[string]string{runValueName: `"` + exe + `"`}, map[string][]byte{"Other": {3}},
			AutostartStatus{Enabled: true, Path: exe, Location: wantLocation}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := newFakeKey()
			maps.Copy(run.strs, tt.run)
			var approved approvalKey
			if tt.approved != nil {
				k := newFakeKey()
				maps.Copy(k.bins, tt.approved)
				approved = k
			}
			item, err := runKeyEntry(run, approved)
			if err != nil {
				t.Fatal(err)
			}
			if got := item.status(exe); got != tt.want {
				t.Errorf("status = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRunKeyRepair(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	a := newExecutable(t, filepath.Join(dir, "a"), "packetbuddy.exe")
	b := newExecutable(t, filepath.Join(dir, "b"), "packetbuddy.exe")
	run := newFakeKey()
	if err := enableRunKey(run, nil, a); err != nil {
		t.Fatal(err)
	}
	item, err := runKeyEntry(run, nil)
	if err != nil || !item.status(b).Stale {
		t.Fatalf("entry for a, running b: %+v, %v; want stale", item.status(b), err)
	}
	if err := enableRunKey(run, nil, b); err != nil {
		t.Fatal(err)
	}
	item, err = runKeyEntry(run, nil)
	if got, want := item.status(b), (AutostartStatus{Enabled: true, Path: b, Location: wantLocation}); err != nil || got != want {
		t.Errorf("after repair: %+v, %v; want %+v", got, err, want)
	}
}

func TestRunKeyDisable(t *testing.T) {
	t.Parallel()
	run, approved := newFakeKey(), newFakeKey()
	run.strs[runValueName] = `"C:\pb.exe"`
	run.strs["Other"] = `"C:\other.exe"`
	approved.bins[runValueName] = []byte{3, 0, 0, 0}

	if err := disableRunKey(run, approved); err != nil {
		t.Fatal(err)
	}
	if _, ok := run.strs[runValueName]; ok {
		t.Error("Run value still there")
	}
	if _, ok := approved.bins[runValueName]; ok {
		t.Error("StartupApproved value still there")
	}
	if run.strs["Other"] == "" {
		t.Error("another program's Run value was removed")
	}
	// Absent, with or without the approval key: no error.
	if err := disableRunKey(run, approved); err != nil {
		t.Errorf("second disable: %v", err)
	}
	if err := disableRunKey(run, nil); err != nil {
		t.Errorf("disable without StartupApproved: %v", err)
	}
}

func TestRunKeyErrors(t *testing.T) {
	t.Parallel()
	denied := errors.New("Access is denied.")
	broken := func() *fakeKey { k := newFakeKey(); k.err = denied; return k }

	if err := enableRunKey(broken(), nil, `C:\pb.exe`); !errors.Is(err, denied) {
		t.Errorf("enable, Run key failing: %v", err)
	}
	if err := enableRunKey(newFakeKey(), broken(), `C:\pb.exe`); !errors.Is(err, denied) {
		t.Errorf("enable, StartupApproved failing: %v", err)
	}
	if err := disableRunKey(broken(), nil); !errors.Is(err, denied) {
		t.Errorf("disable, Run key failing: %v", err)
	}
	if _, err := runKeyEntry(broken(), nil); !errors.Is(err, denied) {
		t.Errorf("state, Run key failing: %v", err)
	}
	run := newFakeKey()
	run.strs[runValueName] = `"C:\pb.exe"`
	if _, err := runKeyEntry(run, broken()); !errors.Is(err, denied) {
		t.Errorf("state, StartupApproved failing: %v", err)
	}
}

func TestRunCommandPath(t *testing.T) {
	t.Parallel()
	tests := []struct{ cmd, want string }{
		{`"C:\Program Files\PacketBuddy\packetbuddy.exe"`, `C:\Program Files\PacketBuddy\packetbuddy.exe`},
		{`"C:\Program Files\PacketBuddy\packetbuddy.exe" --tray`, `C:\Program Files\PacketBuddy\packetbuddy.exe`},
		{`  "C:\pb.exe"  `, `C:\pb.exe`},
		{`"C:\unterminated.exe`, `C:\unterminated.exe`},
		{`C:\Tools\pb.exe`, `C:\Tools\pb.exe`},
		{`C:\Program Files\PacketBuddy\packetbuddy.exe --tray`, `C:\Program Files\PacketBuddy\packetbuddy.exe`},
		{`C:\my.exes\PB.EXE -x`, `C:\my.exes\PB.EXE`},
		{`C:\no extension`, `C:\no extension`},
		{``, ``},
	}
	for _, tt := range tests {
		if got := runCommandPath(tt.cmd); got != tt.want {
			t.Errorf("runCommandPath(%s) = %q, want %q", tt.cmd, got, tt.want)
		}
	}
}
