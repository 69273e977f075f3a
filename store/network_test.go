package store

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

func TestNetworkKeys(t *testing.T) {
	t.Parallel()
	mac := net.HardwareAddr{0x02, 0xAB, 0x00, 0x0c, 0xFF, 0x01}
	for _, tc := range []struct{ key, want, kind string }{
		{WiFiNetwork("Home"), "wifi:Home", NetworkWiFi},
		{WiFiNetwork("café: 5 GHz"), "wifi:café: 5 GHz", NetworkWiFi},
		{WiFiNetwork(""), "", NetworkUnknown},
		{GatewayNetwork(mac), "gateway:02:ab:00:0c:ff:01", NetworkGateway},
		{GatewayNetwork(nil), "", NetworkUnknown},
		{"", "", NetworkUnknown},
	} {
		if tc.key != tc.want || NetworkKind(tc.key) != tc.kind {
			t.Errorf("key %q kind %q, want %q %q", tc.key, NetworkKind(tc.key), tc.want, tc.kind)
		}
	}
}

const (
	homeWiFi = "wifi:Home"
	hotspot  = "gateway:02:00:00:00:00:aa"
	office   = "gateway:02:00:00:00:00:bb"
)

// traffic sums deltas per NIC and network key; "" sums every network.
type traffic map[[2]string]Traffic

func (tr traffic) add(nic, network string, sent, recv uint64) {
	for _, k := range [][2]string{{nic, network}, {nic, "*"}, {"*", network}, {"*", "*"}} {
		tr[k] = tr[k].Add(Traffic{Sent: sent, Received: recv})
	}
}

// seedNetworks flushes traffic of two NICs over three networks and the
// unknown one, with a downtime gap that goes to the network seen when
// counting resumed, and returns what it flushed.
func seedNetworks(t *testing.T, s *Store) traffic {
	t.Helper()
	ctx := context.Background()
	want := traffic{}
	base := time.Date(2026, 3, 28, 20, 0, 0, 0, time.UTC) // a local midnight in syncZone
	var deltas []Delta
	networks := []string{homeWiFi, hotspot, homeWiFi, "", office}
	for i := range 60 {
		nw := networks[i/12]
		start := base.Unix() + int64(i)*BucketSeconds
		sent, recv := uint64(1_000_003*i+7), uint64(77_777_777*i+11)
		deltas = append(deltas, Delta{NIC: "wlan0", Network: nw, Start: start + 13, Sent: sent, Recv: recv},
			Delta{NIC: "eth0", Network: office, Start: start, Sent: 5, Recv: uint64(i)})
		want.add("wlan0", nw, sent, recv)
		want.add("eth0", office, 5, uint64(i))
		if i%20 == 19 {
			if err := s.Flush(ctx, Batch{At: time.Unix(start+BucketSeconds, 0), Deltas: deltas}); err != nil {
				t.Fatal(err)
			}
			deltas = nil
		}
	}
	gap := Gap{NIC: "wlan0", Network: hotspot, From: base.Add(16 * time.Hour), To: base.Add(19*time.Hour + 7*time.Minute),
		Sent: 123_456_789_013, Recv: 987_654_321_011, Reason: GapNotRunning}
	if err := s.Flush(ctx, Batch{At: gap.To, Gaps: []Gap{gap}}); err != nil {
		t.Fatal(err)
	}
	want.add("wlan0", hotspot, gap.Sent, gap.Recv)
	return want
}

func TestFlushKeepsEveryNICExactPerNetwork(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openSyncStore(t, time.Time{})
	want := seedNetworks(t, s)
	checkDays(t, s)
	from, to := Date{2026, 3, 1}, Date{2026, 3, 31}
	for _, nic := range []string{"*", "wlan0", "eth0"} {
		for _, nw := range []string{"*", homeWiFi, hotspot, office, ""} {
			sc := Scope{NIC: strings.Trim(nic, "*"), Network: strings.Trim(nw, "*")}
			if nw == "" {
				sc.Network = UnknownLabel
			}
			w := want[[2]string{nic, nw}]
			life, err := s.Lifetime(ctx, nil, sc)
			if err != nil {
				t.Fatalf("%+v: %v", sc, err)
			}
			rng, err := s.Range(ctx, from, to, nil, sc)
			if err != nil {
				t.Fatal(err)
			}
			// The buckets answer in another zone.
			other, err := s.Range(ctx, from, to, time.UTC, sc)
			if err != nil {
				t.Fatal(err)
			}
			for name, r := range map[string]Report{"lifetime": life, "range": rng, "range in UTC": other} {
				if got := (Traffic{Sent: r.Sent, Received: r.Recv}); got != w {
					t.Errorf("%s of %+v: %+v, flushed %+v", name, sc, got, w)
				}
				var byNetwork Traffic
				for _, n := range r.ByNetwork {
					byNetwork = byNetwork.Add(Traffic{Sent: n.Sent, Received: n.Recv})
				}
				if byNetwork != w {
					t.Errorf("%s of %+v: by network %+v, flushed %+v", name, sc, r.ByNetwork, w)
				}
			}
			exported := exportTotal(t, s, ExportOptions{Format: FormatCSV, Scope: sc})
			if exported != w {
				t.Errorf("export of %+v: %+v, flushed %+v", sc, exported, w)
			}
		}
	}
	gaps, err := s.Gaps(ctx, time.Time{}, time.Time{})
	if err != nil || len(gaps) != 1 || gaps[0].Network != hotspot {
		t.Errorf("gaps %+v %v", gaps, err)
	}
}

// exportTotal sums the bytes of an export's CSV rows.
func exportTotal(t *testing.T, s *Store, o ExportOptions) Traffic {
	t.Helper()
	var buf bytes.Buffer
	if _, err := s.Export(context.Background(), &buf, o); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var sum Traffic
	for _, r := range recs[1:] {
		sent, err1 := strconv.ParseUint(r[6], 10, 64)
		recv, err2 := strconv.ParseUint(r[7], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("row %q", r)
		}
		sum = sum.Add(Traffic{Sent: sent, Received: recv})
	}
	return sum
}

func TestNetworksAndDefaultLabels(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openSyncStore(t, time.Time{})
	if nws, err := s.Networks(ctx, Scope{}); err != nil || len(nws) != 0 {
		t.Fatalf("networks of a new store: %+v %v", nws, err)
	}
	want := seedNetworks(t, s)
	nws, err := s.Networks(ctx, Scope{})
	if err != nil {
		t.Fatal(err)
	}
	// In order of first sight; the gateways numbered in that order.
	wantNets := []struct{ key, label, kind string }{
		{homeWiFi, "Home", NetworkWiFi}, {office, "Network 1", NetworkGateway},
		{hotspot, "Network 2", NetworkGateway}, {"", UnknownLabel, NetworkUnknown},
	}
	if len(nws) != len(wantNets) {
		t.Fatalf("networks %+v", nws)
	}
	for i, w := range wantNets {
		n := nws[i]
		if n.Key != w.key || n.Label != w.label || n.Kind != w.kind {
			t.Errorf("network %d: %+v, want %v", i, n, w)
		}
		if got := (Traffic{Sent: n.Sent, Received: n.Recv}); got != want[[2]string{"*", w.key}] {
			t.Errorf("network %s: %+v, flushed %+v", w.key, got, want[[2]string{"*", w.key}])
		}
		if n.FirstSeen.IsZero() || n.LastSeen.Before(n.FirstSeen) {
			t.Errorf("network %s seen %v..%v", w.key, n.FirstSeen, n.LastSeen)
		}
	}
	// The hotspot was last seen with the gap, after the others.
	if !nws[2].LastSeen.After(nws[0].LastSeen) {
		t.Errorf("hotspot last seen %v, home %v", nws[2].LastSeen, nws[0].LastSeen)
	}
	// A NIC's scope lists only its networks.
	eth, err := s.Networks(ctx, Scope{NIC: "eth0"})
	if err != nil || len(eth) != 1 || eth[0].Key != office {
		t.Errorf("networks of eth0: %+v %v", eth, err)
	}

	// Defaults that another network has get a suffix.
	if _, err := s.RenameNetwork(ctx, hotspot, "Network 3"); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	flushAt := func(nw string) {
		t.Helper()
		if err := s.Flush(ctx, Batch{At: at, Deltas: []Delta{{NIC: "wlan0", Network: nw, Start: at.Unix(), Sent: 1}}}); err != nil {
			t.Fatal(err)
		}
	}
	flushAt("gateway:02:00:00:00:00:cc")
	flushAt(WiFiNetwork("Network 1"))
	flushAt(WiFiNetwork("\tbad\x00ssid "))
	flushAt(WiFiNetwork("Home ")) // another SSID whose label would be Home
	labels := map[string]string{}
	nws, _ = s.Networks(ctx, Scope{})
	for _, n := range nws {
		labels[n.Key] = n.Label
	}
	for key, want := range map[string]string{
		"gateway:02:00:00:00:00:cc":   "Network 3 (2)",
		"wifi:Network 1":              "Network 1 (2)",
		WiFiNetwork("\tbad\x00ssid "): "\uFFFDbad\uFFFDssid",
		"wifi:Home ":                  "Home (2)",
	} {
		if labels[key] != want {
			t.Errorf("label of %q: %q, want %q", key, labels[key], want)
		}
	}
}

func TestRenameNetwork(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openSyncStore(t, time.Time{})
	want := seedNetworks(t, s)
	n, err := s.RenameNetwork(ctx, "network 2", "  Phone hotspot ") // a label in any case
	if err != nil || n.Key != hotspot || n.Label != "Phone hotspot" || n.Kind != NetworkGateway {
		t.Fatalf("rename: %+v %v", n, err)
	}
	if got := (Traffic{Sent: n.Sent, Received: n.Recv}); got != want[[2]string{"*", hotspot}] {
		t.Errorf("renamed network's traffic %+v, want %+v", got, want[[2]string{"*", hotspot}])
	}
	r, err := s.Lifetime(ctx, nil, Scope{Network: "Phone hotspot"})
	if err != nil || r.Sent != want[[2]string{"*", hotspot}].Sent || r.ByNetwork[0].Label != "Phone hotspot" {
		t.Errorf("lifetime by the new label: %+v %v", r.ByNetwork, err)
	}
	if _, err := s.RenameNetwork(ctx, hotspot, "Phone hotspot"); err != nil {
		t.Errorf("renaming to its own label: %v", err)
	}
	if _, err := s.RenameNetwork(ctx, UnknownLabel, "Elsewhere"); err != nil {
		t.Errorf("renaming the unknown network: %v", err)
	}
	for _, tc := range []struct {
		name, network, label, param, msg string
		sentry                           error
	}{
		{"empty", homeWiFi, "   ", "label", "network label is empty", ErrBadLabel},
		{"too long", homeWiFi, strings.Repeat("é", MaxLabelLen+1), "label", "network label is longer than 64 characters", ErrBadLabel},
		{"control characters", homeWiFi, "Home\nsweet", "label", "network label contains control characters", ErrBadLabel},
		{"taken", homeWiFi, "Phone hotspot", "label", `network label "Phone hotspot" is taken by another network ("` + hotspot + `")`, ErrBadLabel},
		{"another's key", office, homeWiFi, "label", `network label "wifi:Home" is taken by another network ("wifi:Home")`, ErrBadLabel},
		{"unknown network", "nope", "x", "network", `unknown network "nope" (known: Elsewhere, Home, Network 1, Phone hotspot)`, ErrUnknownNetwork},
	} {
		_, err := s.RenameNetwork(ctx, tc.network, tc.label)
		var qe *QueryError
		if !errors.As(err, &qe) || !errors.Is(err, tc.sentry) || qe.Param != tc.param || qe.Msg != tc.msg {
			t.Errorf("%s: %v (%+v), want %s: %s", tc.name, err, qe, tc.param, tc.msg)
		}
	}
	if _, err := s.RenameNetwork(ctx, homeWiFi, strings.Repeat("é", MaxLabelLen)); err != nil {
		t.Errorf("a label of %d characters: %v", MaxLabelLen, err)
	}
	ro, err := Open(ctx, strings.TrimSuffix(s.Path(), FileName), Options{ReadOnly: true, Now: testenv.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.RenameNetwork(ctx, homeWiFi, "x"); !errors.Is(err, ErrReadOnly) {
		t.Errorf("read-only rename: %v", err)
	}
}

func TestSyncCarriesNetworks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := openSyncStore(t, time.Time{})
	want := seedNetworks(t, src)
	pushed := drain(t, src, 7) // small batches: the cursor crosses networks within a change number
	dst := openSyncStore(t, time.Time{})
	// A local network whose label a pulled SSID would take.
	if err := dst.Flush(ctx, Batch{At: time.Unix(syncBase, 0), Deltas: []Delta{{NIC: "eth0", Network: WiFiNetwork("Cafe"), Start: syncBase, Sent: 1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.RenameNetwork(ctx, "Cafe", "Home"); err != nil {
		t.Fatal(err)
	}
	dev := Device{UUID: src.DeviceID(), Name: "laptop", Hostname: "l", Platform: "linux/amd64"}
	for i := range pushed {
		pushed[i].Device = dev.UUID
	}
	for round := range 2 { // the second pull is idempotent
		if err := dst.ApplyPulled(ctx, []Device{dev}, pushed); err != nil {
			t.Fatal(err)
		}
		checkDays(t, dst)
		nws, err := dst.Networks(ctx, Scope{Device: dev.UUID})
		if err != nil {
			t.Fatal(err)
		}
		labels := map[string]string{}
		for _, n := range nws {
			labels[n.Key] = n.Label
			if got := (Traffic{Sent: n.Sent, Received: n.Recv}); got != want[[2]string{"*", n.Key}] {
				t.Errorf("round %d: pulled network %q %+v, pushed %+v", round, n.Key, got, want[[2]string{"*", n.Key}])
			}
		}
		if len(nws) != 4 || labels[homeWiFi] != "Home (2)" || labels[office] != "Network 1" || labels[""] != UnknownLabel {
			t.Errorf("round %d: pulled networks %+v", round, nws)
		}
		for _, nic := range []string{"wlan0", "eth0"} {
			r, err := dst.Lifetime(ctx, nil, Scope{Device: dev.UUID, NIC: nic})
			if err != nil || (Traffic{Sent: r.Sent, Received: r.Recv}) != want[[2]string{nic, "*"}] {
				t.Errorf("round %d: %s %d/%d, pushed %+v (%v)", round, nic, r.Sent, r.Recv, want[[2]string{nic, "*"}], err)
			}
		}
	}
	// A bucket that shrinks on the server moves its network's days.
	shrunk := pushed[0]
	shrunk.Sent, shrunk.Recv = 0, 0
	if err := dst.ApplyPulled(ctx, nil, []SyncBucket{shrunk}); err != nil {
		t.Fatal(err)
	}
	checkDays(t, dst)
}

func TestNetworkLabel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openSyncStore(t, time.Time{})
	seedNetworks(t, s)
	for key, want := range map[string]string{
		"":                          UnknownLabel,
		homeWiFi:                    "Home",
		hotspot:                     "Network 2",
		"gateway:02:00:00:00:00:99": "Network 3", // not stored yet
		WiFiNetwork("Train"):        "Train",
	} {
		if got, err := s.NetworkLabel(ctx, key); err != nil || got != want {
			t.Errorf("label of %q: %q %v, want %q", key, got, err, want)
		}
	}
}
