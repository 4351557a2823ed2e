package core

// Client is one connection to a live meeting. Core holds the one registry of who is in
// which meeting (the participants, each with its client and tracks); a participant's
// signalling connection (package signal, which owns its SFU peer) is one implementation,
// and the recorder joins a meeting as one more, as Galene's disk writer is one more
// group.Client. Whatever core decides about a participant reaches it through its client:
// removing a participant from the registry closes its client, which ends its socket and
// its media.
//
// Core calls these methods outside its locks, from the goroutine of the act that caused
// them; they must return promptly (queue work, never wait on the network) and must not
// call back into the meeting's registry synchronously in a way that waits for the caller.
type Client interface {
	// Close ends the connection because of why, telling the participant message. Core
	// has already taken the participant out of the registry (or, for CloseReplaced,
	// given its seat to another client).
	Close(why CloseReason, message string)
	// Update applies the participant's new meeting role and permissions (promotion,
	// demotion): what it may publish and do from now on.
	Update(p Participant, perms Permissions)
	// Mute stops forwarding one kind (MediaAudio, MediaVideo, MediaScreen) of the
	// participant's media and tells it so.
	Mute(kind string)
	// TracksChanged tells the client its participant's set of published tracks changed
	// (p.Tracks() is the new set), so that the others can be told.
	TracksChanged(p Participant)
	// RecordingChanged tells the client whether the meeting is being recorded now (the
	// recording indicator, which no setting hides).
	RecordingChanged(active bool)
}

// CloseReason says why core closed a client.
type CloseReason int

// Why a client is closed.
const (
	// CloseKicked: the participant was removed (by a moderator, or because it may no
	// longer join: member deleted, user deleted, meetingJoin lost).
	CloseKicked CloseReason = iota + 1
	// CloseEnded: the meeting ended for everyone.
	CloseEnded
	// CloseGoingAway: the server is shutting down.
	CloseGoingAway
	// CloseReplaced: the participant resumed its seat on another connection.
	CloseReplaced
)

// MeetingClients returns the clients of a room's live meeting, in no particular order
// (none when the room has no meeting). Clients use it to reach each other (a chat message,
// a participant joining), so that nobody keeps a second list of who is there.
func (s *Service) MeetingClients(roomID string) []Client {
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	lr := s.live.room(roomID)
	if lr == nil {
		return nil
	}
	out := make([]Client, 0, len(lr.parts))
	for _, pt := range lr.parts {
		if pt.client != nil {
			out = append(out, pt.client)
		}
	}
	return out
}

// closing is a client to close once the registry's lock is released.
type closing struct {
	c       Client
	why     CloseReason
	message string
}

func closeAll(cs []closing) {
	for _, c := range cs {
		c.c.Close(c.why, c.message)
	}
}

// expel takes identities out of the room's meeting and closes their clients with
// message: their seats are free at once, so the meeting ends after its grace period when
// nobody is left, and the same identity may join again with a fresh token.
func (s *Service) expel(roomID string, identities []string, message string) {
	s.live.mu.Lock()
	lr := s.live.room(roomID)
	if lr == nil {
		s.live.mu.Unlock()
		return
	}
	var cs []closing
	var gone []string
	var left []*Participant
	for _, id := range identities {
		pt := lr.parts[id]
		if pt == nil {
			continue
		}
		delete(lr.parts, id)
		gone = append(gone, id)
		left = append(left, pt)
		if pt.client != nil {
			cs = append(cs, closing{pt.client, CloseKicked, message})
		}
	}
	s.scheduleEndLocked(roomID, lr)
	s.live.mu.Unlock()
	closeAll(cs)
	for _, pt := range left {
		s.recordLeave(pt, "removed: "+message)
	}
	for _, id := range gone {
		s.bus.Publish(Event{Type: EventParticipantLeft, RoomID: roomID, MemberID: id})
	}
}

// clientOf returns a live participant's client (nil when it has none or is not there).
func (s *Service) clientOf(roomID, identity string) Client {
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	if lr := s.live.room(roomID); lr != nil && lr.parts[identity] != nil {
		return lr.parts[identity].client
	}
	return nil
}
