//go:build !linux && !darwin && !windows

package packaging

import (
	"errors"
	"fmt"
)

// errUnsupported keeps other systems building; they get no login item.
var errUnsupported = fmt.Errorf("login items on this system: %w", errors.ErrUnsupported)

func enableAutostart(string) error { return errUnsupported }

func disableAutostart() error { return errUnsupported }

func autostartEntry() (loginItem, error) { return loginItem{}, errUnsupported }
