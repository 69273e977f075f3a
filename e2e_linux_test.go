//go:build linux

package main

// End-to-end tests against real kernel counters.
//
// Each test builds the real binary (once per test run), creates two network
// namespaces joined by a veth pair that carries only link-local IPv4
// (169.254.77.1 <-> 169.254.77.2, static neighbour entries, IPv6 off, so no
// background traffic moves the counters), runs `packetbuddy --headless`
// inside namespace A and pushes a known number of bytes through the veth
// with helper processes (this test binary re-executed, see
// TestE2EHelperProcess). The bytes the app reports must equal the kernel's
// counter difference for the veth, to the byte (DESIGN.md, "Accounting
// invariants").
//
// The tests need root and iproute2's `ip`. Without them they skip, unless
// PACKETBUDDY_TEST_REQUIRE is "all" or a comma list containing "netns": then
// they fail.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

const (
	e2eHelperEnv = "PACKETBUDDY_E2E_HELPER" // helper mode for TestE2EHelperProcess

	e2eVethA = "vethpb0" // in namespace A, where the app runs
	e2eVethB = "vethpb1" // its peer in namespace B
	e2eAddrA = "169.254.77.1"
	e2eAddrB = "169.254.77.2"
	e2eMACA  = "02:00:00:00:77:01"
	e2eMACB  = "02:00:00:00:77:02"

	e2ePoll      = 200 * time.Millisecond // poll_interval in e2eConfig
	e2eFlush     = time.Second            // flush_interval in e2eConfig
	e2eDashboard = "127.0.0.1:7373"       // dashboard addr in e2eConfig (namespace A's own loopback)

	// e2eBudget bounds everything one test does after the binary is built.
	e2eBudget = 50 * time.Second
)

const e2eConfig = `[monitor]
poll_interval = "200ms"
flush_interval = "1s"
include = ["veth*"]
exclude = ["*"]

[dashboard]
addr = "127.0.0.1:7373"
`

// TestE2EGracefulStop: traffic, SIGTERM right after it, exit 0; the lifetime
// totals equal the kernel counter difference since the app first saw the NIC.
func TestE2EGracefulStop(t *testing.T) {
	e := newE2EEnv(t)

	c0 := e.waitQuiet()
	app := e.startApp("packetbuddy")
	e.waitHealthy(app)
	e.sleep(2 * e2ePoll) // the app has sampled the baseline c0

	e.transfer(5_000_000, 64<<10, 0)
	// Let the connection's last packets (FIN, ACK) land, but stop well
	// within one poll interval: the shutdown flush must take a last sample.
	afterTransfer := e.waitQuietFor(50*time.Millisecond, 2)
	app.stop(syscall.SIGTERM)

	c1 := e.waitQuiet()
	if c1 != afterTransfer {
		t.Logf("note: veth counters moved after the transfer ended: %v -> %v", afterTransfer, c1)
	}
	e.checkSummary(c1.sub(c0), fmt.Sprintf("baseline %v, final %v; SIGTERM sent right after the transfer, "+
		"so a missing amount may be traffic since the app's last poll that the shutdown flush did not sample", c0, c1))
}

// TestE2EKillDuringTransfer: kill -9 in the middle of a transfer, more
// traffic while the app is down, restart, graceful stop. Nothing may be lost
// or counted twice, and the traffic while the app was down must be a gap.
func TestE2EKillDuringTransfer(t *testing.T) {
	e := newE2EEnv(t)

	c0 := e.waitQuiet()
	app := e.startApp("packetbuddy (first run)")
	e.waitHealthy(app)
	// Let at least one flush commit the baseline counters before the kill.
	e.sleep(e2eFlush + 2*e2ePoll)

	// 50 MB, paced so that each half takes about 1.5 s: flushes happen
	// during the first half and the kill lands while data is flowing.
	tr := e.startTransfer(50_000_000, 128<<10, 8*time.Millisecond)
	tr.waitHalf()
	killTime := time.Now()
	app.kill()
	cDead := e.counters()
	select {
	case <-tr.finished:
		t.Logf("note: the transfer finished before the app was reaped; the kill was not mid-transfer")
	default:
	}
	tr.wait()

	// Traffic while the app is not running.
	e.transfer(3_000_000, 64<<10, 0)
	cDown := e.waitQuiet()

	restartTime := time.Now()
	app2 := e.startApp("packetbuddy (restart)")
	e.waitHealthy(app2)
	e.sleep(3 * e2ePoll)
	app2.stop(syscall.SIGTERM)

	c1 := e.waitQuiet()
	want := c1.sub(c0)
	got := e.checkSummary(want, fmt.Sprintf("baseline %v, counters when the app was dead %v, before restart %v, final %v",
		c0, cDead, cDown, c1))

	// Gaps.
	raw, gaps := e.gaps()
	var compact bytes.Buffer
	if json.Compact(&compact, raw) == nil {
		t.Logf("gaps --json: %s", compact.Bytes())
	}
	var mine []e2eGap
	for _, g := range gaps {
		if g.NIC == e2eVethA {
			mine = append(mine, g)
		}
	}
	if len(mine) == 0 {
		t.Fatalf("gaps --json has no record for %s after a kill -9 and %d+%d bytes (tx+rx) of traffic while the app was down; output:\n%s",
			e2eVethA, cDown.tx-cDead.tx, cDown.rx-cDead.rx, raw)
	}
	var sum e2eCounters
	var positive []e2eGap
	var earliest, latest time.Time
	for i, g := range mine {
		if g.BytesSent == nil || g.BytesReceived == nil {
			t.Errorf("gap %d for %s lacks bytes_sent or bytes_received; output:\n%s", i, e2eVethA, raw)
			continue
		}
		if *g.BytesSent < 0 || *g.BytesReceived < 0 {
			t.Errorf("gap %d for %s has negative bytes: sent %d, received %d", i, e2eVethA, *g.BytesSent, *g.BytesReceived)
		}
		sum.tx += *g.BytesSent
		sum.rx += *g.BytesReceived
		from, errFrom := time.Parse(time.RFC3339, g.From)
		to, errTo := time.Parse(time.RFC3339, g.To)
		if errFrom != nil || errTo != nil {
			t.Errorf("gap %d for %s: from %q / to %q are not RFC 3339: %v", i, e2eVethA, g.From, g.To, errors.Join(errFrom, errTo))
			continue
		}
		if to.Before(from) {
			t.Errorf("gap %d for %s ends before it starts: from %s, to %s", i, e2eVethA, g.From, g.To)
		}
		if *g.BytesSent+*g.BytesReceived > 0 {
			positive = append(positive, g)
			if earliest.IsZero() || from.Before(earliest) {
				earliest = from
			}
			if latest.IsZero() || to.After(latest) {
				latest = to
			}
		}
	}
	if len(positive) == 0 {
		t.Fatalf("no gap for %s has a positive byte count; want at least %d sent and %d received (traffic while the app was down); output:\n%s",
			e2eVethA, cDown.tx-cDead.tx, cDown.rx-cDead.rx, raw)
	}
	for _, g := range positive {
		if strings.TrimSpace(g.Reason) == "" {
			t.Errorf("gap for %s (%s .. %s, sent %d, received %d) has an empty reason", e2eVethA, g.From, g.To, *g.BytesSent, *g.BytesReceived)
		} else if !strings.Contains(strings.ToLower(g.Reason), "not running") {
			t.Logf("note: gap reason is %q (expected something like \"not running\")", g.Reason)
		}
	}
	// The gap covers at least the traffic between the app's death and its
	// restart (its last flush was no later than its death) ...
	if minGap := cDown.sub(cDead); sum.tx < minGap.tx || sum.rx < minGap.rx {
		t.Errorf("gap bytes for %s too small: sent %d, received %d; the traffic while the app was down alone was sent %d, received %d (counters at death %v, at restart %v)",
			e2eVethA, sum.tx, sum.rx, minGap.tx, minGap.rx, cDead, cDown)
	}
	// ... and is part of the totals, never more.
	if sum.tx > got.sent || sum.rx > got.received {
		t.Errorf("gap bytes for %s exceed the lifetime totals: gaps sent %d, received %d; summary sent %d, received %d",
			e2eVethA, sum.tx, sum.rx, got.sent, got.received)
	}
	// Its interval covers the downtime (RFC 3339 has whole seconds; allow 2 s).
	const slack = 2 * time.Second
	if earliest.After(killTime.Add(slack)) {
		t.Errorf("gap for %s starts at %s, after the app was killed at %s", e2eVethA, earliest.Format(time.RFC3339), killTime.Format(time.RFC3339))
	}
	if latest.Before(restartTime.Add(-slack)) {
		t.Errorf("gap for %s ends at %s, before the app was restarted at %s", e2eVethA, latest.Format(time.RFC3339), restartTime.Format(time.RFC3339))
	}
}

// TestE2EVethRecreated: the NIC is deleted and re-created with the same
// name while the app runs. The old NIC's traffic stays counted, and the new
// NIC's counter (which starts again at zero) is all new traffic.
func TestE2EVethRecreated(t *testing.T) {
	e := newE2EEnv(t)

	c0 := e.waitQuiet()
	app := e.startApp("packetbuddy")
	e.waitHealthy(app)
	e.sleep(2 * e2ePoll)

	e.transfer(3_000_000, 64<<10, 0)
	oldFinal := e.waitQuiet()
	e.sleep(3 * e2ePoll) // the app has sampled oldFinal
	if c := e.counters(); c != oldFinal {
		t.Fatalf("veth counters moved while idle: %v -> %v", oldFinal, c)
	}

	e.mustIP("-n", e.nsA, "link", "del", e2eVethA) // deletes the peer too
	e.sleep(3 * e2ePoll)                           // the app sees the NIC gone
	e.createVeth()
	if c := e.counters(); c.tx > oldFinal.tx/2 {
		t.Fatalf("re-created %s does not start from fresh counters: %v (old final %v)", e2eVethA, c, oldFinal)
	}
	// At once: all of the new counter is traffic since the reset. 4 MB > 3 MB
	// on purpose: the new counter ends above the old one, so only the NIC's
	// disappearance, not a lower counter, tells the app it is a new NIC.
	e.transfer(4_000_000, 64<<10, 0)
	e.sleep(3 * e2ePoll)
	app.stop(syscall.SIGTERM)

	newFinal := e.waitQuiet()
	want := oldFinal.sub(c0).add(newFinal)
	e.checkSummary(want, fmt.Sprintf("old NIC: baseline %v, final %v (delta %v); new NIC: final %v (all of it counts). "+
		"Had the app read the new counter as a continuation of the old one, it would report %v; "+
		"had it taken the new NIC's first sighting as a fresh baseline, it would miss the traffic before that sighting",
		c0, oldFinal, oldFinal.sub(c0), newFinal, newFinal.sub(c0)))
}

// TestE2ESecondInstanceRefused: a second --headless with the same data
// directory exits with status 1 and says one is already running; the first
// keeps running and stops cleanly.
func TestE2ESecondInstanceRefused(t *testing.T) {
	e := newE2EEnv(t)

	app := e.startApp("packetbuddy (first)")
	e.waitHealthy(app)

	ctx, cancel := context.WithTimeout(e.ctx, 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", e.nsA, e.bin,
		"--headless", "--config", e.configPath, "--data-dir", e.dataDir)
	cmd.Env = e.appEnv
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.CombinedOutput()
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

// TestE2EHelperProcess is not a test: the e2e tests re-execute the test
// binary with this test selected and PACKETBUDDY_E2E_HELPER set to run a
// traffic source, sink or health probe inside a network namespace.
func TestE2EHelperProcess(t *testing.T) {
	mode := os.Getenv(e2eHelperEnv)
	if mode == "" {
		return
	}
	var err error
	switch mode {
	case "listen":
		err = e2eHelperListen()
	case "send":
		err = e2eHelperSend()
	case "health":
		err = e2eHelperHealth()
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e helper %s: %v\n", mode, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// e2eHelperListen accepts one TCP connection on PB_E2E_LISTEN, reads and
// discards until EOF, answers with the byte count and reports it on stdout.
func e2eHelperListen() error {
	ln, err := net.Listen("tcp4", os.Getenv("PB_E2E_LISTEN"))
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Printf("ready %s\n", ln.Addr())
	if err := ln.(*net.TCPListener).SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		return err
	}
	conn, err := ln.Accept()
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(40 * time.Second)); err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, conn)
	if err != nil {
		return fmt.Errorf("after %d bytes: %w", n, err)
	}
	if _, err := fmt.Fprintf(conn, "%d\n", n); err != nil {
		return err
	}
	if err := conn.Close(); err != nil {
		return err
	}
	fmt.Printf("received %d\n", n)
	return nil
}

// e2eHelperSend writes exactly PB_E2E_BYTES bytes to PB_E2E_ADDR in chunks
// of PB_E2E_CHUNK with PB_E2E_PAUSE between them, prints "half" once half is
// written, and checks the receiver's count.
func e2eHelperSend() error {
	total, err := strconv.ParseInt(os.Getenv("PB_E2E_BYTES"), 10, 64)
	if err != nil {
		return err
	}
	chunk, err := strconv.Atoi(os.Getenv("PB_E2E_CHUNK"))
	if err != nil || chunk <= 0 {
		return fmt.Errorf("bad PB_E2E_CHUNK %q", os.Getenv("PB_E2E_CHUNK"))
	}
	pause, err := time.ParseDuration(os.Getenv("PB_E2E_PAUSE"))
	if err != nil {
		return err
	}
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.Dial("tcp4", os.Getenv("PB_E2E_ADDR"))
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(40 * time.Second)); err != nil {
		return err
	}
	buf := bytes.Repeat([]byte("packetbuddy-e2e."), (chunk+15)/16)[:chunk]
	var sent int64
	half := false
	for sent < total {
		n := int(min(int64(chunk), total-sent))
		w, err := conn.Write(buf[:n])
		sent += int64(w)
		if err != nil {
			return fmt.Errorf("after %d bytes: %w", sent, err)
		}
		if !half && 2*sent >= total {
			half = true
			fmt.Printf("half %d\n", sent)
		}
		if pause > 0 && sent < total {
			time.Sleep(pause)
		}
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading the receiver's count: %w", err)
	}
	got, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
	if err != nil {
		return fmt.Errorf("receiver's count %q: %w", line, err)
	}
	if got != total {
		return fmt.Errorf("receiver got %d bytes, sent %d", got, total)
	}
	fmt.Printf("done %d\n", sent)
	return conn.Close()
}

// e2eHelperHealth polls PB_E2E_URL until it answers 200 with JSON
// {"status":"ok"} or PB_E2E_TIMEOUT passes.
func e2eHelperHealth() error {
	timeout, err := time.ParseDuration(os.Getenv("PB_E2E_TIMEOUT"))
	if err != nil {
		return err
	}
	client := &http.Client{
		Timeout:   time.Second,
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
	}
	url := os.Getenv("PB_E2E_URL")
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		last = func() error {
			resp, err := client.Get(url)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			if err != nil {
				return err
			}
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("status %s: %s", resp.Status, body)
			}
			var h struct {
				Status string `json:"status"`
			}
			if err := json.Unmarshal(body, &h); err != nil {
				return fmt.Errorf("body is not JSON (%v): %s", err, body)
			}
			if h.Status != "ok" {
				return fmt.Errorf(`status field is %q, want "ok": %s`, h.Status, body)
			}
			fmt.Printf("%s\n", body)
			return nil
		}()
		if last == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("GET %s not healthy within %s: %v", url, timeout, last)
}

// ---- environment ----------------------------------------------------------

type e2eEnv struct {
	t          *testing.T
	ctx        context.Context // bounded by e2eBudget; canceled when the test ends
	bin        string          // the packetbuddy binary
	self       string          // this test binary, for helper processes
	nsA, nsB   string
	dir        string
	dataDir    string
	configPath string
	appEnv     []string
}

var e2eNetnsSeq atomic.Int64

// newE2EEnv checks the requirements, builds the binary and creates the two
// namespaces and the veth pair. Everything is removed in t.Cleanup.
func newE2EEnv(t *testing.T) *e2eEnv {
	t.Helper()
	e2eRequire(t)
	bin := e2eBinary(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatalf("os.Executable: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), e2eBudget)
	t.Cleanup(cancel)

	dir := t.TempDir()
	e := &e2eEnv{
		t:          t,
		ctx:        ctx,
		bin:        bin,
		self:       self,
		dir:        dir,
		dataDir:    filepath.Join(dir, "data"),
		configPath: filepath.Join(dir, "packetbuddy.toml"),
	}
	if err := os.WriteFile(e.configPath, []byte(e2eConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	e.appEnv = e2eAppEnv(home)

	n := e2eNetnsSeq.Add(1)
	e.nsA = fmt.Sprintf("pbA-%d-%d", os.Getpid(), n)
	e.nsB = fmt.Sprintf("pbB-%d-%d", os.Getpid(), n)
	for i, ns := range []string{e.nsA, e.nsB} {
		if _, stderr, err := e.run(10*time.Second, "ip", "netns", "add", ns); err != nil {
			if i == 0 {
				e2eUnavailable(t, fmt.Sprintf("ip netns add %s: %v: %s", ns, err, bytes.TrimSpace(stderr)))
			}
			t.Fatalf("ip netns add %s: %v: %s", ns, err, stderr)
		}
		t.Cleanup(func() { e2eDeleteNetns(t, ns) })
		e.disableIPv6(ns)
		e.mustIP("-n", ns, "link", "set", "lo", "up")
	}
	e.createVeth()
	return e
}

func e2eUnavailable(t *testing.T, why string) {
	t.Helper()
	if testenv.Required("netns") {
		t.Fatalf("network namespace test required by PACKETBUDDY_TEST_REQUIRE=%q but unavailable: %s",
			os.Getenv("PACKETBUDDY_TEST_REQUIRE"), why)
	}
	t.Skipf("skipping network namespace test: %s (PACKETBUDDY_TEST_REQUIRE=netns makes this a failure)", why)
}

func e2eRequire(t *testing.T) {
	t.Helper()
	if testing.Short() && !testenv.Required("netns") {
		t.Skip("skipping network namespace end-to-end test in -short mode")
	}
	if os.Geteuid() != 0 {
		e2eUnavailable(t, fmt.Sprintf("needs root (euid %d)", os.Geteuid()))
	}
	if _, err := exec.LookPath("ip"); err != nil {
		e2eUnavailable(t, "iproute2's ip not found in PATH")
	}
	if _, err := exec.LookPath("cat"); err != nil {
		e2eUnavailable(t, "cat not found in PATH")
	}
}

// e2eAppEnv is the environment for the app: no cloud database, no desktop
// session, HOME and XDG directories inside the test's temp dir.
func e2eAppEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "PACKETBUDDY_"), strings.HasPrefix(k, "XDG_"),
			k == "NEON_DB_URL", k == "DATABASE_URL", k == "HOME",
			k == "DBUS_SESSION_BUS_ADDRESS", k == "DISPLAY", k == "WAYLAND_DISPLAY":
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"XDG_STATE_HOME="+filepath.Join(home, ".local", "state"),
	)
}

var (
	e2eBuildOnce sync.Once
	e2eBinPath   string
	e2eBuildErr  error
)

// e2eBinary builds the app once per test run. The binary goes next to the
// test binary when that lives in go test's work directory (removed by go
// test afterwards), else into a fresh temp directory.
func e2eBinary(t *testing.T) string {
	t.Helper()
	e2eBuildOnce.Do(func() {
		dir := ""
		if exe, err := os.Executable(); err == nil && strings.Contains(exe, "go-build") {
			dir = filepath.Dir(exe)
		} else {
			d, err := os.MkdirTemp("", "packetbuddy-e2e-")
			if err != nil {
				e2eBuildErr = err
				return
			}
			dir = d
		}
		gotool, err := exec.LookPath("go")
		if err != nil {
			e2eBuildErr = fmt.Errorf("the go tool is needed to build the binary: %w", err)
			return
		}
		e2eBinPath = filepath.Join(dir, "packetbuddy-e2e")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		start := time.Now()
		cmd := exec.CommandContext(ctx, gotool, "build", "-o", e2eBinPath, ".")
		out, err := cmd.CombinedOutput()
		if err != nil {
			e2eBuildErr = fmt.Errorf("go build -o %s .: %v\n%s", e2eBinPath, err, out)
			return
		}
		t.Logf("built %s in %s", e2eBinPath, time.Since(start).Round(time.Millisecond))
	})
	if e2eBuildErr != nil {
		t.Fatal(e2eBuildErr)
	}
	return e2eBinPath
}

func e2eDeleteNetns(t *testing.T, ns string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "ip", "netns", "del", ns).CombinedOutput(); err != nil {
		t.Errorf("cleanup: ip netns del %s: %v: %s", ns, err, out)
	}
}

// run runs a command in the root namespace with a timeout (within the
// test's budget) and returns its stdout and stderr.
func (e *e2eEnv) run(timeout time.Duration, name string, args ...string) (stdout, stderr []byte, err error) {
	ctx, cancel := context.WithTimeout(e.ctx, timeout)
	defer cancel()
	var o, s bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &o, &s
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%v (%w)", err, ctx.Err())
	}
	return o.Bytes(), s.Bytes(), err
}

func (e *e2eEnv) mustIP(args ...string) string {
	e.t.Helper()
	out, stderr, err := e.run(10*time.Second, "ip", args...)
	if err != nil {
		e.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr))
	}
	return string(out)
}

func (e *e2eEnv) disableIPv6(ns string) {
	e.t.Helper()
	if _, err := os.Stat("/proc/sys/net/ipv6"); err != nil {
		return // no IPv6 in this kernel: nothing to disable
	}
	keys := []string{"net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6"}
	if _, err := exec.LookPath("sysctl"); err == nil {
		args := []string{"netns", "exec", ns, "sysctl", "-w"}
		for _, k := range keys {
			args = append(args, k+"=1")
		}
		e.mustIP(args...)
		return
	}
	var script []string
	for _, k := range keys {
		script = append(script, "echo 1 > /proc/sys/"+strings.ReplaceAll(k, ".", "/"))
	}
	e.mustIP("netns", "exec", ns, "sh", "-c", strings.Join(script, " && "))
}

// createVeth creates the veth pair directly inside the two namespaces, with
// fixed MACs, link-local addresses and permanent neighbour entries (no ARP).
func (e *e2eEnv) createVeth() {
	e.t.Helper()
	e.mustIP("-n", e.nsA, "link", "add", e2eVethA, "address", e2eMACA, "type", "veth",
		"peer", "name", e2eVethB, "address", e2eMACB, "netns", e.nsB)
	e.mustIP("-n", e.nsA, "addr", "add", e2eAddrA+"/24", "dev", e2eVethA)
	e.mustIP("-n", e.nsB, "addr", "add", e2eAddrB+"/24", "dev", e2eVethB)
	e.mustIP("-n", e.nsA, "link", "set", e2eVethA, "up")
	e.mustIP("-n", e.nsB, "link", "set", e2eVethB, "up")
	e.mustIP("-n", e.nsA, "neigh", "replace", e2eAddrB, "lladdr", e2eMACB, "nud", "permanent", "dev", e2eVethA)
	e.mustIP("-n", e.nsB, "neigh", "replace", e2eAddrA, "lladdr", e2eMACA, "nud", "permanent", "dev", e2eVethB)
	if _, err := os.Stat("/proc/sys/net/ipv6"); err == nil {
		for _, p := range [][2]string{{e.nsA, e2eVethA}, {e.nsB, e2eVethB}} {
			v := strings.TrimSpace(e.mustIP("netns", "exec", p[0], "cat", "/proc/sys/net/ipv6/conf/"+p[1]+"/disable_ipv6"))
			if v != "1" {
				e.t.Fatalf("IPv6 is not disabled on %s in %s (disable_ipv6 = %q)", p[1], p[0], v)
			}
		}
	}
}

type e2eCounters struct{ tx, rx int64 }

func (c e2eCounters) sub(d e2eCounters) e2eCounters { return e2eCounters{c.tx - d.tx, c.rx - d.rx} }
func (c e2eCounters) add(d e2eCounters) e2eCounters { return e2eCounters{c.tx + d.tx, c.rx + d.rx} }
func (c e2eCounters) String() string                { return fmt.Sprintf("tx=%d rx=%d", c.tx, c.rx) }

// counters reads the kernel's byte counters of the veth in namespace A.
func (e *e2eEnv) counters() e2eCounters {
	e.t.Helper()
	dir := "/sys/class/net/" + e2eVethA + "/statistics/"
	out := e.mustIP("netns", "exec", e.nsA, "cat", dir+"tx_bytes", dir+"rx_bytes")
	f := strings.Fields(out)
	if len(f) != 2 {
		e.t.Fatalf("reading %s counters: unexpected output %q", e2eVethA, out)
	}
	tx, err1 := strconv.ParseInt(f[0], 10, 64)
	rx, err2 := strconv.ParseInt(f[1], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		e.t.Fatalf("reading %s counters %q: %v", e2eVethA, out, err)
	}
	return e2eCounters{tx, rx}
}

// waitQuiet waits until the veth counters stay unchanged for 300 ms and
// returns them.
func (e *e2eEnv) waitQuiet() e2eCounters {
	e.t.Helper()
	return e.waitQuietFor(150*time.Millisecond, 2)
}

// waitQuietFor waits until n readings, every step apart, find the veth
// counters unchanged, and returns them.
func (e *e2eEnv) waitQuietFor(step time.Duration, n int) e2eCounters {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	last := e.counters()
	same := 0
	for same < n {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s counters never became quiet within 10 s (last %v)", e2eVethA, last)
		}
		e.sleep(step)
		c := e.counters()
		if c == last {
			same++
		} else {
			same, last = 0, c
		}
	}
	return last
}

func (e *e2eEnv) sleep(d time.Duration) {
	e.t.Helper()
	select {
	case <-time.After(d):
	case <-e.ctx.Done():
		e.t.Fatalf("test budget of %s exhausted: %v", e2eBudget, e.ctx.Err())
	}
}

// ---- the app ---------------------------------------------------------------

type e2eApp struct {
	e    *e2eEnv
	name string
	cmd  *exec.Cmd
	out  *e2eSyncBuffer
	done chan struct{} // closed when the process has been reaped
	err  error         // Wait's result, valid after done
}

// startApp runs `packetbuddy --headless` inside namespace A.
func (e *e2eEnv) startApp(name string) *e2eApp {
	e.t.Helper()
	a := &e2eApp{e: e, name: name, out: &e2eSyncBuffer{}, done: make(chan struct{})}
	a.cmd = exec.CommandContext(e.ctx, "ip", "netns", "exec", e.nsA, e.bin,
		"--headless", "--config", e.configPath, "--data-dir", e.dataDir)
	a.cmd.Env = e.appEnv
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	a.cmd.WaitDelay = 2 * time.Second
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
			e.t.Logf("%s output (tail):\n%s", name, a.out.tail(8<<10))
		}
	})
	return a
}

// waitHealthy polls /api/health from inside namespace A until it answers
// {"status":"ok"}; it fails at once if the app exits meanwhile.
func (e *e2eEnv) waitHealthy(a *e2eApp) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	cmd := e.helper(ctx, e.nsA, "health",
		"PB_E2E_URL=http://"+e2eDashboard+"/api/health", "PB_E2E_TIMEOUT=15s")
	var out e2eSyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("starting health probe: %v", err)
	}
	res := make(chan error, 1)
	go func() { res <- cmd.Wait() }()
	select {
	case err := <-res:
		if err != nil {
			e.t.Fatalf("%s never became healthy: %v\n%s", a.name, err, out.tail(4<<10))
		}
	case <-a.done:
		cancel()
		<-res
		e.t.Fatalf("%s exited before it became healthy: %v\n%s", a.name, a.err, a.out.tail(8<<10))
	}
}

// stop sends sig and requires exit status 0 within 5 s.
func (a *e2eApp) stop(sig syscall.Signal) {
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
func (a *e2eApp) kill() {
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
func (e *e2eEnv) cli(args ...string) []byte {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 15*time.Second)
	defer cancel()
	full := append([]string{"--config", e.configPath, "--data-dir", e.dataDir}, args...)
	cmd := exec.CommandContext(ctx, e.bin, full...)
	cmd.Env = e.appEnv
	var o, s bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &s
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		e.t.Fatalf("packetbuddy %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(full, " "), err, o.Bytes(), s.Bytes())
	}
	return o.Bytes()
}

type e2eTotals struct{ sent, received, total int64 }

// checkSummary compares `summary --nic <veth> --json` with want (tx, rx)
// and returns what the app reported.
func (e *e2eEnv) checkSummary(want e2eCounters, detail string) e2eTotals {
	e.t.Helper()
	out := e.cli("summary", "--nic", e2eVethA, "--json")
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
	got := e2eTotals{*s.BytesSent, *s.BytesReceived, *s.TotalBytes}
	if got.sent != want.tx {
		e.t.Errorf("%s bytes_sent = %d, want %d (kernel tx_bytes delta); off by %+d\n  %s",
			e2eVethA, got.sent, want.tx, got.sent-want.tx, detail)
	}
	if got.received != want.rx {
		e.t.Errorf("%s bytes_received = %d, want %d (kernel rx_bytes delta); off by %+d\n  %s",
			e2eVethA, got.received, want.rx, got.received-want.rx, detail)
	}
	if got.total != got.sent+got.received || got.total != want.tx+want.rx {
		e.t.Errorf("%s total_bytes = %d, want %d (sent %d + received %d reported; kernel %d + %d)",
			e2eVethA, got.total, want.tx+want.rx, got.sent, got.received, want.tx, want.rx)
	}
	if !e.t.Failed() {
		e.t.Logf("%s: summary sent %d, received %d == kernel delta", e2eVethA, got.sent, got.received)
	}
	return got
}

type e2eGap struct {
	NIC           string `json:"nic"`
	From          string `json:"from"`
	To            string `json:"to"`
	BytesSent     *int64 `json:"bytes_sent"`
	BytesReceived *int64 `json:"bytes_received"`
	Reason        string `json:"reason"`
}

func (e *e2eEnv) gaps() (raw []byte, gaps []e2eGap) {
	e.t.Helper()
	raw = e.cli("gaps", "--json")
	if err := json.Unmarshal(bytes.TrimSpace(raw), &gaps); err != nil {
		e.t.Fatalf("gaps --json output is not a JSON array of gap records: %v\n%s", err, raw)
	}
	return raw, gaps
}

// ---- traffic ---------------------------------------------------------------

// helper returns a command that runs this test binary as a helper process
// inside namespace ns.
func (e *e2eEnv) helper(ctx context.Context, ns, mode string, env ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns, e.self,
		"-test.run=^TestE2EHelperProcess$", "-test.count=1", "-test.timeout=60s")
	cmd.Env = append(append(os.Environ(), e2eHelperEnv+"="+mode), env...)
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

type e2eTransfer struct {
	e        *e2eEnv
	n        int64
	half     chan struct{} // closed when the sender has written half
	finished chan struct{} // closed when both helpers have exited
	err      error         // valid after finished
}

// startTransfer starts a sink in namespace B and a sender in namespace A
// that writes exactly n bytes to it over the veth.
func (e *e2eEnv) startTransfer(n int64, chunk int, pause time.Duration) *e2eTransfer {
	e.t.Helper()
	tr := &e2eTransfer{e: e, n: n, half: make(chan struct{}), finished: make(chan struct{})}

	lcmd := e.helper(e.ctx, e.nsB, "listen", "PB_E2E_LISTEN="+e2eAddrB+":0")
	lerr := &e2eSyncBuffer{}
	lcmd.Stderr = lerr
	lout, err := lcmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := lcmd.Start(); err != nil {
		e.t.Fatalf("starting listener: %v", err)
	}
	llines := make(chan string, 8)
	lres := make(chan error, 1)
	go func() {
		e2eScanLines(lout, llines)
		lres <- lcmd.Wait()
	}()

	var addr string
	select {
	case line, ok := <-llines:
		var found bool
		addr, found = strings.CutPrefix(line, "ready ")
		if !ok || !found {
			<-lres
			e.t.Fatalf("listener in %s did not start: first line %q\n%s", e.nsB, line, lerr.tail(4<<10))
		}
	case <-time.After(10 * time.Second):
		e.t.Fatalf("listener in %s not ready within 10 s\n%s", e.nsB, lerr.tail(4<<10))
	case <-e.ctx.Done():
		e.t.Fatalf("test budget exhausted waiting for the listener: %v", e.ctx.Err())
	}

	scmd := e.helper(e.ctx, e.nsA, "send", "PB_E2E_ADDR="+addr,
		"PB_E2E_BYTES="+strconv.FormatInt(n, 10), "PB_E2E_CHUNK="+strconv.Itoa(chunk),
		"PB_E2E_PAUSE="+pause.String())
	serr := &e2eSyncBuffer{}
	scmd.Stderr = serr
	sout, err := scmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := scmd.Start(); err != nil {
		e.t.Fatalf("starting sender: %v", err)
	}
	slines := make(chan string, 8)
	sres := make(chan error, 1)
	go func() {
		e2eScanLines(sout, slines)
		sres <- scmd.Wait()
	}()

	go func() {
		defer close(tr.finished)
		halfClosed := false
		var sdone bool
		for line := range slines {
			if strings.HasPrefix(line, "half ") && !halfClosed {
				close(tr.half)
				halfClosed = true
			}
			if strings.HasPrefix(line, "done ") {
				sdone = true
			}
		}
		var errs []error
		if err := <-sres; err != nil || !sdone {
			errs = append(errs, fmt.Errorf("sender in %s: %v (done line seen: %v)\n%s", e.nsA, err, sdone, serr.tail(4<<10)))
			_ = lcmd.Process.Kill() // do not leave the sink waiting for a connection
		}
		var received string
		for line := range llines {
			if r, ok := strings.CutPrefix(line, "received "); ok {
				received = r
			}
		}
		if err := <-lres; err != nil {
			errs = append(errs, fmt.Errorf("listener in %s: %v\n%s", e.nsB, err, lerr.tail(4<<10)))
		} else if received != strconv.FormatInt(n, 10) {
			errs = append(errs, fmt.Errorf("listener in %s received %q bytes, want %d", e.nsB, received, n))
		}
		tr.err = errors.Join(errs...)
	}()
	return tr
}

// e2eScanLines sends r's lines to ch and closes ch at EOF.
func e2eScanLines(r io.Reader, ch chan<- string) {
	defer close(ch)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		ch <- sc.Text()
	}
	_, _ = io.Copy(io.Discard, r)
}

func (tr *e2eTransfer) waitHalf() {
	t := tr.e.t
	t.Helper()
	select {
	case <-tr.half:
	case <-tr.finished:
		t.Fatalf("transfer of %d bytes ended before reaching half: %v", tr.n, tr.err)
	case <-tr.e.ctx.Done():
		t.Fatalf("test budget exhausted waiting for half of the transfer: %v", tr.e.ctx.Err())
	}
}

func (tr *e2eTransfer) wait() {
	t := tr.e.t
	t.Helper()
	select {
	case <-tr.finished:
	case <-time.After(30 * time.Second):
		t.Fatalf("transfer of %d bytes not finished within 30 s", tr.n)
	case <-tr.e.ctx.Done():
		t.Fatalf("test budget exhausted during the transfer: %v", tr.e.ctx.Err())
	}
	if tr.err != nil {
		t.Fatalf("transfer of %d bytes failed: %v", tr.n, tr.err)
	}
}

// transfer sends exactly n bytes from namespace A to B and waits.
func (e *e2eEnv) transfer(n int64, chunk int, pause time.Duration) {
	e.t.Helper()
	e.startTransfer(n, chunk, pause).wait()
}

// e2eSyncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type e2eSyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *e2eSyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *e2eSyncBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.Bytes()
	if len(s) > n {
		return "..." + string(s[len(s)-n:])
	}
	return string(s)
}
