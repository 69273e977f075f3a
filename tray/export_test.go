//go:build cgo || !darwin

package tray

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/store"
)

// exportStore is a Store whose Export writes data and then fails with err.
type exportStore struct {
	Store
	data string
	err  error
}

func (s exportStore) Export(ctx context.Context, w io.Writer, o store.ExportOptions) (int64, error) {
	if _, err := io.WriteString(w, s.data); err != nil {
		return 0, err
	}
	return 1, s.err
}

// dirContents maps each file in dir to its content.
func dirContents(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(data)
	}
	return files
}

func TestExportNeverReplaces(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const name = "packetbuddy-20260102-030405"
	tests := []struct {
		name     string
		existing []string
		want     string
	}{
		{"free name", nil, name + ".csv"},
		{"name taken", []string{name + ".csv"}, name + "-2.csv"},
		{"two taken", []string{name + ".csv", name + "-2.csv"}, name + "-3.csv"},
		{"gap", []string{name + ".csv", name + "-3.csv"}, name + "-2.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			want := map[string]string{tt.want: "new"}
			for _, n := range tt.existing {
				if err := os.WriteFile(filepath.Join(dir, n), []byte("old "+n), 0o600); err != nil {
					t.Fatal(err)
				}
				want[n] = "old " + n
			}
			tr := New(Deps{Store: exportStore{data: "new"}}, Options{ExportDir: dir})
			path, rows, err := tr.export(context.Background(), store.FormatCSV, at)
			if err != nil {
				t.Fatal(err)
			}
			if path != filepath.Join(dir, tt.want) || rows != 1 {
				t.Errorf("export = %q, %d rows; want %q, 1 row", path, rows, filepath.Join(dir, tt.want))
			}
			if got := dirContents(t, dir); !maps.Equal(got, want) {
				t.Errorf("folder holds %v, want %v (and no temporary file)", got, want)
			}
		})
	}
}

func TestExportTooManyWithOneName(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	want := map[string]string{"packetbuddy-20260102-030405.json": ""}
	for i := 2; i <= maxExportsPerName; i++ {
		want[fmt.Sprintf("packetbuddy-20260102-030405-%d.json", i)] = ""
	}
	for n := range want {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tr := New(Deps{Store: exportStore{data: "{}"}}, Options{ExportDir: dir})
	if _, _, err := tr.export(context.Background(), store.FormatJSON, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)); err == nil {
		t.Fatal("export succeeded with every name taken")
	}
	if got := dirContents(t, dir); !maps.Equal(got, want) {
		t.Errorf("folder holds %d files, want the %d that were there", len(got), len(want))
	}
}

func TestFailedExportLeavesNoFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	failed := errors.New("disk on fire")
	tr := New(Deps{Store: exportStore{data: "half a row", err: failed}}, Options{ExportDir: dir})
	_, _, err := tr.export(context.Background(), store.FormatCSV, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	if !errors.Is(err, failed) {
		t.Fatalf("export error = %v, want %v", err, failed)
	}
	if got := dirContents(t, dir); len(got) != 0 {
		t.Errorf("a failed export left %v", got)
	}
}
