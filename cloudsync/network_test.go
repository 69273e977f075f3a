package cloudsync

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/packetbuddy/packetbuddy/store"
)

// pushSQLv1 is how a release that knows schema version 1 pushed a batch.
const pushSQLv1 = `INSERT INTO buckets (device_id, nic, bucket_start, sent, recv)
SELECT $1, u.nic, u.bucket_start, u.sent, u.recv
FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[]) AS u(nic, bucket_start, sent, recv)
ON CONFLICT (device_id, nic, bucket_start) DO UPDATE
SET sent = EXCLUDED.sent, recv = EXCLUDED.recv, xid = pg_current_xact_id()
WHERE buckets.sent <> EXCLUDED.sent OR buckets.recv <> EXCLUDED.recv`

// pushAsV1 registers st's device and pushes all its buckets the way a
// release that knows schema version 1 did.
func pushAsV1(t testing.TB, c *pgx.Conn, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	me, err := st.LocalDevice(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var id int32
	if err := c.QueryRow(ctx, `INSERT INTO devices (uuid, name, hostname, platform, app_version)
		VALUES ($1::uuid, $2, $3, 'linux/amd64', '1.0') RETURNING id`, me.UUID, me.Name, me.Hostname).Scan(&id); err != nil {
		t.Fatal(err)
	}
	rows, _, err := st.PendingBuckets(ctx, store.PushCursor{}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var nics []string
	var starts, sent, recv []int64
	for _, r := range rows {
		if r.Network != "" {
			t.Fatalf("a release-1 device has a bucket on network %q", r.Network)
		}
		nics, starts = append(nics, r.NIC), append(starts, r.Start)
		sent, recv = append(sent, int64(r.Sent)), append(recv, int64(r.Recv))
	}
	if _, err := c.Exec(ctx, pushSQLv1, id, nics, starts, sent, recv); err != nil {
		t.Fatal(err)
	}
}

// serverRow is a bucket on the server and the transaction that wrote it.
type serverRow struct {
	sent, recv int64
	xid        string
}

// serverRows reads every bucket on the server with its xid. A server of
// schema version 1 has no network column: its rows are read as the
// unknown network.
func serverRows(t testing.TB, c *pgx.Conn, hasNetwork bool) map[bucketKey]serverRow {
	t.Helper()
	network := "''"
	if hasNetwork {
		network = "b.network"
	}
	rows, err := c.Query(context.Background(), `SELECT d.uuid::text, b.nic, `+network+`, b.bucket_start, b.sent, b.recv, b.xid::text
		FROM buckets b JOIN devices d ON d.id = b.device_id`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[bucketKey]serverRow{}
	var k bucketKey
	var r serverRow
	_, err = pgx.ForEachRow(rows, []any{&k.device, &k.nic, &k.network, &k.start, &r.sent, &r.recv, &r.xid}, func() error {
		out[k] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameServerRows fails the test when the server's rows or the transactions
// that wrote them changed.
func sameServerRows(t testing.TB, what string, got, want map[bucketKey]serverRow) {
	t.Helper()
	var diffs []string
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			diffs = append(diffs, fmt.Sprintf("%v: got %+v (present %v), want %+v", k, g, ok, v))
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%v: unexpected %+v", k, v))
		}
	}
	if len(diffs) > 0 {
		slices.Sort(diffs)
		t.Fatalf("%s: %d rows differ, first: %s", what, len(diffs), strings.Join(diffs[:min(5, len(diffs))], "; "))
	}
}

// syncAll runs one cycle of each syncer in order.
func syncAll(t testing.TB, syncers ...*Syncer) {
	t.Helper()
	for i, s := range syncers {
		if err := s.SyncNow(context.Background()); err != nil {
			t.Fatalf("sync %d: %v", i, err)
		}
	}
}

func TestMigrationFromSchemaV1(t *testing.T) {
	t.Parallel()
	dbURL := newDatabase(t)
	ctx := context.Background()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 2 || ms[0].version != 1 {
		t.Fatalf("migrations %v: want version 1 and a later one", ms)
	}
	// A server that devices of the release before networks have used: A
	// will upgrade, C never does.
	if err := migrateWith(dbURL, ms[:1]); err != nil {
		t.Fatal(err)
	}
	admin := dbConn(t, dbURL)
	a, b, c := newStore(t), newStore(t), newStore(t)
	aSent, aRecv := fill(t, a, []string{"eth0", "wlan0"}, baseTime, 200, 50, 7)
	cSent, cRecv := fill(t, c, []string{"eth0"}, baseTime.Add(time.Hour), 100, 100, 9)
	pushAsV1(t, admin, a)
	pushAsV1(t, admin, c)
	before := serverRows(t, admin, false)
	if len(before) != 500 {
		t.Fatalf("the release-1 server holds %d buckets, want 500", len(before))
	}

	// A's first cycle migrates the server and pushes all of A's buckets
	// again: the old rows are now the unknown network, with the same
	// values, and neither the migration nor the push rewrote them.
	sa, sb := newSyncer(t, a, dbURL, nil), newSyncer(t, b, dbURL, nil)
	syncAll(t, sa)
	var version int
	if err := admin.QueryRow(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version != SchemaVersion() {
		t.Fatalf("server at schema version %d after the upgrade, want %d", version, SchemaVersion())
	}
	sameServerRows(t, "rows after the migration", serverRows(t, admin, true), before)
	if got := primaryKey(t, admin, "buckets"); got != "device_id,nic,network,bucket_start" {
		t.Errorf("buckets' primary key is (%s)", got)
	}

	// B pulls every old row onto the unknown network, totals unchanged.
	syncAll(t, sb, sa)
	remote := remoteBuckets(t, admin)
	sameBuckets(t, "A's copy vs server", localBuckets(t, a), remote)
	sameBuckets(t, "B's copy vs server", localBuckets(t, b), remote)
	for _, st := range []*store.Store{a, b} {
		for _, want := range []struct {
			device     string
			sent, recv uint64
		}{{a.DeviceID(), aSent, aRecv}, {c.DeviceID(), cSent, cRecv}} {
			if s, r := lifetime(t, st, want.device); s != want.sent || r != want.recv {
				t.Errorf("store %s: device %s %d/%d, want %d/%d", st.DeviceID(), want.device, s, r, want.sent, want.recv)
			}
			if s, r := scopeTotals(t, st, store.Scope{Device: want.device, Network: "Unknown"}); s != want.sent || r != want.recv {
				t.Errorf("store %s: device %s on the unknown network %d/%d, want %d/%d", st.DeviceID(), want.device, s, r, want.sent, want.recv)
			}
		}
	}

	// A release that knows only version 1 refuses the migrated server and
	// leaves it as it is.
	err = migrateWith(dbURL, ms[:1])
	if !errors.Is(err, ErrSchemaNewer) || !IsPermanent(err) {
		t.Fatalf("a release-1 build against the migrated server: %v, want a permanent ErrSchemaNewer", err)
	}
	if msg := err.Error(); !strings.Contains(msg, fmt.Sprintf("version %d", SchemaVersion())) || !strings.Contains(msg, "knows 1") {
		t.Errorf("refusal does not say which versions: %s", msg)
	}
	sameBuckets(t, "server after the refusal", remoteBuckets(t, admin), remote)
}

// primaryKey lists the columns of table's primary key in order.
func primaryKey(t testing.TB, c *pgx.Conn, table string) string {
	t.Helper()
	var cols string
	err := c.QueryRow(context.Background(), `SELECT string_agg(a.attname, ',' ORDER BY k.ord)
		FROM pg_index i
		CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
		WHERE i.indrelid = $1::regclass AND i.indisprimary`, table).Scan(&cols)
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

// usage is a device's traffic on one network.
type usage struct {
	device, network string
}

func TestNetworksSyncExactly(t *testing.T) {
	t.Parallel()
	dbURL := newDatabase(t)
	ctx := context.Background()
	a, b := newStore(t), newStore(t)
	// Several networks on one NIC, sharing bucket starts; keys with
	// characters an array literal would have to quote.
	devices := []struct {
		st    *store.Store
		links []link
	}{
		{a, []link{{"wlan0", ""}, {"wlan0", "wifi:Home"}, {"wlan0", "gateway:02:00:00:00:00:01"}, {"eth0", "gateway:02:00:00:00:00:02"}}},
		{b, []link{{"wlan0", "wifi:Home"}, {"wlan0", `wifi:Café ☕ "guest", {5G}`}, {"enp3s0", ""}}},
	}
	want := map[usage][2]uint64{}
	for i, d := range devices {
		for j, l := range d.links {
			s, r := fillLinks(t, d.st, []link{l}, baseTime, 120, 40, uint64(100*i+j+1))
			want[usage{d.st.DeviceID(), l.network}] = [2]uint64{s, r}
		}
	}
	// Small batches cut through the networks of one bucket start. A
	// crashes after batch 2's COMMIT, before its mark is saved; B's batch
	// 3 fails before COMMIT. Both retry.
	crash := errors.New("simulated failure")
	sa := newSyncer(t, a, dbURL, func(o *Options) { o.BatchSize = 70 })
	sb := newSyncer(t, b, dbURL, func(o *Options) { o.BatchSize = 70 })
	sa.afterCommit = func(batch int) error { return failOn(batch, 2, crash) }
	sb.beforeCommit = func(_ context.Context, _ *pgx.Conn, batch int) error { return failOn(batch, 3, crash) }
	for _, s := range []*Syncer{sa, sb} {
		if err := s.SyncNow(ctx); !errors.Is(err, crash) {
			t.Fatalf("first sync: %v, want the simulated failure", err)
		}
	}
	sa.afterCommit, sb.beforeCommit = nil, nil
	syncAll(t, sa, sb, sa)
	checkNetworks(t, dbURL, want, a, b)

	// Repeating changes nothing: no row is written again, however the
	// marks stand, and a full pull again adds nothing.
	admin := dbConn(t, dbURL)
	settled := serverRows(t, admin, true)
	for _, st := range []*store.Store{a, b} {
		if err := st.ResetPushAck(ctx); err != nil {
			t.Fatal(err)
		}
		if err := st.SetMeta(ctx, metaPullXID, "0"); err != nil {
			t.Fatal(err)
		}
	}
	syncAll(t, sa, sb, sa, sb)
	sameServerRows(t, "server after repeated syncs", serverRows(t, admin, true), settled)
	checkNetworks(t, dbURL, want, a, b)

	// More traffic in buckets already synced replaces the copies.
	s, r := fillLinks(t, a, []link{{"wlan0", "wifi:Home"}}, baseTime, 5, 5, 1000)
	home := usage{a.DeviceID(), "wifi:Home"}
	want[home] = [2]uint64{want[home][0] + s, want[home][1] + r}
	syncAll(t, sa, sb)
	checkNetworks(t, dbURL, want, a, b)
}

// failOn returns err when batch is the failing one.
func failOn(batch, failing int, err error) error {
	if batch == failing {
		return err
	}
	return nil
}

// checkNetworks compares every store with the server, and each device's
// traffic per network, from the buckets and through the store's network
// scope, with want.
func checkNetworks(t testing.TB, dbURL string, want map[usage][2]uint64, stores ...*store.Store) {
	t.Helper()
	remote := remoteBuckets(t, dbConn(t, dbURL))
	got := map[usage][2]uint64{}
	for k, v := range remote {
		u := usage{k.device, k.network}
		got[u] = [2]uint64{got[u][0] + v[0], got[u][1] + v[1]}
	}
	if !maps.Equal(got, want) {
		t.Errorf("server per device and network: %v, want %v", got, want)
	}
	for _, st := range stores {
		sameBuckets(t, "store "+st.DeviceID()+" vs server", localBuckets(t, st), remote)
		for u, w := range want {
			network := u.network
			if network == "" {
				network = "Unknown"
			}
			if s, r := scopeTotals(t, st, store.Scope{Device: u.device, Network: network}); s != w[0] || r != w[1] {
				t.Errorf("store %s: device %s on %q: %d/%d, want %d/%d", st.DeviceID(), u.device, u.network, s, r, w[0], w[1])
			}
		}
	}
}

func TestPushColumns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rows []store.SyncBucket
		want pushArrays
	}{
		{"empty", nil, pushArrays{nics: []string{}, networks: []string{}, starts: []int64{}, sent: []int64{}, recv: []int64{}}},
		{
			"networks of one bucket stay apart",
			[]store.SyncBucket{
				{NIC: "wlan0", Network: "", Start: 900, Sent: 1, Recv: 2},
				{NIC: "wlan0", Network: "wifi:Home", Start: 900, Sent: 3, Recv: 4},
				{NIC: "eth0", Network: "wifi:Home", Start: 900, Sent: 5, Recv: 6},
			},
			pushArrays{
				nics: []string{"wlan0", "wlan0", "eth0"}, networks: []string{"", "wifi:Home", "wifi:Home"},
				starts: []int64{900, 900, 900}, sent: []int64{1, 3, 5}, recv: []int64{2, 4, 6},
			},
		},
		{
			"a repeated key keeps its newest values in its first place",
			[]store.SyncBucket{
				{NIC: "wlan0", Network: "wifi:Home", Start: 0, Sent: 1, Recv: 1, Seq: 1},
				{NIC: "wlan0", Network: "wifi:Home", Start: 900, Sent: 2, Recv: 2, Seq: 1},
				{NIC: "wlan0", Network: "wifi:Home", Start: 0, Sent: 7, Recv: 8, Seq: 2},
			},
			pushArrays{
				nics: []string{"wlan0", "wlan0"}, networks: []string{"wifi:Home", "wifi:Home"},
				starts: []int64{0, 900}, sent: []int64{7, 2}, recv: []int64{8, 2},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := pushColumns(tc.rows)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("pushColumns = %+v, want %+v", got, tc.want)
			}
		})
	}
}
