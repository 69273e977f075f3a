package report

import (
	"time"

	"github.com/packetbuddy/packetbuddy/store"
)

// Period names the dates a report covers.
type Period struct {
	Start    string `json:"start"` // inclusive local date YYYY-MM-DD
	End      string `json:"end"`   // inclusive local date
	TimeZone string `json:"tz"`
}

// SeriesPoint is one chart step in JSON.
type SeriesPoint struct {
	Label         string    `json:"label"`
	Start         time.Time `json:"start"`
	BytesSent     uint64    `json:"bytes_sent"`
	BytesReceived uint64    `json:"bytes_received"`
	TotalBytes    uint64    `json:"total_bytes"`
}

// NICUsage is one NIC's usage in JSON.
type NICUsage struct {
	NIC string `json:"nic"`
	Usage
}

// NetworkUsage is one network's usage in JSON: its key (wifi:…, gateway:…,
// or "" for unknown) and the label the user sees.
type NetworkUsage struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Usage
}

// DayUsage is one day's usage in JSON (top days).
type DayUsage struct {
	Date string `json:"date"`
	Usage
}

// JSON is the usage shape of the design plus what charts need. The CLI
// prints it with --json and the HTTP API answers with it.
type JSON struct {
	Usage
	Period      Period         `json:"period"`
	Granularity string         `json:"granularity"`
	Series      []SeriesPoint  `json:"series"`
	ByNIC       []NICUsage     `json:"by_nic"`
	ByNetwork   []NetworkUsage `json:"by_network"`
	TopDays     []DayUsage     `json:"top_days,omitempty"`
}

// zoneName is an IANA-looking name for loc; time.Local is called "Local".
func zoneName(loc *time.Location) string {
	if loc == nil {
		return ""
	}
	return loc.String()
}

// Report renders r in the usage shape with these prices and units.
func (p Pricing) Report(r store.Report, top []store.Point) JSON {
	out := JSON{
		Usage:       p.Usage(r.Sent, r.Recv),
		Period:      Period{Start: r.From.String(), End: r.To.String(), TimeZone: zoneName(r.Location)},
		Granularity: r.Granularity,
		Series:      make([]SeriesPoint, 0, len(r.Series)),
		ByNIC:       make([]NICUsage, 0, len(r.ByNIC)),
		ByNetwork:   make([]NetworkUsage, 0, len(r.ByNetwork)),
	}
	for _, s := range r.Series {
		out.Series = append(out.Series, SeriesPoint{Label: s.Label, Start: s.Start, BytesSent: s.Sent, BytesReceived: s.Recv, TotalBytes: s.Sent + s.Recv})
	}
	for _, n := range r.ByNIC {
		out.ByNIC = append(out.ByNIC, NICUsage{NIC: n.NIC, Usage: p.Usage(n.Sent, n.Recv)})
	}
	for _, n := range r.ByNetwork {
		out.ByNetwork = append(out.ByNetwork, NetworkUsage{Key: n.Key, Label: n.Label, Usage: p.Usage(n.Sent, n.Recv)})
	}
	if top != nil {
		out.TopDays = make([]DayUsage, 0, len(top))
		for _, d := range top {
			out.TopDays = append(out.TopDays, DayUsage{Date: d.Label, Usage: p.Usage(d.Sent, d.Recv)})
		}
	}
	return out
}
