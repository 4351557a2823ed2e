package db

// This file implements core.TermSessionStore on the term_sessions table.

import (
	"context"
	"fmt"

	"conclave/core"
)

var _ core.TermSessionStore = (*store)(nil)

const termSessionCols = `session_id, user_id, role, source, client, via, width, height, start_date, end_date, recorded, size`

func scanTermSession(sc scanner) (core.TermSession, error) {
	var t core.TermSession
	err := sc.Scan(&t.ID, &t.UserID, &t.Role, &t.Source, &t.Client, &t.Via, &t.Width, &t.Height, &t.StartDate, &t.EndDate, &t.Recorded, &t.Size)
	return t, err
}

// CreateTermSession inserts t; an existing id gives core.ErrDuplicate.
func (s *store) CreateTermSession(ctx context.Context, t *core.TermSession) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO term_sessions (`+termSessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.UserID, t.Role, t.Source, t.Client, t.Via, t.Width, t.Height, t.StartDate, t.EndDate, t.Recorded, t.Size)
	return mapErr(err, fmt.Sprintf("create session %q", t.ID))
}

// FinishTermSession sets a session's end and size; core.ErrNoRows when it has ended.
func (s *store) FinishTermSession(ctx context.Context, id string, end, size int64) error {
	return execOne(ctx, s.w, fmt.Sprintf("finish session %q", id),
		`UPDATE term_sessions SET end_date = ?, size = ? WHERE session_id = ? AND end_date = 0`, end, size, id)
}

// GetTermSession reads one session; core.ErrNoRows when there is none.
func (s *store) GetTermSession(ctx context.Context, id string) (*core.TermSession, error) {
	t, err := scanTermSession(s.r.QueryRowContext(ctx, `SELECT `+termSessionCols+` FROM term_sessions WHERE session_id = ?`, id))
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("get session %q", id))
	}
	return &t, nil
}

// ListTermSessions lists up to limit sessions, newest first.
func (s *store) ListTermSessions(ctx context.Context, limit int) ([]core.TermSession, error) {
	return queryAll(ctx, s.r, "list sessions", scanTermSession,
		`SELECT `+termSessionCols+` FROM term_sessions ORDER BY start_date DESC, session_id DESC LIMIT ?`, limit)
}

// TermSessionsStartedBefore lists up to limit sessions started before cutoff, oldest first.
func (s *store) TermSessionsStartedBefore(ctx context.Context, cutoff int64, limit int) ([]core.TermSession, error) {
	return queryAll(ctx, s.r, "old sessions", scanTermSession,
		`SELECT `+termSessionCols+` FROM term_sessions WHERE start_date < ? ORDER BY start_date, session_id LIMIT ?`, cutoff, limit)
}

// DeleteTermSession deletes a session's row; core.ErrNoRows when there is none.
func (s *store) DeleteTermSession(ctx context.Context, id string) error {
	return execOne(ctx, s.w, fmt.Sprintf("delete session %q", id), `DELETE FROM term_sessions WHERE session_id = ?`, id)
}

// OpenTermSessions lists the sessions without an end.
func (s *store) OpenTermSessions(ctx context.Context) ([]core.TermSession, error) {
	return queryAll(ctx, s.r, "open sessions", scanTermSession,
		`SELECT `+termSessionCols+` FROM term_sessions WHERE end_date = 0 ORDER BY start_date`)
}
