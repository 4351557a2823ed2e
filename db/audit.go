package db

// This file implements core.AuditStore on the audit table.

import (
	"context"
	"fmt"

	"conclave/core"
)

var _ core.AuditStore = (*store)(nil)

const auditCols = `id, time, actor, action, target, outcome, source, device, detail, actor_name`

func scanAudit(sc scanner) (core.AuditEntry, error) {
	var e core.AuditEntry
	err := sc.Scan(&e.ID, &e.Time, &e.Actor, &e.Action, &e.Target, &e.Outcome, &e.Source, &e.Device, &e.Detail, &e.ActorName)
	return e, err
}

// AppendAudit appends e to the log and sets e.ID. The log has no update method, and the
// schema refuses updates: an audit line, once written, stays as written.
func (s *store) AppendAudit(ctx context.Context, e *core.AuditEntry) error {
	res, err := s.w.ExecContext(ctx, `INSERT INTO audit (time, actor, action, target, outcome, source, device, detail, actor_name)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Time, e.Actor, e.Action, e.Target, e.Outcome, e.Source, e.Device, e.Detail, e.ActorName)
	if err != nil {
		return mapErr(err, "append audit")
	}
	id, err := res.LastInsertId()
	if err != nil {
		return mapErr(err, "append audit")
	}
	e.ID = id
	return nil
}

var auditSorts = map[string]column[core.AuditEntry]{
	"time": {keyCol{"time", false}, func(e *core.AuditEntry) any { return e.Time }},
}

// The id is the tie-break: entries of the same millisecond keep their order of appending.
var auditTie = column[core.AuditEntry]{keyCol{"id", false}, func(e *core.AuditEntry) any { return e.ID }}

// auditQuery builds the listing behind ListAudit.
func auditQuery(q core.AuditQuery) (string, where, ordering, func(*core.AuditEntry) []any, error) {
	o, keyOf, err := orderFor("audit", q.ListOptions, "time", auditSorts, auditTie)
	if err != nil {
		return "", where{}, o, nil, err
	}
	var w where
	if q.Actor != "" {
		w.add("actor = ?", q.Actor)
	}
	if q.Action != "" {
		w.prefix("action", q.Action)
	}
	if q.Target != "" {
		w.add("target = ?", q.Target)
	}
	if q.Since != 0 {
		w.add("time >= ?", q.Since)
	}
	if q.Until != 0 {
		w.add("time < ?", q.Until)
	}
	return `SELECT ` + auditCols + ` FROM audit`, w, o, keyOf, nil
}

// ListAudit lists the audit log, newest first unless sorted by time ascending.
func (s *store) ListAudit(ctx context.Context, q core.AuditQuery) (core.Page[core.AuditEntry], error) {
	sel, w, o, keyOf, err := auditQuery(q)
	if err != nil {
		return core.Page[core.AuditEntry]{}, fmt.Errorf("list audit: %w", err)
	}
	return listPage(ctx, s.r, "list audit", sel, w, o, keyOf, q.ListOptions, scanAudit)
}

// PruneAudit deletes audit entries older than before (epoch ms) and returns how many went.
// It is the log's retention (core's janitor, --audit-retention) and the only code that
// deletes from it; inside a transaction it deletes there, with the entry that records it.
func (s *store) PruneAudit(ctx context.Context, before int64) (int, error) {
	return execCount(ctx, s.w, "prune audit", `DELETE FROM audit WHERE time < ?`, before)
}
