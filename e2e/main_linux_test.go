package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMain runs a helper (traffic source, sink or health probe) when the
// test binary is re-executed as one inside a namespace, and otherwise the
// tests, removing the built binary afterwards.
func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		if err := runHelper(mode); err != nil {
			fmt.Fprintf(os.Stderr, "e2e helper %s: %v\n", mode, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

// build is the packetbuddy binary, built at most once per test process and
// only when a test gets past its requirements.
var build struct {
	once sync.Once
	dir  string // temporary directory holding the binary; TestMain removes it
	path string
	err  error
}

// binary builds the app once per test process, from the build cache when
// it is warm, and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "packetbuddy-e2e-")
		if build.err != nil {
			return
		}
		gotool, err := exec.LookPath("go") // go test puts its own go first in PATH
		if err != nil {
			build.err = fmt.Errorf("the go tool is needed to build the binary: %w", err)
			return
		}
		build.path = filepath.Join(build.dir, "packetbuddy")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		start := time.Now()
		args := []string{"build", "-o", build.path, "github.com/packetbuddy/packetbuddy"}
		out, err := exec.CommandContext(ctx, gotool, args...).CombinedOutput()
		if err != nil {
			build.err = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
			return
		}
		t.Logf("built %s in %s", build.path, time.Since(start).Round(time.Millisecond))
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}
