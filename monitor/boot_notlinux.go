//go:build !linux

package monitor

import (
	"context"
	"fmt"

	"github.com/shirou/gopsutil/v4/host"

	"github.com/packetbuddy/packetbuddy/store"
)

func bootIdentity(ctx context.Context) (store.Boot, error) {
	bt, err := host.BootTimeWithContext(ctx)
	if err != nil {
		return store.Boot{}, fmt.Errorf("boot time: %w", err)
	}
	return store.Boot{Time: int64(bt)}, nil
}
