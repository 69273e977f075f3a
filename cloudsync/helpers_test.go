package cloudsync

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
	"github.com/packetbuddy/packetbuddy/store"
)

// adminURL is the test server (see testenv.PostgresAdminURL).
func adminURL() string { return testenv.PostgresAdminURL() }

// newDatabase creates an empty database for one test, dropped at cleanup,
// and returns its URL.
func newDatabase(t testing.TB) string {
	t.Helper()
	return testenv.NewPostgresDatabase(t, "pbtest_")
}

// dbConn opens a direct connection to a test database.
func dbConn(t testing.TB, dbURL string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = DefaultSchema
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

var testZone = time.FixedZone("IST", 5*3600+1800)

// newStore opens a real store in a temporary directory, on the test clock.
func newStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), t.TempDir(), store.Options{Location: testZone, Now: testenv.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// baseTime is a fixed bucket-aligned instant the test data starts at.
var baseTime = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// link is a NIC attached to a network (a key; "" is unknown).
type link struct{ nic, network string }

// fill flushes n buckets per NIC, all on the unknown network, like
// fillLinks.
func fill(t testing.TB, st *store.Store, nics []string, from time.Time, n, per int, seed uint64) (sent, recv uint64) {
	t.Helper()
	links := make([]link, len(nics))
	for i, nic := range nics {
		links[i] = link{nic: nic}
	}
	return fillLinks(t, st, links, from, n, per, seed)
}

// fillLinks flushes n buckets per link starting at from, with byte counts
// derived from seed, in flushes of per buckets each; it returns the bytes
// added. Links of one NIC share their bucket starts.
func fillLinks(t testing.TB, st *store.Store, links []link, from time.Time, n, per int, seed uint64) (sent, recv uint64) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i += per {
		var b store.Batch
		b.At = from.Add(time.Duration(i) * 15 * time.Minute)
		for j := i; j < min(i+per, n); j++ {
			for k, l := range links {
				d := store.Delta{NIC: l.nic, Network: l.network, Start: from.Unix() + int64(j)*store.BucketSeconds,
					Sent: seed + uint64(j*7+k), Recv: 3*seed + uint64(j*13+k)}
				sent += d.Sent
				recv += d.Recv
				b.Deltas = append(b.Deltas, d)
			}
		}
		if err := st.Flush(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	return sent, recv
}

// bucketKey names one bucket of one device.
type bucketKey struct {
	device, nic, network string
	start                int64
}

// localBuckets reads every bucket of a store, all devices, via Export.
func localBuckets(t testing.TB, st *store.Store) map[bucketKey][2]uint64 {
	t.Helper()
	var buf bytes.Buffer
	if _, err := st.Export(context.Background(), &buf, store.ExportOptions{Format: store.FormatCSV, Location: time.UTC, Scope: store.Scope{Device: "all"}}); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(&buf)
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := func(name string) int {
		i := slices.Index(head, name)
		if i < 0 {
			t.Fatalf("export has no column %s: %v", name, head)
		}
		return i
	}
	cStart, cDev, cNIC, cNet := col("bucket_start_utc"), col("device"), col("nic"), col("network")
	cSent, cRecv := col("bytes_sent"), col("bytes_received")
	out := map[bucketKey][2]uint64{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ts, err := time.Parse(time.RFC3339, rec[cStart])
		if err != nil {
			t.Fatalf("bucket start %q: %v", rec[cStart], err)
		}
		s, _ := strconv.ParseUint(rec[cSent], 10, 64)
		v, _ := strconv.ParseUint(rec[cRecv], 10, 64)
		k := bucketKey{rec[cDev], rec[cNIC], rec[cNet], ts.Unix()}
		if _, dup := out[k]; dup {
			t.Fatalf("duplicate local bucket %v", k)
		}
		out[k] = [2]uint64{s, v}
	}
	return out
}

// remoteBuckets reads every bucket on the server.
func remoteBuckets(t testing.TB, c *pgx.Conn) map[bucketKey][2]uint64 {
	t.Helper()
	ctx := context.Background()
	rows, err := c.Query(ctx, `SELECT d.uuid::text, b.nic, b.network, b.bucket_start, b.sent, b.recv FROM buckets b JOIN devices d ON d.id = b.device_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[bucketKey][2]uint64{}
	for rows.Next() {
		var k bucketKey
		var s, r int64
		if err := rows.Scan(&k.device, &k.nic, &k.network, &k.start, &s, &r); err != nil {
			t.Fatal(err)
		}
		if _, dup := out[k]; dup {
			t.Fatalf("duplicate remote bucket %v", k)
		}
		out[k] = [2]uint64{uint64(s), uint64(r)}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// onlyDevice keeps the buckets of one device.
func onlyDevice(m map[bucketKey][2]uint64, device string) map[bucketKey][2]uint64 {
	out := map[bucketKey][2]uint64{}
	for k, v := range m {
		if k.device == device {
			out[k] = v
		}
	}
	return out
}

// sameBuckets fails the test with a short diff when a and b differ.
func sameBuckets(t testing.TB, what string, got, want map[bucketKey][2]uint64) {
	t.Helper()
	var diffs []string
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			diffs = append(diffs, fmt.Sprintf("%v: got %v (present %v), want %v", k, g, ok, v))
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%v: unexpected %v", k, v))
		}
	}
	if len(diffs) > 0 {
		slices.Sort(diffs)
		t.Fatalf("%s: %d buckets differ (got %d, want %d), first: %s", what, len(diffs), len(got), len(want), strings.Join(diffs[:min(5, len(diffs))], "; "))
	}
}

// lifetime returns a device's lifetime totals (see scopeTotals).
func lifetime(t testing.TB, st *store.Store, device string) (sent, recv uint64) {
	t.Helper()
	return scopeTotals(t, st, store.Scope{Device: device})
}

// scopeTotals returns a scope's lifetime totals from the per-day rollup
// and, in another zone, from the buckets; they must agree.
func scopeTotals(t testing.TB, st *store.Store, sc store.Scope) (sent, recv uint64) {
	t.Helper()
	ctx := context.Background()
	r, err := st.Lifetime(ctx, nil, sc)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := st.Lifetime(ctx, time.UTC, sc)
	if err != nil {
		t.Fatal(err)
	}
	if r.Sent != r2.Sent || r.Recv != r2.Recv {
		t.Fatalf("scope %+v: day rollup says %d/%d, buckets say %d/%d", sc, r.Sent, r.Recv, r2.Sent, r2.Recv)
	}
	return r.Sent, r.Recv
}

// newSyncer builds a syncer for st against dbURL with test-friendly limits,
// on the test clock.
func newSyncer(t testing.TB, st *store.Store, dbURL string, mod func(*Options)) *Syncer {
	t.Helper()
	o := Options{
		Source:     Source{URL: dbURL, Origin: "test"},
		Enabled:    true,
		Interval:   time.Hour,
		StartDelay: time.Millisecond,
		Conn:       ConnOptions{StatementTimeout: 5 * time.Second, ConnectTimeout: 3 * time.Second},
		AppVersion: "test",
		Logger:     slog.New(slog.DiscardHandler),
		Now:        testenv.Clock(),
	}
	if mod != nil {
		mod(&o)
	}
	s, err := New(context.Background(), st, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// migrateOnly creates or upgrades the schema of dbURL to this build's.
func migrateOnly(dbURL string) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	return migrateWith(dbURL, ms)
}

// migrateWith runs the migration step of a build that knows only ms.
func migrateWith(dbURL string, ms []migration) error {
	ctx := context.Background()
	cfg, err := ParseConn(dbURL, ConnOptions{})
	if err != nil {
		return err
	}
	conn, err := connect(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return migrateTo(ctx, conn, txSettings{schema: DefaultSchema, statementTimeout: DefaultStatementTimeout}, ms)
}
