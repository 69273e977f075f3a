package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

// The veth pair. Each test creates it inside its own two namespaces, so the
// fixed names and addresses never collide between parallel tests.
const (
	vethA = "vethpb0" // in namespace A, where the app runs
	vethB = "vethpb1" // its peer in namespace B
	addrA = "169.254.77.1"
	addrB = "169.254.77.2"
	macA  = "02:00:00:00:77:01"
	macB  = "02:00:00:00:77:02"
)

const (
	pollInterval  = 200 * time.Millisecond
	flushInterval = time.Second
	dashboardAddr = "127.0.0.1:7373" // on namespace A's own loopback

	// testBudget bounds everything one test does after the binary is built
	// (newEnvBudget sets another bound).
	testBudget = 50 * time.Second
)

// appConfig is the app's configuration: fast polls and flushes, and only
// the veth counted.
var appConfig = fmt.Sprintf(`[monitor]
poll_interval = %q
flush_interval = %q
include = ["veth*"]
exclude = ["*"]

[dashboard]
addr = %q
`, pollInterval, flushInterval, dashboardAddr)

// env is one test's world: two namespaces joined by the veth pair, a data
// directory and a configuration for the app, and a time budget.
type env struct {
	t          *testing.T
	ctx        context.Context // bounded by budget; canceled when the test ends
	bin        string          // the packetbuddy binary
	self       string          // this test binary, for helper processes
	nsA, nsB   string
	dataDir    string
	configPath string
	appEnv     []string
	budget     time.Duration // ctx's bound
}

var netnsSeq atomic.Int64

// newEnv checks the requirements, builds the binary and creates the two
// namespaces and the veth pair. Everything is removed in t.Cleanup.
func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvBudget(t, testBudget)
}

// newEnvBudget is newEnv for a test that needs more time than testBudget.
func newEnvBudget(t *testing.T, budget time.Duration) *env {
	t.Helper()
	requireNetns(t)
	bin := binary(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatalf("os.Executable: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), budget)
	t.Cleanup(cancel)

	dir := t.TempDir()
	e := &env{
		t:          t,
		ctx:        ctx,
		bin:        bin,
		self:       self,
		dataDir:    filepath.Join(dir, "data"),
		configPath: filepath.Join(dir, "packetbuddy.toml"),
		budget:     budget,
	}
	if err := os.WriteFile(e.configPath, []byte(appConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	e.appEnv = appEnviron(home)

	n := netnsSeq.Add(1)
	e.nsA = fmt.Sprintf("pbA-%d-%d", os.Getpid(), n)
	e.nsB = fmt.Sprintf("pbB-%d-%d", os.Getpid(), n)
	for i, ns := range []string{e.nsA, e.nsB} {
		if _, stderr, err := e.run(10*time.Second, "ip", "netns", "add", ns); err != nil {
			if i == 0 {
				testenv.Require(t, "netns", fmt.Errorf("ip netns add %s: %v: %s", ns, err, bytes.TrimSpace(stderr)))
			}
			t.Fatalf("ip netns add %s: %v: %s", ns, err, stderr)
		}
		t.Cleanup(func() { deleteNetns(t, ns) })
		e.disableIPv6(ns)
		e.mustIP("-n", ns, "link", "set", "lo", "up")
	}
	e.createVeth()
	return e
}

// requireNetns skips the test (or fails it, when PACKETBUDDY_TEST_REQUIRE
// names netns) without root or the tools the namespaces need.
func requireNetns(t *testing.T) {
	t.Helper()
	if testing.Short() && !testenv.Required("netns") {
		t.Skip("skipping network namespace end-to-end test in -short mode")
	}
	if os.Geteuid() != 0 {
		testenv.Require(t, "netns", fmt.Errorf("needs root (euid %d)", os.Geteuid()))
	}
	for _, tool := range []string{"ip", "cat"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Require(t, "netns", err)
		}
	}
}

// appEnviron is the environment for the app: no cloud database, no desktop
// session, no test clock (the app runs on the real one), HOME and XDG
// directories inside the test's temp dir.
func appEnviron(home string) []string {
	var environ []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "PACKETBUDDY_"), strings.HasPrefix(k, "XDG_"),
			k == "NEON_DB_URL", k == "DATABASE_URL", k == "HOME",
			k == "DBUS_SESSION_BUS_ADDRESS", k == "DISPLAY", k == "WAYLAND_DISPLAY":
			continue
		}
		environ = append(environ, kv)
	}
	return append(environ,
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"XDG_STATE_HOME="+filepath.Join(home, ".local", "state"),
	)
}

func deleteNetns(t *testing.T, ns string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "ip", "netns", "del", ns).CombinedOutput(); err != nil {
		t.Errorf("cleanup: ip netns del %s: %v: %s", ns, err, out)
	}
}

// run runs a command in the root namespace with a timeout (within the
// test's budget) and returns its stdout and stderr.
func (e *env) run(timeout time.Duration, name string, args ...string) (stdout, stderr []byte, err error) {
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

func (e *env) mustIP(args ...string) string {
	e.t.Helper()
	out, stderr, err := e.run(10*time.Second, "ip", args...)
	if err != nil {
		e.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr))
	}
	return string(out)
}

func (e *env) disableIPv6(ns string) {
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
func (e *env) createVeth() {
	e.t.Helper()
	e.mustIP("-n", e.nsA, "link", "add", vethA, "address", macA, "type", "veth",
		"peer", "name", vethB, "address", macB, "netns", e.nsB)
	e.mustIP("-n", e.nsA, "addr", "add", addrA+"/24", "dev", vethA)
	e.mustIP("-n", e.nsB, "addr", "add", addrB+"/24", "dev", vethB)
	e.mustIP("-n", e.nsA, "link", "set", vethA, "up")
	e.mustIP("-n", e.nsB, "link", "set", vethB, "up")
	e.mustIP("-n", e.nsA, "neigh", "replace", addrB, "lladdr", macB, "nud", "permanent", "dev", vethA)
	e.mustIP("-n", e.nsB, "neigh", "replace", addrA, "lladdr", macA, "nud", "permanent", "dev", vethB)
	if _, err := os.Stat("/proc/sys/net/ipv6"); err == nil {
		for _, p := range [][2]string{{e.nsA, vethA}, {e.nsB, vethB}} {
			v := strings.TrimSpace(e.mustIP("netns", "exec", p[0], "cat", "/proc/sys/net/ipv6/conf/"+p[1]+"/disable_ipv6"))
			if v != "1" {
				e.t.Fatalf("IPv6 is not disabled on %s in %s (disable_ipv6 = %q)", p[1], p[0], v)
			}
		}
	}
}

// vethBytes is a reading (or a difference of readings) of the veth's
// kernel byte counters in namespace A.
type vethBytes struct{ tx, rx int64 }

func (c vethBytes) sub(d vethBytes) vethBytes { return vethBytes{c.tx - d.tx, c.rx - d.rx} }
func (c vethBytes) add(d vethBytes) vethBytes { return vethBytes{c.tx + d.tx, c.rx + d.rx} }
func (c vethBytes) String() string            { return fmt.Sprintf("tx=%d rx=%d", c.tx, c.rx) }

// counters reads the kernel's byte counters of the veth in namespace A.
func (e *env) counters() vethBytes {
	e.t.Helper()
	dir := "/sys/class/net/" + vethA + "/statistics/"
	out := e.mustIP("netns", "exec", e.nsA, "cat", dir+"tx_bytes", dir+"rx_bytes")
	f := strings.Fields(out)
	if len(f) != 2 {
		e.t.Fatalf("reading %s counters: unexpected output %q", vethA, out)
	}
	tx, err1 := strconv.ParseInt(f[0], 10, 64)
	rx, err2 := strconv.ParseInt(f[1], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		e.t.Fatalf("reading %s counters %q: %v", vethA, out, err)
	}
	return vethBytes{tx, rx}
}

// waitQuiet waits until the veth counters stay unchanged for 300 ms and
// returns them.
func (e *env) waitQuiet() vethBytes {
	e.t.Helper()
	return e.waitQuietFor(150*time.Millisecond, 2)
}

// waitQuietFor waits until n readings, every step apart, find the veth
// counters unchanged, and returns them.
func (e *env) waitQuietFor(step time.Duration, n int) vethBytes {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	last := e.counters()
	same := 0
	for same < n {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s counters never became quiet within 10 s (last %v)", vethA, last)
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

// sleep waits for d, failing the test if its budget runs out first.
func (e *env) sleep(d time.Duration) {
	e.t.Helper()
	select {
	case <-time.After(d):
	case <-e.ctx.Done():
		e.t.Fatalf("test budget of %s exhausted: %v", e.budget, e.ctx.Err())
	}
}
