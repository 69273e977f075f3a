//go:build !windows

package store

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an advisory flock, which every OS but Windows that
// PacketBuddy builds for has.
func lockFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrLocked
	}
	return err
}
