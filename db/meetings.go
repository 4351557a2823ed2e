package db

// This file implements core.MeetingStore on the meetings and meeting_attendance tables.

import (
	"context"
	"fmt"
	"strings"

	"conclave/core"
)

var _ core.MeetingStore = (*store)(nil)

const meetingCols = `g.meeting_id, g.room_id, g.room_name, g.start_date, g.end_date`

func scanMeeting(sc scanner) (core.Meeting, error) {
	var m core.Meeting
	err := sc.Scan(&m.MeetingID, &m.RoomID, &m.RoomName, &m.StartDate, &m.EndDate)
	return m, err
}

const attendanceCols = `attendance_id, meeting_id, identity, name, role, source, device, joined_at, left_at`

func scanAttendance(sc scanner) (core.Attendance, error) {
	var a core.Attendance
	err := sc.Scan(&a.AttendanceID, &a.MeetingID, &a.Identity, &a.Name, &a.Role, &a.Source, &a.Device, &a.JoinedAt, &a.LeftAt)
	return a, err
}

// CreateMeeting inserts m; an existing id gives core.ErrDuplicate.
func (s *store) CreateMeeting(ctx context.Context, m *core.Meeting) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO meetings (meeting_id, room_id, room_name, start_date, end_date)
		VALUES (?, ?, ?, ?, ?)`, m.MeetingID, m.RoomID, m.RoomName, m.StartDate, m.EndDate)
	return mapErr(err, fmt.Sprintf("create meeting %q", m.MeetingID))
}

// FinishMeeting sets the meeting's end and the leaving time of those still in it.
func (s *store) FinishMeeting(ctx context.Context, meetingID string, end int64) error {
	what := fmt.Sprintf("finish meeting %q", meetingID)
	if _, err := s.w.ExecContext(ctx, `UPDATE meeting_attendance SET left_at = ? WHERE meeting_id = ? AND left_at = 0`, end, meetingID); err != nil {
		return mapErr(err, what)
	}
	_, err := s.w.ExecContext(ctx, `UPDATE meetings SET end_date = ? WHERE meeting_id = ? AND end_date = 0`, end, meetingID)
	return mapErr(err, what)
}

// AddAttendance inserts a participant's stay.
func (s *store) AddAttendance(ctx context.Context, a *core.Attendance) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO meeting_attendance (`+attendanceCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.AttendanceID, a.MeetingID, a.Identity, a.Name, a.Role, a.Source, a.Device, a.JoinedAt, a.LeftAt)
	return mapErr(err, fmt.Sprintf("add attendance %q", a.AttendanceID))
}

// EndAttendance sets when a participant left; core.ErrNoRows when it had left already
// (the meeting's end recorded it).
func (s *store) EndAttendance(ctx context.Context, attendanceID string, left int64) error {
	return execOne(ctx, s.w, fmt.Sprintf("end attendance %q", attendanceID),
		`UPDATE meeting_attendance SET left_at = ? WHERE attendance_id = ? AND left_at = 0`, left, attendanceID)
}

var meetingSorts = map[string]column[core.Meeting]{
	"startDate": {keyCol{"g.start_date", false}, func(m *core.Meeting) any { return m.StartDate }},
}

var meetingTie = column[core.Meeting]{keyCol{"g.meeting_id", true}, func(m *core.Meeting) any { return m.MeetingID }}

// ListMeetings lists a room's meetings, newest first.
func (s *store) ListMeetings(ctx context.Context, q core.MeetingQuery) (core.Page[core.Meeting], error) {
	o, keyOf, err := orderFor("meetings", q.ListOptions, "startDate", meetingSorts, meetingTie)
	if err != nil {
		return core.Page[core.Meeting]{}, fmt.Errorf("list meetings: %w", err)
	}
	var w where
	w.add("g.room_id = ?", q.RoomID)
	return listPage(ctx, s.r, "list meetings", `SELECT `+meetingCols+` FROM meetings g`, w, o, keyOf, q.ListOptions, scanMeeting)
}

// MeetingAttendance reads the attendance of the meetings, in the order people joined.
func (s *store) MeetingAttendance(ctx context.Context, meetingIDs []string) (map[string][]core.Attendance, error) {
	out := map[string][]core.Attendance{}
	if len(meetingIDs) == 0 {
		return out, nil
	}
	if len(meetingIDs) > 100 {
		return nil, fmt.Errorf("meeting attendance: %d meetings at once, at most 100", len(meetingIDs))
	}
	args := make([]any, len(meetingIDs))
	for i, id := range meetingIDs {
		args[i] = id
	}
	rows, err := queryAll(ctx, s.r, "meeting attendance", scanAttendance,
		`SELECT `+attendanceCols+` FROM meeting_attendance WHERE meeting_id IN (?`+strings.Repeat(",?", len(meetingIDs)-1)+`)
		ORDER BY meeting_id, joined_at, attendance_id`, args...)
	if err != nil {
		return nil, err
	}
	for _, a := range rows {
		out[a.MeetingID] = append(out[a.MeetingID], a)
	}
	return out, nil
}

// OpenMeetings lists the meetings without an end.
func (s *store) OpenMeetings(ctx context.Context) ([]core.Meeting, error) {
	return queryAll(ctx, s.r, "open meetings", scanMeeting,
		`SELECT `+meetingCols+` FROM meetings g WHERE g.end_date = 0 ORDER BY g.start_date`)
}
