package core

import (
	"context"
	"strings"
)

// Acts on a recording, each judged by RecordingRights (SPEC 7.3).
const (
	RecActList     = "list"
	RecActPlay     = "play"
	RecActDownload = "download"
	RecActDelete   = "delete"
	RecActShare    = "share"
	// RecActRestore is taking a recording out of the trash: its room's owner and admins.
	RecActRestore = "restore"
)

// recActPerm is the room permission each act needs of someone who is neither an admin
// nor the room's owner.
var recActPerm = map[string]string{
	RecActList:     "recordingList",
	RecActPlay:     "recordingPlay",
	RecActDownload: "recordingDownload",
	RecActDelete:   "recordingDelete",
	RecActShare:    "recordingShare",
}

// Reasons a RecordingDecision gives: why an act is allowed or refused. Tests assert the
// reason, so that a cell allowed for the wrong reason fails.
const (
	RecReasonSystem       = "system"       // the server's own work
	RecReasonAPIKey       = "apiKey"       // an API key acts as the root admin
	RecReasonAdmin        = "admin"        // a signed-in admin
	RecReasonOwner        = "owner"        // the room's owner
	RecReasonPermission   = "permission"   // held the room permission (Source says how)
	RecReasonShareLink    = "shareLink"    // a share link of this recording allows it
	RecReasonNoPermission = "noPermission" // has access to the room, not this permission
	RecReasonNoAccess     = "noAccess"     // nothing grants the caller anything in the room
	RecReasonInternalOnly = "internalOnly" // an external member or anonymous link, refused by the room's setting
	RecReasonOtherRoom    = "otherRoom"    // a room-member token of another room
	RecReasonLinkScope    = "linkScope"    // a share link does not unlock this act
	RecReasonLinkInvalid  = "linkInvalid"  // a share link revoked, expired or of another recording
	RecReasonRoomGone     = "roomGone"     // the room is gone: only admins and API keys
	RecReasonOwnerOnly    = "ownerOnly"    // only the owner and admins may (restore)
	RecReasonInactive     = "inactive"     // unauthenticated, or a password change is due
)

// RecordingDecision is what RecordingRights decided, with why.
type RecordingDecision struct {
	Allowed bool
	// Reason is one of the RecReason* constants.
	Reason string
	// Source is the grant the caller's rights in the room came from (a Grant* constant;
	// for room-member tokens the grant the token was issued through), "" when none.
	Source string
	// Perm is the room permission the act needs ("" for restore).
	Perm string
	// Err is the refusal to answer with; nil when allowed.
	Err error
}

// RecordingRights is the one function that decides whether p may do act (a RecAct*
// constant) on a recording of roomID; room is nil when the room is gone. Every caller
// (REST, player, share links, control room, SSH commands) asks it, at the moment of the
// act: a member's membership and permissions are read now, so a member removed or demoted
// after the meeting has lost its rights already.
//
// In order: the server itself, API keys, admins and the room's owner may do everything; a
// share link may only play (and, when it allows, download) its own recording; a room whose
// recordings are for internal members only refuses external members and anonymous links
// whatever they hold; everyone else needs the act's permission in the room (SPEC 5: a
// member's effective permissions, user access's speaker ones, an anonymous link's role's,
// the recording link's list and play, plus download where speakers may).
func (s *Service) RecordingRights(ctx context.Context, p *Principal, roomID string, room *Room, act string) (RecordingDecision, error) {
	return s.recordingRights(ctx, s.store, p, roomID, room, "", act)
}

func (s *Service) recordingRights(ctx context.Context, st Store, p *Principal, roomID string, room *Room, recordingID, act string) (RecordingDecision, error) {
	perm := recActPerm[act]
	d := RecordingDecision{Perm: perm}
	refuse := func(reason string, err error) (RecordingDecision, error) {
		d.Allowed, d.Reason, d.Err = false, reason, err
		return d, nil
	}
	allow := func(reason string) (RecordingDecision, error) {
		d.Allowed, d.Reason, d.Err = true, reason, nil
		return d, nil
	}
	if perm == "" && act != RecActRestore {
		return d, invalid("act", "unknown recording act %q", act)
	}
	if p != nil && p.Kind == PrincipalShareLink {
		return s.shareLinkRights(ctx, st, p, recordingID, act, d)
	}
	if err := p.active(); err != nil {
		return refuse(RecReasonInactive, err)
	}
	switch {
	case p.Kind == PrincipalSystem:
		d.Source = GrantAPIKey
		return allow(RecReasonSystem)
	case p.Kind == PrincipalAPIKey:
		d.Source = GrantAPIKey
		return allow(RecReasonAPIKey)
	case p.Kind == PrincipalUser && p.User.Role == RoleAdmin:
		d.Source = GrantAdmin
		return allow(RecReasonAdmin)
	}
	if room == nil {
		return refuse(RecReasonRoomGone, forbidden("Room %q of this recording is gone: only admins may reach its recordings", roomID))
	}
	if p.Kind == PrincipalUser && p.User.UserID == room.Owner {
		d.Source = GrantOwner
		return allow(RecReasonOwner)
	}
	if p.Kind == PrincipalMember && p.Member.RoomID != room.RoomID {
		return refuse(RecReasonOtherRoom, forbidden("This room member token is for another room"))
	}
	g, err := s.roomAccessFor(ctx, st, p, room)
	if err != nil {
		return d, err
	}
	perms := g.Permissions
	d.Source = g.Source
	if p.Kind == PrincipalMember {
		d.Source = p.Member.Grant
		// Promotion in the meeting counts while it lasts, as it does for moderation.
		s.live.mu.Lock()
		if lr := s.live.room(room.RoomID); lr != nil && lr.parts[p.Member.Identity] != nil {
			perms = lr.parts[p.Member.Identity].Permissions(room)
		}
		s.live.mu.Unlock()
		// A token of the owner or an admin holds everything already; its holder is that
		// user, so it is judged so.
		switch p.Member.Grant {
		case GrantAdmin:
			return allow(RecReasonAdmin)
		case GrantAPIKey:
			return allow(RecReasonAPIKey)
		case GrantOwner:
			if p.Member.UserID == room.Owner {
				return allow(RecReasonOwner)
			}
		}
	}
	if g.Source == GrantNone {
		return refuse(RecReasonNoAccess, forbidden("You have no access to the recordings of room %q", room.RoomID))
	}
	if room.Config.Recording.InternalMembersOnly && isExternal(p, g) {
		return refuse(RecReasonInternalOnly, forbidden("The recordings of room %q are for its internal members only", room.RoomID))
	}
	if act == RecActRestore {
		return refuse(RecReasonOwnerOnly, forbidden("Only the owner of room %q and admins may restore its recordings", room.RoomID))
	}
	if !perms.Get(perm) {
		return refuse(RecReasonNoPermission, forbidden("You need %s in room %q", perm, room.RoomID))
	}
	return allow(RecReasonPermission)
}

// isExternal reports whether the caller is outside the organisation: an external member
// (by its secret) or the holder of an anonymous access link. Internal users, whatever
// their role in the room, and API keys are not.
func isExternal(p *Principal, g Grant) bool {
	if p.Kind != PrincipalMember {
		return false
	}
	switch p.Member.SubjectKind {
	case SubjectAnonymous:
		return true
	case SubjectMember:
		return p.Member.UserID == "" || strings.HasPrefix(p.Member.MemberID, ExternalMemberPrefix)
	}
	switch g.Source {
	case GrantAnonymousModerator, GrantAnonymousSpeaker, GrantAnonymousRecording:
		return true
	}
	return false
}

// recordingDecision judges act on rec, loading its room (gone rooms are for admins).
func (s *Service) recordingDecision(ctx context.Context, st Store, p *Principal, rec *Recording, act string) (RecordingDecision, error) {
	room, err := st.GetRoom(ctx, rec.RoomID)
	if isNoRows(err) {
		room = nil
	} else if err != nil {
		return RecordingDecision{}, internal("load room", err)
	}
	return s.recordingRights(ctx, st, p, rec.RoomID, room, rec.RecordingID, act)
}

// RecordingDecisionFor is RecordingRights for a recording by id, for front ends that
// show what a caller may do with it (the player's download button, the control room's
// keys). A recording that does not exist is ErrRecordingNotFound.
func (s *Service) RecordingDecisionFor(ctx context.Context, p *Principal, recordingID, act string) (RecordingDecision, error) {
	rec, err := s.loadRecording(ctx, recordingID)
	if err != nil {
		return RecordingDecision{}, err
	}
	return s.recordingDecision(ctx, s.store, p, rec, act)
}

// actOfPerm maps the permission the older callers name to its act.
func actOfPerm(perm string) string {
	for act, p := range recActPerm {
		if p == perm {
			return act
		}
	}
	return ""
}
