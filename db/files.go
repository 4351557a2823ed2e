package db

// This file keeps the database's files private: they hold password hashes, sessions, API
// key hashes and the audit log, so only the server's own user may read them (SPEC 13).

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// privateFile is the mode of every file of the database.
const privateFile fs.FileMode = 0o600

// privateFiles makes the database file at path, and its -wal and -shm files, 0600. A new
// database file is created here, before SQLite opens it, because SQLite creates the -wal
// and -shm files with the permissions of the database file: left to SQLite, all three
// would be 0644 under the usual umask. Files found looser (from an older Conclave, a copy,
// a restore) are tightened; the server's start-up has already said so in its log
// (secureDataDir in main), so here it is silent and only covers other openers.
func privateFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, privateFile)
	switch {
	case err == nil:
		// The umask can only take bits away, and SQLite needs both of the owner's.
		err = errors.Join(f.Chmod(privateFile), f.Close())
		if err != nil {
			return err
		}
	case !errors.Is(err, fs.ErrExist):
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := tighten(p); err != nil {
			return err
		}
	}
	return nil
}

// tighten sets a file that others may read or write to 0600; a missing file is fine.
func tighten(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(path, privateFile); err != nil {
		return fmt.Errorf("%s is readable by others and cannot be restricted: %w", path, err)
	}
	return nil
}
