package store

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseMonth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Date
		wantErr string
	}{
		{in: "2026-02", want: Date{2026, 2, 1}},
		{in: "0001-12", want: Date{1, 12, 1}},
		{in: "9999-01", want: Date{9999, 1, 1}},
		{in: "2026-13", wantErr: `bad month "2026-13": want YYYY-MM`},
		{in: "2026-00", wantErr: `bad month "2026-00": want YYYY-MM`},
		{in: "2026-1", wantErr: `bad month "2026-1": want YYYY-MM`},
		{in: "26-01", wantErr: `bad month "26-01": want YYYY-MM`},
		{in: "2026-01-01", wantErr: `bad month "2026-01-01": want YYYY-MM`},
		{in: "", wantErr: `bad month "": want YYYY-MM`},
		{in: "２０２６-01", wantErr: `bad month "２０２６-01": want YYYY-MM`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMonth(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ParseMonth(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseMonth(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestCheckRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		from, to Date
		wantMsg  string // "" for a range the store answers
	}{
		{name: "one day", from: Date{2026, 1, 5}, to: Date{2026, 1, 5}},
		{name: "a year", from: Date{2026, 1, 1}, to: Date{2026, 12, 31}},
		{name: "twenty years", from: Date{2000, 1, 1}, to: Date{2019, 12, 31}},
		{name: "the most days", from: Date{2000, 1, 1}, to: Date{2000, 1, 1}.AddDays(MaxRangeDays - 1)},
		{name: "end before start", from: Date{2026, 1, 5}, to: Date{2026, 1, 2},
			wantMsg: "end 2026-01-02 is before start 2026-01-05"},
		{name: "thirty years", from: Date{2000, 1, 1}, to: Date{2030, 1, 1},
			wantMsg: "range 2000-01-01..2030-01-01 is longer than 20 years"},
		{name: "one day too many", from: Date{2000, 1, 1}, to: Date{2000, 1, 1}.AddDays(MaxRangeDays),
			wantMsg: "range 2000-01-01..2020-01-17 is longer than 20 years"},
		{name: "21 calendar years apart", from: Date{2000, 12, 31}, to: Date{2021, 1, 1},
			wantMsg: "range 2000-12-31..2021-01-01 is longer than 20 years"},
		{name: "whole calendar", from: Date{1, 1, 1}, to: Date{9999, 12, 31},
			wantMsg: "range 0001-01-01..9999-12-31 is longer than 20 years"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckRange(tt.from, tt.to)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("CheckRange(%s, %s) = %v, want nil", tt.from, tt.to, err)
				}
				return
			}
			var qe *QueryError
			if !errors.As(err, &qe) || !errors.Is(err, ErrBadRange) {
				t.Fatalf("CheckRange(%s, %s) = %#v, want a *QueryError wrapping ErrBadRange", tt.from, tt.to, err)
			}
			if qe.Param != "end" || qe.Value != tt.to.String() || qe.Msg != tt.wantMsg || err.Error() != tt.wantMsg {
				t.Errorf("CheckRange(%s, %s) = %+v, want param end, value %s, message %q", tt.from, tt.to, qe, tt.to, tt.wantMsg)
			}
		})
	}
}

// TestScopeQueriesReturnQueryError checks that every query taking a scope
// refuses an unknown NIC, an unknown device and an ambiguous device name
// with the same *QueryError.
func TestScopeQueriesReturnQueryError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t, t.TempDir(), time.UTC)
	flush(t, s,
		Delta{NIC: "wlan0", Network: WiFiNetwork("Home"), Start: unix(t, "2026-02-03T10:00:00Z"), Sent: 1, Recv: 2},
		Delta{NIC: "eth0", Network: "gateway:02:00:00:00:00:01", Start: unix(t, "2026-02-03T10:00:00Z"), Sent: 3, Recv: 4},
	)
	twins := []Device{
		{UUID: "0b5e0000-0000-4000-8000-000000000011", Name: "twin", Hostname: "a", Platform: "linux/amd64"},
		{UUID: "0b5e0000-0000-4000-8000-000000000012", Name: "twin", Hostname: "b", Platform: "linux/amd64"},
	}
	if err := s.ApplyPulled(ctx, twins, nil); err != nil {
		t.Fatal(err)
	}
	empty := openTest(t, t.TempDir(), time.UTC)

	queries := map[string]func(*Store, Scope) error{
		"Day": func(s *Store, sc Scope) error {
			_, err := s.Day(ctx, Date{2026, 2, 3}, nil, sc)
			return err
		},
		"Month": func(s *Store, sc Scope) error {
			_, err := s.Month(ctx, 2026, 2, nil, sc)
			return err
		},
		"Range": func(s *Store, sc Scope) error {
			_, err := s.Range(ctx, Date{2026, 2, 1}, Date{2026, 2, 5}, nil, sc)
			return err
		},
		"Lifetime": func(s *Store, sc Scope) error {
			_, err := s.Lifetime(ctx, nil, sc)
			return err
		},
		"TopDays": func(s *Store, sc Scope) error {
			_, err := s.TopDays(ctx, nil, sc, 3)
			return err
		},
		"Export": func(s *Store, sc Scope) error {
			_, err := s.Export(ctx, io.Discard, ExportOptions{Format: FormatCSV, Scope: sc})
			return err
		},
		"Networks": func(s *Store, sc Scope) error {
			_, err := s.Networks(ctx, sc)
			return err
		},
	}
	scopes := []struct {
		name    string
		store   *Store
		scope   Scope
		param   string
		sentry  error
		wantMsg string
	}{
		{"unknown NIC", s, Scope{NIC: "nope0"}, "nic", ErrUnknownNIC,
			`unknown NIC "nope0" (recorded: eth0, wlan0)`},
		{"unknown NIC, nothing recorded", empty, Scope{NIC: "eth0"}, "nic", ErrUnknownNIC,
			`unknown NIC "eth0" (nothing recorded yet)`},
		{"unknown device", s, Scope{Device: "no-such-device"}, "device", ErrUnknownDevice,
			`unknown device "no-such-device"`},
		{"ambiguous device", s, Scope{Device: "twin"}, "device", ErrAmbiguousDevice,
			`"twin" names more than one device: use its id`},
		{"long device name", s, Scope{Device: strings.Repeat("x", 100)}, "device", ErrUnknownDevice,
			`unknown device "` + strings.Repeat("x", 80) + `…"`},
		{"unknown network", s, Scope{Network: "x"}, "network", ErrUnknownNetwork,
			`unknown network "x" (known: Home, Network 1, Unknown)`},
		{"unknown network, nothing recorded", empty, Scope{NIC: "", Network: "wifi:Home"}, "network", ErrUnknownNetwork,
			`unknown network "wifi:Home" (known: Unknown)`},
	}
	for qname, query := range queries {
		for _, sc := range scopes {
			t.Run(qname+"/"+sc.name, func(t *testing.T) {
				err := query(sc.store, sc.scope)
				var qe *QueryError
				if !errors.As(err, &qe) || !errors.Is(err, sc.sentry) {
					t.Fatalf("got %v, want a *QueryError wrapping %v", err, sc.sentry)
				}
				value := sc.scope.NIC + sc.scope.Device + sc.scope.Network
				if qe.Param != sc.param || qe.Value != value || qe.Msg != sc.wantMsg || err.Error() != sc.wantMsg {
					t.Errorf("got %+v, want param %s, value %q, message %q", qe, sc.param, value, sc.wantMsg)
				}
			})
		}
	}
	// A device's UUID names it even when the twins share a name.
	if _, err := s.Month(ctx, 2026, 2, nil, Scope{Device: twins[1].UUID}); err != nil {
		t.Errorf("month of a twin by UUID: %v", err)
	}
}

func TestRangeAndExportCheckTheRange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t, t.TempDir(), time.UTC)
	from, to := Date{2000, 1, 1}, Date{2030, 1, 1}
	if _, err := s.Range(ctx, from, to, nil, Scope{}); !errors.Is(err, ErrBadRange) {
		t.Errorf("Range over 30 years: %v, want ErrBadRange", err)
	}
	if _, err := s.Range(ctx, to, from, nil, Scope{}); !errors.Is(err, ErrBadRange) {
		t.Errorf("Range backwards: %v, want ErrBadRange", err)
	}
	tests := []struct {
		name       string
		start, end time.Time
		wantErr    bool
	}{
		{"open both ends", time.Time{}, time.Time{}, false},
		{"open end", from.Start(time.UTC), time.Time{}, false},
		{"open start", time.Time{}, to.Start(time.UTC), false},
		{"twenty years to the midnight after", from.Start(time.UTC), Date{2020, 1, 1}.Start(time.UTC), false},
		{"thirty years", from.Start(time.UTC), to.Start(time.UTC), true},
		{"end before start", to.Start(time.UTC), from.Start(time.UTC), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w strings.Builder
			_, err := s.Export(ctx, &w, ExportOptions{Format: FormatCSV, Start: tt.start, End: tt.end})
			if got := errors.Is(err, ErrBadRange); got != tt.wantErr {
				t.Fatalf("Export: %v, want bad range %v", err, tt.wantErr)
			}
			if tt.wantErr && w.Len() != 0 {
				t.Errorf("a refused export wrote %q", w.String())
			}
		})
	}
}
