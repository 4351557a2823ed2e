package db

// This file implements core.SigningKeyStore: the token signing secret lives in a file of
// its own beside the database, not in it.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"conclave/core"
)

var _ core.SigningKeyStore = (*DB)(nil)

// SigningKeyFile is the name of the token signing secret's file, in the database's
// directory (the data directory).
const SigningKeyFile = "token_signing_key"

// legacyKeySetting is the settings row where Conclave kept the secret before it had a file.
const legacyKeySetting = "jwt_secret"

// SigningKey returns the HS256 secret every token is signed with, creating its file (0600,
// atomically, once) on first use. Whoever holds the secret can mint any token, so it is
// kept out of the database: a backup or a copy of conclave.db then gives no way to sign
// in to the live server, and deleting the file (server stopped) revokes every token.
//
// A secret an earlier Conclave kept in the settings table moves to the file, so tokens
// already handed out stay valid, and is then erased from the database.
func (d *DB) SigningKey(ctx context.Context) ([]byte, error) {
	path := filepath.Join(filepath.Dir(d.path), SigningKeyFile)
	key, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		var seed []byte
		v, gerr := d.GetSetting(ctx, legacyKeySetting)
		switch {
		case gerr == nil:
			if seed, err = hex.DecodeString(v); err != nil || len(seed) < 32 {
				return nil, fmt.Errorf("token signing key in the settings table is corrupt")
			}
		case errors.Is(gerr, core.ErrNoRows):
			seed = make([]byte, 32)
			if _, err := rand.Read(seed); err != nil {
				return nil, err
			}
		default:
			return nil, gerr
		}
		if err := writeKeyFile(path, seed); err != nil {
			return nil, err
		}
		// Another process may have linked its file first: the file on disk wins.
		key, err = readKeyFile(path)
	}
	if err != nil {
		return nil, err
	}
	// Also after a crash between writing the file and erasing the row.
	if err := d.eraseLegacyKey(ctx); err != nil {
		return nil, err
	}
	return key, nil
}

// readKeyFile reads and checks the key file, tightening its mode if it was loosened.
func readKeyFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("token signing key %s is corrupt: delete it to make a new one (every token is then refused)", path)
	}
	if err := tighten(path); err != nil {
		return nil, err
	}
	return key, nil
}

// writeKeyFile creates the key file with mode 0600 through a temporary file linked into
// place: a crash never leaves half a key, and of two processes starting at once the first
// link wins and both use its key.
func writeKeyFile(path string, key []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+SigningKeyFile+"-*")
	if err != nil {
		return fmt.Errorf("write token signing key: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.WriteString(hex.EncodeToString(key) + "\n")
	err = errors.Join(werr, tmp.Chmod(privateFile), tmp.Sync(), tmp.Close())
	if err != nil {
		return fmt.Errorf("write token signing key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("write token signing key: %w", err)
	}
	// The link must survive a crash as well as the file's contents, or tokens signed with
	// this key would be refused after a restart.
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("write token signing key: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// eraseLegacyKey deletes the settings row of the old secret. secure_delete overwrites the
// freed bytes and the checkpoint folds the WAL (which holds the page as it was) back and
// truncates it, so no copy of the database carries the secret afterwards.
func (d *DB) eraseLegacyKey(ctx context.Context) error {
	conn, err := d.writer.Conn(ctx)
	if err != nil {
		return fmt.Errorf("erase old token signing key: %w", err)
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM settings WHERE key = ?`, legacyKeySetting).Scan(&n); err != nil || n == 0 {
		return mapErr(err, "erase old token signing key")
	}
	var secure int
	if err := conn.QueryRowContext(ctx, `PRAGMA secure_delete`).Scan(&secure); err != nil {
		return fmt.Errorf("erase old token signing key: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
		return fmt.Errorf("erase old token signing key: %w", err)
	}
	_, err = conn.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, legacyKeySetting)
	restore := map[int]string{0: "OFF", 1: "ON", 2: "FAST"}[secure]
	if restore == "" {
		restore = "OFF"
	}
	_, rerr := conn.ExecContext(ctx, `PRAGMA secure_delete = `+restore)
	if err = errors.Join(err, rerr); err != nil {
		return fmt.Errorf("erase old token signing key: %w", err)
	}
	// Best effort: a reader mid-transaction keeps the WAL from being truncated now; the
	// next checkpoint (at the latest on close) gets it.
	_, _ = conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return nil
}
