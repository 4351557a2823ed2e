package db

// This file implements core.APIKeyStore on the api_keys table.

import (
	"context"
	"fmt"

	"conclave/core"
)

var _ core.APIKeyStore = (*store)(nil)

const apiKeyCols = `id, name, hash, creation_date, created_by, last_used`

func scanAPIKey(sc scanner) (core.APIKey, error) {
	var k core.APIKey
	err := sc.Scan(&k.ID, &k.Name, &k.Hash, &k.CreationDate, &k.CreatedBy, &k.LastUsed)
	return k, err
}

// CreateAPIKey inserts k; an existing id gives core.ErrDuplicate.
func (s *store) CreateAPIKey(ctx context.Context, k *core.APIKey) error {
	hash := k.Hash
	if hash == nil {
		hash = []byte{} // go-sqlite3 binds a nil slice as NULL
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO api_keys (`+apiKeyCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		k.ID, k.Name, hash, k.CreationDate, k.CreatedBy, k.LastUsed)
	return mapErr(err, fmt.Sprintf("create API key %q", k.ID))
}

// GetAPIKey returns the key, core.ErrNoRows when there is none.
func (s *store) GetAPIKey(ctx context.Context, id string) (*core.APIKey, error) {
	k, err := scanAPIKey(s.r.QueryRowContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE id = ?`, id))
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("get API key %q", id))
	}
	return &k, nil
}

// ListAPIKeys lists every key, oldest first (the oldest signs webhooks); keys made in the
// same millisecond are in the order they were made (rowid), not by their random ids.
func (s *store) ListAPIKeys(ctx context.Context) ([]core.APIKey, error) {
	return queryAll(ctx, s.r, "list API keys", scanAPIKey,
		`SELECT `+apiKeyCols+` FROM api_keys ORDER BY creation_date, rowid`)
}

// DeleteAPIKey revokes a key.
func (s *store) DeleteAPIKey(ctx context.Context, id string) error {
	return execOne(ctx, s.w, fmt.Sprintf("delete API key %q", id), `DELETE FROM api_keys WHERE id = ?`, id)
}

// TouchAPIKey records a use of the key. Concurrent requests may report their uses out of
// order, so the time only ever moves forward.
func (s *store) TouchAPIKey(ctx context.Context, id string, when int64) error {
	return execOne(ctx, s.w, fmt.Sprintf("touch API key %q", id),
		`UPDATE api_keys SET last_used = max(last_used, ?) WHERE id = ?`, when, id)
}
