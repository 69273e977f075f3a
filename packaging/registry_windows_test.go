package packaging

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// These tests run the login item against the real registry of the current
// user: under Wine in CI (GOOS=windows go test -exec wine ./packaging/, see
// scripts/wine-setup.sh), and on Windows itself. Whatever PacketBuddy entry
// the user had is put back afterwards.

// underWine reports whether the test runs under Wine, whose ntdll exports
// wine_get_version.
func underWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}

// keepRegistryValue restores the value name under HKCU\path, or its
// absence, and the key's absence, when the test ends.
func keepRegistryValue(t *testing.T, path, name string) {
	t.Helper()
	k, err := registry.OpenKey(registry.CURRENT_USER, path, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		t.Cleanup(func() {
			err := registry.DeleteKey(registry.CURRENT_USER, path)
			if err != nil && !errors.Is(err, registry.ErrNotExist) {
				t.Errorf("remove %s: %v", path, err)
			}
		})
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	restore, err := savedValue(k, name)
	if err != nil {
		t.Fatalf("save %s\\%s: %v", path, name, err)
	}
	t.Cleanup(func() {
		k, _, err := registry.CreateKey(registry.CURRENT_USER, path, registry.SET_VALUE)
		if err != nil {
			t.Errorf("restore %s\\%s: %v", path, name, err)
			return
		}
		defer k.Close()
		if err := restore(k); err != nil {
			t.Errorf("restore %s\\%s: %v", path, name, err)
		}
	})
}

// savedValue reads a value and returns what writes it back (or deletes it,
// if there was none).
func savedValue(k registry.Key, name string) (func(registry.Key) error, error) {
	_, typ, err := k.GetValue(name, nil)
	if errors.Is(err, registry.ErrNotExist) {
		return func(k registry.Key) error {
			if err := k.DeleteValue(name); err != nil && !errors.Is(err, registry.ErrNotExist) {
				return err
			}
			return nil
		}, nil
	}
	if err != nil {
		return nil, err
	}
	switch typ {
	case registry.SZ, registry.EXPAND_SZ:
		v, _, err := k.GetStringValue(name)
		if err != nil {
			return nil, err
		}
		if typ == registry.EXPAND_SZ {
			return func(k registry.Key) error { return k.SetExpandStringValue(name, v) }, nil
		}
		return func(k registry.Key) error { return k.SetStringValue(name, v) }, nil
	case registry.BINARY:
		v, _, err := k.GetBinaryValue(name)
		if err != nil {
			return nil, err
		}
		return func(k registry.Key) error { return k.SetBinaryValue(name, v) }, nil
	}
	return nil, fmt.Errorf("value of type %d: the test would not be able to put it back", typ)
}

// rawRunValue reads the Run value as stored, without the package's code.
func rawRunValue(t *testing.T) (string, bool) {
	t.Helper()
	k, err := registry.OpenKey(registry.CURRENT_USER, runKeyPath, registry.QUERY_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	v, _, err := k.GetStringValue(runValueName)
	if errors.Is(err, registry.ErrNotExist) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	return v, true
}

func setApproval(t *testing.T, data []byte) {
	t.Helper()
	k, _, err := registry.CreateKey(registry.CURRENT_USER, approvedKeyPath, registry.SET_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if err := k.SetBinaryValue(runValueName, data); err != nil {
		t.Fatal(err)
	}
}

func approvalExists(t *testing.T) bool {
	t.Helper()
	k, err := registry.OpenKey(registry.CURRENT_USER, approvedKeyPath, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	_, _, err = k.GetBinaryValue(runValueName)
	return err == nil
}

func TestAutostartRegistry(t *testing.T) {
	if underWine() {
		t.Log("running under Wine")
	}
	keepRegistryValue(t, runKeyPath, runValueName)
	keepRegistryValue(t, runKeyPath, "PacketBuddyTestOther")
	keepRegistryValue(t, approvedKeyPath, runValueName)

	dir := tempDir(t)
	exe := newExecutable(t, filepath.Join(dir, "Program Files", "PacketBuddy"), "packetbuddy.exe")
	other := newExecutable(t, filepath.Join(dir, "old"), "packetbuddy.exe")

	// Another program's value must survive everything below.
	run, _, err := registry.CreateKey(registry.CURRENT_USER, runKeyPath, registry.SET_VALUE|registry.QUERY_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	if err := run.SetStringValue("PacketBuddyTestOther", `"C:\other.exe"`); err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name  string
		do    func(t *testing.T)
		exe   string // AutostartState's argument
		want  AutostartStatus
		value string // the Run value as stored; "" for none
	}{
		{"disable when there is nothing", func(t *testing.T) {
			if err := DisableAutostart(); err != nil {
				t.Fatal(err)
			}
		}, exe, AutostartStatus{Location: runLocation}, ""},
		{"enable", func(t *testing.T) {
			if err := EnableAutostart(exe); err != nil {
				t.Fatal(err)
			}
		}, exe, AutostartStatus{Enabled: true, Path: exe, Location: runLocation}, `"` + exe + `"`},
		{"another copy runs: stale", func(t *testing.T) {}, other,
			AutostartStatus{Enabled: true, Path: exe, Stale: true, Location: runLocation}, `"` + exe + `"`},
		{"repair", func(t *testing.T) {
			if err := EnableAutostart(other); err != nil {
				t.Fatal(err)
			}
		}, other, AutostartStatus{Enabled: true, Path: other, Location: runLocation}, `"` + other + `"`},
		{"disabled in Task Manager", func(t *testing.T) {
			setApproval(t, []byte{3, 0, 0, 0, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80})
		}, other, AutostartStatus{Path: other, Location: runLocation}, `"` + other + `"`},
		{"allowed in Task Manager", func(t *testing.T) {
			setApproval(t, []byte{2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
		}, other, AutostartStatus{Enabled: true, Path: other, Location: runLocation}, `"` + other + `"`},
		{"enable clears Task Manager's mark", func(t *testing.T) {
			setApproval(t, []byte{3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
			if err := EnableAutostart(exe); err != nil {
				t.Fatal(err)
			}
			if approvalExists(t) {
				t.Error("StartupApproved value survived EnableAutostart")
			}
		}, exe, AutostartStatus{Enabled: true, Path: exe, Location: runLocation}, `"` + exe + `"`},
		{"written by hand as REG_EXPAND_SZ", func(t *testing.T) {
			t.Setenv("PACKETBUDDY_TEST_DIR", filepath.Dir(exe))
			if err := run.SetExpandStringValue(runValueName, `"%PACKETBUDDY_TEST_DIR%\packetbuddy.exe" --minimized`); err != nil {
				t.Fatal(err)
			}
		}, exe, AutostartStatus{Enabled: true, Path: exe, Location: runLocation}, `"%PACKETBUDDY_TEST_DIR%\packetbuddy.exe" --minimized`},
		{"disable", func(t *testing.T) {
			setApproval(t, []byte{3, 0, 0, 0})
			if err := DisableAutostart(); err != nil {
				t.Fatal(err)
			}
			if approvalExists(t) {
				t.Error("StartupApproved value survived DisableAutostart")
			}
		}, exe, AutostartStatus{Location: runLocation}, ""},
		{"disable again", func(t *testing.T) {
			if err := DisableAutostart(); err != nil {
				t.Fatal(err)
			}
		}, exe, AutostartStatus{Location: runLocation}, ""},
	}
	// The steps share one registry, in order: a failure stops the rest.
	for _, s := range steps {
		ok := t.Run(s.name, func(t *testing.T) {
			s.do(t)
			got, err := AutostartState(s.exe)
			if err != nil {
				t.Fatal(err)
			}
			if got != s.want {
				t.Errorf("AutostartState = %+v, want %+v", got, s.want)
			}
			v, found := rawRunValue(t)
			if s.value == "" && found {
				t.Errorf("Run value %q still there", v)
			}
			if s.value != "" && v != s.value {
				t.Errorf("Run value = %q, want %q", v, s.value)
			}
		})
		if !ok {
			break
		}
	}
	if v, _, err := run.GetStringValue("PacketBuddyTestOther"); err != nil || v != `"C:\other.exe"` {
		t.Errorf("another program's Run value: %q, %v", v, err)
	}
}

func TestAutostartRegistryRejects(t *testing.T) {
	keepRegistryValue(t, runKeyPath, runValueName)
	if err := DisableAutostart(); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, exe string }{
		{"relative", `packetbuddy.exe`},
		{"missing", filepath.Join(tempDir(t), "missing.exe")},
		{"directory", os.TempDir()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := EnableAutostart(tt.exe); err == nil {
				t.Errorf("EnableAutostart(%q) succeeded", tt.exe)
			}
			if v, found := rawRunValue(t); found {
				t.Errorf("Run value written: %q", v)
			}
		})
	}
}
