package core

import (
	"context"
	"slices"
)

// Live participants' rights follow every change at once (SPEC 13): after a change that
// can alter what connected participants may do (a user deleted or its role changed, a
// member updated or deleted, an access link regenerated), core works out again, from the
// store as it is now, what each participant concerned holds in its room. Those who may no
// longer join are expelled; the others get their new rights through their client.

// seatOrigin is how a participant got its seat, kept so that its rights can be worked out
// again without the token it joined with (which the change may have revoked).
type seatOrigin struct {
	subject string // a Subject* constant of its token
	userID  string // the internal user it is, if any
	member  string // its member id, for SubjectMember
	apiKey  string // the API key that minted its token, for SubjectAPIKey
	// linkSecret is the anonymous link's secret it came through: the one the room held
	// when it joined (its token's room version was current, so the same secret).
	linkSecret string
}

// originOf records where a joining participant's rights come from.
func originOf(c *MemberClaims, room *Room) seatOrigin {
	o := seatOrigin{subject: c.SubjectKind, userID: c.UserID, apiKey: c.APIKeyID}
	switch c.SubjectKind {
	case SubjectMember:
		o.member = c.MemberID
	case SubjectUser:
		o.userID = c.MemberID
	case SubjectAnonymous:
		switch c.Grant {
		case GrantAnonymousModerator:
			o.linkSecret = room.Access.Moderator.Secret
		case GrantAnonymousSpeaker:
			o.linkSecret = room.Access.Speaker.Secret
		}
	}
	return o
}

// grantNow is what the participant of origin o holds in room now; Source GrantNone when
// it holds nothing (its user or membership is gone, its link was regenerated).
func (s *Service) grantNow(ctx context.Context, room *Room, o seatOrigin) (Grant, error) {
	a := Access{}
	switch o.subject {
	case SubjectAPIKey:
		if _, err := s.store.GetAPIKey(ctx, o.apiKey); isNoRows(err) {
			return Grant{Source: GrantNone}, nil // the key was revoked
		} else if err != nil {
			return Grant{}, internal("load API key", err)
		}
		a.APIKey = true
	case SubjectAnonymous:
		a.Secret = o.linkSecret
	}
	if o.userID != "" {
		u, err := s.store.GetUser(ctx, o.userID)
		if isNoRows(err) {
			return Grant{Source: GrantNone}, nil
		} else if err != nil {
			return Grant{}, internal("load user", err)
		}
		a.User = u
	}
	if memberID := o.member; memberID != "" || (a.User != nil && a.User.Role != RoleAdmin && a.User.UserID != room.Owner) {
		if memberID == "" {
			memberID = a.User.UserID
		}
		m, err := s.store.GetMember(ctx, room.RoomID, memberID)
		switch {
		case err == nil:
			a.Member = m
		case !isNoRows(err):
			return Grant{}, internal("load member", err)
		case o.member != "":
			return Grant{Source: GrantNone}, nil // the member was removed
		}
	}
	return ResolvePermissions(room, a), nil
}

// reevaluate works out again the rights of the live participants of roomID that match,
// expelling those who may no longer join (telling them message) and giving the others
// their new rights. It returns how many were expelled and how many got new rights.
func (s *Service) reevaluate(ctx context.Context, roomID string, match func(*Participant) bool, message string) (expelled, updated int) {
	s.live.mu.Lock()
	var concerned []Participant
	if lr := s.live.room(roomID); lr != nil {
		for _, pt := range lr.parts {
			if match(pt) {
				concerned = append(concerned, pt.clone())
			}
		}
	}
	s.live.mu.Unlock()
	if len(concerned) == 0 {
		return 0, 0
	}
	room, err := s.store.GetRoom(ctx, roomID)
	if isNoRows(err) {
		return 0, 0 // deleted meanwhile: its meeting ended with it
	} else if err != nil {
		s.log.Error("rights of live participants not re-evaluated", "room", roomID, "err", err)
		return 0, 0
	}
	var gone []string
	type change struct {
		identity string
		g        Grant
	}
	var changes []change
	for _, pt := range concerned {
		g, err := s.grantNow(ctx, room, pt.origin)
		if err != nil {
			s.log.Error("rights of a live participant not re-evaluated", "room", roomID, "participant", pt.Identity, "err", err)
			continue
		}
		if g.Source == GrantNone || !g.Permissions.MeetingJoin {
			gone = append(gone, pt.Identity)
			continue
		}
		changes = append(changes, change{pt.Identity, g})
	}
	if len(gone) > 0 {
		s.expel(roomID, gone, message)
	}
	for _, ch := range changes {
		if s.applyGrant(room, ch.identity, ch.g) {
			updated++
		}
	}
	return len(gone), updated
}

// applyGrant gives a live participant the rights of grant g; it reports whether what the
// participant may do changed (and its client was told). A participant promoted for this
// meeting stays a moderator for it.
func (s *Service) applyGrant(room *Room, identity string, g Grant) bool {
	s.live.mu.Lock()
	lr := s.live.room(room.RoomID)
	var pt *Participant
	if lr != nil {
		pt = lr.parts[identity]
	}
	if pt == nil {
		s.live.mu.Unlock()
		return false
	}
	before, beforeRole := pt.Permissions(room), pt.MeetingRole
	promoted := pt.MeetingRole == BaseRoleModerator && pt.Role != BaseRoleModerator
	pt.Own, pt.Role = g.Permissions, g.Role
	if !promoted || g.Role == BaseRoleModerator {
		pt.MeetingRole = g.Role
	}
	out := pt.clone()
	s.live.mu.Unlock()
	perms := out.Permissions(room)
	if perms == before && out.MeetingRole == beforeRole {
		return false
	}
	if out.client != nil {
		out.client.Update(out, perms)
	}
	s.bus.Publish(Event{Type: EventParticipantUpdated, RoomID: room.RoomID, MemberID: identity})
	return true
}

// liveRoomsOf lists the live meetings in which the internal user userID is a participant
// (as a member, the owner, an admin or through user access).
func (s *Service) liveRoomsOf(userID string) []string {
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	var ids []string
	for id, lr := range s.live.rooms {
		for _, pt := range lr.parts {
			if pt.origin.userID == userID {
				ids = append(ids, id)
				break
			}
		}
	}
	slices.Sort(ids)
	return ids
}

// userChanged re-evaluates the user's seats in every live meeting.
func (s *Service) userChanged(ctx context.Context, userID, message string) {
	for _, roomID := range s.liveRoomsOf(userID) {
		s.reevaluate(ctx, roomID, func(pt *Participant) bool { return pt.origin.userID == userID }, message)
	}
}

// apiKeysChanged re-evaluates every seat taken with a token an API key minted: a revoked
// key's participants go.
func (s *Service) apiKeysChanged(ctx context.Context) {
	byKey := func(pt *Participant) bool { return pt.origin.subject == SubjectAPIKey }
	s.live.mu.Lock()
	var rooms []string
	for id, lr := range s.live.rooms {
		for _, pt := range lr.parts {
			if byKey(pt) {
				rooms = append(rooms, id)
				break
			}
		}
	}
	s.live.mu.Unlock()
	for _, id := range rooms {
		s.reevaluate(ctx, id, byKey, "The API key that let you in was revoked")
	}
}
