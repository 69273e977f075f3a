// Package atomicfile writes a file so that readers see either the old
// content or the new, never a half-written file: the data goes to a
// temporary file in the same directory, is synced to disk, and is then
// renamed (or linked) to the final name. A crash, a full disk or a
// cancelled export leaves at most a hidden ".name.*.tmp" file behind, never
// a truncated file under the real name. It is the one home of that rule for
// the settings file, the login items and the exports (after tailscale's
// atomicfile).
//
// One file serves every OS: os.Rename replaces an existing file on Windows
// too (MoveFileEx with MOVEFILE_REPLACE_EXISTING).
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// File is a temporary file that becomes the file at its path only when
// committed. Close without a commit removes it, so `defer f.Close()` cleans
// up after every failed or cancelled write.
type File struct {
	f    *os.File // nil once closed
	tmp  string   // the temporary file's name; "" once it is gone
	path string
}

// New creates the temporary file for path with the mode perm, set
// explicitly because the umask must not decide who can read the result.
// The temporary name ends in ".tmp", not in the final name's extension, so
// a leftover is ignored by whatever reads the directory (.desktop, .plist).
func New(path string, perm fs.FileMode) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &File{f: f, tmp: f.Name(), path: path}, nil
}

// WriteFile replaces path with data in one rename.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	f, err := New(path, perm)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.Commit()
}

// Write writes to the temporary file.
func (f *File) Write(p []byte) (int, error) {
	if f.f == nil {
		return 0, fs.ErrClosed
	}
	return f.f.Write(p)
}

// Path is where a commit puts the file.
func (f *File) Path() string { return f.path }

// SetPath changes where a later commit puts the file.
func (f *File) SetPath(path string) { f.path = path }

// Commit syncs the data and renames the temporary file to the path,
// replacing any file there.
func (f *File) Commit() error {
	if err := f.flush(); err != nil {
		return err
	}
	if err := os.Rename(f.tmp, f.path); err != nil {
		return err
	}
	f.tmp = ""
	return nil
}

// CommitNew is Commit that never replaces an existing file. When the path
// is taken it returns an error matching fs.ErrExist and keeps the data, so
// the caller can SetPath to another name and try again.
func (f *File) CommitNew() error {
	if err := f.flush(); err != nil {
		return err
	}
	// Link, unlike Rename, refuses to replace an existing file.
	err := os.Link(f.tmp, f.path)
	switch {
	case err == nil:
		os.Remove(f.tmp)
	case errors.Is(err, fs.ErrExist):
		return err
	default:
		// A file system without hard links: rename if the name is free.
		if _, serr := os.Lstat(f.path); serr == nil {
			return fmt.Errorf("%s: %w", f.path, fs.ErrExist)
		}
		if err := os.Rename(f.tmp, f.path); err != nil {
			return err
		}
	}
	f.tmp = ""
	return nil
}

// flush syncs and closes the temporary file once.
func (f *File) flush() error {
	if f.tmp == "" {
		return fs.ErrClosed
	}
	if f.f == nil {
		return nil
	}
	err := f.f.Sync()
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	f.f = nil
	return err
}

// Close removes the temporary file unless it was committed. It is safe to
// call more than once and after a commit.
func (f *File) Close() error {
	if f.f != nil {
		f.f.Close()
		f.f = nil
	}
	if f.tmp == "" {
		return nil
	}
	err := os.Remove(f.tmp)
	f.tmp = ""
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
