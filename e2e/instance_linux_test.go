package e2e

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSecondInstanceRefused: a second --headless with the same data
// directory exits with status 1 and says one is already running; the first
// keeps running and stops cleanly.
func TestSecondInstanceRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	app := e.startApp("packetbuddy (first)")
	e.waitHealthy(app)

	ctx, cancel := context.WithTimeout(e.ctx, 15*time.Second)
	defer cancel()
	out, err := e.headlessCmd(ctx).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("second instance with the same data dir was still running after 15 s (killed); want exit status 1 at once; output:\n%s", out)
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		t.Errorf("second instance exited with status 0; want 1; output:\n%s", out)
	case errors.As(err, &exitErr):
		if code := exitErr.ExitCode(); code != 1 {
			t.Errorf("second instance: %v (exit code %d); want exit status 1; output:\n%s", err, code, out)
		}
	default:
		t.Fatalf("second instance: %v", err)
	}
	if msg := strings.ToLower(string(out)); !strings.Contains(msg, "already running") && !strings.Contains(msg, "another instance") {
		t.Errorf("second instance's output does not say that one is already running:\n%s", out)
	} else {
		t.Logf("second instance: %v: %s", err, bytes.TrimSpace(out))
	}

	select {
	case <-app.done:
		t.Fatalf("the first instance exited after the second one was started: %v", app.err)
	default:
	}
	e.waitHealthy(app)
	app.stop(syscall.SIGTERM)
}
