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
	g.start_date, g.end_date, g.duration, g.size, g.error, g.details, g.started_by, g.dir, g.streams`

func scanRecording(sc scanner) (core.Recording, error) {
	var r core.Recording
	var streams string
	err := sc.Scan(&r.RecordingID, &r.RoomID, &r.RoomName, &r.Status, &r.Layout, &r.Filename,
		&r.StartDate, &r.EndDate, &r.Duration, &r.Size, &r.Error, &r.Details, &r.StartedBy, &r.Dir, &streams)
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
			layout, filename, start_date, end_date, duration, size, error, details, started_by, dir, streams)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.RecordingID, r.RoomID, r.RoomName, r.Status, r.Layout, r.Filename, r.StartDate, r.EndDate,
		r.Duration, r.Size, r.Error, r.Details, r.StartedBy, r.Dir, streams)
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
			started_by = ?, dir = ?, streams = ?
		WHERE recording_id = ?`,
		r.RoomName, r.Status, r.Layout, r.Filename, r.StartDate, r.EndDate, r.Duration, r.Size,
		r.Error, r.Details, r.StartedBy, r.Dir, streams, r.RecordingID)
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

// CountRoomRecordings counts a room's recordings.
func (s *store) CountRoomRecordings(ctx context.Context, roomID string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM recordings WHERE room_id = ?`, roomID).Scan(&n)
	return n, mapErr(err, fmt.Sprintf("count recordings of room %q", roomID))
}
