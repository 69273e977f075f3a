package tray

import (
	"errors"
	"testing"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

// requireComponent skips the test when a component is missing, unless
// PACKETBUDDY_TEST_REQUIRE is "all" or names it: then it fails.
func requireComponent(t testing.TB, name, reason string) {
	t.Helper()
	testenv.Require(t, name, errors.New(reason))
}

// testOutputDir is where screenshots and logs go.
func testOutputDir(t testing.TB) string { return testenv.OutputDir(t, "tray") }
