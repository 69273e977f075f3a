package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Units selects the divisor of human-readable sizes.
type Units string

// The two unit systems. Carriers bill in decimal units, so that is the default.
const (
	UnitsDecimal Units = "decimal" // kB, MB, GB, TB (10^3)
	UnitsIEC     Units = "iec"     // KiB, MiB, GiB, TiB (2^10)
)

// ParseUnits accepts "decimal"/"si" and "iec"/"binary".
func ParseUnits(s string) (Units, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "decimal", "si":
		return UnitsDecimal, nil
	case "iec", "binary":
		return UnitsIEC, nil
	}
	return "", fmt.Errorf("unknown units %q: want \"decimal\" or \"iec\"", s)
}

// FormatBytes renders n with two decimals and a label matching the divisor.
func (u Units) FormatBytes(n uint64) string {
	base, labels := 1000.0, []string{"B", "kB", "MB", "GB", "TB", "PB", "EB"}
	if u == UnitsIEC {
		base, labels = 1024.0, []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	}
	if float64(n) < base {
		return strconv.FormatUint(n, 10) + " B"
	}
	v, i := float64(n), 0
	for v >= base && i < len(labels)-1 {
		v /= base
		i++
	}
	// 999.999 kB would print as "1000.00 kB"; move up instead.
	if math.Round(v*100)/100 >= base && i < len(labels)-1 {
		v /= base
		i++
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + " " + labels[i]
}

// FormatRate renders a speed in bytes per second, e.g. "1.20 MB/s".
func (u Units) FormatRate(bytesPerSec float64) string {
	if bytesPerSec < 0 {
		bytesPerSec = 0
	}
	return u.FormatBytes(uint64(math.Round(bytesPerSec))) + "/s"
}

// FormatCompact renders n with one decimal, for the tray tooltip.
func (u Units) FormatCompact(n float64) string {
	base, labels := 1000.0, []string{"B", "kB", "MB", "GB", "TB", "PB"}
	if u == UnitsIEC {
		base, labels = 1024.0, []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	}
	i := 0
	for n >= base && i < len(labels)-1 {
		n /= base
		i++
	}
	if i == 0 {
		return strconv.FormatFloat(math.Round(n), 'f', 0, 64) + " B"
	}
	if math.Round(n*10)/10 >= base && i < len(labels)-1 {
		n /= base
		i++
	}
	prec := 1
	if n >= 100 {
		prec = 0
	}
	return strconv.FormatFloat(n, 'f', prec, 64) + " " + labels[i]
}

// Pricing is the cost and unit settings.
type Pricing struct {
	Currency          string  // symbol, e.g. "₹"
	CurrencyCode      string  // ISO 4217, e.g. "INR"
	RateSentPerGB     float64 // per 10^9 bytes sent
	RateReceivedPerGB float64 // per 10^9 bytes received
	Units             Units
}

// DefaultPricing is the original tool's default.
func DefaultPricing() Pricing {
	return Pricing{Currency: "₹", CurrencyCode: "INR", RateSentPerGB: 7.5, RateReceivedPerGB: 7.5, Units: UnitsDecimal}
}

// Money is an amount and its display form.
type Money struct {
	Cost      float64 `json:"cost"`
	Formatted string  `json:"cost_formatted"`
}

// Cost is the cost of a usage, per direction.
type Cost struct {
	Sent         Money  `json:"sent"`
	Received     Money  `json:"received"`
	Total        Money  `json:"total"`
	Currency     string `json:"currency"`
	CurrencyCode string `json:"currency_code"`
}

// Human is the human-readable form of a usage.
type Human struct {
	Sent     string `json:"sent"`
	Received string `json:"received"`
	Total    string `json:"total"`
}

// Usage is the JSON usage shape shared by the CLI and the HTTP API.
type Usage struct {
	BytesSent     uint64 `json:"bytes_sent"`
	BytesReceived uint64 `json:"bytes_received"`
	TotalBytes    uint64 `json:"total_bytes"`
	HumanReadable Human  `json:"human_readable"`
	Cost          Cost   `json:"cost"`
}

// Money formats an amount with the currency symbol, rounded for display only.
func (p Pricing) Money(amount float64) Money {
	return Money{Cost: amount, Formatted: p.Currency + strconv.FormatFloat(amount, 'f', 2, 64)}
}

// Usage builds the usage shape for sent and received bytes.
// Cost = bytes / 10^9 × rate, whatever the display units.
func (p Pricing) Usage(sent, recv uint64) Usage {
	cs := float64(sent) / 1e9 * p.RateSentPerGB
	cr := float64(recv) / 1e9 * p.RateReceivedPerGB
	total := sent + recv
	return Usage{
		BytesSent:     sent,
		BytesReceived: recv,
		TotalBytes:    total,
		HumanReadable: Human{Sent: p.Units.FormatBytes(sent), Received: p.Units.FormatBytes(recv), Total: p.Units.FormatBytes(total)},
		Cost: Cost{
			Sent: p.Money(cs), Received: p.Money(cr), Total: p.Money(cs + cr),
			Currency: p.Currency, CurrencyCode: p.CurrencyCode,
		},
	}
}
