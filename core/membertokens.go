package core

import (
	"context"
	"strings"
)

// MemberTokenRequest asks for a room-member token (POST …/members/token).
type MemberTokenRequest struct {
	// Secret is an anonymous link's secret or an external member's id.
	Secret          string
	JoinMeeting     bool
	ParticipantName string
}

// IssueMemberToken hands out the token a browser uses inside a room. The caller may be
// anonymous (with a secret), a signed-in user, an API key, or the holder of an earlier
// token for the same room, whose participant identity is kept.
//
// The token is bound to what it was issued through: the room's roles and access (which
// also cover the access links' secrets), the member's and the user's incarnation and
// version, and the session or API key that asked for it. It is refused once any of them
// changed or went (AuthenticateMemberToken), and a token issued from it keeps the same
// bindings, so no chain of refreshes outlives its issuer.
func (s *Service) IssueMemberToken(ctx context.Context, p *Principal, roomID string, in MemberTokenRequest) (string, *MemberClaims, error) {
	if p == nil {
		return "", nil, ErrUnauthenticated
	}
	if p.Kind != PrincipalAnonymous {
		if err := p.active(); err != nil {
			return "", nil, err
		}
	}
	if len(in.Secret) > 200 {
		return "", nil, invalid("secret", "must be at most 200 characters")
	}
	room, err := loadRoom(ctx, s.store, roomID)
	if err != nil {
		return "", nil, err
	}
	a := Access{Secret: in.Secret}
	var prev *MemberClaims
	switch p.Kind {
	case PrincipalSystem:
		// Its token would be bound to no key and so never die with one.
		return "", nil, forbidden("The server itself does not hold room member tokens")
	case PrincipalAPIKey:
		a.APIKey = true
	case PrincipalMember:
		if p.Member.RoomID != roomID {
			return "", nil, forbidden("This room member token is for another room")
		}
		prev = p.Member
		a.Token = p.Member
	case PrincipalUser:
		a.User = p.User
	}
	if strings.HasPrefix(in.Secret, ExternalMemberPrefix) {
		m, err := s.store.GetMember(ctx, roomID, in.Secret)
		if err == nil && m.Type == MemberTypeGuest {
			a.Member, a.Secret = m, ""
		} else if err != nil && !isNoRows(err) {
			return "", nil, internal("load member", err)
		}
	} else if a.User != nil && a.User.Role != RoleAdmin && a.User.UserID != room.Owner {
		m, err := s.store.GetMember(ctx, roomID, a.User.UserID)
		if err == nil {
			a.Member = m
		} else if !isNoRows(err) {
			return "", nil, internal("load member", err)
		}
	}
	g := ResolvePermissions(room, a)
	if g.Source == GrantNone {
		switch {
		case in.Secret != "":
			return "", nil, &Error{Kind: KindBadRequest, Title: "Room Error", Code: "invalid_room_secret",
				Message: "Secret is not recognized for room \"" + roomID + "\""}
		case p.Kind == PrincipalAnonymous:
			return "", nil, ErrUnauthenticated
		}
		return "", nil, forbidden("You have no access to room %q", roomID)
	}
	c := MemberClaims{
		RoomID: roomID, Permissions: g.Permissions, Role: g.Role, Grant: g.Source,
		JoinMeeting: in.JoinMeeting, RoomVersion: room.RolesVersion,
	}
	switch {
	case prev != nil:
		c = *prev
		c.JoinMeeting = in.JoinMeeting || prev.JoinMeeting
	case g.Source == GrantMember:
		c.SubjectKind, c.MemberID, c.Identity, c.ParticipantName = SubjectMember, a.Member.MemberID, a.Member.MemberID, a.Member.Name
		c.MemberVersion, c.MemberGeneration = a.Member.Version, a.Member.Generation
		if a.User != nil && a.Member.Type == MemberTypeUser {
			c.UserID, c.UserVersion, c.UserGeneration = a.User.UserID, a.User.TokenVersion, a.User.Generation
		}
	case a.User != nil && (g.Source == GrantAdmin || g.Source == GrantOwner || g.Source == GrantUserAccess):
		c.SubjectKind, c.MemberID, c.Identity, c.ParticipantName = SubjectUser, a.User.UserID, a.User.UserID, a.User.Name
		c.UserID, c.UserVersion, c.UserGeneration = a.User.UserID, a.User.TokenVersion, a.User.Generation
	case g.Source == GrantAPIKey:
		c.SubjectKind, c.Identity = SubjectAPIKey, "api-"+randomID(10)
	default:
		c.SubjectKind, c.Identity = SubjectAnonymous, "anon-"+randomID(10)
	}
	if prev == nil {
		// Bound to the credential that asked, whatever granted the rights: a token got
		// through a session ends with it, one got with an API key dies with the key.
		switch p.Kind {
		case PrincipalUser:
			c.SessionID = p.SessionID // "" for the control room, which has no session
		case PrincipalAPIKey:
			c.APIKeyID = p.APIKey.ID
		}
	}
	if in.ParticipantName != "" && (c.SubjectKind == SubjectAnonymous || c.SubjectKind == SubjectAPIKey || c.SubjectKind == SubjectUser) {
		var v validator
		checkName(&v, "participantName", in.ParticipantName, 50)
		if err := v.err(); err != nil {
			return "", nil, err
		}
		c.ParticipantName = strings.TrimSpace(in.ParticipantName)
	}
	if c.JoinMeeting {
		if room.Status == StatusClosed {
			return "", nil, &Error{Kind: KindConflict, Title: "Room Error", Code: "room_closed",
				Message: "Room '" + roomID + "' is closed and cannot be joined"}
		}
		if !c.Permissions.MeetingJoin {
			return "", nil, forbidden("You may not join the meeting of room %q", roomID)
		}
		if c.ParticipantName == "" {
			return "", nil, &Error{Kind: KindBadRequest, Title: "Room Member Error", Code: "participant_name_required",
				Message: "participantName is required when joining a meeting and it cannot be inferred from member/user context"}
		}
	}
	tok, err := s.issueMemberToken(ctx, c)
	if err != nil {
		return "", nil, err
	}
	return tok, &c, nil
}

// AuthenticateMemberToken checks a room-member token. It is refused once the room's roles
// or access, the member's permissions or the user's role changed after it was issued, or
// when the room, member, user, session or API key it was issued through is gone, even if
// a member or user of the same id exists again.
func (s *Service) AuthenticateMemberToken(ctx context.Context, token string, meta RequestMeta) (*Principal, error) {
	var c memberTokenClaims
	if err := s.parse(ctx, token, &c); err != nil || c.Type != tokenMember {
		return nil, unauthenticated("Invalid or expired room member token")
	}
	room, err := s.store.GetRoom(ctx, c.RoomID)
	if isNoRows(err) {
		return nil, unauthenticated("The room of this token no longer exists")
	} else if err != nil {
		return nil, internal("load room", err)
	}
	if room.RolesVersion != c.RoomVersion {
		return nil, unauthenticated("Token issued before the room's roles or access changed: get a new one")
	}
	if c.SubjectKind == SubjectMember {
		m, err := s.store.GetMember(ctx, c.RoomID, c.MemberID)
		if isNoRows(err) {
			return nil, unauthenticated("This member was removed from the room")
		} else if err != nil {
			return nil, internal("load member", err)
		}
		if !sameGeneration(m.Generation, c.MemberGeneration) {
			return nil, unauthenticated("This member was removed from the room since the token was issued: get a new one")
		}
		if m.Version != c.MemberVersion {
			return nil, unauthenticated("Token issued before the member's permissions changed: get a new one")
		}
	}
	if c.UserID != "" {
		u, err := s.store.GetUser(ctx, c.UserID)
		if isNoRows(err) {
			return nil, unauthenticated("The user of this token no longer exists")
		} else if err != nil {
			return nil, internal("load user", err)
		}
		if !sameGeneration(u.Generation, c.UserGeneration) {
			return nil, unauthenticated("The user of this token was deleted since it was issued")
		}
		if u.TokenVersion != c.UserVersion {
			return nil, unauthenticated("Token issued before the user's role or password changed: get a new one")
		}
	}
	if c.SessionID != "" {
		sess, err := s.store.GetSession(ctx, c.SessionID)
		if isNoRows(err) || (err == nil && (sess.Expires <= s.nowMS() || (c.UserID != "" && sess.UserID != c.UserID))) {
			return nil, unauthenticated("The sign-in session this token was issued through ended: sign in again")
		} else if err != nil {
			return nil, internal("load session", err)
		}
	}
	if c.SubjectKind == SubjectAPIKey && c.APIKeyID == "" {
		// Issued before tokens named their key: it could outlive the key.
		return nil, unauthenticated("Token issued before API-key binding: get a new one")
	}
	if c.APIKeyID != "" {
		if _, err := s.store.GetAPIKey(ctx, c.APIKeyID); isNoRows(err) {
			return nil, unauthenticated("The API key this token was issued with was deleted")
		} else if err != nil {
			return nil, internal("load API key", err)
		}
	}
	mc := c.MemberClaims
	return &Principal{Kind: PrincipalMember, Member: &mc, Meta: meta}, nil
}

// RefreshMemberToken issues a fresh token with the same identity and permissions to the
// holder of a valid token for roomID. The fresh token keeps every binding of the old one
// (incarnations, versions, session, API key), so it is refused as soon as the old one
// would have been: a refresh never outlives what issued the first token.
func (s *Service) RefreshMemberToken(ctx context.Context, p *Principal, roomID string) (string, error) {
	if p == nil || p.Kind != PrincipalMember {
		return "", ErrUnauthenticated
	}
	if p.Member.RoomID != roomID {
		return "", forbidden("This room member token is for another room")
	}
	if _, err := loadRoom(ctx, s.store, roomID); err != nil {
		return "", err
	}
	return s.issueMemberToken(ctx, *p.Member)
}
