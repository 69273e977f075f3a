package store

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrBadRange means a range query's end is before its start, or the range
// is longer than MaxRangeYears.
var ErrBadRange = errors.New("bad range")

// QueryError is a query the store cannot answer because of its input: the
// caller's mistake, with a message meant for the user. The store builds the
// message once; views add only their own pointer (which command or endpoint
// lists the devices) and choose the status.
type QueryError struct {
	// Param names the input: "nic", "device", "network", "label", "start"
	// or "end".
	Param string
	// Value is the input as given.
	Value string
	// Msg is the message for the user.
	Msg string
	// Err is ErrUnknownNIC, ErrUnknownDevice, ErrAmbiguousDevice,
	// ErrUnknownNetwork, ErrBadLabel or ErrBadRange, for errors.Is.
	Err error
}

// Error returns the message for the user.
func (e *QueryError) Error() string { return e.Msg }

// Unwrap returns the sentinel, for errors.Is.
func (e *QueryError) Unwrap() error { return e.Err }

// MaxRangeYears bounds a range query or an export.
const MaxRangeYears = 20

// MaxRangeDays bounds a range query in days: MaxRangeYears leap years and
// one day more.
const MaxRangeDays = MaxRangeYears*366 + 1

// CheckRange returns nil when the inclusive dates from..to are a range the
// store answers, or a *QueryError for "end" that says why not.
func CheckRange(from, to Date) error {
	if to.Before(from) {
		return &QueryError{Param: "end", Value: to.String(), Err: ErrBadRange,
			Msg: fmt.Sprintf("end %s is before start %s", to, from)}
	}
	if to.dayNumber()-from.dayNumber()+1 > MaxRangeDays || to.Year-from.Year > MaxRangeYears {
		return &QueryError{Param: "end", Value: to.String(), Err: ErrBadRange,
			Msg: fmt.Sprintf("range %s..%s is longer than %d years", from, to, MaxRangeYears)}
	}
	return nil
}

func unknownNIC(name string, recorded []string) *QueryError {
	list := "nothing recorded yet"
	if len(recorded) > 0 {
		list = "recorded: " + strings.Join(recorded, ", ")
	}
	return &QueryError{Param: "nic", Value: name, Err: ErrUnknownNIC,
		Msg: fmt.Sprintf("unknown NIC %s (%s)", quoteInput(name), list)}
}

func unknownDevice(device string) *QueryError {
	return &QueryError{Param: "device", Value: device, Err: ErrUnknownDevice,
		Msg: fmt.Sprintf("unknown device %s", quoteInput(device))}
}

func ambiguousDevice(device string) *QueryError {
	return &QueryError{Param: "device", Value: device, Err: ErrAmbiguousDevice,
		Msg: fmt.Sprintf("%s names more than one device: use its id", quoteInput(device))}
}

// quoteInput quotes a value the user typed for a message, cut short: a
// message must stay readable whatever was pasted into a query.
func quoteInput(v string) string {
	const maxLen = 80
	if utf8.RuneCountInString(v) > maxLen {
		v = string([]rune(v)[:maxLen]) + "…"
	}
	return fmt.Sprintf("%q", v)
}
