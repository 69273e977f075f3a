package dashboard

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestToken(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	tok, err := LoadOrCreateToken(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != 64 || strings.Trim(tok, "0123456789abcdef") != "" {
		t.Errorf("token %q: want 64 hex characters", tok)
	}
	fi, err := os.Stat(filepath.Join(dir, TokenFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	again, err := LoadOrCreateToken(dir)
	if err != nil || again != tok {
		t.Errorf("second load %q, %v; want the same token", again, err)
	}
	if read, err := ReadToken(dir); err != nil || read != tok {
		t.Errorf("ReadToken %q, %v", read, err)
	}
	other, _ := LoadOrCreateToken(t.TempDir())
	if other == tok {
		t.Error("two installs got the same token")
	}
	// Too-open permissions are tightened.
	os.Chmod(filepath.Join(dir, TokenFile), 0o644)
	if _, err := LoadOrCreateToken(dir); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, TokenFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after reload %v", fi.Mode().Perm())
	}
	// A damaged file is reported, not replaced.
	os.WriteFile(filepath.Join(dir, TokenFile), []byte("short\n"), 0o600)
	if _, err := LoadOrCreateToken(dir); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("damaged token: %v", err)
	}
	if _, err := ReadToken(t.TempDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadToken without a file: %v", err)
	}
}

// TestTokenReadWhileBeingCreated: a process that finds the token file
// created but not yet written (another process won the creation race a
// moment ago) waits for the token instead of calling the file damaged; a
// file still empty after tokenWriteWait is damaged. It runs on synctest's
// clock.
func TestTokenReadWhileBeingCreated(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, TokenFile)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Repeat("ab", tokenBytes)
		go func() { // owned by the test: ends after one write
			time.Sleep(tokenWriteWait / 2)
			f.WriteString(want + "\n")
			f.Close()
		}()
		for _, load := range []func(string) (string, error){LoadOrCreateToken, ReadToken} {
			got, err := load(dir)
			if err != nil || got != want {
				t.Fatalf("got %q, %v; want the other process's token", got, err)
			}
		}

		empty := t.TempDir()
		if err := os.WriteFile(filepath.Join(empty, TokenFile), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := ReadToken(empty); err == nil || !strings.Contains(err.Error(), "damaged") {
			t.Errorf("token file never written: %v; want damaged", err)
		}
		if waited := time.Since(start); waited < tokenWriteWait {
			t.Errorf("gave up on the empty file after %v, want %v", waited, tokenWriteWait)
		}
	})
}

// TestTokenConcurrentCreate: processes starting together on a fresh data
// directory all end up with one token.
func TestTokenConcurrentCreate(t *testing.T) {
	t.Parallel()
	for round := range 20 {
		dir := filepath.Join(t.TempDir(), "data")
		const n = 8
		toks := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { toks[i], errs[i] = LoadOrCreateToken(dir) })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil || toks[i] != toks[0] {
				t.Fatalf("round %d: caller %d got %q, %v; caller 0 got %q", round, i, toks[i], errs[i], toks[0])
			}
		}
	}
}
