package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.up.sql
var migrationFiles embed.FS

// ErrSchemaTooNew matches (errors.Is) the error Open returns for a database a newer
// Conclave has migrated: this one would not know its tables and could damage them.
var ErrSchemaTooNew = errors.New("database schema is newer than this conclave")

// SchemaTooNewError is the error behind ErrSchemaTooNew, with both versions.
type SchemaTooNewError struct {
	Database int // the database's schema version
	Known    int // the newest version this build knows
}

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("database schema version %d is newer than this conclave (knows up to %d): upgrade conclave or use another --data directory",
		e.Database, e.Known)
}

// Is makes errors.Is(err, ErrSchemaTooNew) true.
func (e *SchemaTooNewError) Is(target error) bool { return target == ErrSchemaTooNew }

// migration is one numbered schema change, applied once and for ever.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations are the embedded schema changes in version order, checked to be numbered
// 1, 2, 3… without gaps. A malformed set is a build defect, hence the panic; the tests
// trip it before any release could.
var migrations = mustLoadMigrations(migrationFiles)

func mustLoadMigrations(fsys fs.FS) []migration {
	ms, err := loadMigrations(fsys)
	if err != nil {
		panic(err)
	}
	return ms
}

// loadMigrations reads NNNN_name.up.sql files; fs.Glob returns them sorted by name, and the
// zero-padded number makes name order version order.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.up.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for i, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".up.sql")
		num, label, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || label == "" {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.up.sql", n)
		}
		if v != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", n, i+1)
		}
		body, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: label, sql: string(body)})
	}
	if len(ms) == 0 {
		return nil, errors.New("no migrations embedded")
	}
	return ms, nil
}

// SchemaVersion is the version of the newest migration this build knows.
func SchemaVersion() int { return migrations[len(migrations)-1].version }

// migrate brings the schema up to date, one migration per immediate transaction, so a
// crash leaves the database at a whole version and two processes opening it at once apply
// each migration once. It refuses a database newer than this build.
//
// A future migration that rebuilds a table must turn foreign keys off first, which SQLite
// only allows outside a transaction; give such a migration its own code path then.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for {
		done, err := migrateOne(ctx, db)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the next pending migration, reporting done when none is left.
func migrateOne(ctx context.Context, db *sql.DB) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback() // no-op after Commit

	var current int
	if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&current); err != nil {
		return false, fmt.Errorf("read schema version: %w", err)
	}
	newest := SchemaVersion()
	if current > newest {
		return false, &SchemaTooNewError{Database: current, Known: newest}
	}
	if current == newest {
		return true, tx.Commit()
	}
	m := migrations[current] // versions are 1..N, so the next one sits at index current
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
	}
	if _, err := tx.ExecContext(ctx,
		"INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
		m.version, m.name, time.Now().UnixMilli()); err != nil {
		return false, fmt.Errorf("record migration %04d_%s: %w", m.version, m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migration %04d_%s: commit: %w", m.version, m.name, err)
	}
	return false, nil
}
