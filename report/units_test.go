package report

import (
	"encoding/json"
	"math"
	"testing"
)

func TestFormatBytes(t *testing.T) {
	cases := []struct {
		units Units
		n     uint64
		want  string
	}{
		{UnitsDecimal, 0, "0 B"},
		{UnitsDecimal, 999, "999 B"},
		{UnitsDecimal, 1000, "1.00 kB"},
		{UnitsDecimal, 125829120, "125.83 MB"},
		{UnitsDecimal, 524288000, "524.29 MB"},
		{UnitsDecimal, 999_999_999, "1.00 GB"},
		{UnitsDecimal, 1_320_000_000, "1.32 GB"},
		{UnitsDecimal, math.MaxUint64, "18.45 EB"},
		{UnitsIEC, 1023, "1023 B"},
		{UnitsIEC, 1024, "1.00 KiB"},
		{UnitsIEC, 125829120, "120.00 MiB"},
		{UnitsIEC, 1 << 30, "1.00 GiB"},
	}
	for _, c := range cases {
		if got := c.units.FormatBytes(c.n); got != c.want {
			t.Errorf("%s.FormatBytes(%d) = %q, want %q", c.units, c.n, got, c.want)
		}
	}
	if got := UnitsDecimal.FormatRate(1_200_000); got != "1.20 MB/s" {
		t.Errorf("rate %q", got)
	}
	if got := UnitsDecimal.FormatCompact(1_234_567); got != "1.2 MB" {
		t.Errorf("compact %q", got)
	}
}

func TestUsageShape(t *testing.T) {
	p := DefaultPricing()
	u := p.Usage(125829120, 524288000)
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"bytes_sent", "bytes_received", "total_bytes", "human_readable", "cost"} {
		if _, ok := m[k]; !ok {
			t.Errorf("usage JSON lacks %q: %s", k, b)
		}
	}
	if u.TotalBytes != 650117120 || u.HumanReadable.Total != "650.12 MB" {
		t.Errorf("usage %+v", u)
	}
	// Cost = bytes / 10^9 × rate, unrounded; only the display is rounded.
	if math.Abs(u.Cost.Sent.Cost-0.9437184) > 1e-12 || u.Cost.Sent.Formatted != "₹0.94" {
		t.Errorf("sent cost %+v", u.Cost.Sent)
	}
	if math.Abs(u.Cost.Total.Cost-650117120/1e9*7.5) > 1e-9 || u.Cost.Total.Formatted != "₹4.88" {
		t.Errorf("total cost %+v", u.Cost.Total)
	}
	iec := p
	iec.Units = UnitsIEC
	if got := iec.Usage(1<<30, 0); got.HumanReadable.Sent != "1.00 GiB" || math.Abs(got.Cost.Sent.Cost-float64(1<<30)/1e9*7.5) > 1e-12 {
		t.Errorf("IEC units must not change the cost: %+v", got)
	}
}
