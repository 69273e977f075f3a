package packaging

import (
	"errors"
	"fmt"
	"strings"
)

// The Windows login item: a value under the current user's Run key. The
// logic lives in a file without a build tag and works on the small
// interfaces below, so that it is tested anywhere with a fake registry;
// autostart_windows.go only opens the real keys.

const (
	runKeyPath   = `Software\Microsoft\Windows\CurrentVersion\Run`
	runValueName = "PacketBuddy"

	// Task Manager's Startup tab records "Disabled" here, under the same
	// value name, and Windows then skips the Run value at login.
	approvedKeyPath = `Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run`
)

// runLocation is shown to the user as where the entry lives.
const runLocation = `HKCU\` + runKeyPath + `\` + runValueName

// errValueNotExist is what the interfaces below return for a missing value,
// whatever the registry package calls it.
var errValueNotExist = errors.New("registry value does not exist")

// runKey is the part of the Run key the login item uses.
type runKey interface {
	GetStringValue(name string) (string, error)
	SetStringValue(name, value string) error
	DeleteValue(name string) error
}

// approvalKey is the part of the StartupApproved\Run key the login item uses.
type approvalKey interface {
	GetBinaryValue(name string) ([]byte, error)
	DeleteValue(name string) error
}

// enableRunKey points the Run value at exe. approved may be nil when that
// key does not exist.
func enableRunKey(run runKey, approved approvalKey, exe string) error {
	// Windows paths cannot contain quotes; one here would end the quoted
	// path early.
	if strings.Contains(exe, `"`) {
		return fmt.Errorf("path %q contains a quote", exe)
	}
	// Quoted, because Windows splits an unquoted command line at the first
	// space ("C:\Program Files\...").
	if err := run.SetStringValue(runValueName, `"`+exe+`"`); err != nil {
		return fmt.Errorf("set %s: %w", runLocation, err)
	}
	// The user has just asked for PacketBuddy to start at login; a
	// "Disabled" left behind in Task Manager would silently overrule that.
	return deleteValue(approved, runValueName)
}

// disableRunKey removes the Run value and any Task Manager state for it.
func disableRunKey(run runKey, approved approvalKey) error {
	if err := deleteValue(run, runValueName); err != nil {
		return err
	}
	return deleteValue(approved, runValueName)
}

// deleteValue deletes a value that may be missing, in a key that may be nil.
func deleteValue(k interface{ DeleteValue(string) error }, name string) error {
	if k == nil {
		return nil
	}
	if err := k.DeleteValue(name); err != nil && !errors.Is(err, errValueNotExist) {
		return fmt.Errorf("delete registry value %s: %w", name, err)
	}
	return nil
}

// runKeyEntry reads the login item back.
func runKeyEntry(run runKey, approved approvalKey) (loginItem, error) {
	item := loginItem{location: runLocation}
	v, err := run.GetStringValue(runValueName)
	if errors.Is(err, errValueNotExist) {
		return item, nil
	}
	if err != nil {
		return loginItem{}, fmt.Errorf("read %s: %w", runLocation, err)
	}
	item.found = true
	item.path = runCommandPath(v)
	if approved != nil {
		b, err := approved.GetBinaryValue(runValueName)
		switch {
		case errors.Is(err, errValueNotExist):
		case err != nil:
			return loginItem{}, fmt.Errorf("read startup approval: %w", err)
		default:
			// The first byte is even (02, 06) when the entry is allowed
			// and odd (03, 07) when it was disabled in Task Manager.
			item.disabled = len(b) > 0 && b[0]&1 == 1
		}
	}
	return item, nil
}

// runCommandPath returns the executable a Run command line starts: the
// quoted part if it starts with a quote, else (a value written by hand)
// everything up to the first ".exe" that ends a word, else all of it.
func runCommandPath(cmd string) string {
	cmd = strings.TrimSpace(cmd)
	if rest, ok := strings.CutPrefix(cmd, `"`); ok {
		path, _, _ := strings.Cut(rest, `"`)
		return path
	}
	lower := strings.ToLower(cmd)
	for i := 0; ; {
		j := strings.Index(lower[i:], ".exe")
		if j < 0 {
			return cmd
		}
		end := i + j + len(".exe")
		if end == len(cmd) || cmd[end] == ' ' || cmd[end] == '\t' {
			return cmd[:end]
		}
		i = end
	}
}
