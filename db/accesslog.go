package db

// This file implements core.AccessLogStore on the recording_access table.

import (
	"context"
	"fmt"
	"strings"

	"conclave/core"
)

var _ core.AccessLogStore = (*store)(nil)

const accessCols = `id, time, recording_id, room_id, action, actor, actor_kind, link_id, outcome, source, device, detail`

func scanAccess(sc scanner) (core.AccessLogEntry, error) {
	var e core.AccessLogEntry
	err := sc.Scan(&e.ID, &e.Time, &e.RecordingID, &e.RoomID, &e.Action, &e.Actor, &e.ActorKind, &e.LinkID,
		&e.Outcome, &e.Source, &e.Device, &e.Detail)
	return e, err
}

// AppendAccessLog appends e and sets e.ID. The schema refuses updates.
func (s *store) AppendAccessLog(ctx context.Context, e *core.AccessLogEntry) error {
	res, err := s.w.ExecContext(ctx, `INSERT INTO recording_access (time, recording_id, room_id, action, actor,
			actor_kind, link_id, outcome, source, device, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Time, e.RecordingID, e.RoomID, e.Action, e.Actor, e.ActorKind, e.LinkID, e.Outcome, e.Source, e.Device, e.Detail)
	if err != nil {
		return mapErr(err, "append access log")
	}
	id, err := res.LastInsertId()
	if err != nil {
		return mapErr(err, "append access log")
	}
	e.ID = id
	return nil
}

var accessSorts = map[string]column[core.AccessLogEntry]{
	"time": {keyCol{"time", false}, func(e *core.AccessLogEntry) any { return e.Time }},
}

var accessTie = column[core.AccessLogEntry]{keyCol{"id", false}, func(e *core.AccessLogEntry) any { return e.ID }}

// ListAccessLog lists the access log, newest first unless sorted by time ascending.
func (s *store) ListAccessLog(ctx context.Context, q core.AccessLogQuery) (core.Page[core.AccessLogEntry], error) {
	o, keyOf, err := orderFor("access", q.ListOptions, "time", accessSorts, accessTie)
	if err != nil {
		return core.Page[core.AccessLogEntry]{}, fmt.Errorf("list access log: %w", err)
	}
	var w where
	if q.RecordingID != "" {
		w.add("recording_id = ?", q.RecordingID)
	}
	if q.RoomID != "" {
		w.add("room_id = ?", q.RoomID)
	}
	if q.Actor != "" {
		w.add("actor = ?", q.Actor)
	}
	if q.Action != "" {
		w.prefix("action", q.Action)
	}
	if q.Since != 0 {
		w.add("time >= ?", q.Since)
	}
	if q.Until != 0 {
		w.add("time < ?", q.Until)
	}
	if q.Rooms != nil {
		if len(q.Rooms) == 0 {
			return core.Page[core.AccessLogEntry]{Items: []core.AccessLogEntry{}}, nil
		}
		args := make([]any, len(q.Rooms))
		for i, id := range q.Rooms {
			args[i] = id
		}
		w.add("room_id IN ("+strings.TrimSuffix(strings.Repeat("?,", len(q.Rooms)), ",")+")", args...)
	}
	return listPage(ctx, s.r, "list access log", `SELECT `+accessCols+` FROM recording_access`, w, o, keyOf, q.ListOptions, scanAccess)
}
