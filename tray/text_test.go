package tray

import (
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/packetbuddy/packetbuddy/report"
	"github.com/packetbuddy/packetbuddy/tray/internal/icon"
)

func TestTooltipText(t *testing.T) {
	t.Parallel()
	inr := report.DefaultPricing()
	free := report.Pricing{Units: report.UnitsIEC}
	tests := []struct {
		name string
		p    report.Pricing
		v    view
		want string
	}{
		{"issue example", inr, view{up: 1.2e6, down: 5.4e6, todaySent: 301_200_000, todayRecv: 1_018_800_000},
			"↑ 1.2 MB/s  ↓ 5.4 MB/s — Today 1.32 GB · ₹9.90"},
		{"idle", inr, view{}, "↑ 0 B/s  ↓ 0 B/s — Today 0 B · ₹0.00"},
		{"paused", inr, view{paused: true, up: 5, todayRecv: 2e9}, "Paused — Today 2.00 GB · ₹15.00"},
		{"no rates, IEC", free, view{up: 1536, down: 3 << 20, todayRecv: 5 << 30}, "↑ 1.5 KiB/s  ↓ 3.0 MiB/s — Today 5.00 GiB"},
		{"problem", inr, view{problems: []string{"dashboard: port taken"}}, "↑ 0 B/s  ↓ 0 B/s — Today 0 B · ₹0.00\n⚠ dashboard: port taken"},
		{"network", inr, view{up: 1.2e6, down: 5.4e6, todaySent: 301_200_000, todayRecv: 1_018_800_000, network: "Home Wi-Fi"},
			"↑ 1.2 MB/s  ↓ 5.4 MB/s — Today 1.32 GB · ₹9.90 · Home Wi-Fi"},
		{"network, no rates", free, view{todayRecv: 5 << 30, network: "Network 2"}, "↑ 0 B/s  ↓ 0 B/s — Today 5.00 GiB · Network 2"},
		{"network while paused, with a problem", inr, view{paused: true, network: "Phone", problems: []string{"saving usage: disk full"}},
			"Paused — Today 0 B · ₹0.00 · Phone\n⚠ saving usage: disk full"},
		{"unknown network", inr, view{network: ""}, "↑ 0 B/s  ↓ 0 B/s — Today 0 B · ₹0.00"},
		{"blank label", inr, view{network: " \t "}, "↑ 0 B/s  ↓ 0 B/s — Today 0 B · ₹0.00"},
		{"label with a newline", inr, view{network: "Café\nGuest"}, "↑ 0 B/s  ↓ 0 B/s — Today 0 B · ₹0.00 · Café Guest"},
		{"long label is cut", inr, view{network: strings.Repeat("Hotspot ", 8)}, "↑ 0 B/s  ↓ 0 B/s — Today 0 B · ₹0.00 · Hotspot Hotspot Hotspot Hotspot…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tooltipText(tt.p, tt.v); got != tt.want {
				t.Errorf("tooltipText = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTooltipFitsWindows(t *testing.T) {
	t.Parallel()
	long := view{up: 999e12, down: 999e12, todaySent: 1 << 62, problems: []string{strings.Repeat("𝄞 astral plane ", 20)}}
	got := tooltipText(report.Pricing{Currency: "CHF ", RateSentPerGB: 1e6, Units: report.UnitsDecimal}, long)
	if n := len(utf16.Encode([]rune(got))); n > maxTooltip {
		t.Errorf("tooltip is %d UTF-16 units, more than %d: %q", n, maxTooltip, got)
	}
	if !strings.HasSuffix(got, "…") {
		t.Errorf("cut tooltip does not end with an ellipsis: %q", got)
	}
}

// TestTooltipNetworkFitsWindows: the longest label a network can have (64
// characters, astral ones counting two UTF-16 units) with the widest
// figures stays within the Windows limit and leaves room for a problem.
func TestTooltipNetworkFitsWindows(t *testing.T) {
	t.Parallel()
	p := report.Pricing{Currency: "CHF ", RateSentPerGB: 1e6, Units: report.UnitsDecimal}
	for _, label := range []string{strings.Repeat("W", 64), strings.Repeat("𝄞", 64)} {
		v := view{up: 999e12, down: 999e12, todaySent: 1 << 62, network: label, problems: []string{"saving usage: disk full"}}
		got := tooltipText(p, v)
		if n := len(utf16.Encode([]rune(got))); n > maxTooltip {
			t.Errorf("tooltip is %d UTF-16 units, more than %d: %q", n, maxTooltip, got)
		}
		if !strings.Contains(got, "\n⚠ saving usage") {
			t.Errorf("a long network label crowds out the problem: %q", got)
		}
	}
}

func TestTruncateUTF16(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"eleven char", 10, "eleven ch…"},
		{"ab𝄞cd", 4, "ab…"}, // the surrogate pair does not fit
		{"ab𝄞cd", 5, "ab𝄞…"},
		{"word  end", 7, "word…"},
	}
	for _, tt := range tests {
		if got := truncateUTF16(tt.in, tt.n); got != tt.want {
			t.Errorf("truncateUTF16(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestProblemText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		problems []string
		want     string
	}{
		{"none", nil, ""},
		{"one", []string{"dashboard: port taken"}, "⚠ dashboard: port taken"},
		{"three", []string{"dashboard: port taken", "saving usage: disk full", "x"}, "⚠ dashboard: port taken (and 2 more)"},
		{"long", []string{strings.Repeat("a", 200)}, "⚠ " + strings.Repeat("a", 97) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := problemText(tt.problems); got != tt.want {
				t.Errorf("problemText = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSyncText(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		s    *SyncStatus
		want string
	}{
		{"not configured", nil, "Sync: off (no database URL configured)"},
		{"off", &SyncStatus{State: SyncOff, LastSuccess: now.Add(-time.Hour)}, "Sync: off"},
		{"never yet", &SyncStatus{State: SyncOK}, "Sync: on, not synced yet"},
		{"just now", &SyncStatus{State: SyncOK, LastSuccess: now.Add(-30 * time.Second)}, "Sync: synced just now"},
		{"minutes", &SyncStatus{State: SyncOK, LastSuccess: now.Add(-2*time.Minute - 5*time.Second)}, "Sync: synced 2 min ago"},
		{"hours", &SyncStatus{State: SyncOK, LastSuccess: now.Add(-5 * time.Hour)}, "Sync: synced 5 h ago"},
		{"days", &SyncStatus{State: SyncOK, LastSuccess: now.AddDate(0, 0, -3)}, "Sync: synced on 2026-11-24"},
		{"failing", &SyncStatus{State: SyncFailing, LastError: "connection refused"}, "Sync: failing: connection refused"},
		{"failing without reason", &SyncStatus{State: SyncFailing}, "Sync: failing: unknown error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := syncText(tt.s, now); got != tt.want {
				t.Errorf("syncText = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIconState(t *testing.T) {
	t.Parallel()
	failing := &SyncStatus{State: SyncFailing}
	tests := []struct {
		name string
		v    view
		want icon.State
	}{
		{"normal", view{}, icon.Normal},
		{"sync ok", view{sync: &SyncStatus{State: SyncOK}}, icon.Normal},
		{"paused", view{paused: true}, icon.Paused},
		{"sync failing", view{sync: failing}, icon.Error},
		{"problem", view{problems: []string{"x"}}, icon.Error},
		{"paused and failing", view{paused: true, sync: failing}, icon.PausedError},
	}
	for _, tt := range tests {
		if got := tt.v.iconState(); got != tt.want {
			t.Errorf("%s: iconState = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestExportName(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("+0545", 20700))
	if got, want := exportName(at, "csv"), "packetbuddy-20260102-030405.csv"; got != want {
		t.Errorf("exportName = %q, want %q", got, want)
	}
}
