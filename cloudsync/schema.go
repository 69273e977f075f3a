package cloudsync

import (
	"context"
	"embed"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the advisory lock key that serialises schema changes
// ("PBSYNC" in ASCII), so that devices starting together do not race.
const migrationLock int64 = 0x504253594e43

// migration is one numbered file of migrations/.
type migration struct {
	version int
	name    string
	body    string
}

// migrations returns the embedded migrations in version order.
func migrations() ([]migration, error) {
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", e.Name())
		}
		body, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), body: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// SchemaVersion is the newest remote schema this build knows.
func SchemaVersion() int {
	ms, _ := migrations()
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// migrate creates or upgrades the remote schema in one transaction under an
// advisory lock. A schema newer than this build is refused before anything
// is written.
func migrate(ctx context.Context, conn *pgx.Conn, set txSettings) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	return migrateTo(ctx, conn, set, ms)
}

// migrateTo is migrate for a build that knows the migrations ms (in version
// order); tests use it to make the schema of an older release.
func migrateTo(ctx context.Context, conn *pgx.Conn, set txSettings, ms []migration) error {
	known := ms[len(ms)-1].version
	tx, err := set.begin(ctx, conn, pgx.TxOptions{})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// Fast path without the lock: the schema is there and current.
	cur, err := installedVersion(ctx, tx)
	if err != nil {
		return err
	}
	if cur == known {
		return tx.Commit(ctx)
	}
	if cur < known {
		if err := prepareSchema(ctx, tx, set.schema); err != nil {
			return err
		}
		// Another device may have migrated while this one waited.
		if cur, err = installedVersion(ctx, tx); err != nil {
			return err
		}
	}
	if cur > known {
		return &PermanentError{Err: fmt.Errorf("%w: the server has version %d, this app knows %d; upgrade PacketBuddy on this device", ErrSchemaNewer, cur, known)}
	}
	for _, m := range ms {
		if m.version <= cur {
			continue
		}
		if err := applyMigration(ctx, tx, m); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// installedVersion is the newest migration applied on the server; 0 when
// there is no schema yet.
func installedVersion(ctx context.Context, tx pgx.Tx) (int, error) {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var cur int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&cur); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return cur, nil
}

// prepareSchema takes the migration lock and creates the schema and the
// table of applied migrations when they are missing.
func prepareSchema(ctx context.Context, tx pgx.Tx, schema string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("lock schema: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize()); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY,
		name text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	return nil
}

// applyMigration runs one migration and records it.
func applyMigration(ctx context.Context, tx pgx.Tx, m migration) error {
	if _, err := tx.Exec(ctx, m.body); err != nil {
		return fmt.Errorf("remote migration %s: %w", m.name, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations(version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
		return fmt.Errorf("remote migration %s: %w", m.name, err)
	}
	return nil
}
