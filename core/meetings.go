package core

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
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
	// muted holds the sources that are muted (SourceMuted), shared by copies as tracks.
	muted map[string]bool
	// client is the participant's connection (nil only in tests that join without one);
	// resume the secret that lets a new connection take the seat over (ResumeMeeting).
	client Client
	resume string
	// origin is where its rights come from, to work them out again after a change.
	origin seatOrigin
	// attendanceID is the participant's stay in the history; recorded is closed once
	// its arrival is written, before which its leaving cannot be (recordLeave).
	attendanceID string
	recorded     chan struct{}
}

// ResumeSecret is the secret a new connection of this participant presents to take its
// seat back (ResumeMeeting); each join and resume makes a new one.
func (pt *Participant) ResumeSecret() string { return pt.resume }

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
	// meetingID names the meeting in the history (history.go).
	meetingID string
	parts     map[string]*Participant
	// ending is set while the meeting waits out its grace period with nobody in it; gen
	// tells a stale timer from the current one.
	ending *time.Timer
	gen    int
	// deleted is the room as it was when it was deleted during the meeting, for the
	// meetingEnded webhook that follows.
	deleted *Room
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

// Sentinels of the live-meeting refusals, for errors.Is: front ends that speak another
// dialect than REST (signalling) map them to their own codes by these, never by text.
var (
	ErrRoomClosed          = &Error{Kind: KindConflict, Title: "Room Error", Code: "room_closed", Message: "room closed"}
	ErrAlreadyJoined       = &Error{Kind: KindConflict, Title: "Participant Error", Code: "participant_already_joined", Message: "already joined"}
	ErrParticipantNotFound = &Error{Kind: KindNotFound, Title: "Participant Error", Code: "participant_not_found", Message: "participant not found"}
	ErrNoMeeting           = &Error{Kind: KindNotFound, Title: "Meeting Error", Code: "no_meeting", Message: "no active meeting"}
	ErrCannotPromote       = &Error{Kind: KindConflict, Title: "Participant Error", Code: "cannot_promote", Message: "cannot promote"}
	ErrCannotDemote        = &Error{Kind: KindConflict, Title: "Participant Error", Code: "cannot_demote", Message: "cannot demote"}
	ErrBadResume           = &Error{Kind: KindForbidden, Title: "Participant Error", Code: "bad_resume", Message: "cannot resume"}
)

func participantNotFound(roomID, identity string) error {
	e := notFound("Participant Error", "Participant %q not found in room %q", identity, roomID)
	e.Code = ErrParticipantNotFound.Code
	return e
}

func noMeeting(roomID string) error {
	e := notFound("Meeting Error", "Room %q has no active meeting", roomID)
	e.Code = ErrNoMeeting.Code
	return e
}

// JoinMeeting admits the holder of a room-member token issued with joinMeeting into the
// room's meeting with its connection c, starting the meeting if it is the first. The
// participant's display name is made unique within the meeting. From then on everything
// core decides about the participant reaches c.
func (s *Service) JoinMeeting(ctx context.Context, p *Principal, c Client) (*Participant, error) {
	if p == nil || p.Kind != PrincipalMember {
		return nil, ErrUnauthenticated
	}
	mc := p.Member
	if !mc.JoinMeeting || !mc.Permissions.MeetingJoin {
		return nil, forbidden("This token does not allow joining the meeting of room %q", mc.RoomID)
	}
	room, err := loadRoom(ctx, s.store, mc.RoomID)
	if err != nil {
		return nil, err
	}
	if room.Status == StatusClosed {
		return nil, &Error{Kind: KindConflict, Title: "Room Error", Code: ErrRoomClosed.Code,
			Message: "Room '" + room.RoomID + "' is closed and cannot be joined"}
	}
	pt := &Participant{
		RoomID: room.RoomID, Identity: mc.Identity, Role: mc.Role, MeetingRole: mc.Role,
		Own: mc.Permissions, JoinedAt: s.nowMS(), Source: p.Meta.Source, Device: truncate(p.Meta.Device, 200),
		client: c, resume: rand.Text(), origin: originOf(mc, room),
		attendanceID: randomID(16), recorded: make(chan struct{}),
	}
	s.live.mu.Lock()
	lr := s.live.room(room.RoomID)
	first := lr == nil
	if first {
		lr = &liveRoom{started: pt.JoinedAt, meetingID: randomID(16), parts: map[string]*Participant{}}
		s.live.rooms[room.RoomID] = lr
	}
	if _, dup := lr.parts[pt.Identity]; dup {
		s.live.mu.Unlock()
		return nil, &Error{Kind: KindConflict, Title: "Participant Error", Code: ErrAlreadyJoined.Code,
			Message: fmt.Sprintf("Participant %q is already in the meeting of room %q", pt.Identity, room.RoomID)}
	}
	pt.Name = uniqueName(lr, mc.ParticipantName)
	lr.parts[pt.Identity] = pt
	s.counters.participantsJoined.Add(1)
	if first {
		s.counters.meetingsStarted.Add(1)
	}
	if lr.ending != nil { // someone came back within the grace period
		lr.ending.Stop()
		lr.ending = nil
		lr.gen++
	}
	meetingID, started := lr.meetingID, lr.started
	s.live.mu.Unlock()
	if first {
		// The meeting's start before its first participant's arrival, for webhooks.
		if err := s.setMeetingStatus(ctx, room.RoomID, true); err != nil {
			s.log.Error("meeting start not recorded", "room", room.RoomID, "err", err)
		}
	}
	s.recordJoin(ctx, p, room, meetingID, started, first, pt)
	if first {
		s.bus.Publish(Event{Type: EventMeetingStarted, RoomID: room.RoomID})
	}
	s.bus.Publish(Event{Type: EventParticipantJoined, RoomID: room.RoomID, MemberID: pt.Identity})
	if first && room.Config.Recording.Enabled && room.Config.Recording.AutoStart {
		// autoStart: the meeting is recorded from its start; someone with recordingControl
		// may still stop and restart it.
		if _, err := s.startRecording(ctx, System(), room, ""); err != nil {
			s.log.Info("meeting not recorded automatically", "room", room.RoomID, "err", err)
		}
	}
	out := pt.clone()
	return &out, nil
}

// clone copies a participant with its own track map, so that the copy may leave the lock.
func (pt *Participant) clone() Participant {
	c := *pt
	c.tracks = maps.Clone(pt.tracks)
	c.muted = maps.Clone(pt.muted)
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

// ResumeMeeting lets the holder of a member token take its seat back over a new
// connection c (the old one dropped), presenting the resume secret it was given: the
// participant is still in the meeting, so nothing changes but the connection. The old
// client is closed with CloseReplaced. It returns the participant (with a new resume
// secret) and the permissions that apply to it now (promotion counts); KindNotFound when
// the participant is no longer in the meeting, ErrBadResume when the secret is wrong.
func (s *Service) ResumeMeeting(ctx context.Context, p *Principal, secret string, c Client) (*Participant, Permissions, error) {
	if p == nil || p.Kind != PrincipalMember {
		return nil, Permissions{}, ErrUnauthenticated
	}
	mc := p.Member
	if !mc.JoinMeeting || !mc.Permissions.MeetingJoin {
		return nil, Permissions{}, forbidden("This token does not allow joining the meeting of room %q", mc.RoomID)
	}
	room, err := loadRoom(ctx, s.store, mc.RoomID)
	if err != nil {
		return nil, Permissions{}, err
	}
	s.live.mu.Lock()
	lr := s.live.room(room.RoomID)
	var pt *Participant
	if lr != nil {
		pt = lr.parts[mc.Identity]
	}
	if pt == nil {
		s.live.mu.Unlock()
		if lr == nil {
			return nil, Permissions{}, noMeeting(room.RoomID)
		}
		return nil, Permissions{}, participantNotFound(room.RoomID, mc.Identity)
	}
	if secret == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(pt.resume)) != 1 {
		s.live.mu.Unlock()
		return nil, Permissions{}, &Error{Kind: KindForbidden, Title: "Participant Error", Code: ErrBadResume.Code,
			Message: "This connection cannot be resumed"}
	}
	old := pt.client
	pt.client, pt.resume = c, rand.Text()
	out := pt.clone()
	s.live.mu.Unlock()
	if old != nil {
		old.Close(CloseReplaced, "resumed on another connection")
	}
	return &out, out.Permissions(room), nil
}

// LeaveMeeting records that the participant whose connection is c left. It does nothing
// when c no longer holds the seat (core removed the participant, or a resumed connection
// took its place). When the last one goes, the meeting ends after the grace period unless
// someone joins meanwhile.
func (s *Service) LeaveMeeting(roomID, identity string, c Client) {
	s.live.mu.Lock()
	lr := s.live.room(roomID)
	if lr == nil || lr.parts[identity] == nil || lr.parts[identity].client != c {
		s.live.mu.Unlock()
		return
	}
	pt := lr.parts[identity]
	delete(lr.parts, identity)
	s.scheduleEndLocked(roomID, lr)
	s.live.mu.Unlock()
	s.recordLeave(pt, "left")
	s.bus.Publish(Event{Type: EventParticipantLeft, RoomID: roomID, MemberID: identity})
}

// scheduleEndLocked starts the grace period of a meeting nobody is left in. The caller
// holds s.live.mu.
func (s *Service) scheduleEndLocked(roomID string, lr *liveRoom) {
	if len(lr.parts) == 0 && lr.ending == nil {
		lr.gen++
		gen := lr.gen
		lr.ending = time.AfterFunc(s.cfg.MeetingEndGrace, func() { s.finishMeeting(roomID, gen) })
	}
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
	meetingID, deleted := lr.meetingID, lr.deleted
	s.live.mu.Unlock()
	if err := s.store.FinishMeeting(context.Background(), meetingID, s.nowMS()); err != nil {
		s.log.Error("meeting end not recorded in the history", "room", roomID, "err", err)
	}
	// Its recording ends with it, files finished before the meeting is marked over (and,
	// at shutdown, before the server exits).
	s.stopRoomRecording(roomID, "The meeting ended")
	if err := s.setMeetingStatus(context.Background(), roomID, false); err != nil {
		s.log.Error("meeting end not recorded", "room", roomID, "err", err)
	}
	if deleted != nil { // its room went first: announced with the room as it was
		ctx := context.Background()
		queued := false
		err := s.store.InTx(ctx, func(tx Store) error {
			queued = s.queueMeetingWebhook(ctx, tx, deleted, false)
			return nil
		})
		s.webhooksQueued(queued, err)
	}
	s.bus.Publish(Event{Type: EventMeetingEnded, RoomID: roomID})
}

// setMeetingStatus records a meeting's start or end on its room. At the end, the action a
// deletion or closing scheduled "when the meeting ends" is carried out.
func (s *Service) setMeetingStatus(ctx context.Context, roomID string, live bool) error {
	deleteRoom, queued := false, false
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
			if r.Status != StatusClosed { // a room closed while live stays closed
				r.Status = StatusOpen
			}
			switch r.MeetingEndAction {
			case EndActionClose:
				r.Status = StatusClosed
			case EndActionDelete:
				deleteRoom = true
				if err := tx.DeleteRoom(ctx, roomID); err != nil {
					return err
				}
				queued = s.queueMeetingWebhook(ctx, tx, r, live)
				return s.auditAs(ctx, tx, System(), "room.delete", "room:"+roomID, map[string]string{"result": "deleted when the meeting ended"})
			}
			r.MeetingEndAction = EndActionNone
		}
		if err := tx.UpdateRoom(ctx, r); err != nil {
			return err
		}
		queued = s.queueMeetingWebhook(ctx, tx, r, live)
		return nil
	})
	s.webhooksQueued(queued, err)
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
	if err := s.recoverMeetingHistory(ctx); err != nil {
		return 0, err
	}
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
	s.endMeeting(roomID, CloseEnded, "The meeting was ended by a moderator")
	return nil
}

// endMeeting closes every client of the room's meeting with why and message and ends it
// now.
func (s *Service) endMeeting(roomID string, why CloseReason, message string) {
	s.live.mu.Lock()
	var cs []closing
	var gone []*Participant
	if lr := s.live.room(roomID); lr != nil {
		for _, pt := range lr.parts {
			if pt.client != nil {
				cs = append(cs, closing{pt.client, why, message})
			}
			gone = append(gone, pt)
		}
		clear(lr.parts)
	}
	s.live.mu.Unlock()
	closeAll(cs)
	for _, pt := range gone {
		s.recordLeave(pt, "the meeting ended")
	}
	s.finishMeeting(roomID, -1)
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
	s.expel(roomID, []string{identity}, "You were removed from the meeting by a moderator")
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
		return refuse(ErrCannotPromote.Code, "cannot be promoted to moderator because they already are one")
	case action == RoleDowngrade && pt.MeetingRole == pt.Role:
		return refuse(ErrCannotDemote.Code, "cannot be demoted because they are not a promoted moderator")
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
	if out.client != nil {
		out.client.Update(out, out.Permissions(room))
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
	if c := s.clientOf(roomID, identity); c != nil {
		c.Mute(kind)
	}
	// Whatever the connection does, the participant is muted now: watchers show it so.
	for _, src := range map[string][]string{MediaAudio: {"microphone"}, MediaVideo: {"camera"}, MediaScreen: {"screen", "screen_audio"}}[kind] {
		s.SourceMuted(roomID, identity, src, true)
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
	for _, id := range ids {
		s.endMeeting(id, CloseGoingAway, reason)
	}
	return len(ids)
}

// queueMeetingWebhook queues meetingStarted or meetingEnded with the room as it is now.
func (s *Service) queueMeetingWebhook(ctx context.Context, tx Store, r *Room, live bool) bool {
	ev := WebhookMeetingEnded
	if live {
		ev = WebhookMeetingStarted
	}
	c := *r
	return s.queueWebhook(ctx, tx, WebhookEvent{Event: ev, Room: &c})
}

// keepDeletedRoom notes, for the meetingEnded webhook, the room deleted during its meeting
// (closed: it can no longer be joined).
func (s *Service) keepDeletedRoom(r *Room) {
	c := *r
	c.Status = StatusClosed
	s.live.mu.Lock()
	if lr := s.live.room(r.RoomID); lr != nil {
		lr.deleted = &c
	}
	s.live.mu.Unlock()
}
