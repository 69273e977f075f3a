package monitor

import (
	"context"

	"github.com/packetbuddy/packetbuddy/store"
)

// BootIdentity identifies the current boot, so that start-up can tell
// "the app was down" from "the machine rebooted".
func BootIdentity(ctx context.Context) (store.Boot, error) {
	return bootIdentity(ctx)
}
