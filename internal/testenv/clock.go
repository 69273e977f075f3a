package testenv

import (
	"fmt"
	"os"
	"time"
)

// NowEnv names the variable that sets the test clock: an instant in RFC
// 3339 ("2027-01-01T00:00:30+01:00"), or a local time without an offset
// ("2026-12-31T23:59:00"), read in the machine's zone (TZ). CI runs the
// packages that read the calendar at the first minute of a month, at 31
// December 23:59 and on a DST change day this way.
const NowEnv = "PACKETBUDDY_TEST_NOW"

// clockOffset is the test clock minus the real clock, read when the test
// binary starts: outside any testing/synctest bubble, whose fake clock
// starts in 2000 and would make a lazily computed offset wrong for the
// whole run.
var clockOffset, clockErr = readClockOffset()

func readClockOffset() (time.Duration, error) {
	v := os.Getenv(NowEnv)
	if v == "" {
		return 0, nil
	}
	t, err := ParseInstant(v, time.Local)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", NowEnv, err)
	}
	return time.Until(t), nil
}

// Now is the test clock: the instant of PACKETBUDDY_TEST_NOW, advancing
// with real time from the start of the test binary; without the variable
// it is time.Now. Every test that reads "today" takes it from here, so the
// suite can be run at any chosen instant. Inside a synctest bubble it
// follows the bubble's clock, shifted by the same offset.
func Now() time.Time {
	if clockErr != nil {
		panic(clockErr) // a mistyped variable must not silently test today
	}
	return time.Now().Add(clockOffset)
}

// Clock is Now as a value, for the Now fields of the packages' options.
func Clock() func() time.Time { return Now }

// ParseInstant reads an RFC 3339 instant, or a local time without an
// offset in loc.
func ParseInstant(v string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05", v, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("want RFC 3339 or YYYY-MM-DDTHH:MM:SS local time, got %q", v)
	}
	return t, nil
}
