package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/report"
	"github.com/packetbuddy/packetbuddy/store"
)

// TestNetworksBadInputExit2WithOneLine: a bad rename or an unknown network
// is refused with exit status 2 and one line that says why; an unknown
// network's line lists the known ones.
func TestNetworksBadInputExit2WithOneLine(t *testing.T) {
	t.Parallel()
	dir := seedGolden(t)
	known := `(known: Home, Network 1, Pixel hotspot, Unknown)`
	tests := []struct {
		args []string
		want string // the message names the bad argument
	}{
		{[]string{"networks", "rename", "Home", ""}, "label"},
		{[]string{"networks", "rename", "Home", "   "}, "label"},
		{[]string{"networks", "rename", "Home", strings.Repeat("x", 65)}, "64"},
		{[]string{"networks", "rename", "Home", "tab\there"}, "label"},
		{[]string{"networks", "rename", "Home", "Pixel hotspot"}, `"Pixel hotspot"`},
		{[]string{"networks", "rename", goldenWired, "Home"}, `"Home"`},
		{[]string{"networks", "rename", "Office", "Work"}, `unknown network "Office" ` + known},
		{[]string{"networks", "rename", "Home"}, "rename KEY|LABEL NEW-LABEL"},
		{[]string{"networks", "Home"}, "rename KEY|LABEL NEW-LABEL"},
		{[]string{"today", "--network", "Office"}, `unknown network "Office" ` + known},
		{[]string{"month", "--network", "wifi:Office"}, `unknown network "wifi:Office" ` + known},
		{[]string{"range", "--network", "Office", "--from", "2026-11-01", "--to", "2026-11-15"}, `unknown network "Office"`},
		{[]string{"summary", "--network", "Office", "--nic", "eth0"}, `unknown network "Office"`},
		{[]string{"export", "--network", "Office"}, `unknown network "Office" ` + known},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			e, out, errb := testEnv()
			e.now = func() time.Time { return goldenNow }
			e.zone = goldenZone
			code := runIn(context.Background(), e, dir, tt.args...)
			checkUsageError(t, out.String(), errb.String(), code, tt.want)
		})
	}
}

// TestNetworksRename: a rename by key or by label shows in the list, and
// the new label selects the network.
func TestNetworksRename(t *testing.T) {
	t.Parallel()
	dir := seedGolden(t)
	out := goldenCLI(t, dir, "networks", "rename", goldenWired, "  Office LAN  ")
	if out != "renamed "+goldenWired+" to \"Office LAN\"\n" {
		t.Errorf("rename by key printed %q", out)
	}
	goldenCLI(t, dir, "networks", "rename", "Pixel hotspot", "Phone")
	nets := networksJSON(t, dir)
	labels := map[string]string{}
	for _, n := range nets {
		labels[n.Key] = n.Label
	}
	if labels[goldenWired] != "Office LAN" || labels[goldenHotspot] != "Phone" || labels[goldenHome] != "Home" {
		t.Errorf("labels after the renames: %v", labels)
	}
	r := goldenJSON(t, dir, "today", "--network", "Office LAN")
	if r.BytesSent != 120_000_000 || r.BytesReceived != 480_000_000 {
		t.Errorf("today --network \"Office LAN\": %d sent, %d received", r.BytesSent, r.BytesReceived)
	}
}

// TestNetworksJSON: "networks --json" has the documented fields, and each
// network's totals are what was recorded on it; they add up to the total.
func TestNetworksJSON(t *testing.T) {
	t.Parallel()
	dir := seedGolden(t)
	var raw []map[string]any
	if err := json.Unmarshal([]byte(goldenCLI(t, dir, "networks", "--json")), &raw); err != nil {
		t.Fatal(err)
	}
	fields := []string{"key", "label", "kind", "first_seen", "last_seen", "bytes_sent", "bytes_received", "total_bytes"}
	for _, n := range raw {
		if len(n) != len(fields) {
			t.Errorf("network %v: %d fields, want %v", n, len(n), fields)
		}
		for _, f := range fields {
			if _, ok := n[f]; !ok {
				t.Errorf("network %v has no %q", n, f)
			}
		}
	}
	const mb = 1_000_000
	want := map[string]networkJSON{
		"":            {Label: "Unknown", Kind: store.NetworkUnknown, BytesSent: 250 * mb, BytesReceived: 1_750 * mb},
		goldenHome:    {Label: "Home", Kind: store.NetworkWiFi, BytesSent: 3 * mb, BytesReceived: 9 * mb},
		goldenWired:   {Label: "Network 1", Kind: store.NetworkGateway, BytesSent: (1050 + 120 + 2) * mb, BytesReceived: (4200 + 480 + 6) * mb},
		goldenHotspot: {Label: "Pixel hotspot", Kind: store.NetworkWiFi, BytesSent: 5 * mb, BytesReceived: 20 * mb},
	}
	nets := networksJSON(t, dir)
	if len(nets) != len(want) {
		t.Fatalf("%d networks, want %d: %+v", len(nets), len(want), nets)
	}
	var sent, recv uint64
	for _, n := range nets {
		w := want[n.Key]
		if n.Label != w.Label || n.Kind != w.Kind || n.BytesSent != w.BytesSent || n.BytesReceived != w.BytesReceived ||
			n.TotalBytes != n.BytesSent+n.BytesReceived {
			t.Errorf("network %q: %+v, want %+v", n.Key, n, w)
		}
		sent, recv = sent+n.BytesSent, recv+n.BytesReceived
	}
	life := goldenJSON(t, dir, "summary")
	if sent != life.BytesSent || recv != life.BytesReceived {
		t.Errorf("networks add up to %d/%d, lifetime is %d/%d", sent, recv, life.BytesSent, life.BytesReceived)
	}
	// A NIC's networks only.
	if nets := networksJSON(t, dir, "--nic", "wlan0"); len(nets) < 2 {
		t.Errorf("networks --nic wlan0: %+v", nets)
	}
}

// TestUsageByNetworkJSON: --json carries by_network beside by_nic, and
// --network combines with --nic.
func TestUsageByNetworkJSON(t *testing.T) {
	t.Parallel()
	dir := seedGolden(t)
	const mb = 1_000_000
	r := goldenJSON(t, dir, "today")
	got := map[string]report.NetworkUsage{}
	for _, n := range r.ByNetwork {
		got[n.Key] = n
	}
	if len(got) != 2 || got[goldenWired].Label != "Network 1" || got[goldenWired].BytesSent != 120*mb ||
		got[goldenHotspot].Label != "Pixel hotspot" || got[goldenHotspot].TotalBytes != 25*mb {
		t.Errorf("today's by_network: %+v", r.ByNetwork)
	}
	tests := []struct {
		args []string
		sent uint64
	}{
		{[]string{"today", "--network", "Pixel hotspot"}, 5 * mb},
		{[]string{"today", "--network", goldenHotspot, "--nic", "wlan0"}, 5 * mb},
		{[]string{"today", "--network", "Pixel hotspot", "--nic", "eth0"}, 0},
		{[]string{"month", "--network", "Network 1"}, (1050 + 120 + 2) * mb},
		{[]string{"month", "--month", "2026-10", "--network", "Unknown"}, 250 * mb},
		{[]string{"range", "--from", "2026-10-31", "--to", "2026-11-01", "--network", "Home"}, 3 * mb},
		{[]string{"summary", "--network", "Home", "--nic", "wlan0"}, 3 * mb},
	}
	for _, tt := range tests {
		if r := goldenJSON(t, dir, tt.args...); r.BytesSent != tt.sent {
			t.Errorf("%v: %d bytes sent, want %d", tt.args, r.BytesSent, tt.sent)
		}
	}
}

// TestExportByNetwork: export rows carry the network, and --network
// selects them.
func TestExportByNetwork(t *testing.T) {
	t.Parallel()
	dir := seedGolden(t)
	out := goldenCLI(t, dir, "export", "--format", "json", "--network", "Pixel hotspot", "--nic", "wlan0")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0]["network"] != goldenHotspot || rows[0]["network_label"] != "Pixel hotspot" {
		t.Errorf("export --network \"Pixel hotspot\": %v", rows)
	}
}

// goldenJSON runs a usage command with --json at the golden instant.
func goldenJSON(t *testing.T, dir string, args ...string) report.JSON {
	t.Helper()
	var r report.JSON
	out := goldenCLI(t, dir, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return r
}

// networksJSON runs "networks --json" at the golden instant.
func networksJSON(t *testing.T, dir string, args ...string) []networkJSON {
	t.Helper()
	var nets []networkJSON
	out := goldenCLI(t, dir, append([]string{"networks", "--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &nets); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return nets
}

// TestNetworksWithoutDatabase: before anything is recorded the list is
// empty, not an error; help lists the command.
func TestNetworksWithoutDatabase(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"networks"}, "No network recorded yet.\n"},
		{[]string{"networks", "--json"}, "[]\n"},
	} {
		if out, stderr, code := cli(t, t.TempDir(), tt.args...); code != exitOK || out != tt.want {
			t.Errorf("%v: exit %d, printed %q (want %q); %s", tt.args, code, out, tt.want, stderr)
		}
	}
	out, _, code := cli(t, t.TempDir(), "help")
	if code != exitOK || !strings.Contains(out, "\n  networks  networks seen: networks [--json] | networks rename KEY|LABEL NEW-LABEL\n") {
		t.Errorf("help: exit %d:\n%s", code, out)
	}
}
