// Package testenv is what PacketBuddy's tests share about their
// environment: one meaning for PACKETBUDDY_TEST_REQUIRE (a missing component
// skips a test, unless the variable is "all" or names it: then the test
// fails, as in CI), one place for artefacts such as screenshots, and one way
// to get a private PostgreSQL database. Only tests import it.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Required reports whether PACKETBUDDY_TEST_REQUIRE makes a missing
// component (netns, postgres, dbus, chromium, xvfb, wine, ...) a failure.
func Required(component string) bool {
	for _, c := range strings.Split(os.Getenv("PACKETBUDDY_TEST_REQUIRE"), ",") {
		if c = strings.TrimSpace(c); c == "all" || c == component {
			return true
		}
	}
	return false
}

// Require returns when err is nil; otherwise it skips the test, or fails
// it when the component is required.
func Require(t testing.TB, component string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if Required(component) {
		t.Fatalf("%s required (PACKETBUDDY_TEST_REQUIRE=%q) but unavailable: %v", component, os.Getenv("PACKETBUDDY_TEST_REQUIRE"), err)
	}
	t.Skipf("%s unavailable: %v", component, err)
}

// OutputDir is where a package's tests leave artefacts:
// $PACKETBUDDY_TEST_OUTPUT/<name>, else <repo>/test-output/<name>.
func OutputDir(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("PACKETBUDDY_TEST_OUTPUT")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", "test-output")
	}
	dir = filepath.Join(dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// PostgresAdminURL is the test server: PACKETBUDDY_TEST_POSTGRES_URL, or the
// local cluster with trust authentication (as on CI machines).
func PostgresAdminURL() string {
	if v := os.Getenv("PACKETBUDDY_TEST_POSTGRES_URL"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

var pg struct {
	once sync.Once
	err  error
}

// PostgresAvailable reports, once per process, why the server cannot be used.
func PostgresAvailable() error {
	pg.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, PostgresAdminURL())
		if err == nil {
			err = c.Ping(ctx)
			c.Close(ctx)
		}
		pg.err = err
	})
	return pg.err
}

// NewPostgresDatabase creates an empty database named prefix + random hex
// for one test, dropped when the test ends, and returns its URL. Without a
// server it skips, or fails when postgres is required.
func NewPostgresDatabase(t testing.TB, prefix string) string {
	t.Helper()
	Require(t, "postgres", PostgresAvailable())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := prefix + hex.EncodeToString(b[:])
	admin, err := pgx.Connect(ctx, PostgresAdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, PostgresAdminURL())
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(PostgresAdminURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
