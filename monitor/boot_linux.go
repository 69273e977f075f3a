package monitor

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/shirou/gopsutil/v4/host"

	"github.com/packetbuddy/packetbuddy/store"
)

func bootIdentity(ctx context.Context) (store.Boot, error) {
	bt, err := host.BootTimeWithContext(ctx)
	if err != nil {
		return store.Boot{}, fmt.Errorf("boot time: %w", err)
	}
	id, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		// Without boot_id the boot time still tells boots apart.
		return store.Boot{Time: int64(bt)}, nil
	}
	return store.Boot{ID: strings.TrimSpace(string(id)), Time: int64(bt)}, nil
}
