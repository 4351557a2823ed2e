package db

// This file implements core.SSHKeyStore on the ssh_keys table.

import (
	"context"
	"fmt"

	"conclave/core"
)

var _ core.SSHKeyStore = (*store)(nil)

const sshKeyCols = `id, user_id, fingerprint, type, comment, public_key, added, last_used`

func scanSSHKey(sc scanner) (core.SSHKey, error) {
	var k core.SSHKey
	err := sc.Scan(&k.ID, &k.UserID, &k.Fingerprint, &k.Type, &k.Comment, &k.PublicKey, &k.Added, &k.LastUsed)
	return k, err
}

// CreateSSHKey adds a key; the same key twice for one user gives core.ErrDuplicate, a
// missing user core.ErrNoRows.
func (s *store) CreateSSHKey(ctx context.Context, k *core.SSHKey) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO ssh_keys (`+sshKeyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.UserID, k.Fingerprint, k.Type, k.Comment, k.PublicKey, k.Added, k.LastUsed)
	return mapErr(err, fmt.Sprintf("create SSH key for %q", k.UserID))
}

// ListSSHKeys lists a user's keys, oldest first.
func (s *store) ListSSHKeys(ctx context.Context, userID string) ([]core.SSHKey, error) {
	return queryAll(ctx, s.r, fmt.Sprintf("list SSH keys of %q", userID), scanSSHKey,
		`SELECT `+sshKeyCols+` FROM ssh_keys WHERE user_id = ? ORDER BY added, id`, userID)
}

// FindSSHKey returns the user's key with that fingerprint, core.ErrNoRows when none.
func (s *store) FindSSHKey(ctx context.Context, userID, fingerprint string) (*core.SSHKey, error) {
	k, err := scanSSHKey(s.r.QueryRowContext(ctx,
		`SELECT `+sshKeyCols+` FROM ssh_keys WHERE user_id = ? AND fingerprint = ?`, userID, fingerprint))
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("find SSH key of %q", userID))
	}
	return &k, nil
}

// DeleteSSHKey removes one of the user's keys.
func (s *store) DeleteSSHKey(ctx context.Context, userID, id string) error {
	return execOne(ctx, s.w, fmt.Sprintf("delete SSH key %q", id),
		`DELETE FROM ssh_keys WHERE user_id = ? AND id = ?`, userID, id)
}

// TouchSSHKey records a use of the key; the time only moves forward.
func (s *store) TouchSSHKey(ctx context.Context, id string, when int64) error {
	return execOne(ctx, s.w, fmt.Sprintf("touch SSH key %q", id),
		`UPDATE ssh_keys SET last_used = max(last_used, ?) WHERE id = ?`, when, id)
}
