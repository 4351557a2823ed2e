package db

// This file implements core.SessionStore on the sessions table.

import (
	"context"
	"fmt"

	"conclave/core"
)

var _ core.SessionStore = (*store)(nil)

const sessionCols = `id, user_id, refresh_jti, created, expires, source, device`

func scanSession(sc scanner) (core.Session, error) {
	var s core.Session
	err := sc.Scan(&s.ID, &s.UserID, &s.RefreshJTI, &s.Created, &s.Expires, &s.Source, &s.Device)
	return s, err
}

// CreateSession inserts a session. An existing id gives core.ErrDuplicate; a user that does
// not exist gives core.ErrNoRows (sessions reference their user).
func (s *store) CreateSession(ctx context.Context, x *core.Session) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		x.ID, x.UserID, x.RefreshJTI, x.Created, x.Expires, x.Source, x.Device)
	return mapErr(err, fmt.Sprintf("create session %q", x.ID))
}

// GetSession returns the session, core.ErrNoRows when there is none.
func (s *store) GetSession(ctx context.Context, id string) (*core.Session, error) {
	x, err := scanSession(s.r.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id = ?`, id))
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("get session %q", id))
	}
	return &x, nil
}

// UpdateSession replaces every field of the session but its id.
func (s *store) UpdateSession(ctx context.Context, x *core.Session) error {
	return execOne(ctx, s.w, fmt.Sprintf("update session %q", x.ID),
		`UPDATE sessions SET user_id = ?, refresh_jti = ?, created = ?, expires = ?, source = ?, device = ?
		WHERE id = ?`,
		x.UserID, x.RefreshJTI, x.Created, x.Expires, x.Source, x.Device, x.ID)
}

// DeleteSession ends one session.
func (s *store) DeleteSession(ctx context.Context, id string) error {
	return execOne(ctx, s.w, fmt.Sprintf("delete session %q", id), `DELETE FROM sessions WHERE id = ?`, id)
}

// DeleteUserSessions ends every session of the user; having none is not an error.
func (s *store) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := execCount(ctx, s.w, fmt.Sprintf("delete sessions of %q", userID),
		`DELETE FROM sessions WHERE user_id = ?`, userID)
	return err
}

// DeleteExpiredSessions deletes sessions whose expiry is at or before now and returns how
// many went.
func (s *store) DeleteExpiredSessions(ctx context.Context, now int64) (int, error) {
	return execCount(ctx, s.w, "delete expired sessions", `DELETE FROM sessions WHERE expires <= ?`, now)
}
