package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

// releaseV2 is a database written by the release before networks (schema
// version 2, commit 415702c) in the zone syncZone: two local NICs over a
// local midnight, two gaps, a pulled device with its own NIC, a push mark
// and a pending rename.
const releaseV2 = "testdata/release-v2.db"

// tableRows reads every row of a query as strings, in the query's order.
func tableRows(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(vals...))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// copyRelease copies the release database into a new data directory.
func copyRelease(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(releaseV2)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := EnsureDataDir(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The rows that every version keeps as they are, in a fixed order.
var keptRows = map[string]string{
	"buckets":  `SELECT device, nic, start, sent, recv, seq FROM buckets ORDER BY device, nic, start`,
	"days":     `SELECT device, nic, day, sent, recv FROM days ORDER BY device, nic, day`,
	"gaps":     `SELECT id, nic, from_ts, to_ts, sent, recv, reason FROM gaps ORDER BY id`,
	"devices":  `SELECT * FROM devices ORDER BY id`,
	"nics":     `SELECT * FROM nics ORDER BY id`,
	"counters": `SELECT * FROM counters ORDER BY nic`,
	"meta":     `SELECT * FROM meta ORDER BY key`,
	"renames":  `SELECT * FROM device_renames ORDER BY uuid`,
	"totals": `SELECT dv.uuid, n.name, SUM(b.sent), SUM(b.recv) FROM buckets b JOIN devices dv ON dv.id = b.device
		JOIN nics n ON n.id = b.nic GROUP BY dv.uuid, n.name ORDER BY dv.uuid, n.name`,
}

func TestMigrationFromReleaseV2(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := copyRelease(t)
	path := filepath.Join(dir, FileName)
	old, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		t.Fatal(err)
	}
	before := map[string][]string{}
	for name, q := range keptRows {
		before[name] = tableRows(t, old, q)
	}
	old.Close()
	if len(before["buckets"]) == 0 || len(before["gaps"]) != 2 || len(before["devices"]) != 2 {
		t.Fatalf("the fixture is not what this test expects: %v", before)
	}

	st, err := Open(ctx, dir, Options{Location: syncZone, Now: testenv.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var version int
	if err := st.r.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil || version != 3 {
		t.Fatalf("schema version %d %v, want 3", version, err)
	}
	for name, q := range keptRows {
		if got := tableRows(t, st.r, q); !reflect.DeepEqual(got, before[name]) {
			t.Errorf("%s changed by the migration:\n got %q\nwant %q", name, got, before[name])
		}
	}
	for _, table := range []string{"buckets", "days", "gaps"} {
		var off int
		if err := st.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE network != 1`).Scan(&off); err != nil || off != 0 {
			t.Errorf("%s: %d rows not on the unknown network (%v)", table, off, err)
		}
	}
	checkDays(t, st)
	checkMigratedQueries(t, st, before["totals"])

	// Counting goes on: a new network beside the old rows.
	at := time.Date(2026, 6, 2, 12, 0, 0, 0, time.UTC)
	if err := st.Flush(ctx, Batch{At: at, Deltas: []Delta{{NIC: "eth0", Network: WiFiNetwork("Home"), Start: at.Unix(), Sent: 7, Recv: 8}}}); err != nil {
		t.Fatal(err)
	}
	checkDays(t, st)
	nws, err := st.Networks(ctx, Scope{})
	if err != nil || len(nws) != 2 || nws[0].Label != UnknownLabel || nws[1].Label != "Home" || nws[1].Sent != 7 {
		t.Errorf("networks after a flush: %+v %v", nws, err)
	}
}

// checkMigratedQueries checks what the queries say about the migrated
// release database: everything on the unknown network, the same totals.
func checkMigratedQueries(t *testing.T, st *Store, totals []string) {
	t.Helper()
	ctx := context.Background()
	var want []string
	for _, dev := range []string{"0b5e0000-0000-4000-8000-0000000000aa", st.DeviceID()} {
		for _, sc := range []Scope{{Device: dev}, {Device: dev, Network: UnknownLabel}} {
			r, err := st.Lifetime(ctx, nil, sc)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range r.ByNIC {
				if sc.Network == "" {
					want = append(want, fmt.Sprint(dev, n.NIC, n.Sent, n.Recv))
				}
			}
			if len(r.ByNetwork) != 1 || r.ByNetwork[0].Key != "" || r.ByNetwork[0].Sent != r.Sent || r.ByNetwork[0].Recv != r.Recv {
				t.Errorf("%+v: by network %+v, want all %d/%d on the unknown network", sc, r.ByNetwork, r.Sent, r.Recv)
			}
		}
	}
	sort.Strings(want)
	got := slices.Sorted(slices.Values(totals))
	if !reflect.DeepEqual(want, got) {
		t.Errorf("lifetime per device and NIC %q, stored %q", want, got)
	}
	nws, err := st.Networks(ctx, Scope{Device: "all"})
	if err != nil || len(nws) != 1 || nws[0].Key != "" || nws[0].Kind != NetworkUnknown || nws[0].FirstSeen.IsZero() {
		t.Fatalf("networks: %+v %v", nws, err)
	}
	all, err := st.Lifetime(ctx, nil, Scope{Device: "all"})
	if err != nil || all.Sent != nws[0].Sent || all.Recv != nws[0].Recv {
		t.Errorf("unknown network %d/%d, lifetime %d/%d %v", nws[0].Sent, nws[0].Recv, all.Sent, all.Recv, err)
	}
	gaps, err := st.Gaps(ctx, time.Time{}, time.Time{})
	if err != nil || len(gaps) != 2 || gaps[0].Network != "" || gaps[1].Network != "" {
		t.Errorf("gaps %+v %v", gaps, err)
	}
	if n, err := st.PendingCount(ctx); err != nil || n == 0 {
		t.Errorf("pending after the upgrade: %d %v", n, err)
	}
}

// A read-only open never migrates: a database the app has not upgraded yet
// is refused with a message saying what to do, not with a failing query.
func TestReadOnlyRefusesAnOlderSchema(t *testing.T) {
	t.Parallel()
	dir := copyRelease(t)
	_, err := Open(context.Background(), dir, Options{ReadOnly: true, Location: syncZone, Now: testenv.Clock()})
	if !errors.Is(err, ErrSchemaVersion) || !strings.Contains(err.Error(), "start the PacketBuddy app once to upgrade it") {
		t.Fatalf("read-only open of a release-v2 database: %v", err)
	}
	w, err := Open(context.Background(), dir, Options{Location: syncZone, Now: testenv.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	r, err := Open(context.Background(), dir, Options{ReadOnly: true, Location: syncZone, Now: testenv.Clock()})
	if err != nil {
		t.Fatalf("read-only open after the upgrade: %v", err)
	}
	r.Close()
}
