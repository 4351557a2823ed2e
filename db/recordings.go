package db

// This file implements core.RecordingStore on the recordings table.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"conclave/core"
)

var _ core.RecordingStore = (*store)(nil)

const recordingCols = `g.recording_id, g.room_id, g.room_name, g.status, g.layout, g.filename,
	g.start_date, g.end_date, g.duration, g.size, g.error, g.details, g.started_by, g.dir, g.streams,
	g.trashed_at, g.trashed_by, g.purge_at`

func scanRecording(sc scanner) (core.Recording, error) {
	var r core.Recording
	var streams string
	err := sc.Scan(&r.RecordingID, &r.RoomID, &r.RoomName, &r.Status, &r.Layout, &r.Filename,
		&r.StartDate, &r.EndDate, &r.Duration, &r.Size, &r.Error, &r.Details, &r.StartedBy, &r.Dir, &streams,
		&r.TrashedAt, &r.TrashedBy, &r.PurgeAt)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(streams), &r.Streams); err != nil {
		return r, fmt.Errorf("recording %q: corrupt streams column: %w", r.RecordingID, err)
	}
	return r, nil
}

func streamsJSON(r *core.Recording) (string, error) {
	if r.Streams == nil {
		return "[]", nil
	}
	b, err := json.Marshal(r.Streams)
	return string(b), err
}

// CreateRecording inserts r; a second live recording of its room, or an existing id,
// gives core.ErrDuplicate.
func (s *store) CreateRecording(ctx context.Context, r *core.Recording) error {
	what := fmt.Sprintf("create recording %q", r.RecordingID)
	streams, err := streamsJSON(r)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO recordings (recording_id, room_id, room_name, status,
			layout, filename, start_date, end_date, duration, size, error, details, started_by, dir, streams,
			trashed_at, trashed_by, purge_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.RecordingID, r.RoomID, r.RoomName, r.Status, r.Layout, r.Filename, r.StartDate, r.EndDate,
		r.Duration, r.Size, r.Error, r.Details, r.StartedBy, r.Dir, streams, r.TrashedAt, r.TrashedBy, r.PurgeAt)
	return mapErr(err, what)
}

// GetRecording returns the recording, core.ErrNoRows when there is none.
func (s *store) GetRecording(ctx context.Context, id string) (*core.Recording, error) {
	r, err := scanRecording(s.r.QueryRowContext(ctx, `SELECT `+recordingCols+` FROM recordings g WHERE g.recording_id = ?`, id))
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("get recording %q", id))
	}
	return &r, nil
}

// UpdateRecording replaces every field of the recording but its id and room.
func (s *store) UpdateRecording(ctx context.Context, r *core.Recording) error {
	what := fmt.Sprintf("update recording %q", r.RecordingID)
	streams, err := streamsJSON(r)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return execOne(ctx, s.w, what, `UPDATE recordings SET room_name = ?, status = ?, layout = ?,
			filename = ?, start_date = ?, end_date = ?, duration = ?, size = ?, error = ?, details = ?,
			started_by = ?, dir = ?, streams = ?, trashed_at = ?, trashed_by = ?, purge_at = ?
		WHERE recording_id = ?`,
		r.RoomName, r.Status, r.Layout, r.Filename, r.StartDate, r.EndDate, r.Duration, r.Size,
		r.Error, r.Details, r.StartedBy, r.Dir, streams, r.TrashedAt, r.TrashedBy, r.PurgeAt, r.RecordingID)
}

// DeleteRecording deletes the recording's row (its files are the caller's).
func (s *store) DeleteRecording(ctx context.Context, id string) error {
	return execOne(ctx, s.w, fmt.Sprintf("delete recording %q", id), `DELETE FROM recordings WHERE recording_id = ?`, id)
}

var recordingSorts = map[string]column[core.Recording]{
	"startDate": {keyCol{"g.start_date", false}, func(r *core.Recording) any { return r.StartDate }},
	"roomName":  {keyCol{"g.room_name", true}, func(r *core.Recording) any { return r.RoomName }},
	"duration":  {keyCol{"g.duration", false}, func(r *core.Recording) any { return r.Duration }},
	"size":      {keyCol{"g.size", false}, func(r *core.Recording) any { return r.Size }},
}

var recordingTie = column[core.Recording]{keyCol{"g.recording_id", true}, func(r *core.Recording) any { return r.RecordingID }}

// ListRecordings lists recordings, newest first unless sorted otherwise.
func (s *store) ListRecordings(ctx context.Context, q core.RecordingQuery) (core.Page[core.Recording], error) {
	o, keyOf, err := orderFor("recordings", q.ListOptions, "startDate", recordingSorts, recordingTie)
	if err != nil {
		return core.Page[core.Recording]{}, fmt.Errorf("list recordings: %w", err)
	}
	var w where
	if err := w.text("g.room_name", q.RoomName); err != nil {
		return core.Page[core.Recording]{}, fmt.Errorf("list recordings: %w", err)
	}
	if q.RoomID != "" {
		w.add("g.room_id = ?", q.RoomID)
	}
	if q.Status != "" {
		w.add("g.status = ?", q.Status)
	}
	switch q.Trash {
	case core.TrashExclude:
		w.add("g.trashed_at = 0")
	case core.TrashOnly:
		w.add("g.trashed_at > 0")
	}
	if q.Rooms != nil {
		if len(q.Rooms) == 0 {
			return core.Page[core.Recording]{}, nil
		}
		args := make([]any, len(q.Rooms))
		for i, id := range q.Rooms {
			args[i] = id
		}
		w.add("g.room_id IN ("+strings.TrimSuffix(strings.Repeat("?,", len(q.Rooms)), ",")+")", args...)
	}
	return listPage(ctx, s.r, "list recordings", `SELECT `+recordingCols+` FROM recordings g`, w, o, keyOf, q.ListOptions, scanRecording)
}

// RecordingsInStatus lists the recordings in any of statuses, oldest first.
func (s *store) RecordingsInStatus(ctx context.Context, statuses ...string) ([]core.Recording, error) {
	if len(statuses) == 0 {
		return nil, nil
	}
	args := make([]any, len(statuses))
	for i, st := range statuses {
		args[i] = st
	}
	return queryAll(ctx, s.r, "recordings by status", scanRecording,
		`SELECT `+recordingCols+` FROM recordings g WHERE g.status IN (`+
			strings.TrimSuffix(strings.Repeat("?,", len(statuses)), ",")+`) ORDER BY g.start_date, g.recording_id`, args...)
}

// CountRoomRecordings counts a room's recordings not in the trash.
func (s *store) CountRoomRecordings(ctx context.Context, roomID string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM recordings WHERE room_id = ? AND trashed_at = 0`, roomID).Scan(&n)
	return n, mapErr(err, fmt.Sprintf("count recordings of room %q", roomID))
}

// CountRoomTrash counts a room's recordings in the trash.
func (s *store) CountRoomTrash(ctx context.Context, roomID string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM recordings WHERE room_id = ? AND trashed_at > 0`, roomID).Scan(&n)
	return n, mapErr(err, fmt.Sprintf("count trashed recordings of room %q", roomID))
}

// RecordingsDueForPurge lists trashed recordings whose purge time has come.
func (s *store) RecordingsDueForPurge(ctx context.Context, now int64, limit int) ([]core.Recording, error) {
	return queryAll(ctx, s.r, "recordings due for purge", scanRecording,
		`SELECT `+recordingCols+` FROM recordings g WHERE g.trashed_at > 0 AND g.purge_at <= ?
			ORDER BY g.purge_at, g.recording_id LIMIT ?`, now, limit)
}

// RecordingsPastRetention lists the recordings older than their room's retentionDays.
func (s *store) RecordingsPastRetention(ctx context.Context, now int64, limit int) ([]core.Recording, error) {
	return queryAll(ctx, s.r, "recordings past retention", scanRecording,
		// Rooms first (CROSS JOIN keeps that order), then each room's old recordings by the
		// (room_id, start_date) index: a pass costs the rooms, not every recording.
		`SELECT `+recordingCols+` FROM rooms r CROSS JOIN recordings g
			WHERE g.room_id = r.room_id
			  AND json_extract(r.config, '$.recording.retentionDays') > 0
			  AND g.start_date <= ? - json_extract(r.config, '$.recording.retentionDays') * 86400000
			  AND g.status NOT IN ('starting', 'active', 'ending')
			ORDER BY g.start_date, g.recording_id LIMIT ?`, now, limit)
}

// RecordingUsage sums recordings by room, status and trash.
func (s *store) RecordingUsage(ctx context.Context, rooms []string) ([]core.RecordingUsage, error) {
	q := `SELECT g.room_id, coalesce(r.room_name, ''), g.status, g.trashed_at > 0, count(*), coalesce(sum(g.size), 0)
		FROM recordings g LEFT JOIN rooms r ON r.room_id = g.room_id`
	var args []any
	if rooms != nil {
		if len(rooms) == 0 {
			return nil, nil
		}
		for _, id := range rooms {
			args = append(args, id)
		}
		q += ` WHERE g.room_id IN (` + strings.TrimSuffix(strings.Repeat("?,", len(rooms)), ",") + `)`
	}
	q += ` GROUP BY g.room_id, g.status, g.trashed_at > 0 ORDER BY g.room_id, g.status`
	return queryAll(ctx, s.r, "recording usage", func(sc scanner) (core.RecordingUsage, error) {
		var u core.RecordingUsage
		err := sc.Scan(&u.RoomID, &u.RoomName, &u.Status, &u.Trashed, &u.Count, &u.Bytes)
		return u, err
	}, q, args...)
}
