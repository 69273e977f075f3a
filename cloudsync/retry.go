package cloudsync

import (
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

var (
	// ErrNotConfigured means no database URL is set.
	ErrNotConfigured = errors.New("sync has no database URL")
	// ErrInsecure means a remote host would be reached without TLS.
	ErrInsecure = errors.New("refusing an unencrypted connection to a remote database")
	// ErrConfigPermissions means a config file holding a password is
	// readable by others.
	ErrConfigPermissions = errors.New("configuration file is readable by other users")
	// ErrBadURL means the connection string cannot be parsed.
	ErrBadURL = errors.New("bad database URL")
	// ErrSchemaNewer means the server's schema was migrated by a newer
	// PacketBuddy; this one does not touch it.
	ErrSchemaNewer = errors.New("remote schema is newer than this PacketBuddy")
	// ErrDisabled means sync is switched off.
	ErrDisabled = errors.New("sync is disabled")
)

// PermanentError is a failure that retrying cannot fix: the user has to
// change something (credentials, permissions, the app version, the URL).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// scrubbedError carries a message with secrets removed while keeping the
// original error for classification.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// IsPermanent reports whether err should stop the retries.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	var pe *PermanentError
	if errors.As(err, &pe) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case pg.Code == "28000", pg.Code == "28P01": // authentication
			return true
		case pg.Code == "42501": // insufficient privilege
			return true
		case pg.Code == "3D000": // database does not exist
			return true
		case strings.HasPrefix(pg.Code, "08"), strings.HasPrefix(pg.Code, "53"), strings.HasPrefix(pg.Code, "57"),
			pg.Code == "40001", pg.Code == "40P01", pg.Code == "55P03":
			return false
		case strings.HasPrefix(pg.Code, "42"), strings.HasPrefix(pg.Code, "23"), strings.HasPrefix(pg.Code, "22"):
			// Syntax, undefined objects, constraints, bad data: a schema
			// or program mismatch that a retry repeats.
			return true
		}
		return false
	}
	return false
}

// Backoff limits.
const (
	MinBackoff = 60 * time.Second
	MaxBackoff = time.Hour
)

// backoff returns the wait after the n-th consecutive failure (n >= 1):
// 60 s doubling up to 1 h, plus up to a quarter of random jitter so that a
// fleet that failed together does not retry together. Every wait is within
// [MinBackoff, MaxBackoff].
func backoff(n int, r *rand.Rand) time.Duration {
	d := MinBackoff
	for i := 1; i < n && d < MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, MaxBackoff)
	j := time.Duration(r.Int64N(int64(d/4) + 1))
	if d+j <= MaxBackoff {
		return d + j
	}
	return MaxBackoff - j
}
