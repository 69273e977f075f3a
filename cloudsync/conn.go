package cloudsync

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/packetbuddy/packetbuddy/config"
)

// Environment variables that hold the database URL, in order of preference.
const (
	EnvDatabaseURL = "PACKETBUDDY_DATABASE_URL"
	EnvNeonURL     = "NEON_DB_URL"
)

// Defaults of the connection limits.
const (
	DefaultConnectTimeout   = 15 * time.Second
	DefaultStatementTimeout = 30 * time.Second
	DefaultSchema           = "packetbuddy"
)

// Source is a resolved database URL and where it came from.
type Source struct {
	URL    string // never printed; see Redacted
	Origin string // "env PACKETBUDDY_DATABASE_URL", "env NEON_DB_URL", "config <path>" or ""
}

// Configured reports whether there is a URL at all.
func (s Source) Configured() bool { return s.URL != "" }

// Redacted describes the target without the password (and without the user
// name), for logs, status and messages.
func (s Source) Redacted() string { return Redact(s.URL) }

// ResolveURL picks the database URL: PACKETBUDDY_DATABASE_URL, else
// NEON_DB_URL, else [sync] database_url from the configuration file at
// configPath. A URL with a password read from a file that others can read
// is refused with ErrConfigPermissions. getenv is os.Getenv when nil.
func ResolveURL(cfg config.Sync, configPath string, getenv func(string) string) (Source, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	for _, k := range []string{EnvDatabaseURL, EnvNeonURL} {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return Source{URL: v, Origin: "env " + k}, nil
		}
	}
	u := strings.TrimSpace(cfg.DatabaseURL)
	if u == "" {
		return Source{}, nil
	}
	if hasPassword(u) {
		if err := CheckConfigPermissions(configPath); err != nil {
			return Source{}, err
		}
	}
	return Source{URL: u, Origin: "config " + configPath}, nil
}

// CheckConfigPermissions refuses a configuration file that holds a password
// and can be read or written by anyone but its owner.
func CheckConfigPermissions(path string) error {
	if runtime.GOOS == "windows" || path == "" {
		// Windows files in the profile are private by ACL; there is no
		// mode to check.
		return nil
	}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return &PermanentError{Err: fmt.Errorf("%w: %s is mode %04o and holds a database password; run \"chmod 600 %s\" (or move the URL to the %s environment variable)",
			ErrConfigPermissions, path, perm, path, EnvDatabaseURL)}
	}
	return nil
}

// hasPassword reports whether a URL or keyword/value connection string
// carries a password.
func hasPassword(conn string) bool {
	if u, err := url.Parse(conn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		if _, ok := u.User.Password(); ok {
			return true
		}
		return u.Query().Get("password") != ""
	}
	return strings.Contains(conn, "password")
}

// isLocalHost reports whether a host is a Unix socket or a loopback address.
func isLocalHost(host string) bool {
	if strings.HasPrefix(host, "/") || strings.HasPrefix(host, "@") {
		return true
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// ConnOptions are the limits of a connection.
type ConnOptions struct {
	AllowInsecure    bool          // allow plain text to hosts other than this machine
	ConnectTimeout   time.Duration // default DefaultConnectTimeout unless the URL sets connect_timeout
	StatementTimeout time.Duration // default DefaultStatementTimeout
	Schema           string        // default DefaultSchema
	AppName          string        // application_name; default "packetbuddy"
}

// ParseConn parses and checks a connection string: every non-local host
// must be reached over TLS (sslmode require, verify-ca or verify-full)
// unless AllowInsecure is set. It returns ErrInsecure without connecting.
// The connect timeout is set here; the statement timeout and the schema are
// applied per transaction by the Syncer (see txSettings), not as startup
// parameters, which poolers in transaction mode (Neon's -pooler endpoints,
// PgBouncer) refuse or drop.
func ParseConn(conn string, o ConnOptions) (*pgx.ConnConfig, error) {
	sec := secrets(conn)
	cfg, err := pgx.ParseConfig(conn)
	if err != nil {
		return nil, &PermanentError{Err: fmt.Errorf("%w: %s", ErrBadURL, scrub(err.Error(), sec))}
	}
	if !o.AllowInsecure {
		if err := requireTLS(cfg); err != nil {
			return nil, err
		}
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = o.ConnectTimeout
	}
	if o.AppName == "" {
		o.AppName = "packetbuddy"
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = o.AppName
	}
	return cfg, nil
}

// requireTLS refuses a configuration that would reach a host other than
// this machine without TLS, first or on a fallback (sslmode=prefer falls
// back to plain text).
func requireTLS(cfg *pgx.ConnConfig) error {
	targets := append([]*pgconn.FallbackConfig{{Host: cfg.Host, Port: cfg.Port, TLSConfig: cfg.TLSConfig}}, cfg.Fallbacks...)
	for _, t := range targets {
		if t.TLSConfig == nil && !isLocalHost(t.Host) {
			return &PermanentError{Err: fmt.Errorf("%w: %s would be reached without TLS; add sslmode=require (or verify-full) to the URL, or set allow_insecure = true in [sync] if this network is trusted",
				ErrInsecure, t.Host)}
		}
	}
	return nil
}

// txSettings are the SET LOCAL values every transaction starts with.
type txSettings struct {
	schema           string
	statementTimeout time.Duration
}

// apply sets the schema and the timeouts for the rest of tx. A transaction
// left idle by a stalled client is ended by the server, so it never holds
// locks for long.
func (t txSettings) apply(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT set_config('search_path', $1, true), set_config('statement_timeout', $2, true),
		set_config('idle_in_transaction_session_timeout', $3, true)`,
		pgx.Identifier{t.schema}.Sanitize(),
		strconv.FormatInt(t.statementTimeout.Milliseconds(), 10),
		strconv.FormatInt((2*t.statementTimeout).Milliseconds(), 10))
	if err != nil {
		return fmt.Errorf("set session limits: %w", err)
	}
	return nil
}

// begin starts a transaction with the settings applied.
func (t txSettings) begin(ctx context.Context, conn *pgx.Conn, opts pgx.TxOptions) (pgx.Tx, error) {
	tx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := t.apply(ctx, tx); err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		return nil, err
	}
	return tx, nil
}

// connect opens one connection; errors are scrubbed of secrets.
func connect(ctx context.Context, cfg *pgx.ConnConfig, sec []string) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, &scrubbedError{msg: "connect to " + describeTarget(&cfg.Config) + ": " + scrub(err.Error(), sec), err: err}
	}
	return conn, nil
}
