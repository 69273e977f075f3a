package installtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

// testVersion is the version the builds are stamped with, so that the tests
// can see it arrive in the binary, the package and the resources.
const testVersion = "1.2.3-test"

// scratch holds the builds that several tests share; TestMain removes it.
var scratch string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "packetbuddy-installtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	scratch = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// repoRoot is the repository's root directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test source")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// outputDir is where screenshots and logs go.
func outputDir(t *testing.T) string { return testenv.OutputDir(t, "installtest") }

// required reports whether PACKETBUDDY_TEST_REQUIRE makes a missing
// component a failure.
func required(component string) bool { return testenv.Required(component) }

// requireTool returns the path of tool, part of component, or skips the
// test (fails it, if the component is required) when it is missing.
func requireTool(t *testing.T, component, tool, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("%s not installed (Debian package %s)", tool, debianPackage)
	if required(component) {
		t.Fatalf("%s, and PACKETBUDDY_TEST_REQUIRE=%q requires %s", msg, os.Getenv("PACKETBUDDY_TEST_REQUIRE"), component)
	}
	t.Skip(msg)
	return ""
}

// run runs a command with a deadline and returns its standard output; on
// failure the test stops with both outputs.
func run(t *testing.T, timeout time.Duration, env []string, dir, name string, args ...string) string {
	t.Helper()
	out, err := runErr(timeout, env, dir, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func runErr(timeout time.Duration, env []string, dir, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %v: %w", timeout, ctx.Err())
	}
	if err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// buildTimeout bounds one build script: a cold build compiles SQLite for
// the target, and CI runs other packages' tests beside this one.
const buildTimeout = 8 * time.Minute

// builds runs each build script once for all the tests that need its
// output, in the shared scratch directory.
var builds struct {
	sync.Mutex
	done map[string]buildResult
}

type buildResult struct {
	dist string
	err  error
}

// build runs scripts/<script> args with VERSION=testVersion and returns
// its DIST directory.
func build(t *testing.T, script string, args ...string) string {
	t.Helper()
	key := script + " " + strings.Join(args, " ")
	builds.Lock()
	defer builds.Unlock()
	if builds.done == nil {
		builds.done = map[string]buildResult{}
	}
	r, ok := builds.done[key]
	if !ok {
		r.dist = filepath.Join(scratch, strings.NewReplacer("/", "_", " ", "_", ".", "_").Replace(key))
		start := time.Now()
		_, r.err = runErr(buildTimeout, []string{"VERSION=" + testVersion, "DIST=" + r.dist},
			repoRoot(t), filepath.Join(repoRoot(t), "scripts", script), args...)
		t.Logf("%s took %v", key, time.Since(start).Round(time.Second))
		builds.done[key] = r
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.dist
}

// fileSize returns the size of a file, failing the test if it is missing.
func fileSize(t *testing.T, name string) int64 {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
