package sshd

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	gossh "golang.org/x/crypto/ssh"
)

// loadHostKey reads the server's host key from path, generating an Ed25519 key there the
// first time. The key must survive restarts: clients pin it in known_hosts, and a new key
// would make every one of them warn about a man in the middle.
func loadHostKey(path string, log *slog.Logger) (gossh.Signer, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := writeHostKey(path); err != nil {
			return nil, err
		}
		log.Info("ssh host key generated", "path", path)
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read ssh host key: %w", err)
	}
	signer, err := gossh.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("ssh host key %s: %w", path, err)
	}
	// A private key others can read is a key others can impersonate the server with;
	// tighten it rather than refuse to start, and say so.
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return nil, fmt.Errorf("ssh host key %s is readable by others and cannot be restricted: %w", path, err)
		}
		log.Warn("ssh host key was readable by others: mode set to 0600", "path", path)
	}
	return signer, nil
}

// writeHostKey creates a new Ed25519 key at path with mode 0600. It writes a temporary
// file and links it into place, so that a crash never leaves half a key behind and two
// processes starting at once end up with the same key.
func writeHostKey(path string) error {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("generate ssh host key: %w", err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "conclave host key")
	if err != nil {
		return fmt.Errorf("encode ssh host key: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create directory for ssh host key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".ssh_host_key-*")
	if err != nil {
		return fmt.Errorf("write ssh host key: %w", err)
	}
	defer os.Remove(tmp.Name())
	// CreateTemp already makes the file 0600; Chmod guards against an unusual umask policy.
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write ssh host key: %w", err)
	}
	if _, err := tmp.Write(pem.EncodeToMemory(block)); err != nil {
		tmp.Close()
		return fmt.Errorf("write ssh host key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write ssh host key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write ssh host key: %w", err)
	}
	// Link fails if another process created the key meanwhile; theirs wins.
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("write ssh host key: %w", err)
	}
	return nil
}
