package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/packetbuddy/packetbuddy/store"
)

// TestReportByNetwork: the usage shape lists each network's key, label and
// usage beside by_nic, and an empty list as [], never null.
func TestReportByNetwork(t *testing.T) {
	t.Parallel()
	p := DefaultPricing()
	r := store.Report{
		Sent: 3_000, Recv: 7_000,
		ByNetwork: []store.NetworkTotal{
			{Key: "wifi:Home", Label: "Home", Sent: 1_000, Recv: 2_000},
			{Key: "", Label: "Unknown", Sent: 2_000, Recv: 5_000},
		},
	}
	out, err := json.Marshal(p.Report(r, nil))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		ByNetwork []map[string]any `json:"by_network"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.ByNetwork) != 2 {
		t.Fatalf("by_network: %s", out)
	}
	home := got.ByNetwork[0]
	if home["key"] != "wifi:Home" || home["label"] != "Home" || home["bytes_sent"] != 1000.0 ||
		home["total_bytes"] != 3000.0 || home["cost"] == nil || home["human_readable"] == nil {
		t.Errorf("by_network[0] = %v", home)
	}
	if unknown := got.ByNetwork[1]; unknown["key"] != "" || unknown["label"] != "Unknown" {
		t.Errorf("by_network[1] = %v", unknown)
	}
	empty, err := json.Marshal(p.Report(store.Report{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(empty), `"by_network":[]`) {
		t.Errorf("no networks: %s", empty)
	}
}
