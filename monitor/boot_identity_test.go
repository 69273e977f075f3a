package monitor

import (
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/store"
)

// TestStartBootIdentity checks how start-up tells "the app was down" from
// "the machine rebooted" when the boot identity is imperfect. Where only
// the boot time identifies a boot (macOS, Windows, a Linux without
// boot_id), that time is the wall clock minus the uptime, so it moves when
// the wall clock is set. Taking the same boot for a new one would claim
// every byte since boot again; taking a new boot for the same one can at
// worst undercount.
func TestStartBootIdentity(t *testing.T) {
	t.Parallel()
	const down = 2 * time.Hour
	bootAt := testBase.Add(-time.Hour).Unix()
	tests := []struct {
		name          string
		before, after store.Boot
		// reboot: the machine really rebooted, and its counters restarted.
		reboot bool
		live   [2]uint64 // eth0 at the new start; 1000/1000 before
		want   [2]uint64
		reason string
	}{
		{
			name:   "boot time only, wall clock set forward while down",
			before: store.Boot{Time: bootAt},
			after:  store.Boot{Time: bootAt + 120},
			live:   [2]uint64{5000, 6000},
			want:   [2]uint64{4000, 5000},
			reason: store.GapNotRunning,
		},
		{
			name:   "boot time only, wall clock set back while down",
			before: store.Boot{Time: bootAt},
			after:  store.Boot{Time: bootAt - 600},
			live:   [2]uint64{5000, 6000},
			want:   [2]uint64{4000, 5000},
			reason: store.GapNotRunning,
		},
		{
			name:   "boot time only, a real reboot",
			before: store.Boot{Time: bootAt},
			after:  store.Boot{Time: testBase.Add(down - time.Minute).Unix()},
			reboot: true,
			live:   [2]uint64{5000, 6000},
			want:   [2]uint64{5000, 6000},
			reason: store.GapSinceBoot,
		},
		{
			name:   "boot_id unreadable now, same boot time",
			before: store.Boot{ID: "boot-1", Time: bootAt},
			after:  store.Boot{Time: bootAt + 1},
			live:   [2]uint64{5000, 6000},
			want:   [2]uint64{4000, 5000},
			reason: store.GapNotRunning,
		},
		{
			name:   "boot_id on both sides decides",
			before: store.Boot{ID: "boot-1", Time: bootAt},
			after:  store.Boot{ID: "boot-2", Time: bootAt},
			reboot: true,
			live:   [2]uint64{5000, 6000},
			want:   [2]uint64{5000, 6000},
			reason: store.GapSinceBoot,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.boot = tt.before
			h.proc.replace(nics{"eth0": {1000, 1000}})
			h.start()
			h.step(time.Second)
			h.flush()
			h.crash()

			h.clock.Advance(down)
			h.boot = tt.after
			h.proc.replace(nics{"eth0": tt.live})
			h.start()
			h.flush()
			h.wantTotals(nics{"eth0": tt.want})
			g := h.gaps()
			if len(g) != 1 || g[0].Reason != tt.reason {
				t.Errorf("gaps %+v, want one %q", g, tt.reason)
			}
		})
	}
}
