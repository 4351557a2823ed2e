// Package db keeps Conclave's records in SQLite: it implements core.Store on one database
// file opened in WAL mode, with embedded numbered migrations.
//
// Each of core.Store's per-concern interfaces is implemented in the file of its table
// (core.UserStore in users.go, core.RoomStore in rooms.go, …), which asserts so at compile
// time. A new table comes with its migration in migrations/ and its own file here.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"conclave/core"

	"github.com/mattn/go-sqlite3"
)

// driverName is the database/sql driver this package registers: go-sqlite3 plus the
// REGEXP function every connection needs for regex filters.
const driverName = "conclave_sqlite3"

func init() {
	// database/sql keeps drivers in its own registry and panics on a second registration,
	// so registering once at init is the only safe place.
	sql.Register(driverName, &sqlite3.SQLiteDriver{ConnectHook: registerFunctions})
}

// Compile-time check that both the database and its transaction-bound view are whole
// Stores; each concern's file checks its own interface on store.
var (
	_ core.Store = (*DB)(nil)
	_ core.Store = (*store)(nil)
)

// DB is an open Conclave database. It is safe for concurrent use.
type DB struct {
	store
	path      string
	uri       string  // file: URI of the database, without parameters
	writer    *sql.DB // the only connection that writes: SQLite has one writer at a time anyway
	reader    *sql.DB // read-only pool, so reads never queue behind a write transaction
	readStmts *stmtCache
	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the database file at path, brings its schema up to date
// and refuses a database written by a newer Conclave. The database's files are made 0600.
func Open(path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("open database: empty path")
	}
	if err := privateFiles(path); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	ctx := context.Background()
	base := "file:" + escapeURIPath(path)
	// synchronous=FULL must come after journal_mode=WAL: go-sqlite3 lowers it to NORMAL
	// when it sees WAL, and NORMAL may lose the last commits on power loss. A revoked key
	// or a deleted user coming back after a crash is not acceptable.
	writer, err := sql.Open(driverName, base+
		"?_journal_mode=WAL&_synchronous=FULL&_foreign_keys=on&_busy_timeout=5000&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	if err := checkWAL(ctx, writer); err != nil {
		writer.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := migrate(ctx, writer); err != nil {
		writer.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// query_only rather than mode=ro: read-only opens of a WAL database come with extra
	// conditions on the -wal and -shm files (SQLite's wal.html, "Read-Only Databases"),
	// while a query_only connection opens the file exactly like the writer and only refuses
	// changes.
	reader, err := sql.Open(driverName, base+"?_query_only=on&_foreign_keys=on&_busy_timeout=5000")
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	n := min(max(runtime.NumCPU(), 2), 8)
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	if err := reader.PingContext(ctx); err != nil {
		reader.Close()
		writer.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	d := &DB{path: path, uri: base, writer: writer, reader: reader, readStmts: newStmtCache(reader)}
	d.store = store{w: writer, r: d.readStmts, begin: writer}
	return d, nil
}

// checkWAL makes sure the journal really is WAL: SQLite silently keeps another mode on
// file systems that cannot share memory, and then readers would block the writer.
func checkWAL(ctx context.Context, db *sql.DB) error {
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, not wal: the file system may not support WAL", mode)
	}
	return nil
}

// escapeURIPath escapes the characters that would end or corrupt the path part of a
// file: URI, so any file name works.
func escapeURIPath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// Path is the database file's path as given to Open.
func (d *DB) Path() string { return d.path }

// Close checkpoints the WAL into the main file and closes every connection. Calling it
// again returns the first result.
func (d *DB) Close() error {
	d.closeOnce.Do(func() {
		d.readStmts.close()
		rerr := d.reader.Close()
		// Fold the WAL back into the database so the file alone is a complete copy once
		// the server is down (and the -wal file does not linger at its largest size).
		_, cerr := d.writer.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)")
		werr := d.writer.Close()
		d.closeErr = errors.Join(rerr, cerr, werr)
	})
	return d.closeErr
}

// Backup writes a consistent copy of the database to dest while the server runs. dest must
// not exist yet; the copy is 0600, as private as the database.
func (d *DB) Backup(ctx context.Context, dest string) (err error) {
	abs, err := filepath.Abs(dest)
	if err != nil {
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	// VACUUM INTO would create the file under the umask; it also accepts an empty file,
	// so the copy gets its mode from here (and no other process can slip in a file).
	f, err := os.OpenFile(abs, os.O_WRONLY|os.O_CREATE|os.O_EXCL, privateFile)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("backup to %s: file already exists", dest)
	} else if err != nil {
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	if err := errors.Join(f.Chmod(privateFile), f.Close()); err != nil {
		os.Remove(abs)
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	defer func() {
		if err != nil {
			os.Remove(abs) // no half or empty copy that looks like a backup
		}
	}()
	// VACUUM INTO reads one snapshot, so writers carry on meanwhile. It needs a connection
	// of its own: the writer would hold up every write for the whole copy, and query_only
	// readers refuse it (it writes, if only to another file). The path is absolute so
	// SQLite never mistakes it for a file: URI.
	conn, err := sql.Open(driverName, d.uri+"?_busy_timeout=5000")
	if err != nil {
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	_, err = conn.ExecContext(ctx, "VACUUM INTO ?", abs)
	if cerr := conn.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	// VACUUM INTO does not fsync its output; a backup that a crash can truncate is no backup.
	f, err = os.Open(abs)
	if err != nil {
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	serr := f.Sync()
	cerr := f.Close()
	if err = errors.Join(serr, cerr); err != nil {
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	return nil
}
