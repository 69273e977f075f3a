package packaging

import (
	"errors"

	"golang.org/x/sys/windows/registry"
)

func enableAutostart(exe string) error {
	// The Run key exists on every Windows install; CreateKey opens it, and
	// would create it on a stripped-down one.
	run, _, err := registry.CreateKey(registry.CURRENT_USER, runKeyPath, registry.QUERY_VALUE|registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer run.Close()
	approved, closeApproved, err := openApprovalKey()
	if err != nil {
		return err
	}
	defer closeApproved()
	return enableRunKey(registryKey{run}, approved, exe)
}

func disableAutostart() error {
	run, err := registry.OpenKey(registry.CURRENT_USER, runKeyPath, registry.QUERY_VALUE|registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer run.Close()
	approved, closeApproved, err := openApprovalKey()
	if err != nil {
		return err
	}
	defer closeApproved()
	return disableRunKey(registryKey{run}, approved)
}

func autostartEntry() (loginItem, error) {
	run, err := registry.OpenKey(registry.CURRENT_USER, runKeyPath, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return loginItem{location: runLocation}, nil
	}
	if err != nil {
		return loginItem{}, err
	}
	defer run.Close()
	approved, closeApproved, err := openApprovalKey()
	if err != nil {
		return loginItem{}, err
	}
	defer closeApproved()
	return runKeyEntry(registryKey{run}, approved)
}

// openApprovalKey opens Task Manager's StartupApproved\Run key. Explorer
// creates it only once something has been toggled there, so a missing key
// is a nil approvalKey, not an error.
func openApprovalKey() (approvalKey, func(), error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, approvedKeyPath, registry.QUERY_VALUE|registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil, func() {}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return registryKey{k}, func() { k.Close() }, nil
}

// registryKey adapts registry.Key to runKey and approvalKey.
type registryKey struct{ k registry.Key }

// GetStringValue reads a REG_SZ value, or a REG_EXPAND_SZ one (written by
// hand, as Windows allows in the Run key) with its variables expanded.
func (r registryKey) GetStringValue(name string) (string, error) {
	s, typ, err := r.k.GetStringValue(name)
	if err != nil {
		return "", notExist(err)
	}
	if typ == registry.EXPAND_SZ {
		return registry.ExpandString(s)
	}
	return s, nil
}

func (r registryKey) SetStringValue(name, value string) error {
	return r.k.SetStringValue(name, value)
}

func (r registryKey) DeleteValue(name string) error {
	return notExist(r.k.DeleteValue(name))
}

func (r registryKey) GetBinaryValue(name string) ([]byte, error) {
	b, _, err := r.k.GetBinaryValue(name)
	return b, notExist(err)
}

// notExist turns the registry's error for a missing value into
// errValueNotExist.
func notExist(err error) error {
	if errors.Is(err, registry.ErrNotExist) {
		return errValueNotExist
	}
	return err
}
