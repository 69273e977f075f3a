package cloudsync

import (
	"context"
	"errors"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
	"github.com/packetbuddy/packetbuddy/store"
)

// counting stands in for the monitor: it flushes traffic into the store
// every few milliseconds while a test syncs, and records how long each
// flush took.
type counting struct {
	flushes atomic.Int64
	slowest atomic.Int64 // nanoseconds
	err     atomic.Pointer[error]
	stop    func()
}

func startCounting(t testing.TB, st *store.Store) *counting {
	t.Helper()
	c := &counting{}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(3 * time.Millisecond)
		defer tick.Stop()
		for i := int64(0); ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			start := time.Now()
			// The live bucket grows; every few flushes an older one too.
			b := store.Batch{At: testenv.Now(), Deltas: []store.Delta{
				{NIC: "eth0", Start: baseTime.Unix() + (i%50)*store.BucketSeconds, Sent: 1500, Recv: 9000},
				{NIC: "wlan0", Network: "wifi:Home", Start: baseTime.Unix() + 900*store.BucketSeconds + i/20*store.BucketSeconds, Sent: 40, Recv: 60},
			}}
			if err := st.Flush(context.Background(), b); err != nil {
				c.err.Store(&err)
				return
			}
			c.flushes.Add(1)
			if d := int64(time.Since(start)); d > c.slowest.Load() {
				c.slowest.Store(d)
			}
		}
	})
	c.stop = func() { cancel(); wg.Wait() }
	t.Cleanup(c.stop)
	return c
}

func (c *counting) check(t testing.TB) {
	t.Helper()
	c.stop()
	if p := c.err.Load(); p != nil {
		t.Fatalf("the monitor's flush failed during sync: %v", *p)
	}
	if c.flushes.Load() < 10 {
		t.Errorf("only %d flushes happened during the test", c.flushes.Load())
	}
	if s := time.Duration(c.slowest.Load()); s > time.Second {
		t.Errorf("a flush took %s while syncing", s)
	}
	t.Logf("monitor flushed %d times, slowest %s", c.flushes.Load(), time.Duration(c.slowest.Load()))
}

// TestFaultsRecoverExactly is not parallel: it measures how long the
// monitor's flushes take while a cycle runs, and a stalled batch must hit a
// deadline that a loaded machine would hit anyway.
func TestFaultsRecoverExactly(t *testing.T) {
	tests := []struct {
		name string
		// opts adjusts the syncer for the fault.
		opts func(*Options)
		// inject runs inside batch 2's transaction, before COMMIT; heal
		// undoes the fault after the failed cycle.
		inject func(t *testing.T, f *faultEnv, conn *pgx.Conn) error
		heal   func(t *testing.T, f *faultEnv)
		// want checks the failed cycle's error.
		want func(err error) bool
	}{
		{
			name: "backend terminated mid-batch",
			inject: func(t *testing.T, f *faultEnv, conn *pgx.Conn) error {
				var ok bool
				err := f.admin.QueryRow(context.Background(), `SELECT pg_terminate_backend($1)`, conn.PgConn().PID()).Scan(&ok)
				if err != nil || !ok {
					t.Errorf("pg_terminate_backend: %v %v", ok, err)
				}
				return nil
			},
			heal: func(t *testing.T, f *faultEnv) {},
			want: func(err error) bool { return err != nil && !IsPermanent(err) },
		},
		{
			name: "server stopped mid-batch and started again",
			inject: func(t *testing.T, f *faultEnv, conn *pgx.Conn) error {
				f.proxy.down()
				return nil
			},
			heal: func(t *testing.T, f *faultEnv) {
				// While it is down, a cycle fails fast with a retryable error.
				err := f.syncer.SyncNow(context.Background())
				if err == nil || IsPermanent(err) {
					t.Errorf("sync while the server is down: %v", err)
				}
				f.proxy.up(t)
			},
			want: func(err error) bool { return err != nil && !IsPermanent(err) },
		},
		{
			name: "network stall hits the client deadline",
			// Long enough for batch 1 on a loaded machine, short enough
			// to keep the test quick.
			opts: func(o *Options) { o.OpTimeout = 2 * time.Second },
			inject: func(t *testing.T, f *faultEnv, conn *pgx.Conn) error {
				f.proxy.stall(true)
				return nil
			},
			heal: func(t *testing.T, f *faultEnv) { f.proxy.stall(false) },
			want: func(err error) bool { return errors.Is(err, context.DeadlineExceeded) || pgconnTimeout(err) },
		},
		{
			name: "server-side stall hits the statement timeout",
			opts: func(o *Options) { o.Conn.StatementTimeout = time.Second; o.OpTimeout = 10 * time.Second },
			inject: func(t *testing.T, f *faultEnv, conn *pgx.Conn) error {
				// Batch 2 is in; the next statement of this session waits
				// on a lock another session holds.
				tx, err := f.admin.Begin(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				f.lockTx = tx
				if _, err := tx.Exec(context.Background(), `LOCK TABLE server_info IN ACCESS EXCLUSIVE MODE`); err != nil {
					t.Fatal(err)
				}
				_, err = conn.Exec(context.Background(), `SELECT * FROM server_info`)
				return err
			},
			heal: func(t *testing.T, f *faultEnv) { f.lockTx.Rollback(context.Background()) },
			want: func(err error) bool { return hasCode(err, "57014") && !IsPermanent(err) },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dbURL := newDatabase(t)
			ctx := context.Background()
			f := &faultEnv{admin: dbConn(t, dbURL), proxy: newProxy(t, serverAddr(t, dbURL))}
			st := newStore(t)
			// 3,000 buckets, two networks on one NIC.
			fillLinks(t, st, []link{{"eth0", ""}, {"wlan0", "wifi:Home"}, {"wlan0", "gateway:02:00:00:00:00:01"}}, baseTime, 1000, 250, 11)
			f.syncer = newSyncer(t, st, f.proxy.via(t, dbURL), func(o *Options) {
				o.BatchSize = 1000
				if tc.opts != nil {
					tc.opts(o)
				}
			})
			mon := startCounting(t, st)
			injected := false
			f.syncer.beforeCommit = func(_ context.Context, conn *pgx.Conn, batch int) error {
				if batch != 2 || injected {
					return nil
				}
				injected = true
				return tc.inject(t, f, conn)
			}
			start := time.Now()
			err := f.syncer.SyncNow(ctx)
			if !injected {
				t.Fatalf("the cycle ended before the fault was injected: %v", err)
			}
			if !tc.want(err) {
				t.Fatalf("faulty sync returned %v (%T)", err, err)
			}
			t.Logf("faulty cycle failed after %s: %v", time.Since(start).Round(time.Millisecond), err)
			status := f.syncer.Status()
			if status.State != StateRetrying || status.Failures < 1 || status.LastError == "" {
				t.Errorf("status after the fault: %+v", status)
			}
			if wait := status.NextAttempt.Sub(testenv.Now()); wait < MinBackoff-time.Second || wait > MaxBackoff {
				t.Errorf("next attempt in %s, want a backoff between %s and %s", wait, MinBackoff, MaxBackoff)
			}
			tc.heal(t, f)
			// Recovery while counting goes on, then a last cycle after it.
			if err := f.syncer.SyncNow(ctx); err != nil {
				t.Fatalf("sync after recovery: %v", err)
			}
			mon.check(t)
			if err := f.syncer.SyncNow(ctx); err != nil {
				t.Fatalf("final sync: %v", err)
			}
			if n, _ := st.PendingCount(ctx); n != 0 {
				t.Errorf("%d buckets still pending", n)
			}
			sameBuckets(t, "server after recovery", remoteBuckets(t, f.admin), localBuckets(t, st))
			if got := f.syncer.Status(); got.State != StateIdle || got.Failures != 0 || got.LastError != "" {
				t.Errorf("status after recovery: %+v", got)
			}
		})
	}
}

type faultEnv struct {
	admin  *pgx.Conn
	proxy  *tcpProxy
	syncer *Syncer
	lockTx pgx.Tx
}

func hasCode(err error, code string) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == code
}

func pgconnTimeout(err error) bool { return pgconn.Timeout(err) }

// serverAddr is the host:port of a test database URL.
func serverAddr(t testing.TB, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil || u.Host == "" {
		t.Fatalf("test server URL %q: want postgres://user@host:port/db", dbURL)
	}
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), "5432")
	}
	return u.Host
}
