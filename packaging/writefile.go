package packaging

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// writeFile replaces name with data in one rename, so that a crash or a full
// disk never leaves a half-written login item for the desktop to trip over
// at the next login. The mode is set explicitly because the umask must not
// decide whether the desktop can read the entry.
func writeFile(name string, data []byte, perm fs.FileMode) (err error) {
	// The temporary name does not end in .desktop or .plist, so a leftover
	// from a crash is ignored by the desktop.
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}

// removeFile removes name; a file that is already gone is what the caller
// wanted.
func removeFile(name string) error {
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
