package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"conclave/core"
	"conclave/db"
)

// initialPasswordFile holds the root admin's generated password in the data directory,
// readable only by its owner, until that password is first changed (Jenkins'
// initialAdminPassword): a password printed once is covered at once by the control room,
// and lost with the terminal if the start fails afterwards.
const initialPasswordFile = "initial-admin-password"

// writeInitialPassword writes the generated password to its file (0600) and returns the
// file's path.
func writeInitialPassword(dir, password string) (string, error) {
	path := filepath.Join(dir, initialPasswordFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	// A file left by an older start with a looser mode is made private too.
	err = errors.Join(f.Chmod(0o600), func() error { _, err := f.WriteString(password + "\n"); return err }(), f.Close())
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return path, nil
}

// initialPasswordCurrent reports whether the file at path still holds the root admin's
// password. A missing file is not current; an unreadable one is kept (current).
func initialPasswordCurrent(ctx context.Context, store *db.DB, path string) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return true, err
	}
	u, err := store.GetUser(ctx, core.RootAdminID)
	if err != nil {
		return true, err
	}
	pw := strings.TrimSpace(string(data))
	return bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(pw)) == nil, nil
}

// dropInitialPassword deletes the file when the root admin's password is no longer the
// one in it, and reports whether the file is (still) there.
func dropInitialPassword(ctx context.Context, store *db.DB, path string, log *slog.Logger) bool {
	current, err := initialPasswordCurrent(ctx, store, path)
	if err != nil {
		log.Warn("could not check the initial admin password file", "file", path, "err", err)
	}
	if current {
		return true
	}
	if err := os.Remove(path); err == nil {
		log.Info("the root admin's password was changed: initial password file deleted", "file", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		log.Warn("could not delete the initial admin password file", "file", path, "err", err)
		return true
	}
	return false
}

// watchInitialPassword deletes the initial password file as soon as the root admin's
// password changes, until ctx ends. It checks again after every change of the root admin
// (and after a missed event); the check at each start covers a change it missed.
func watchInitialPassword(ctx context.Context, bus *core.Bus, store *db.DB, path string, log *slog.Logger) {
	sub := bus.Subscribe(16)
	defer sub.Close()
	// A change made before the subscription is found here.
	if !dropInitialPassword(ctx, store, path, log) {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-sub.C:
			if (e.Type == core.EventUserChanged && e.UserID == core.RootAdminID) || e.Type == core.EventResync {
				if !dropInitialPassword(ctx, store, path, log) {
					return
				}
			}
		}
	}
}
