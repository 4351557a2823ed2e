package db

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// usualUmask runs the test under umask 022, under which SQLite alone makes 0644 files.
func usualUmask(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %04o, want %04o", filepath.Base(path), got, want)
	}
}

func TestDatabaseFilesArePrivate(t *testing.T) {
	usualUmask(t)
	path := filepath.Join(t.TempDir(), "conclave.db")
	d, err := Open(path)
	must(t, err)
	defer d.Close()
	must(t, d.CreateUser(bg, sampleUser("alice"))) // the WAL and its index exist now
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		wantMode(t, p, 0o600)
	}

	// Files loosened meanwhile (a copy, a restore, an older Conclave) are tightened by the
	// next open.
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		must(t, os.Chmod(p, 0o644))
	}
	again, err := Open(path)
	must(t, err)
	defer again.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		wantMode(t, p, 0o600)
	}

	dest := filepath.Join(t.TempDir(), "backup.db")
	must(t, d.Backup(bg, dest))
	wantMode(t, dest, 0o600)
}
