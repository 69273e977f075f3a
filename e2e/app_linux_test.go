package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

// instance is a running `packetbuddy --headless`.
type instance struct {
	e    *env
	name string
	cmd  *exec.Cmd
	out  *testenv.Buffer
	done chan struct{} // closed when the process has been reaped
	err  error         // Wait's result, valid after done
}

// headlessCmd is the command line of `packetbuddy --headless` inside
// namespace A, on the test's configuration and data directory.
func (e *env) headlessCmd(ctx context.Context) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", e.nsA, e.bin,
		"--headless", "--config", e.configPath, "--data-dir", e.dataDir)
	cmd.Env = e.appEnv
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// startApp runs `packetbuddy --headless` inside namespace A.
func (e *env) startApp(name string) *instance {
	e.t.Helper()
	a := &instance{e: e, name: name, out: &testenv.Buffer{}, done: make(chan struct{})}
	a.cmd = e.headlessCmd(e.ctx)
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	if err := a.cmd.Start(); err != nil {
		e.t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		a.err = a.cmd.Wait()
		close(a.done)
	}()
	e.t.Cleanup(func() {
		select {
		case <-a.done:
		default:
			_ = a.cmd.Process.Kill()
			select {
			case <-a.done:
			case <-time.After(5 * time.Second):
				e.t.Errorf("cleanup: %s (pid %d) not reaped 5 s after SIGKILL", name, a.cmd.Process.Pid)
			}
		}
		if e.t.Failed() {
			e.t.Logf("%s output (tail):\n%s", name, a.out.Tail(8<<10))
		}
	})
	return a
}

// waitHealthy polls /api/health from inside namespace A until it answers
// {"status":"ok"}; it fails at once if the app exits meanwhile.
func (e *env) waitHealthy(a *instance) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	cmd := e.helper(ctx, e.nsA, "health",
		"PB_E2E_URL=http://"+dashboardAddr+"/api/health", "PB_E2E_TIMEOUT=15s")
	var out testenv.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("starting health probe: %v", err)
	}
	res := make(chan error, 1)
	go func() { res <- cmd.Wait() }()
	select {
	case err := <-res:
		if err != nil {
			e.t.Fatalf("%s never became healthy: %v\n%s", a.name, err, out.Tail(4<<10))
		}
	case <-a.done:
		cancel()
		<-res
		e.t.Fatalf("%s exited before it became healthy: %v\n%s", a.name, a.err, a.out.Tail(8<<10))
	}
}

// stop sends sig and requires exit status 0 within 5 s.
func (a *instance) stop(sig syscall.Signal) {
	t := a.e.t
	t.Helper()
	select {
	case <-a.done:
		t.Fatalf("%s had already exited before %v: %v", a.name, sig, a.err)
	default:
	}
	start := time.Now()
	if err := a.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signalling %s: %v", a.name, err)
	}
	select {
	case <-a.done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not exit within 5 s of %v", a.name, sig)
	}
	took := time.Since(start)
	if a.err != nil {
		t.Fatalf("%s after %v: %v; want exit status 0 (took %s)", a.name, sig, a.err, took.Round(time.Millisecond))
	}
	if took > 2*time.Second {
		t.Logf("note: %s took %s to exit after %v (spec: within 2 s)", a.name, took.Round(time.Millisecond), sig)
	}
}

// kill sends SIGKILL and waits until the process is gone.
func (a *instance) kill() {
	t := a.e.t
	t.Helper()
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatalf("killing %s: %v", a.name, err)
	}
	select {
	case <-a.done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s not gone 5 s after SIGKILL", a.name)
	}
	var exitErr *exec.ExitError
	if !errors.As(a.err, &exitErr) {
		t.Fatalf("%s after SIGKILL: %v", a.name, a.err)
	}
	if ws, ok := exitErr.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("%s exited by itself (%v) before it could be killed", a.name, a.err)
	}
}

// cli runs a packetbuddy subcommand (outside the namespaces: it only reads
// the data directory) and returns its stdout.
func (e *env) cli(args ...string) []byte {
	e.t.Helper()
	stdout, stderr, code := e.cliStatus(args...)
	if code != 0 {
		e.t.Fatalf("packetbuddy %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout, stderr)
	}
	return stdout
}

// summaryTotals is what `summary --json` reports.
type summaryTotals struct{ sent, received, total int64 }

// checkSummary compares `summary --nic <veth> --json` (lifetime totals,
// whatever the date) with want and returns what the app reported.
func (e *env) checkSummary(want vethBytes, detail string) summaryTotals {
	e.t.Helper()
	out := e.cli("summary", "--nic", vethA, "--json")
	var s struct {
		BytesSent     *int64 `json:"bytes_sent"`
		BytesReceived *int64 `json:"bytes_received"`
		TotalBytes    *int64 `json:"total_bytes"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &s); err != nil {
		e.t.Fatalf("summary --json output is not the expected JSON object: %v\n%s", err, out)
	}
	if s.BytesSent == nil || s.BytesReceived == nil || s.TotalBytes == nil {
		e.t.Fatalf("summary --json lacks bytes_sent, bytes_received or total_bytes:\n%s", out)
	}
	got := summaryTotals{*s.BytesSent, *s.BytesReceived, *s.TotalBytes}
	if got.sent != want.tx {
		e.t.Errorf("%s bytes_sent = %d, want %d (kernel tx_bytes delta); off by %+d\n  %s",
			vethA, got.sent, want.tx, got.sent-want.tx, detail)
	}
	if got.received != want.rx {
		e.t.Errorf("%s bytes_received = %d, want %d (kernel rx_bytes delta); off by %+d\n  %s",
			vethA, got.received, want.rx, got.received-want.rx, detail)
	}
	if got.total != got.sent+got.received || got.total != want.tx+want.rx {
		e.t.Errorf("%s total_bytes = %d, want %d (sent %d + received %d reported; kernel %d + %d)",
			vethA, got.total, want.tx+want.rx, got.sent, got.received, want.tx, want.rx)
	}
	if !e.t.Failed() {
		e.t.Logf("%s: summary sent %d, received %d == kernel delta", vethA, got.sent, got.received)
	}
	return got
}

// gapRecord is one element of `gaps --json`.
type gapRecord struct {
	NIC           string `json:"nic"`
	From          string `json:"from"`
	To            string `json:"to"`
	BytesSent     *int64 `json:"bytes_sent"`
	BytesReceived *int64 `json:"bytes_received"`
	Reason        string `json:"reason"`
}

// gaps returns `gaps --json` (every gap recorded, whatever the date), raw
// and decoded.
func (e *env) gaps() (raw []byte, gaps []gapRecord) {
	e.t.Helper()
	raw = e.cli("gaps", "--json")
	if err := json.Unmarshal(bytes.TrimSpace(raw), &gaps); err != nil {
		e.t.Fatalf("gaps --json output is not a JSON array of gap records: %v\n%s", err, raw)
	}
	return raw, gaps
}
