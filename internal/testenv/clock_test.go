package testenv

import (
	"testing"
	"time"
)

func TestParseInstant(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2026-12-31T23:59:00", time.Date(2026, 12, 31, 23, 59, 0, 0, ny)},
		{"2027-01-01T00:00:30+01:00", time.Date(2026, 12, 31, 23, 0, 30, 0, time.UTC)},
		{"2027-03-14T01:59:00", time.Date(2027, 3, 14, 6, 59, 0, 0, time.UTC)},
	} {
		got, err := ParseInstant(tc.in, ny)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseInstant(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	if _, err := ParseInstant("tomorrow", ny); err == nil {
		t.Error("ParseInstant(tomorrow) succeeded")
	}
}

func TestNowAdvances(t *testing.T) {
	a := Now()
	time.Sleep(2 * time.Millisecond)
	if b := Now(); !b.After(a) {
		t.Errorf("Now did not advance: %v then %v", a, b)
	}
}
