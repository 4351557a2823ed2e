package sshd_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"conclave/core"
	sshd "conclave/ssh"
)

func hostKeyOf(t *testing.T, addr string) gossh.PublicKey {
	t.Helper()
	var key gossh.PublicKey
	c, err := dial(addr, "admin", gossh.Password("admin"), dialOpts{hostKey: &key})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	return key
}

func TestHostKeyPersists(t *testing.T) {
	dir := t.TempDir()
	svc := newCore(t, dir, core.LoginLimits{})
	path := filepath.Join(dir, "ssh_host_ed25519_key")

	first := startOn(t, svc, dir, sshd.Options{HostKeyPath: path})
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("host key not written: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("host key mode %o, want 600", fi.Mode().Perm())
	}
	pem1, _ := os.ReadFile(path)
	k1 := hostKeyOf(t, first.addr)
	if k1.Type() != gossh.KeyAlgoED25519 {
		t.Errorf("host key type %s", k1.Type())
	}

	// A restart (a second server on the same data directory) presents the same key.
	second := startOn(t, svc, dir, sshd.Options{HostKeyPath: path})
	k2 := hostKeyOf(t, second.addr)
	if gossh.FingerprintSHA256(k1) != gossh.FingerprintSHA256(k2) {
		t.Errorf("host key changed across restarts: %s then %s", gossh.FingerprintSHA256(k1), gossh.FingerprintSHA256(k2))
	}
	if pem2, _ := os.ReadFile(path); !bytes.Equal(pem1, pem2) {
		t.Error("host key file rewritten on restart")
	}

	// A key left readable by others is tightened, not used as is.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	startOn(t, svc, dir, sshd.Options{HostKeyPath: path})
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("loose host key left at mode %o", fi.Mode().Perm())
	}

	// A corrupt key is an error, not a silently new identity.
	bad := filepath.Join(dir, "bad_key")
	if err := os.WriteFile(bad, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sshd.New(svc, sshd.Options{HostKeyPath: bad}); err == nil {
		t.Error("a corrupt host key was accepted")
	}
}
