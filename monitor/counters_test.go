package monitor

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/shirou/gopsutil/v4/common"
)

// TestReadCounters parses a captured /proc/net/dev through gopsutil.
func TestReadCounters(t *testing.T) {
	t.Parallel()
	skipUnlessProcNetDev(t)
	dir, err := filepath.Abs(filepath.Join("testdata", "proc"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.WithValue(t.Context(), common.EnvKey, common.EnvMap{common.HostProcEnvKey: dir})
	got, err := ReadCounters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Counter{
		{"lo", 8712345, 8712345},
		{"enp3s0", 5309921020, 48213390811},
		{"wlp2s0", 201113, 913402},
		{"docker0", 4120, 0},
		{"veth4f2a1c0", 6114, 1320},
		{"wg0", 4294967295, 18446744073709551615},
	}
	if !slices.Equal(got, want) {
		t.Errorf("ReadCounters = %+v\nwant %+v", got, want)
	}
}

func TestReadCountersMissingProc(t *testing.T) {
	t.Parallel()
	skipUnlessProcNetDev(t)
	ctx := context.WithValue(t.Context(), common.EnvKey, common.EnvMap{common.HostProcEnvKey: t.TempDir()})
	if _, err := ReadCounters(ctx); err == nil {
		t.Fatal("ReadCounters without /proc/net/dev returned no error")
	}
}

// TestReadCountersLive reads this machine's real counters.
func TestReadCountersLive(t *testing.T) {
	t.Parallel()
	got, err := ReadCounters(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 {
		t.Fatal("no NICs at all; every OS has a loopback")
	}
	for _, c := range got {
		if c.Name == "" {
			t.Errorf("NIC without a name: %+v", c)
		}
	}
}
