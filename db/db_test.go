package db

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"conclave/core"
)

func TestOpenSettings(t *testing.T) {
	d := openTest(t)
	checks := []struct {
		db     *sql.DB
		pragma string
		want   string
	}{
		{d.writer, "journal_mode", "wal"},
		{d.writer, "synchronous", "2"}, // FULL
		{d.writer, "foreign_keys", "1"},
		{d.writer, "busy_timeout", "5000"},
		{d.reader, "query_only", "1"},
		{d.reader, "foreign_keys", "1"},
		{d.reader, "busy_timeout", "5000"},
	}
	for _, c := range checks {
		var got string
		must(t, c.db.QueryRow("PRAGMA "+c.pragma).Scan(&got))
		if got != c.want {
			t.Errorf("PRAGMA %s = %q, want %q", c.pragma, got, c.want)
		}
	}
	if _, err := d.reader.Exec("INSERT INTO settings (key, value) VALUES ('x', 'y')"); err == nil {
		t.Error("the read pool accepted a write")
	}
}

func TestOpenBadPath(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "missing-dir", "conclave.db"))
	if err == nil {
		t.Fatal("Open in a missing directory succeeded")
	}
	if !strings.Contains(err.Error(), "missing-dir") {
		t.Errorf("error does not name the path: %v", err)
	}
}

func TestOpenOddFileName(t *testing.T) {
	// Characters that mean something in a file: URI must still name a plain file.
	path := filepath.Join(t.TempDir(), "a?b#c%d.db")
	d, err := Open(path)
	must(t, err)
	must(t, d.PutSetting(bg, "k", "v"))
	must(t, d.Close())
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not created at %q: %v", path, err)
	}
}

func TestMigrationsTwiceNoop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "conclave.db")
	read := func() [][3]any {
		d, err := Open(path)
		must(t, err)
		defer d.Close()
		rows, err := d.reader.Query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
		must(t, err)
		defer rows.Close()
		var out [][3]any
		for rows.Next() {
			var v, at int64
			var name string
			must(t, rows.Scan(&v, &name, &at))
			out = append(out, [3]any{v, name, at})
		}
		must(t, rows.Err())
		return out
	}
	first := read()
	second := read()
	if len(first) != SchemaVersion() {
		t.Fatalf("%d migrations recorded, want %d: %v", len(first), SchemaVersion(), first)
	}
	for i, r := range first {
		if r[0] != int64(i+1) {
			t.Errorf("row %d has version %v", i, r[0])
		}
	}
	if !reflect.DeepEqual(first, second) {
		t.Errorf("second open changed schema_migrations:\n%v\n%v", first, second)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "conclave.db")
	d, err := Open(path)
	must(t, err)
	newer := SchemaVersion() + 4
	_, err = d.writer.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 0)", newer)
	must(t, err)
	must(t, d.Close())

	_, err = Open(path)
	if err == nil {
		t.Fatal("Open accepted a database from a newer conclave")
	}
	want := "database schema version " + strconv.Itoa(newer) + " is newer than this conclave (knows up to " +
		strconv.Itoa(SchemaVersion()) + "): upgrade conclave or use another --data directory"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q, want it to contain %q", err, want)
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("error does not match ErrSchemaTooNew: %v", err)
	}
}

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	cases := []struct {
		name  string
		fs    fstest.MapFS
		valid bool
	}{
		{"ordered", fstest.MapFS{"migrations/0001_a.up.sql": file("x"), "migrations/0002_b.up.sql": file("y")}, true},
		{"gap", fstest.MapFS{"migrations/0001_a.up.sql": file("x"), "migrations/0003_c.up.sql": file("y")}, false},
		{"not starting at 1", fstest.MapFS{"migrations/0002_b.up.sql": file("y")}, false},
		{"no name", fstest.MapFS{"migrations/0001.up.sql": file("x")}, false},
		{"not a number", fstest.MapFS{"migrations/one_a.up.sql": file("x")}, false},
		{"empty", fstest.MapFS{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadMigrations(c.fs)
			if (err == nil) != c.valid {
				t.Errorf("loadMigrations error = %v, want valid=%v", err, c.valid)
			}
		})
	}
	if SchemaVersion() != len(migrations) || SchemaVersion() < 3 {
		t.Errorf("SchemaVersion() = %d with %d migrations", SchemaVersion(), len(migrations))
	}
}

func TestDataSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "conclave.db")
	d, err := Open(path)
	must(t, err)
	must(t, d.CreateUser(bg, sampleUser("alice")))
	must(t, d.CreateRoom(bg, sampleRoom("r1")))
	must(t, d.PutSetting(bg, "jwt_secret", "s3cret"))
	must(t, d.Close())
	if _, err := os.Stat(path + "-wal"); err == nil {
		if fi, _ := os.Stat(path + "-wal"); fi.Size() != 0 {
			t.Errorf("WAL not checkpointed on close: %d bytes left", fi.Size())
		}
	}

	d, err = Open(path)
	must(t, err)
	defer d.Close()
	if _, err := d.GetUser(bg, "alice"); err != nil {
		t.Errorf("user lost over reopen: %v", err)
	}
	if _, err := d.GetRoom(bg, "r1"); err != nil {
		t.Errorf("room lost over reopen: %v", err)
	}
	if v, err := d.GetSetting(bg, "jwt_secret"); err != nil || v != "s3cret" {
		t.Errorf("setting = %q, %v", v, err)
	}
}

func TestCloseTwice(t *testing.T) {
	d, err := Open(filepath.Join(t.TempDir(), "conclave.db"))
	must(t, err)
	must(t, d.Close())
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestBackup(t *testing.T) {
	d := openTest(t)
	must(t, d.CreateUser(bg, sampleUser("alice")))
	must(t, d.CreateRoom(bg, sampleRoom("r1")))
	must(t, d.CreateMember(bg, sampleMember("r1", "alice")))

	// A transaction left open must not block the backup, nor leak into it.
	started, release, finished := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		finished <- d.InTx(bg, func(tx core.Store) error {
			if err := tx.CreateUser(bg, sampleUser("uncommitted")); err != nil {
				return err
			}
			close(started)
			<-release
			return errors.New("roll back")
		})
	}()
	<-started
	dest := filepath.Join(t.TempDir(), "backup.db")
	err := d.Backup(bg, dest)
	close(release)
	<-finished
	must(t, err)

	b, err := Open(dest)
	must(t, err)
	defer b.Close()
	if got, err := b.GetRoom(bg, "r1"); err != nil || !reflect.DeepEqual(got, sampleRoom("r1")) {
		t.Errorf("room in backup = %+v, %v", got, err)
	}
	if _, err := b.GetMember(bg, "r1", "alice"); err != nil {
		t.Errorf("member in backup: %v", err)
	}
	if _, err := b.GetUser(bg, "uncommitted"); !errors.Is(err, core.ErrNoRows) {
		t.Errorf("uncommitted user in backup: %v", err)
	}

	if err := d.Backup(bg, dest); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("backup over an existing file: %v", err)
	}
}
