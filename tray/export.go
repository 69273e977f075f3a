//go:build cgo || !darwin

package tray

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/packetbuddy/packetbuddy/internal/atomicfile"
	"github.com/packetbuddy/packetbuddy/store"
)

// maxExportsPerName is how many exports may share one name (with "-2" up
// to "-99") before an export gives up rather than probe forever.
const maxExportsPerName = 99

// export writes all of this device's history to a new file in the export
// directory through Store.Export, as the CLI and the HTTP API do. It
// returns the file's path and the number of rows. A failed or cancelled
// export leaves no file behind, and an existing file is never replaced.
func (t *Tray) export(ctx context.Context, format string, now time.Time) (string, int64, error) {
	dir := exportDir(t.o.ExportDir, t.o.DataDir)
	if dir == "" {
		return "", 0, errors.New("no folder to export to")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", 0, fmt.Errorf("export folder: %w", err)
	}
	f, err := atomicfile.New(filepath.Join(dir, exportName(now, format)), 0o600)
	if err != nil {
		return "", 0, fmt.Errorf("export: %w", err)
	}
	defer f.Close()
	rows, err := t.d.Store.Export(ctx, f, store.ExportOptions{Format: format, Location: t.loc})
	if err != nil {
		return "", 0, fmt.Errorf("export: %w", err)
	}
	if err := commitNew(f); err != nil {
		return "", 0, fmt.Errorf("export: %w", err)
	}
	return f.Path(), rows, nil
}

// commitNew commits f under its path or, when that is taken, under the
// path with "-2", "-3"... before the extension: two exports in the same
// second both survive.
func commitNew(f *atomicfile.File) error {
	base := f.Path()
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	for i := 2; ; i++ {
		err := f.CommitNew()
		if !errors.Is(err, fs.ErrExist) {
			return err
		}
		if i > maxExportsPerName {
			return fmt.Errorf("too many exports named %s", filepath.Base(base))
		}
		f.SetPath(fmt.Sprintf("%s-%d%s", stem, i, ext))
	}
}
