package db

// This file implements core.ShareLinkStore on the recording_shares table.

import (
	"context"
	"fmt"

	"conclave/core"
)

var _ core.ShareLinkStore = (*store)(nil)

const shareCols = `link_id, recording_id, room_id, secret_hash, access, password_hash, allow_download,
	expires_at, max_uses, uses, last_used, created_at, created_by, revoked_at, revoked_by, origin`

func scanShare(sc scanner) (core.ShareLink, error) {
	var l core.ShareLink
	err := sc.Scan(&l.LinkID, &l.RecordingID, &l.RoomID, &l.SecretHash, &l.Access, &l.PasswordHash, &l.AllowDownload,
		&l.ExpiresAt, &l.MaxUses, &l.Uses, &l.LastUsed, &l.CreatedAt, &l.CreatedBy, &l.RevokedAt, &l.RevokedBy, &l.Origin)
	return l, err
}

// CreateShareLink inserts l; an existing id gives core.ErrDuplicate.
func (s *store) CreateShareLink(ctx context.Context, l *core.ShareLink) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO recording_shares (`+shareCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		l.LinkID, l.RecordingID, l.RoomID, l.SecretHash, l.Access, l.PasswordHash, l.AllowDownload,
		l.ExpiresAt, l.MaxUses, l.Uses, l.LastUsed, l.CreatedAt, l.CreatedBy, l.RevokedAt, l.RevokedBy, l.Origin)
	return mapErr(err, fmt.Sprintf("create share link %q", l.LinkID))
}

// GetShareLink returns the link, core.ErrNoRows when there is none.
func (s *store) GetShareLink(ctx context.Context, id string) (*core.ShareLink, error) {
	l, err := scanShare(s.r.QueryRowContext(ctx, `SELECT `+shareCols+` FROM recording_shares WHERE link_id = ?`, id))
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("get share link %q", id))
	}
	return &l, nil
}

var shareSorts = map[string]column[core.ShareLink]{
	"createdAt": {keyCol{"created_at", false}, func(l *core.ShareLink) any { return l.CreatedAt }},
}

var shareTie = column[core.ShareLink]{keyCol{"link_id", true}, func(l *core.ShareLink) any { return l.LinkID }}

// ListShareLinks lists a recording's links, newest first.
func (s *store) ListShareLinks(ctx context.Context, q core.ShareLinkQuery) (core.Page[core.ShareLink], error) {
	o, keyOf, err := orderFor("shares", q.ListOptions, "createdAt", shareSorts, shareTie)
	if err != nil {
		return core.Page[core.ShareLink]{}, fmt.Errorf("list share links: %w", err)
	}
	var w where
	w.add("recording_id = ?", q.RecordingID)
	return listPage(ctx, s.r, "list share links", `SELECT `+shareCols+` FROM recording_shares`, w, o, keyOf, q.ListOptions, scanShare)
}

// CountLiveShareLinks counts a recording's links neither revoked nor expired at now.
func (s *store) CountLiveShareLinks(ctx context.Context, recordingID string, now int64) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM recording_shares
		WHERE recording_id = ? AND revoked_at = 0 AND (expires_at = 0 OR expires_at > ?)`, recordingID, now).Scan(&n)
	return n, mapErr(err, fmt.Sprintf("count share links of %q", recordingID))
}

// UseShareLink counts one use while the link is in force and not used up.
func (s *store) UseShareLink(ctx context.Context, id string, now int64) error {
	return execOne(ctx, s.w, fmt.Sprintf("use share link %q", id), `UPDATE recording_shares
		SET uses = uses + 1, last_used = ?
		WHERE link_id = ? AND revoked_at = 0 AND (expires_at = 0 OR expires_at > ?) AND (max_uses = 0 OR uses < max_uses)`,
		now, id, now)
}

// RevokeShareLink revokes a link still in force.
func (s *store) RevokeShareLink(ctx context.Context, id string, now int64, by string) error {
	return execOne(ctx, s.w, fmt.Sprintf("revoke share link %q", id),
		`UPDATE recording_shares SET revoked_at = ?, revoked_by = ? WHERE link_id = ? AND revoked_at = 0`, max(now, 1), by, id)
}

// RevokeShareLinks revokes every unrevoked link of a recording and returns their ids.
func (s *store) RevokeShareLinks(ctx context.Context, recordingID string, now int64, by string) ([]string, error) {
	what := fmt.Sprintf("revoke share links of %q", recordingID)
	ids, err := queryAll(ctx, s.w, what, func(sc scanner) (string, error) {
		var id string
		return id, sc.Scan(&id)
	}, `UPDATE recording_shares SET revoked_at = ?, revoked_by = ? WHERE recording_id = ? AND revoked_at = 0 RETURNING link_id`,
		max(now, 1), by, recordingID)
	return ids, err
}
