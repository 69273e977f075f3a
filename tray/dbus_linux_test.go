package tray

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
	"github.com/packetbuddy/packetbuddy/store"
)

const waitFor = 10 * time.Second

// isGrey reports whether the pixmap's background (a pixel at the top
// centre, inside the rounded square) has no colour.
func isGrey(px pixmap) bool {
	i := (2*int(px.W) + int(px.W)/2) * 4
	a, r, g, b := px.Pix[i], px.Pix[i+1], px.Pix[i+2], px.Pix[i+3]
	return a == 0xFF && r == g && g == b
}

func expectedTooltip() string {
	return "↑ 1.2 MB/s  ↓ 5.4 MB/s — Today 1.32 GB · ₹9.90"
}

// openStore opens the helper's database read-only, as the CLI does beside
// a running app.
func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dir, store.Options{ReadOnly: true, Location: helperZone})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestTrayOverDBus drives the tray the way a desktop's tray host does:
// over a private session bus, reading the item's properties and menu and
// clicking menu items, against a real store and monitor.
func TestTrayOverDBus(t *testing.T) {
	t.Parallel()
	addr := testenv.StartDBus(t)
	w := startWatcher(t, addr)
	p := startTray(t, addr)
	it := w.waitRegistered(t, waitFor)
	today := store.DateOf(p.base)

	t.Run("item", func(t *testing.T) {
		if id := it.stringProp(t, "Id"); id != "PacketBuddy" {
			t.Errorf("Id = %q, want PacketBuddy (the stable id hosts remember)", id)
		}
		if s := it.stringProp(t, "Status"); s != "Active" {
			t.Errorf("Status = %q", s)
		}
		px := it.iconPixmap(t)
		if len(px) != 1 || px[0].W != 32 || px[0].H != 32 || len(px[0].Pix) != 32*32*4 {
			t.Fatalf("IconPixmap: %d pixmaps, first %dx%d with %d bytes", len(px), px[0].W, px[0].H, len(px[0].Pix))
		}
		if isGrey(px[0]) {
			t.Error("icon is grey while counting")
		}
	})

	t.Run("tooltip shows live speed and today's cost", func(t *testing.T) {
		// Registered with the tooltip already set: read at once, no polling.
		if got := it.tooltip(t); got != expectedTooltip() {
			t.Errorf("ToolTip = %q, want %q", got, expectedTooltip())
		}
	})

	var root *menuNode
	t.Run("menu has every item", func(t *testing.T) {
		// systray answers the first GetLayout one level deep (for
		// libdbusmenu); the second has the Export submenu too.
		it.layout(t)
		eventually(t, waitFor, "full layout", func() (bool, string) {
			root = it.layout(t)
			return root.find("CSV") != nil, root.String()
		})
		want := []string{"Today: 1.32 GB · ₹9.90", "This month: ", "Sync: off (no database URL configured)",
			"Open Dashboard", "Pause monitoring", "Cloud sync (no database URL configured)",
			"Export", "CSV", "JSON", "Start at login", "Quit"}
		for _, label := range want {
			if root.find(label) == nil {
				t.Errorf("no menu item %q in\n%s", label, root)
			}
		}
		month := "This month: 1.32 GB · ₹9.90"
		if today.Day != 1 {
			month = "This month: 11.32 GB · ₹84.90"
		}
		if n := root.find("This month: "); n != nil && n.label() != month {
			t.Errorf("month line %q, want %q", n.label(), month)
		}
		if n := root.find("Cloud sync"); n != nil && n.boolProp("enabled", true) {
			t.Error("Cloud sync is enabled without a database URL")
		}
		if n := root.find("Today:"); n != nil && n.boolProp("enabled", true) {
			t.Error("info line is clickable")
		}
		if n := root.find("⚠"); n != nil {
			t.Errorf("problem line %q shown without a problem", n.label())
		}
	})
	if root == nil || root.find("CSV") == nil {
		t.FailNow()
	}
	st := openStore(t, p.data)

	t.Run("pause and resume", func(t *testing.T) {
		pause := root.find("Pause monitoring")
		it.click(t, pause.ID)
		eventually(t, waitFor, "paused", func() (bool, string) {
			n := it.layout(t).find("Pause monitoring")
			paused, err := st.Paused(context.Background())
			px := it.iconPixmap(t)
			tip := it.tooltip(t)
			return n.toggled() && paused && err == nil && isGrey(px[0]) && strings.HasPrefix(tip, "Paused — Today 1.32 GB"),
				"toggled=" + strconv.FormatBool(n.toggled()) + " stored=" + strconv.FormatBool(paused) + " grey=" + strconv.FormatBool(isGrey(px[0])) + " tooltip=" + tip
		})
		it.click(t, pause.ID)
		eventually(t, waitFor, "resumed", func() (bool, string) {
			n := it.layout(t).find("Pause monitoring")
			paused, err := st.Paused(context.Background())
			px := it.iconPixmap(t)
			return !n.toggled() && !paused && err == nil && !isGrey(px[0]),
				"toggled=" + strconv.FormatBool(n.toggled()) + " stored=" + strconv.FormatBool(paused)
		})
	})

	t.Run("export CSV", func(t *testing.T) {
		// Pause flushed the sampled second; the seeded bucket holds it. The
		// month's seed is a row of its own unless today is the 1st.
		wantRows := [][]string{store.ExportColumns}
		if today.Day != 1 {
			first := (store.Date{Year: today.Year, Month: today.Month, Day: 1}).Start(helperZone)
			wantRows = append(wantRows, []string{first.UTC().Format(time.RFC3339), first.Format(time.RFC3339), st.DeviceID(), "eth0", "", store.UnknownLabel, "0", "10000000000"})
		}
		wantRows = append(wantRows, []string{p.base.UTC().Format(time.RFC3339), p.base.Format(time.RFC3339), st.DeviceID(), "eth0", "", store.UnknownLabel,
			strconv.Itoa(helperSeedSent + helperStepSent), strconv.Itoa(helperSeedRecv + helperStepRecv)})

		it.click(t, root.find("CSV").ID)
		// The clock has ticked once since base.
		name := "packetbuddy-" + p.base.Add(time.Second).Format("20060102-150405") + ".csv"
		notice := fmt.Sprintf("Exported %d rows to ~/Downloads/%s", len(wantRows)-1, name)
		eventually(t, waitFor, "export notice", func() (bool, string) {
			n := it.layout(t).find("Exported ")
			if n == nil {
				return false, it.layout(t).String()
			}
			return n.label() == notice, n.label()
		})
		f, err := os.Open(filepath.Join(p.home, "Downloads", name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Join(flatten(rows), "\n"), strings.Join(flatten(wantRows), "\n"); got != want {
			t.Errorf("export rows:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("start at login", func(t *testing.T) {
		entry := filepath.Join(p.config, "autostart", "packetbuddy.desktop")
		n := root.find("Start at login")
		if n.toggled() {
			t.Fatal("Start at login checked before any entry exists")
		}
		it.click(t, n.ID)
		eventually(t, waitFor, "autostart entry", func() (bool, string) {
			data, err := os.ReadFile(entry)
			return err == nil && it.layout(t).find("Start at login").toggled(), string(data)
		})
		data, _ := os.ReadFile(entry)
		exe, _ := os.Executable()
		if !strings.Contains(string(data), exe) {
			t.Errorf("entry does not start %s:\n%s", exe, data)
		}
		it.click(t, n.ID)
		eventually(t, waitFor, "autostart entry removed", func() (bool, string) {
			_, err := os.Stat(entry)
			return os.IsNotExist(err) && !it.layout(t).find("Start at login").toggled(), "still there"
		})
	})

	t.Run("open dashboard", func(t *testing.T) {
		it.click(t, root.find("Open Dashboard").ID)
		eventually(t, waitFor, "xdg-open called", func() (bool, string) {
			data, _ := os.ReadFile(p.opened)
			return string(data) == helperDashboard, string(data)
		})
	})

	t.Run("quit flushes", func(t *testing.T) {
		p.tick(t) // a second of traffic that only the final flush stores
		it.clickNoReply(t, root.find("Quit").ID)
		if err := p.wait(t, waitFor); err != nil {
			t.Fatalf("tray helper: %v\n%s", err, p.stderr)
		}
		if !strings.Contains(p.stderr.String(), "tray helper exited cleanly") {
			t.Errorf("no clean exit in the log:\n%s", p.stderr)
		}
		r, err := st.Day(context.Background(), today, helperZone, store.Scope{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Sent != helperSeedSent+2*helperStepSent || r.Recv != helperSeedRecv+2*helperStepRecv {
			t.Errorf("today after quit: sent %d recv %d, want %d and %d", r.Sent, r.Recv,
				helperSeedSent+2*helperStepSent, helperSeedRecv+2*helperStepRecv)
		}
	})
}

func flatten(rows [][]string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = strings.Join(r, ",")
	}
	return out
}

// TestTrayStartupPublishesIconAndTooltip starts the tray 20 times and reads
// the icon and tooltip the moment each item registers, before any signal
// could fix them up. Set inside systray's onReady they arrived empty in 8 of
// 20 runs under -race; the tray hands them to systray before the item is
// exported, so they are part of the first answer.
func TestTrayStartupPublishesIconAndTooltip(t *testing.T) {
	t.Parallel()
	const runs, parallel = 20, 5
	addr := testenv.StartDBus(t)
	w := startWatcher(t, addr)
	for batch := 0; batch < runs; batch += parallel {
		procs := make([]*trayProcess, 0, parallel)
		for i := batch; i < batch+parallel && i < runs; i++ {
			procs = append(procs, startTray(t, addr))
		}
		for range procs {
			it := w.waitRegistered(t, waitFor)
			px := it.iconPixmap(t)
			if len(px) != 1 || px[0].W == 0 || len(px[0].Pix) != int(px[0].W*px[0].H*4) {
				t.Errorf("item %s registered with an empty icon: %d pixmaps", it.name, len(px))
			}
			if tip := it.tooltip(t); tip != expectedTooltip() {
				t.Errorf("item %s registered with tooltip %q, want %q", it.name, tip, expectedTooltip())
			}
		}
		for _, p := range procs {
			// SIGTERM ends the context the tray runs under.
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range procs {
			if err := p.wait(t, waitFor); err != nil {
				t.Errorf("tray helper after SIGTERM: %v\n%s", err, p.stderr)
			}
		}
	}
}

// TestTrayTooltipShowsNetwork checks that the tooltip names the network
// the monitor's last reading found, beside today's usage, and follows a
// change of network at the next reading.
func TestTrayTooltipShowsNetwork(t *testing.T) {
	t.Parallel()
	addr := testenv.StartDBus(t)
	w := startWatcher(t, addr)
	p := startTray(t, addr, "PB_NETWORK=Home Wi-Fi")
	it := w.waitRegistered(t, waitFor)
	if got, want := it.tooltip(t), expectedTooltip()+" · Home Wi-Fi"; got != want {
		t.Errorf("ToolTip = %q, want %q", got, want)
	}
	p.network(t, "Phone hotspot")
	p.tick(t)
	eventually(t, waitFor, "tooltip with the new network", func() (bool, string) {
		tip := it.tooltip(t)
		return strings.HasPrefix(tip, "↑ 1.2 MB/s  ↓ 5.4 MB/s — Today ") && strings.HasSuffix(tip, " · Phone hotspot"), tip
	})
}

// TestTrayShowsSyncAndProblems checks the sync line, a failing component
// and the error badge, and that the Cloud sync checkbox calls SetEnabled.
func TestTrayShowsSyncAndProblems(t *testing.T) {
	t.Parallel()
	addr := testenv.StartDBus(t)
	w := startWatcher(t, addr)
	p := startTray(t, addr, "PB_SYNC=failing", "PB_PROBLEM=listen tcp 127.0.0.1:7373: bind: address already in use")
	it := w.waitRegistered(t, waitFor)

	it.layout(t)
	var root *menuNode
	eventually(t, waitFor, "full layout", func() (bool, string) {
		root = it.layout(t)
		return root.find("CSV") != nil, root.String()
	})
	for _, label := range []string{
		"Sync: failing: dial tcp 127.0.0.1:5432: connect: connection refused",
		"⚠ dashboard: listen tcp 127.0.0.1:7373: bind: address already in use",
	} {
		if n := root.find(label); n == nil || n.label() != label {
			t.Errorf("no menu line %q in\n%s", label, root)
		}
	}
	if tip := it.tooltip(t); !strings.HasSuffix(tip, "\n⚠ dashboard: listen tcp 127.0.0.1:7373: bind: address already in use") {
		t.Errorf("tooltip %q does not show the problem", tip)
	}
	if px := it.iconPixmap(t)[0]; !hasBadge(px) {
		t.Error("icon has no error badge")
	}
	cloud := root.find("Cloud sync")
	if cloud.label() != "Cloud sync" || !cloud.boolProp("enabled", true) || !cloud.toggled() {
		t.Errorf("Cloud sync item: %q enabled=%v toggled=%v", cloud.label(), cloud.boolProp("enabled", true), cloud.toggled())
	}
	it.click(t, cloud.ID)
	eventually(t, waitFor, "sync switched off", func() (bool, string) {
		r := it.layout(t)
		n, line := r.find("Cloud sync"), r.find("Sync:")
		return !n.toggled() && line.label() == "Sync: off", r.String()
	})
	// The dashboard problem remains: the badge stays.
	if px := it.iconPixmap(t)[0]; !hasBadge(px) {
		t.Error("badge gone while a component still fails")
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t, waitFor); err != nil {
		t.Errorf("tray helper: %v", err)
	}
}

// hasBadge looks for the red badge in the icon's bottom-right corner.
func hasBadge(px pixmap) bool {
	x, y := int(px.W)*3/4, int(px.H)*3/4
	i := (y*int(px.W) + x) * 4
	a, r, g, b := px.Pix[i], px.Pix[i+1], px.Pix[i+2], px.Pix[i+3]
	return a == 0xFF && r > 0xC0 && g < 0x60 && b < 0x60
}
