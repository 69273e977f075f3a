package tray

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"

	"github.com/packetbuddy/packetbuddy/report"
	"github.com/packetbuddy/packetbuddy/tray/internal/icon"
)

// view is everything the tray shows, computed once a tick.
type view struct {
	up, down             float64
	paused               bool
	todaySent, todayRecv uint64
	monthSent, monthRecv uint64
	network              string      // the current network's label; "" when unknown
	sync                 *SyncStatus // nil: not configured
	problems             []string
}

// iconState is the icon for v: grey while paused, with a badge while
// anything fails.
func (v view) iconState() icon.State {
	bad := len(v.problems) > 0 || (v.sync != nil && v.sync.State == SyncFailing)
	switch {
	case v.paused && bad:
		return icon.PausedError
	case v.paused:
		return icon.Paused
	case bad:
		return icon.Error
	}
	return icon.Normal
}

// maxTooltip is the longest tooltip Windows shows, in UTF-16 code units
// (NOTIFYICONDATA.szTip holds 128 including the terminating NUL).
const maxTooltip = 127

// maxNetworkLabel is the most of the tooltip, in UTF-16 code units, a
// network's label takes (labels hold up to 64 characters), so that a
// problem line after it still shows.
const maxNetworkLabel = 32

// usageText renders "1.32 GB · ₹9.90", leaving out the cost when no rate
// is configured.
func usageText(p report.Pricing, sent, recv uint64) string {
	u := p.Usage(sent, recv)
	if p.RateSentPerGB == 0 && p.RateReceivedPerGB == 0 {
		return u.HumanReadable.Total
	}
	return u.HumanReadable.Total + " · " + u.Cost.Total.Formatted
}

// rateText renders a speed compactly: "1.2 MB/s".
func rateText(u report.Units, bytesPerSec float64) string {
	if bytesPerSec < 0 {
		bytesPerSec = 0
	}
	return u.FormatCompact(bytesPerSec) + "/s"
}

// tooltipText is the tray tooltip:
// "↑ 1.2 MB/s  ↓ 5.4 MB/s — Today 1.32 GB · ₹9.90 · Home Wi-Fi", with
// "Paused" in place of the speed while paused, the current network when
// known and the first problem appended, cut to the Windows limit.
func tooltipText(p report.Pricing, v view) string {
	var b strings.Builder
	if v.paused {
		b.WriteString("Paused")
	} else {
		fmt.Fprintf(&b, "↑ %s  ↓ %s", rateText(p.Units, v.up), rateText(p.Units, v.down))
	}
	b.WriteString(" — Today ")
	b.WriteString(usageText(p, v.todaySent, v.todayRecv))
	if label := networkText(v.network); label != "" {
		b.WriteString(" · ")
		b.WriteString(label)
	}
	if len(v.problems) > 0 {
		b.WriteString("\n⚠ ")
		b.WriteString(v.problems[0])
	}
	return truncateUTF16(b.String(), maxTooltip)
}

// networkText is a network's label as the tooltip shows it: on one line
// (an SSID may hold control characters), without surrounding space, and
// cut to maxNetworkLabel.
func networkText(label string) string {
	label = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, label)
	return truncateUTF16(strings.TrimSpace(label), maxNetworkLabel)
}

// titleText is the compact speed for the macOS menu bar.
func titleText(p report.Pricing, v view) string {
	if v.paused {
		return "⏸"
	}
	return fmt.Sprintf("↑%s ↓%s", rateText(p.Units, v.up), rateText(p.Units, v.down))
}

// truncateUTF16 cuts s to at most n UTF-16 code units on a rune boundary,
// ending with "…" when anything was cut.
func truncateUTF16(s string, n int) string {
	if len(utf16.Encode([]rune(s))) <= n {
		return s
	}
	units := 1 // the ellipsis
	var b strings.Builder
	for _, r := range s {
		w := utf16.RuneLen(r)
		if w < 0 {
			w = 1
		}
		if units+w > n {
			break
		}
		units += w
		b.WriteRune(r)
	}
	return strings.TrimRight(b.String(), " ") + "…"
}

// problemText is the problem line of the menu: the first problem, and how
// many more there are; "" when there is none.
func problemText(problems []string) string {
	switch len(problems) {
	case 0:
		return ""
	case 1:
		return truncateUTF16("⚠ "+problems[0], 100)
	}
	return truncateUTF16(fmt.Sprintf("⚠ %s (and %d more)", problems[0], len(problems)-1), 100)
}

// syncText is the sync line of the menu.
func syncText(s *SyncStatus, now time.Time) string {
	switch {
	case s == nil:
		return "Sync: off (no database URL configured)"
	case s.State == SyncFailing:
		reason := s.LastError
		if reason == "" {
			reason = "unknown error"
		}
		return truncateUTF16("Sync: failing: "+reason, 100)
	case s.State == SyncOK && !s.LastSuccess.IsZero():
		return "Sync: synced " + ago(now.Sub(s.LastSuccess), s.LastSuccess)
	case s.State == SyncOK:
		return "Sync: on, not synced yet"
	}
	return "Sync: off"
}

// ago says how long ago something happened, coarsely enough that the text
// changes at most once a minute.
func ago(d time.Duration, at time.Time) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return "on " + at.Format("2006-01-02")
}

// exportName is the file an export writes: packetbuddy-YYYYMMDD-HHMMSS.csv.
func exportName(now time.Time, format string) string {
	return "packetbuddy-" + now.Format("20060102-150405") + "." + format
}
