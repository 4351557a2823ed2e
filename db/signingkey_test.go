package db

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestSigningKeyFile(t *testing.T) {
	usualUmask(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "conclave.db")
	d, err := Open(path)
	must(t, err)
	key, err := d.SigningKey(bg)
	must(t, err)
	if len(key) != 32 {
		t.Fatalf("key of %d bytes", len(key))
	}
	file := filepath.Join(dir, SigningKeyFile)
	wantMode(t, file, 0o600)
	data, err := os.ReadFile(file)
	must(t, err)
	if strings.TrimSpace(string(data)) != hex.EncodeToString(key) {
		t.Fatalf("file holds %q, not the key", data)
	}
	if _, err := d.GetSetting(bg, legacyKeySetting); err == nil {
		t.Error("the key is in the settings table too")
	}
	must(t, d.Close())

	// The same key after a restart, from every process, and a loosened file is tightened.
	must(t, os.Chmod(file, 0o644))
	d, err = Open(path)
	must(t, err)
	defer d.Close()
	var wg sync.WaitGroup
	keys := make([][]byte, 4)
	for i := range keys {
		wg.Go(func() {
			o, err := Open(path)
			if err != nil {
				t.Error(err)
				return
			}
			defer o.Close()
			keys[i], err = o.SigningKey(bg)
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i, k := range keys {
		if !bytes.Equal(k, key) {
			t.Errorf("process %d got another key", i)
		}
	}
	wantMode(t, file, 0o600)

	must(t, os.WriteFile(file, []byte("not hex\n"), 0o600))
	if _, err := d.SigningKey(bg); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("corrupt key file: %v", err)
	}
}

// TestSigningKeyLeavesDatabase: a secret an earlier Conclave kept in the settings table
// moves to the file (tokens already out keep working) and leaves no trace in the database
// file, so a copy of it cannot mint tokens.
func TestSigningKeyLeavesDatabase(t *testing.T) {
	usualUmask(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "conclave.db")
	old := strings.Repeat("5e", 16) + strings.Repeat("c7", 16)
	d, err := Open(path)
	must(t, err)
	must(t, d.PutSetting(bg, legacyKeySetting, old))
	must(t, d.CreateUser(bg, sampleUser("alice")))
	must(t, d.Close())

	d, err = Open(path)
	must(t, err)
	key, err := d.SigningKey(bg)
	must(t, err)
	if hex.EncodeToString(key) != old {
		t.Fatalf("key %x, want the one from the settings table", key)
	}
	if _, err := d.GetSetting(bg, legacyKeySetting); err == nil {
		t.Error("old secret still in the settings table")
	}
	// A backup taken now has no key either.
	backup := filepath.Join(t.TempDir(), "backup.db")
	must(t, d.Backup(bg, backup))
	must(t, d.Close())
	for _, p := range []string{path, backup} {
		data, err := os.ReadFile(p)
		must(t, err)
		if bytes.Contains(data, []byte(old)) {
			t.Errorf("%s still holds the old secret's bytes", filepath.Base(p))
		}
	}
	wantMode(t, filepath.Join(dir, SigningKeyFile), 0o600)
}
