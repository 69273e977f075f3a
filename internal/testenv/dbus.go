package testenv

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// StartDBus starts a private dbus-daemon for one test and returns its
// address; the daemon is killed when the test ends. It listens on a socket
// path in a temporary directory, not an abstract socket, so it is
// reachable from the test's own network namespaces too. Without
// dbus-daemon the test skips, or fails when "dbus" is required.
func StartDBus(t testing.TB) string {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		Require(t, "dbus", err)
	}
	address := "unix:path=" + filepath.Join(t.TempDir(), "bus")
	cmd := exec.Command(daemon, "--session", "--nofork", "--print-address=1", "--address="+address)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		Require(t, "dbus", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case printed := <-line:
		if printed == "" {
			t.Fatalf("dbus-daemon printed no address: %s", stderr.Tail(2000))
		}
		return printed
	case <-time.After(10 * time.Second):
		t.Fatalf("dbus-daemon did not print its address within 10 s: %s", stderr.Tail(2000))
	}
	return ""
}
