package main

import (
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// secureDataDir creates the data directory 0700 and makes sure that it, and everything in
// it, is private: directories 0700, files 0600 (SPEC 13). The database holds password
// hashes, sessions and the audit log; the signing key and the SSH host key let whoever
// reads them impersonate the server. A looser mode found at start-up (an older Conclave,
// a copy, a restore, a hand-made directory) is tightened and logged rather than refused,
// as the SSH host key already is; one that cannot be tightened stops the start.
func secureDataDir(dir string, log *slog.Logger) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
		want := fs.FileMode(0o600)
		switch {
		case d.IsDir():
			want = 0o700
		case !d.Type().IsRegular():
			return nil // a symbolic link's target is not ours to change
		}
		fi, err := d.Info()
		if err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
		if fi.Mode().Perm()&0o077 == 0 {
			return nil
		}
		if err := os.Chmod(path, want); err != nil {
			return fmt.Errorf("%s is open to others and cannot be restricted: %w", path, err)
		}
		log.Warn("data directory entry was open to others: mode tightened", "path", path,
			"was", fmt.Sprintf("%04o", fi.Mode().Perm()), "now", fmt.Sprintf("%04o", want))
		return nil
	})
}
