package cloudsync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/packetbuddy/packetbuddy/config"
)

func TestParseConnTLSPolicy(t *testing.T) {
	t.Setenv("PGSSLMODE", "")
	tests := []struct {
		name     string
		url      string
		insecure bool
		wantErr  error
	}{
		{"remote sslmode=disable", "postgres://u:pw@db.example.com/app?sslmode=disable", false, ErrInsecure},
		{"remote sslmode=allow", "postgres://u:pw@db.example.com/app?sslmode=allow", false, ErrInsecure},
		{"remote sslmode=prefer", "postgres://u:pw@db.example.com/app?sslmode=prefer", false, ErrInsecure},
		{"remote default sslmode (prefer)", "postgres://u:pw@db.example.com/app", false, ErrInsecure},
		{"remote keyword form disable", "host=db.example.com user=u password=pw dbname=app sslmode=disable", false, ErrInsecure},
		{"remote IP disable", "postgres://u@192.0.2.10/app?sslmode=disable", false, ErrInsecure},
		{"second host insecure", "postgres://u@127.0.0.1,db.example.com/app?sslmode=disable", false, ErrInsecure},
		{"remote require", "postgres://u:pw@db.example.com/app?sslmode=require", false, nil},
		{"remote verify-full", "postgres://u:pw@ep-x.neon.tech/app?sslmode=verify-full", false, nil},
		{"remote disable allowed by config", "postgres://u:pw@db.example.com/app?sslmode=disable", true, nil},
		{"loopback v4 disable", "postgres://u:pw@127.0.0.1:5432/app?sslmode=disable", false, nil},
		{"loopback v6 disable", "postgres://u:pw@[::1]:5432/app?sslmode=disable", false, nil},
		{"localhost disable", "postgres://u:pw@localhost/app?sslmode=disable", false, nil},
		{"unix socket", "host=/var/run/postgresql user=u dbname=app sslmode=disable", false, nil},
		{"unparsable", "postgres://u:pw@db.example.com:notaport/app", false, ErrBadURL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConn(tc.url, ConnOptions{AllowInsecure: tc.insecure})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("ParseConn: %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				if !IsPermanent(err) {
					t.Errorf("refusal is not permanent: %v", err)
				}
				if strings.Contains(err.Error(), "pw@") || strings.Contains(err.Error(), ":pw") || strings.Contains(err.Error(), "password=pw") {
					t.Errorf("error shows the password: %v", err)
				}
				return
			}
			if cfg.ConnectTimeout <= 0 {
				t.Error("no connect timeout")
			}
			// Poolers in transaction mode refuse these as startup
			// parameters; they are set per transaction instead.
			for _, k := range []string{"search_path", "statement_timeout", "idle_in_transaction_session_timeout"} {
				if _, ok := cfg.RuntimeParams[k]; ok {
					t.Errorf("startup parameter %s is set", k)
				}
			}
		})
	}
}

func TestResolveURL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	private := filepath.Join(dir, "private.toml")
	public := filepath.Join(dir, "public.toml")
	for p, mode := range map[string]os.FileMode{private: 0o600, public: 0o644} {
		if err := os.WriteFile(p, []byte("[sync]\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	withPW := "postgres://me:hunter22@db.example.com/pb?sslmode=require"
	noPW := "postgres://me@db.example.com/pb?sslmode=require"
	tests := []struct {
		name       string
		env        map[string]string
		cfgURL     string
		path       string
		wantOrigin string
		wantErr    error
	}{
		{"packetbuddy env first", map[string]string{EnvDatabaseURL: "postgres://a@127.0.0.1/a", EnvNeonURL: "postgres://b@127.0.0.1/b"}, withPW, public, "env " + EnvDatabaseURL, nil},
		{"neon env second", map[string]string{EnvNeonURL: "postgres://b@127.0.0.1/b"}, withPW, public, "env " + EnvNeonURL, nil},
		{"config private file", nil, withPW, private, "config " + private, nil},
		{"config world-readable with password", nil, withPW, public, "", ErrConfigPermissions},
		{"config world-readable without password", nil, noPW, public, "config " + public, nil},
		{"nothing configured", nil, "", public, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.wantErr != nil && runtime.GOOS == "windows" {
				t.Skip("file modes are not checked on Windows")
			}
			src, err := ResolveURL(config.Sync{DatabaseURL: tc.cfgURL}, tc.path, func(k string) string { return tc.env[k] })
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("ResolveURL: %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				msg := err.Error()
				if !strings.Contains(msg, "chmod 600 "+tc.path) || strings.Contains(msg, "hunter22") {
					t.Errorf("message should say how to fix it and never show the password: %s", msg)
				}
				if !IsPermanent(err) {
					t.Error("not permanent")
				}
				return
			}
			if src.Origin != tc.wantOrigin {
				t.Errorf("origin %q, want %q", src.Origin, tc.wantOrigin)
			}
		})
	}
}

func TestPasswordNeverShown(t *testing.T) {
	t.Parallel()
	const pw = "Sup3r-S3cret!pw"
	ctx := context.Background()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// A closed port on loopback, a wrong database, and a malformed URL.
	urls := []string{
		"postgres://pb:" + pw + "@127.0.0.1:1/packetbuddy?sslmode=disable&connect_timeout=2",
		"postgres://pb:" + pw + "@127.0.0.1:5432/no_such_database_pb?sslmode=disable",
		"postgres://pb:" + pw + "@127.0.0.1:99999999/x",
		"host=127.0.0.1 port=1 user=pb password='" + pw + "' dbname=x connect_timeout=2 sslmode=disable",
	}
	for i, u := range urls {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			st := newStore(t)
			s := newSyncer(t, st, u, func(o *Options) { o.Logger = log })
			err := s.SyncNow(ctx)
			if err == nil {
				t.Fatal("sync to a bad target succeeded")
			}
			status, _ := json.Marshal(s.Status())
			saved, rerr := SavedStatus(ctx, st, s.opts)
			if rerr != nil {
				t.Fatal(rerr)
			}
			savedJSON, _ := json.Marshal(saved)
			for what, text := range map[string]string{
				"error": err.Error(), "status": string(status), "saved status": string(savedJSON), "logs": logs.String(),
				"redacted source": s.opts.Source.Redacted(),
			} {
				if strings.Contains(text, pw) {
					t.Errorf("%s shows the password: %s", what, text)
				}
			}
			for what, text := range map[string]string{"error": err.Error(), "status's last error": s.Status().LastError, "saved last error": saved.LastError} {
				if strings.Contains(text, "://") {
					t.Errorf("%s shows a URL: %s", what, text)
				}
			}
			if !strings.Contains(string(status), "127.0.0.1") && i != 2 {
				t.Errorf("status does not say which server: %s", status)
			}
		})
	}
	if !strings.Contains(logs.String(), "sync") {
		t.Errorf("failures were not logged: %q", logs.String())
	}
}

func TestBackoffBounds(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		failures int
		min, max time.Duration
	}{
		{1, 60 * time.Second, 75 * time.Second},
		{2, 120 * time.Second, 150 * time.Second},
		{3, 240 * time.Second, 300 * time.Second},
		{6, 32 * time.Minute, 40 * time.Minute},
		{7, 45 * time.Minute, time.Hour},
		{50, 45 * time.Minute, time.Hour},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.failures), func(t *testing.T) {
			seen := map[time.Duration]bool{}
			for range 200 {
				d := backoff(tc.failures, r)
				if d < tc.min || d > tc.max || d < MinBackoff || d > MaxBackoff {
					t.Fatalf("backoff(%d) = %s, want within [%s, %s]", tc.failures, d, tc.min, tc.max)
				}
				seen[d] = true
			}
			if len(seen) < 100 {
				t.Errorf("backoff(%d) has little jitter: %d distinct values of 200", tc.failures, len(seen))
			}
		})
	}
}

func TestIsPermanent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"auth failed", &pgconn.PgError{Code: "28P01"}, true},
		{"no such role", &pgconn.PgError{Code: "28000"}, true},
		{"permission denied", fmt.Errorf("push: %w", &pgconn.PgError{Code: "42501"}), true},
		{"no database", &pgconn.PgError{Code: "3D000"}, true},
		{"newer schema", &PermanentError{Err: ErrSchemaNewer}, true},
		{"insecure", &PermanentError{Err: ErrInsecure}, true},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, false},
		{"statement timeout", &pgconn.PgError{Code: "57014"}, false},
		{"too many connections", &pgconn.PgError{Code: "53300"}, false},
		{"serialization", &pgconn.PgError{Code: "40001"}, false},
		{"deadlock", &pgconn.PgError{Code: "40P01"}, false},
		{"connection failure", &pgconn.PgError{Code: "08006"}, false},
		{"deadline", context.DeadlineExceeded, false},
		{"refused", errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsPermanent(tc.err); got != tc.want {
				t.Errorf("IsPermanent(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestPermissionDeniedStopsRetrying(t *testing.T) {
	t.Parallel()
	dbURL := newDatabase(t)
	ctx := context.Background()
	admin := dbConn(t, dbURL)
	pu, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	db := strings.TrimPrefix(pu.Path, "/")
	role := db + "_ro"
	for _, q := range []string{
		`CREATE ROLE ` + role + ` LOGIN`,
		`REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
		`REVOKE CREATE ON DATABASE ` + db + ` FROM PUBLIC`,
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, adminURL())
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, `DROP DATABASE IF EXISTS `+db+` WITH (FORCE)`); err != nil {
			t.Error(err)
		}
		if _, err := c.Exec(ctx, `DROP ROLE IF EXISTS `+role); err != nil {
			t.Error(err)
		}
	})
	pu.User = url.User(role)
	st := newStore(t)
	s := newSyncer(t, st, pu.String(), nil)
	err = s.SyncNow(ctx)
	if !hasCode(err, "42501") || !IsPermanent(err) || s.Status().State != StateFailed {
		t.Fatalf("sync without the right to create the schema: %v, status %+v", err, s.Status())
	}
	if _, ok := s.nextWait(); ok {
		t.Error("a retry is scheduled after a permission error")
	}
}
