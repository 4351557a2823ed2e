package db

// This file implements core.SettingStore on the settings table.

import (
	"context"
	"fmt"

	"conclave/core"
)

var _ core.SettingStore = (*store)(nil)

// GetSetting returns a server setting, core.ErrNoRows when it is unset.
func (s *store) GetSetting(ctx context.Context, key string) (string, error) {
	var v string
	if err := s.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v); err != nil {
		return "", mapErr(err, fmt.Sprintf("get setting %q", key))
	}
	return v, nil
}

// PutSetting sets a server setting, replacing any previous value.
func (s *store) PutSetting(ctx context.Context, key, value string) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return mapErr(err, fmt.Sprintf("put setting %q", key))
}
