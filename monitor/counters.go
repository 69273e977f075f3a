package monitor

import (
	"context"
	"fmt"

	"github.com/shirou/gopsutil/v4/net"
)

// Counter is one NIC's kernel byte counters.
type Counter struct {
	Name string
	Sent uint64
	Recv uint64
}

// ReadCounters asks the OS for every NIC's counters. gopsutil reads
// /proc/net/dev on Linux (redirectable with HOST_PROC or the context's
// environment), GetIfEntry2 on Windows and netstat on macOS.
func ReadCounters(ctx context.Context) ([]Counter, error) {
	stats, err := net.IOCountersWithContext(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("read network counters: %w", err)
	}
	out := make([]Counter, 0, len(stats))
	for _, s := range stats {
		out = append(out, Counter{Name: s.Name, Sent: s.BytesSent, Recv: s.BytesRecv})
	}
	return out, nil
}
