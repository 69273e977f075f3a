package tray

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// requireComponent skips the test when a component is missing, unless
// PACKETBUDDY_TEST_REQUIRE is "all" or names it: then it fails.
func requireComponent(t testing.TB, name, reason string) {
	t.Helper()
	req := os.Getenv("PACKETBUDDY_TEST_REQUIRE")
	if req == "all" || slices.Contains(strings.Split(req, ","), name) {
		t.Fatalf("%s required (PACKETBUDDY_TEST_REQUIRE=%s) but unavailable: %s", name, req, reason)
	}
	t.Skipf("%s unavailable: %s", name, reason)
}

// testOutputDir is where screenshots and logs go:
// $PACKETBUDDY_TEST_OUTPUT/tray, else <repo>/test-output/tray.
func testOutputDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("PACKETBUDDY_TEST_OUTPUT")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "test-output", "tray")
	} else {
		dir = filepath.Join(dir, "tray")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
