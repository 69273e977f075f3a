package dashboard

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"sync"
	"time"

	"github.com/packetbuddy/packetbuddy/config"
	"github.com/packetbuddy/packetbuddy/report"
)

// Prefs are the settings the dashboard shows and edits: cost and units.
type Prefs struct {
	Currency          string  `json:"currency"`
	CurrencyCode      string  `json:"currency_code"`
	RateSentPerGB     float64 `json:"rate_sent_per_gb"`
	RateReceivedPerGB float64 `json:"rate_received_per_gb"`
	Units             string  `json:"units"` // "decimal" or "iec"
}

// Pricing converts the preferences into the reports' pricing.
func (p Prefs) Pricing() report.Pricing {
	u, err := report.ParseUnits(p.Units)
	if err != nil {
		u = report.UnitsDecimal
	}
	return report.Pricing{Currency: p.Currency, CurrencyCode: p.CurrencyCode,
		RateSentPerGB: p.RateSentPerGB, RateReceivedPerGB: p.RateReceivedPerGB, Units: u}
}

// PrefsFromConfig takes the dashboard's preferences out of a configuration.
func PrefsFromConfig(c config.Config) Prefs {
	units := "decimal"
	if u, err := report.ParseUnits(c.Display.Units); err == nil && u == report.UnitsIEC {
		units = "iec"
	}
	return Prefs{Currency: c.Cost.Currency, CurrencyCode: c.Cost.CurrencyCode,
		RateSentPerGB: c.Cost.RateSentPerGB, RateReceivedPerGB: c.Cost.RateReceivedPerGB, Units: units}
}

// prefsPatch is the body of PUT /api/settings: absent fields stay as they are.
type prefsPatch struct {
	Currency          *string  `json:"currency"`
	CurrencyCode      *string  `json:"currency_code"`
	RateSentPerGB     *float64 `json:"rate_sent_per_gb"`
	RateReceivedPerGB *float64 `json:"rate_received_per_gb"`
	Units             *string  `json:"units"`
}

// apply validates the patch and returns p with it applied; the error names
// the offending field.
func (pt prefsPatch) apply(p Prefs) (Prefs, error) {
	rate := func(name string, v *float64, dst *float64) error {
		if v == nil {
			return nil
		}
		if math.IsNaN(*v) || math.IsInf(*v, 0) || *v < 0 || *v > 1e9 {
			return fmt.Errorf("%s: want a number between 0 and 1e9 per GB", name)
		}
		*dst = *v
		return nil
	}
	if err := rate("rate_sent_per_gb", pt.RateSentPerGB, &p.RateSentPerGB); err != nil {
		return p, err
	}
	if err := rate("rate_received_per_gb", pt.RateReceivedPerGB, &p.RateReceivedPerGB); err != nil {
		return p, err
	}
	if pt.Currency != nil {
		if len(*pt.Currency) > 16 {
			return p, errors.New("currency: at most 16 bytes")
		}
		p.Currency = *pt.Currency
	}
	if pt.CurrencyCode != nil {
		if len(*pt.CurrencyCode) > 8 {
			return p, errors.New("currency_code: at most 8 bytes")
		}
		p.CurrencyCode = *pt.CurrencyCode
	}
	if pt.Units != nil {
		u, err := report.ParseUnits(*pt.Units)
		if err != nil {
			return p, fmt.Errorf("units: %w", err)
		}
		p.Units = string(u)
	}
	return p, nil
}

// Settings reads and persists the preferences.
type Settings interface {
	Prefs(ctx context.Context) (Prefs, error)
	SetPrefs(ctx context.Context, p Prefs) (Prefs, error)
}

// FileSettings keeps the preferences in the TOML configuration file. Reads
// notice edits made by anything else (a text editor, the CLI), and writes go
// through config.Update, which keeps the file's comments and validates the
// result before replacing the file, so the tray and the CLI see a change at
// once without a restart.
type FileSettings struct {
	path string

	mu    sync.Mutex // guards the fields below and serialises writes
	prefs Prefs
	mtime time.Time
	size  int64
	valid bool
}

// NewFileSettings returns settings kept in the configuration file at path.
func NewFileSettings(path string) *FileSettings { return &FileSettings{path: path} }

// Prefs returns the preferences, re-reading the file when it changed.
func (f *FileSettings) Prefs(ctx context.Context) (Prefs, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.load()
}

func (f *FileSettings) load() (Prefs, error) {
	fi, err := os.Stat(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return PrefsFromConfig(config.Default()), nil
	}
	if err != nil {
		return Prefs{}, fmt.Errorf("read settings: %w", err)
	}
	if f.valid && fi.ModTime().Equal(f.mtime) && fi.Size() == f.size {
		return f.prefs, nil
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return Prefs{}, fmt.Errorf("read settings: %w", err)
	}
	c, err := config.Parse(f.path, data)
	if err != nil {
		// A file being edited by hand may be briefly invalid: keep
		// answering with the last good preferences.
		if f.valid {
			return f.prefs, nil
		}
		return Prefs{}, fmt.Errorf("read settings: %w", err)
	}
	f.prefs, f.mtime, f.size, f.valid = PrefsFromConfig(c), fi.ModTime(), fi.Size(), true
	return f.prefs, nil
}

// SetPrefs writes the preferences into the file, keeping its comments.
func (f *FileSettings) SetPrefs(ctx context.Context, p Prefs) (Prefs, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := config.Update(f.path, map[string]config.Value{
		"cost.currency":             p.Currency,
		"cost.currency_code":        p.CurrencyCode,
		"cost.rate_sent_per_gb":     p.RateSentPerGB,
		"cost.rate_received_per_gb": p.RateReceivedPerGB,
		"display.units":             p.Units,
	})
	if err != nil {
		return Prefs{}, fmt.Errorf("save settings: %w", err)
	}
	// Remember what was written with the file's new stamp, so the next
	// read does not parse it again.
	f.prefs, f.valid = PrefsFromConfig(c), false
	if fi, err := os.Stat(f.path); err == nil {
		f.mtime, f.size, f.valid = fi.ModTime(), fi.Size(), true
	}
	return f.prefs, nil
}

// memSettings keeps preferences in memory, for a server built without a
// configuration file.
type memSettings struct {
	mu sync.Mutex
	p  Prefs
}

func (m *memSettings) Prefs(context.Context) (Prefs, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.p, nil
}

func (m *memSettings) SetPrefs(_ context.Context, p Prefs) (Prefs, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.p = p
	return p, nil
}
