package core

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultMeetingEndGrace is how long a meeting outlives its last participant (SPEC 6), so
// that someone reloading the page does not end it.
const DefaultMeetingEndGrace = 20 * time.Second

// Media kinds a moderator can mute.
const (
	MediaAudio  = "audio"
	MediaVideo  = "video"
	MediaScreen = "screen"
)

// Participant is someone in a live meeting. Live state is the one thing core keeps only in
// memory: it exists while the media does (SPEC 14).
type Participant struct {
	RoomID   string
	Identity string
	Name     string // unique within the meeting
	// Role is the participant's own role (from its token); MeetingRole the one it holds in
	// this meeting after promotion or demotion.
	Role        string
	MeetingRole string
	// Own is the permission set the participant joined with.
	Own      Permissions
	JoinedAt int64
	Source   string
	Device   string
	// tracks are the participant's published tracks by id (see Tracks); copies of a
	// Participant share the map, so it is only touched under the meetings lock and copied
	// out by Participants.
	tracks map[string]TrackStat
}

// Permissions is what the participant may do now: its own set, or the room's set of the
// role it was promoted or demoted to for this meeting.
func (pt *Participant) Permissions(room *Room) Permissions {
	switch {
	case pt.MeetingRole == pt.Role:
		return pt.Own
	case pt.MeetingRole == BaseRoleModerator:
		return room.Roles.Moderator.Permissions
	}
	return room.Roles.Speaker.Permissions
}

// liveRoom is one meeting in progress.
type liveRoom struct {
	started int64
	parts   map[string]*Participant
	// ending is set while the meeting waits out its grace period with nobody in it; gen
	// tells a stale timer from the current one.
	ending *time.Timer
	gen    int
}

// meetings tracks live meetings; the zero value is ready.
type meetings struct {
	mu    sync.Mutex
	rooms map[string]*liveRoom
}

func (m *meetings) room(id string) *liveRoom {
	if m.rooms == nil {
		m.rooms = map[string]*liveRoom{}
	}
	return m.rooms[id]
}

func participantNotFound(roomID, identity string) error {
	e := notFound("Participant Error", "Participant %q not found in room %q", identity, roomID)
	e.Code = "participant_not_found"
	return e
}

func noMeeting(roomID string) error {
	e := notFound("Meeting Error", "Room %q has no active meeting", roomID)
	e.Code = "no_meeting"
	return e
}

// JoinMeeting admits the holder of a room-member token issued with joinMeeting into the
// room's meeting, starting the meeting if it is the first. The participant's display name
// is made unique within the meeting.
func (s *Service) JoinMeeting(ctx context.Context, p *Principal) (*Participant, error) {
	if p == nil || p.Kind != PrincipalMember {
		return nil, ErrUnauthenticated
	}
	c := p.Member
	if !c.JoinMeeting || !c.Permissions.MeetingJoin {
		return nil, forbidden("This token does not allow joining the meeting of room %q", c.RoomID)
	}
	room, err := loadRoom(ctx, s.store, c.RoomID)
	if err != nil {
		return nil, err
	}
	if room.Status == StatusClosed {
		return nil, &Error{Kind: KindConflict, Title: "Room Error", Code: "room_closed",
			Message: "Room '" + room.RoomID + "' is closed and cannot be joined"}
	}
	pt := &Participant{
		RoomID: room.RoomID, Identity: c.Identity, Role: c.Role, MeetingRole: c.Role,
		Own: c.Permissions, JoinedAt: s.nowMS(), Source: p.Meta.Source, Device: truncate(p.Meta.Device, 200),
	}
	s.live.mu.Lock()
	lr := s.live.room(room.RoomID)
	first := lr == nil
	if first {
		lr = &liveRoom{started: pt.JoinedAt, parts: map[string]*Participant{}}
		s.live.rooms[room.RoomID] = lr
	}
	if _, dup := lr.parts[pt.Identity]; dup {
		s.live.mu.Unlock()
		return nil, &Error{Kind: KindConflict, Title: "Participant Error", Code: "participant_already_joined",
			Message: fmt.Sprintf("Participant %q is already in the meeting of room %q", pt.Identity, room.RoomID)}
	}
	pt.Name = uniqueName(lr, c.ParticipantName)
	lr.parts[pt.Identity] = pt
	if lr.ending != nil { // someone came back within the grace period
		lr.ending.Stop()
		lr.ending = nil
		lr.gen++
	}
	s.live.mu.Unlock()
	if first {
		if err := s.setMeetingStatus(ctx, room.RoomID, true); err != nil {
			s.log.Error("meeting start not recorded", "room", room.RoomID, "err", err)
		}
		s.bus.Publish(Event{Type: EventMeetingStarted, RoomID: room.RoomID})
	}
	s.bus.Publish(Event{Type: EventParticipantJoined, RoomID: room.RoomID, MemberID: pt.Identity})
	out := pt.clone()
	return &out, nil
}

// clone copies a participant with its own track map, so that the copy may leave the lock.
func (pt *Participant) clone() Participant {
	c := *pt
	c.tracks = maps.Clone(pt.tracks)
	return c
}

// uniqueName returns name, or name with " (2)", " (3)"… when someone else has it.
func uniqueName(lr *liveRoom, name string) string {
	taken := func(n string) bool {
		for _, o := range lr.parts {
			if strings.EqualFold(o.Name, n) {
				return true
			}
		}
		return false
	}
	if !taken(name) {
		return name
	}
	for i := 2; ; i++ {
		if n := fmt.Sprintf("%s (%d)", name, i); !taken(n) {
			return n
		}
	}
}

// ResumeMeeting lets the holder of a member token take its seat back over a new connection
// (the old one dropped): the participant is still in the meeting, so nothing changes but
// the connection. It returns the participant and the permissions that apply to it now
// (promotion counts); KindNotFound when the participant is no longer in the meeting.
func (s *Service) ResumeMeeting(ctx context.Context, p *Principal) (*Participant, Permissions, error) {
	if p == nil || p.Kind != PrincipalMember {
		return nil, Permissions{}, ErrUnauthenticated
	}
	c := p.Member
	if !c.JoinMeeting || !c.Permissions.MeetingJoin {
		return nil, Permissions{}, forbidden("This token does not allow joining the meeting of room %q", c.RoomID)
	}
	room, err := loadRoom(ctx, s.store, c.RoomID)
	if err != nil {
		return nil, Permissions{}, err
	}
	pt, err := s.participant(room.RoomID, c.Identity)
	if err != nil {
		return nil, Permissions{}, err
	}
	return pt, pt.Permissions(room), nil
}

// LeaveMeeting records that a participant left. When the last one goes, the meeting ends
// after the grace period unless someone joins meanwhile.
func (s *Service) LeaveMeeting(roomID, identity string) {
	s.live.mu.Lock()
	lr := s.live.room(roomID)
	if lr == nil || lr.parts[identity] == nil {
		s.live.mu.Unlock()
		return
	}
	delete(lr.parts, identity)
	if len(lr.parts) == 0 && lr.ending == nil {
		lr.gen++
		gen := lr.gen
		lr.ending = time.AfterFunc(s.cfg.MeetingEndGrace, func() { s.finishMeeting(roomID, gen) })
	}
	s.live.mu.Unlock()
	s.bus.Publish(Event{Type: EventParticipantLeft, RoomID: roomID, MemberID: identity})
}

// finishMeeting ends a meeting whose grace period ran out (gen ≥ 0 must still be current)
// or that was ended on purpose (gen < 0).
func (s *Service) finishMeeting(roomID string, gen int) {
	s.live.mu.Lock()
	lr := s.live.room(roomID)
	if lr == nil || (gen >= 0 && (lr.gen != gen || len(lr.parts) > 0)) {
		s.live.mu.Unlock()
		return
	}
	if lr.ending != nil {
		lr.ending.Stop()
	}
	delete(s.live.rooms, roomID)
	s.live.mu.Unlock()
	if err := s.setMeetingStatus(context.Background(), roomID, false); err != nil {
		s.log.Error("meeting end not recorded", "room", roomID, "err", err)
	}
	s.bus.Publish(Event{Type: EventMeetingEnded, RoomID: roomID})
}

// setMeetingStatus records a meeting's start or end on its room. At the end, the action a
// deletion or closing scheduled "when the meeting ends" is carried out.
func (s *Service) setMeetingStatus(ctx context.Context, roomID string, live bool) error {
	deleteRoom := false
	err := s.store.InTx(ctx, func(tx Store) error {
		r, err := tx.GetRoom(ctx, roomID)
		if isNoRows(err) {
			return nil // deleted meanwhile
		} else if err != nil {
			return err
		}
		if live {
			r.Status = StatusActiveMeeting
		} else {
			r.Status = StatusOpen
			switch r.MeetingEndAction {
			case EndActionClose:
				r.Status = StatusClosed
			case EndActionDelete:
				deleteRoom = true
				if err := tx.DeleteRoom(ctx, roomID); err != nil {
					return err
				}
				return s.auditAs(ctx, tx, System(), "room.delete", "room:"+roomID, map[string]string{"result": "deleted when the meeting ended"})
			}
			r.MeetingEndAction = EndActionNone
		}
		return tx.UpdateRoom(ctx, r)
	})
	if err == nil {
		if deleteRoom {
			s.bus.Publish(Event{Type: EventRoomDeleted, RoomID: roomID})
		} else {
			s.bus.Publish(Event{Type: EventRoomChanged, RoomID: roomID})
		}
	}
	return err
}

// RecoverMeetings runs at start-up: no meeting survives a restart, so rooms left marked
// live by a crash are ended (and their scheduled actions carried out).
func (s *Service) RecoverMeetings(ctx context.Context) (int, error) {
	n := 0
	token := ""
	for {
		page, err := s.store.ListRooms(ctx, RoomQuery{Status: StatusActiveMeeting, ListOptions: ListOptions{MaxItems: MaxMaxItems, PageToken: token, SortField: "creationDate", Desc: true}})
		if err != nil {
			return n, internal("list live rooms", err)
		}
		for _, r := range page.Items {
			if err := s.setMeetingStatus(ctx, r.RoomID, false); err != nil {
				return n, internal("end meeting", err)
			}
			n++
		}
		if page.Next == "" {
			return n, nil
		}
		token = page.Next
	}
}

// moderate loads a room with a live meeting and checks that p holds perm there. Holders
// of room-member tokens are judged by what they hold in the meeting now (promotion).
func (s *Service) moderate(ctx context.Context, p *Principal, roomID, perm string) (*Room, error) {
	if err := p.active(); err != nil {
		return nil, err
	}
	room, err := loadRoom(ctx, s.store, roomID)
	if err != nil {
		return nil, err
	}
	g, err := s.roomAccessFor(ctx, s.store, p, room)
	if err != nil {
		return nil, err
	}
	perms := g.Permissions
	if p.Kind == PrincipalMember {
		s.live.mu.Lock()
		if lr := s.live.room(roomID); lr != nil && lr.parts[p.Member.Identity] != nil {
			perms = lr.parts[p.Member.Identity].Permissions(room)
		}
		s.live.mu.Unlock()
	}
	if !perms.Get(perm) {
		return nil, forbidden("You need %s in room %q", perm, roomID)
	}
	return room, nil
}

// participant returns a copy of a live participant.
func (s *Service) participant(roomID, identity string) (*Participant, error) {
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	lr := s.live.room(roomID)
	if lr == nil {
		return nil, noMeeting(roomID)
	}
	pt := lr.parts[identity]
	if pt == nil {
		return nil, participantNotFound(roomID, identity)
	}
	out := pt.clone()
	return &out, nil
}

// EndMeeting ends a room's meeting for everyone (meetingEnd). As in OpenVidu Meet it is
// idempotent: a room without a live meeting is a success with nothing to do.
func (s *Service) EndMeeting(ctx context.Context, p *Principal, roomID string) error {
	if _, err := s.moderate(ctx, p, roomID, "meetingEnd"); err != nil {
		return err
	}
	s.live.mu.Lock()
	live := s.live.room(roomID) != nil
	s.live.mu.Unlock()
	if !live {
		return nil
	}
	if err := s.auditAs(ctx, s.store, p, "meeting.end", "room:"+roomID, nil); err != nil {
		return err
	}
	if s.meetings != nil {
		s.meetings.End(roomID, "The meeting was ended by a moderator")
	}
	s.finishMeeting(roomID, -1)
	return nil
}

// KickParticipant removes a participant from the meeting (participantKick).
func (s *Service) KickParticipant(ctx context.Context, p *Principal, roomID, identity string) error {
	if _, err := s.moderate(ctx, p, roomID, "participantKick"); err != nil {
		return err
	}
	if _, err := s.participant(roomID, identity); err != nil {
		return err
	}
	if err := s.auditAs(ctx, s.store, p, "meeting.kick", "participant:"+identity+"@"+roomID, nil); err != nil {
		return err
	}
	if s.meetings != nil {
		s.meetings.Expel(roomID, []string{identity}, "You were removed from the meeting by a moderator")
	}
	s.LeaveMeeting(roomID, identity)
	return nil
}

// Moderation actions on a participant's role, as OpenVidu Meet names them.
const (
	RoleUpgrade   = "upgrade"   // promote to moderator for this meeting
	RoleDowngrade = "downgrade" // restore a promoted participant's own permissions
)

// ChangeParticipantRole promotes a participant to moderator for this meeting only, or
// restores a promoted participant's own permissions (participantPromote).
func (s *Service) ChangeParticipantRole(ctx context.Context, p *Principal, roomID, identity, action string) (*Participant, error) {
	var v validator
	checkEnum(&v, "action", action, RoleUpgrade, RoleDowngrade)
	if err := v.err(); err != nil {
		return nil, err
	}
	room, err := s.moderate(ctx, p, roomID, "participantPromote")
	if err != nil {
		return nil, err
	}
	s.live.mu.Lock()
	lr := s.live.room(roomID)
	var pt *Participant
	if lr != nil {
		pt = lr.parts[identity]
	}
	if pt == nil {
		s.live.mu.Unlock()
		return nil, participantNotFound(roomID, identity)
	}
	refuse := func(code, why string) (*Participant, error) {
		s.live.mu.Unlock()
		return nil, &Error{Kind: KindConflict, Title: "Participant Error", Code: code,
			Message: fmt.Sprintf("Participant %q in room %q %s", identity, roomID, why)}
	}
	switch {
	case action == RoleUpgrade && pt.MeetingRole == BaseRoleModerator:
		return refuse("cannot_promote", "cannot be promoted to moderator because they already are one")
	case action == RoleDowngrade && pt.MeetingRole == pt.Role:
		return refuse("cannot_demote", "cannot be demoted because they are not a promoted moderator")
	case action == RoleUpgrade:
		pt.MeetingRole = BaseRoleModerator
	default:
		pt.MeetingRole = pt.Role
	}
	out := pt.clone()
	s.live.mu.Unlock()
	if err := s.auditAs(ctx, s.store, p, "meeting."+action, "participant:"+identity+"@"+roomID, nil); err != nil {
		return nil, err
	}
	if s.meetings != nil {
		s.meetings.Update(roomID, out, out.Permissions(room))
	}
	s.bus.Publish(Event{Type: EventParticipantUpdated, RoomID: roomID, MemberID: identity})
	return &out, nil
}

// MuteParticipant stops forwarding one kind of another participant's media and tells it
// so (participantMute).
func (s *Service) MuteParticipant(ctx context.Context, p *Principal, roomID, identity, kind string) error {
	var v validator
	checkEnum(&v, "kind", kind, MediaAudio, MediaVideo, MediaScreen)
	if err := v.err(); err != nil {
		return err
	}
	if _, err := s.moderate(ctx, p, roomID, "participantMute"); err != nil {
		return err
	}
	if _, err := s.participant(roomID, identity); err != nil {
		return err
	}
	if err := s.auditAs(ctx, s.store, p, "meeting.mute", "participant:"+identity+"@"+roomID, map[string]string{"kind": kind}); err != nil {
		return err
	}
	if s.meetings != nil {
		s.meetings.Mute(roomID, identity, kind)
	}
	s.bus.Publish(Event{Type: EventParticipantUpdated, RoomID: roomID, MemberID: identity})
	return nil
}

// Participants lists a live meeting's participants by join time, for anyone with access
// to the room; an empty list when no meeting is live.
func (s *Service) Participants(ctx context.Context, p *Principal, roomID string) ([]Participant, error) {
	if _, _, err := s.GetRoom(ctx, p, roomID); err != nil {
		return nil, err
	}
	s.live.mu.Lock()
	var out []Participant
	if lr := s.live.room(roomID); lr != nil {
		for _, pt := range lr.parts {
			out = append(out, pt.clone())
		}
	}
	s.live.mu.Unlock()
	slices.SortFunc(out, func(a, b Participant) int {
		if a.JoinedAt != b.JoinedAt {
			return int(a.JoinedAt - b.JoinedAt)
		}
		return strings.Compare(a.Identity, b.Identity)
	})
	return out, nil
}

// EndAllMeetings ends every live meeting, telling participants reason: the server calls
// it when shutting down, so that browsers say "server going away" rather than seeing a
// dropped connection, and rooms are not left marked live.
func (s *Service) EndAllMeetings(reason string) int {
	s.live.mu.Lock()
	ids := make([]string, 0, len(s.live.rooms))
	for id := range s.live.rooms {
		ids = append(ids, id)
	}
	s.live.mu.Unlock()
	if s.meetings != nil {
		s.meetings.GoingAway(reason)
	}
	for _, id := range ids {
		s.finishMeeting(id, -1)
	}
	return len(ids)
}
