package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// privateModes lists every entry of dir (dir included) whose mode is not 0700 for a
// directory or 0600 for a file.
func privateModes(t *testing.T, dir string) (wrong []string, files int) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		} else {
			files++
		}
		if fi.Mode().Perm() != want {
			wrong = append(wrong, p+" is "+fi.Mode().Perm().String())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return wrong, files
}

// TestDataDirectoryIsPrivate runs the real `conclave serve` on a fresh data directory under
// the usual umask: the directory is 0700 and every file in it (the database and its -wal
// and -shm, the SSH host key, the token signing key) 0600. Modes loosened while it was
// stopped are repaired at the next start, and the log says so.
func TestDataDirectoryIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data") // not there yet: serve creates it
	base, stop := startServer(t, testConfig(t, dir))
	// A sign-in writes (a session, an audit line), so the WAL is in use.
	call(t, "POST", base+"/internal-api/v1/auth/login", "", map[string]string{"userId": "admin", "password": "admin"}, 200)
	wrong, files := privateModes(t, dir)
	for _, name := range []string{"conclave.db", "conclave.db-wal", "conclave.db-shm", "ssh_host_ed25519_key", "token_signing_key"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if len(wrong) > 0 || files < 5 {
		t.Fatalf("while running, %d files, not private: %v", files, wrong)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	db := filepath.Join(dir, "conclave.db")
	for p, mode := range map[string]os.FileMode{dir: 0o755, db: 0o644, filepath.Join(dir, "token_signing_key"): 0o640} {
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	base, stop, out := startServerOut(t, testConfig(t, dir))
	defer stop()
	call(t, "POST", base+"/internal-api/v1/auth/login", "", map[string]string{"userId": "admin", "password": "admin"}, 200)
	if wrong, _ := privateModes(t, dir); len(wrong) > 0 {
		t.Fatalf("after a restart on loosened modes, not private: %v", wrong)
	}
	log := out.String()
	for _, p := range []string{dir, db} {
		if !strings.Contains(log, "mode tightened\" path="+p+" was=") {
			t.Errorf("no warning about %s in the log:\n%s", p, log)
		}
	}
}
