package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// LockFileName is the single-instance lock inside the data directory.
const LockFileName = "packetbuddy.lock"

// ErrLocked means another instance holds the data directory.
var ErrLocked = errors.New("another PacketBuddy is already running")

// Lock is a held single-instance lock. The OS releases it when the process
// dies, so a crash never leaves a stale lock behind.
type Lock struct {
	f *os.File
}

// AcquireLock takes the data directory's lock and records info (for example
// the dashboard address) in it for a second instance to report. When the
// lock is held elsewhere it returns ErrLocked and the holder's info.
func AcquireLock(dir, info string) (*Lock, string, error) {
	if err := EnsureDataDir(dir); err != nil {
		return nil, "", err
	}
	path := filepath.Join(dir, LockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, "", fmt.Errorf("open lock: %w", err)
	}
	if err := lockFile(f); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, ErrLocked) {
			return nil, strings.TrimSpace(string(b)), ErrLocked
		}
		return nil, "", fmt.Errorf("lock %s: %w", path, err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(info+"\n"), 0)
	return &Lock{f: f}, "", nil
}

// Release frees the lock.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
