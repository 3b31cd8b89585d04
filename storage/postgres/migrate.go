package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/uptrace/bun/migrate"

	"github.com/icclabs/commandcenter/icc"
)

// migrationFiles are the versioned schema changes, applied in name order.
// Files named *.tx.up.sql run in one transaction each.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrateLockKey is the first half of the advisory lock key that serialises
// migrations; the second half is a hash of the schema, so stores in different
// schemas migrate in parallel.
const migrateLockKey = 0x1cc0

// Migrate applies the embedded migrations that the database has not seen.
// Several processes may call it at once: a session-level advisory lock, held
// on a dedicated connection for the whole run, lets one of them migrate while
// the others wait and then find nothing left to do.
func (s *Store) Migrate(ctx context.Context) error {
	migrations := migrate.NewMigrations()
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	if err := migrations.Discover(sub); err != nil {
		return fmt.Errorf("postgres: read embedded migrations: %w", err)
	}

	conn, err := s.db.DB.Conn(ctx)
	if err != nil {
		return icc.Unavailable(err, "postgres: migrate: cannot get a connection")
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1, hashtext(current_schema()))", migrateLockKey); err != nil {
		return dbErr(err, "migrate: lock")
	}
	defer func() {
		// A failed unlock (the connection broke) frees the lock anyway when
		// the session ends, which closing the connection makes sure of.
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1, hashtext(current_schema()))", migrateLockKey); err != nil {
			s.log.WarnContext(ctx, "postgres: migrate: unlock", "err", err)
		}
	}()

	m := migrate.NewMigrator(s.db, migrations, migrate.WithMarkAppliedOnSuccess(true))
	if err := m.Init(ctx); err != nil {
		return dbErr(err, "migrate: init")
	}
	group, err := m.Migrate(ctx)
	if err != nil {
		return dbErr(err, "migrate")
	}
	if len(group.Migrations) > 0 {
		s.log.InfoContext(ctx, "postgres: migrated", "schema", s.schema, "group", group.ID, "migrations", group.Migrations.String())
	}
	return nil
}
