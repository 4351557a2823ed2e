package core

import (
	"context"
	"time"
)

// Meeting is one meeting of a room, live or past. The history is kept like the audit log:
// a meeting outlives its room, and only its end is ever written after its start.
type Meeting struct {
	MeetingID string
	RoomID    string
	RoomName  string // the room's name when the meeting started
	StartDate int64
	EndDate   int64 // 0 while live
	// Attendance is who was in it, in the order they joined (filled by RoomMeetings).
	Attendance []Attendance
}

// Attendance is one participant's stay in a meeting: a participant who leaves and joins
// again has two.
type Attendance struct {
	AttendanceID string
	MeetingID    string
	Identity     string
	Name         string // the display name in the meeting
	Role         string // moderator | speaker, as it joined
	Source       string // the client's address
	Device       string // the client's user agent
	JoinedAt     int64
	LeftAt       int64 // 0 while in the meeting
}

// MeetingQuery lists one room's meetings, newest first.
type MeetingQuery struct {
	ListOptions
	RoomID string
}

// MeetingStore keeps the history of meetings.
type MeetingStore interface {
	CreateMeeting(ctx context.Context, m *Meeting) error
	// FinishMeeting records a meeting's end, and end as the leaving time of everyone
	// still recorded in it.
	FinishMeeting(ctx context.Context, meetingID string, end int64) error
	AddAttendance(ctx context.Context, a *Attendance) error
	// EndAttendance records when a participant left; ErrNoRows when it had left already.
	EndAttendance(ctx context.Context, attendanceID string, left int64) error
	ListMeetings(ctx context.Context, q MeetingQuery) (Page[Meeting], error)
	// MeetingAttendance returns the attendance of each of meetingIDs (at most 100), in
	// the order they joined.
	MeetingAttendance(ctx context.Context, meetingIDs []string) (map[string][]Attendance, error)
	// OpenMeetings lists the meetings without an end (a crash's, at start-up).
	OpenMeetings(ctx context.Context) ([]Meeting, error)
}

// participantTarget names a participant in the audit log.
func participantTarget(roomID, identity string) string {
	return "participant:" + identity + "@" + roomID
}

// recordJoin writes a participant's arrival to the history, with its audit entry, and
// then lets its leaving be recorded (see recordLeave).
func (s *Service) recordJoin(ctx context.Context, p *Principal, room *Room, meetingID string, started int64, first bool, pt *Participant) {
	defer close(pt.recorded)
	a := &Attendance{AttendanceID: pt.attendanceID, MeetingID: meetingID, Identity: pt.Identity, Name: pt.Name,
		Role: pt.Role, Source: pt.Source, Device: pt.Device, JoinedAt: pt.JoinedAt}
	queued := false
	err := s.store.InTx(ctx, func(tx Store) error {
		if first {
			m := &Meeting{MeetingID: meetingID, RoomID: room.RoomID, RoomName: room.RoomName, StartDate: started}
			if err := tx.CreateMeeting(ctx, m); err != nil {
				return err
			}
		}
		if err := tx.AddAttendance(ctx, a); err != nil {
			return err
		}
		queued = s.queueWebhook(ctx, tx, WebhookEvent{Event: WebhookParticipantJoined, Participant: &WebhookParticipant{
			RoomID: pt.RoomID, RoomName: room.RoomName, Identity: pt.Identity, Name: pt.Name, Role: pt.Role, JoinedAt: pt.JoinedAt}})
		return s.auditAs(ctx, tx, p, "meeting.join", participantTarget(pt.RoomID, pt.Identity),
			map[string]string{"name": pt.Name, "role": pt.Role, "meetingId": meetingID})
	})
	s.webhooksQueued(queued, err)
	if err != nil {
		s.log.Error("meeting join not recorded", "room", pt.RoomID, "participant", pt.Identity, "err", err)
		return
	}
	s.bus.Publish(Event{Type: EventAudit, RoomID: pt.RoomID})
}

// recordLeave writes a participant's departure (why: "left", "removed", "meeting ended")
// to the history with its audit entry. It waits for the arrival to be written first, so
// that a participant who goes at once is not left in the history for ever.
func (s *Service) recordLeave(pt *Participant, why string) {
	if pt.recorded == nil {
		return
	}
	select {
	case <-pt.recorded:
	case <-time.After(10 * time.Second):
		s.log.Error("meeting leave not recorded: the join was not recorded in time", "room", pt.RoomID, "participant", pt.Identity)
		return
	}
	ctx := context.Background()
	left := s.nowMS()
	queued := false
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := tx.EndAttendance(ctx, pt.attendanceID, left); err != nil {
			return err
		}
		queued = s.queueWebhook(ctx, tx, WebhookEvent{Event: WebhookParticipantLeft, Participant: &WebhookParticipant{
			RoomID: pt.RoomID, Identity: pt.Identity, Name: pt.Name, Role: pt.Role, JoinedAt: pt.JoinedAt, LeftAt: left, Reason: why}})
		e := s.auditEntry("member:"+pt.Identity+"@"+pt.RoomID, RequestMeta{Source: pt.Source, Device: pt.Device},
			"meeting.leave", participantTarget(pt.RoomID, pt.Identity), OutcomeSuccess,
			map[string]string{"name": pt.Name, "reason": why})
		e.ActorName = pt.Name
		return tx.AppendAudit(ctx, e)
	})
	s.webhooksQueued(queued, err)
	if err != nil && !isNoRows(err) {
		s.log.Error("meeting leave not recorded", "room", pt.RoomID, "participant", pt.Identity, "err", err)
		return
	}
	s.bus.Publish(Event{Type: EventAudit, RoomID: pt.RoomID})
}

// RoomMeetings lists a room's meetings, newest first, each with who attended, when and
// from where. The history names people and their addresses: it is for those who manage
// the room (its owner, admins, API keys), as its members are.
func (s *Service) RoomMeetings(ctx context.Context, p *Principal, roomID string, opts ListOptions) (Page[Meeting], error) {
	if err := p.active(); err != nil {
		return Page[Meeting]{}, err
	}
	r, err := loadRoom(ctx, s.store, roomID)
	if err != nil {
		return Page[Meeting]{}, err
	}
	if !canManage(p, r) {
		return Page[Meeting]{}, forbidden("Only the room's owner and admins can see the meetings of room %q", roomID)
	}
	if opts, err = checkList(opts, "startDate"); err != nil {
		return Page[Meeting]{}, err
	}
	page, err := s.store.ListMeetings(ctx, MeetingQuery{ListOptions: opts, RoomID: roomID})
	if err != nil {
		return Page[Meeting]{}, listErr("meetings", err)
	}
	ids := make([]string, len(page.Items))
	for i, m := range page.Items {
		ids[i] = m.MeetingID
	}
	att, err := s.store.MeetingAttendance(ctx, ids)
	if err != nil {
		return Page[Meeting]{}, internal("list attendance", err)
	}
	for i := range page.Items {
		page.Items[i].Attendance = att[page.Items[i].MeetingID]
	}
	return page, nil
}

// recoverMeetingHistory ends, at start-up, the meetings a crash left without an end: no
// meeting survives a restart, and the moment it really ended is not known.
func (s *Service) recoverMeetingHistory(ctx context.Context) error {
	open, err := s.store.OpenMeetings(ctx)
	if err != nil {
		return internal("open meetings", err)
	}
	now := s.nowMS()
	for _, m := range open {
		if err := s.store.FinishMeeting(ctx, m.MeetingID, now); err != nil {
			return internal("end meeting", err)
		}
	}
	if len(open) > 0 {
		s.log.Warn("meetings left open by the last run ended in the history", "meetings", len(open))
	}
	return nil
}
