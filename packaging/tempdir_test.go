package packaging

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// tempDir is t.TempDir that Wine 8.0 can clean up. Go 1.26's os.RemoveAll
// deletes through NtSetInformationFile(FileDispositionInformationEx), which
// Wine 8.0 answers with STATUS_NOT_IMPLEMENTED ("Invalid function") instead
// of an error Go falls back from, so t.TempDir's own cleanup fails there
// once the directory holds anything. DeleteFile and RemoveDirectory, which
// os.Remove uses, work: the tree is emptied with them first. On Windows
// itself this only removes the files a little earlier.
func tempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if runtime.GOOS == "windows" {
		t.Cleanup(func() { removeTree(t, dir) })
	}
	return dir
}

// removeTree removes dir and everything in it, one os.Remove at a time,
// deepest first.
func removeTree(t *testing.T, dir string) {
	var paths []string
	filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err == nil {
			paths = append(paths, p)
		}
		return nil
	})
	for i := len(paths) - 1; i >= 0; i-- {
		if err := os.Remove(paths[i]); err != nil {
			t.Logf("remove %s: %v", paths[i], err)
		}
	}
}
