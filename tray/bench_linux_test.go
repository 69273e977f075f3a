package tray

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

// BenchmarkTrayIdle measures the tray process at rest: the tray with its
// 1 s refresh, the monitor sampling this machine's real counters every
// second and flushing every 30 s, and the SQLite store, registered on a
// private session bus. It reports the resident set size and the CPU time
// per minute of wall time (targets: under 25 MB and 25 CPU-ms/min).
//
//	go test ./tray -run '^$' -bench TrayIdle -benchtime 1x
//
// PB_IDLE_SECONDS sets the measured interval (default 60).
func BenchmarkTrayIdle(b *testing.B) {
	seconds := 60
	if v, err := strconv.Atoi(os.Getenv("PB_IDLE_SECONDS")); err == nil && v > 0 {
		seconds = v
	}
	addr := testenv.StartDBus(b)
	w := startWatcher(b, addr)
	for b.Loop() {
		p := startTray(b, addr, "PB_IDLE=1")
		w.waitRegistered(b, waitFor)
		time.Sleep(5 * time.Second) // start-up done, first refreshes past
		pid := p.cmd.Process.Pid
		cpu0 := cpuTime(b, pid)
		time.Sleep(time.Duration(seconds) * time.Second)
		cpu1 := cpuTime(b, pid)
		rss, hwm := memKB(b, pid, "VmRSS:"), memKB(b, pid, "VmHWM:")
		cpuMsPerMin := float64(cpu1-cpu0) / float64(time.Millisecond) / (float64(seconds) / 60)
		b.ReportMetric(float64(rss)/1024, "RSS-MB")
		b.ReportMetric(float64(hwm)/1024, "peakRSS-MB")
		b.ReportMetric(cpuMsPerMin, "CPU-ms/min")
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			b.Fatal(err)
		}
		if err := p.wait(b, waitFor); err != nil {
			b.Fatalf("tray helper: %v", err)
		}
	}
}

// cpuTime is the CPU time of all threads of a process, from the
// nanosecond counters of /proc/<pid>/task/*/schedstat (the tick-based
// utime/stime are too coarse for a few milliseconds a minute).
func cpuTime(b *testing.B, pid int) time.Duration {
	b.Helper()
	tasks, err := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/schedstat")
	if err != nil || len(tasks) == 0 {
		b.Fatalf("no threads of %d: %v", pid, err)
	}
	var total time.Duration
	for _, f := range tasks {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // the thread ended
		}
		ns, err := strconv.ParseInt(strings.Fields(string(data))[0], 10, 64)
		if err != nil {
			b.Fatalf("parse %s: %v", f, err)
		}
		total += time.Duration(ns)
	}
	return total
}

// memKB reads a kB field of /proc/<pid>/status.
func memKB(b *testing.B, pid int, field string) int64 {
	b.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
