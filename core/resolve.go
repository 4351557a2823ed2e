package core

import "crypto/subtle"

// Access describes who asks for permissions in a room; the caller fills in what it knows.
type Access struct {
	// Token is a validated room-member token for this room.
	Token *MemberClaims
	// APIKey is set for requests authenticated with an API key.
	APIKey bool
	// User is the signed-in internal user, if any.
	User *User
	// Member is the caller's membership of the room: the signed-in user's, or the external
	// member whose id was presented as the secret.
	Member *Member
	// Secret is an anonymous access secret presented by the caller.
	Secret string
}

// Grant sources, in the order SPEC 5 tries them.
const (
	GrantToken              = "token"
	GrantAPIKey             = "apiKey"
	GrantAdmin              = "admin"
	GrantOwner              = "owner"
	GrantMember             = "member"
	GrantUserAccess         = "userAccess"
	GrantAnonymousModerator = "anonymousModerator"
	GrantAnonymousSpeaker   = "anonymousSpeaker"
	GrantAnonymousRecording = "anonymousRecording"
	GrantNone               = "none"
)

// Grant is the outcome of permission resolution.
type Grant struct {
	Permissions Permissions
	// Source says which rule matched (one of the Grant* constants).
	Source string
	// Role is the meeting role the grant corresponds to: "moderator", "speaker" or "" when
	// the grant is not a meeting role (none, recording-only).
	Role string
}

// ResolvePermissions is the one place that decides what a caller may do in a room (SPEC 5):
// the first rule that matches wins. Every caller (REST, signalling, control room) uses it.
func ResolvePermissions(room *Room, a Access) Grant {
	if room == nil {
		return Grant{Source: GrantNone}
	}
	switch {
	case a.Token != nil && a.Token.RoomID == room.RoomID:
		return Grant{Permissions: a.Token.Permissions, Source: GrantToken, Role: a.Token.Role}
	case a.APIKey:
		return Grant{Permissions: AllPermissions(), Source: GrantAPIKey, Role: BaseRoleModerator}
	case a.User != nil && a.User.Role == RoleAdmin:
		return Grant{Permissions: AllPermissions(), Source: GrantAdmin, Role: BaseRoleModerator}
	case a.User != nil && a.User.UserID == room.Owner:
		return Grant{Permissions: AllPermissions(), Source: GrantOwner, Role: BaseRoleModerator}
	case a.Member != nil && a.Member.RoomID == room.RoomID && (a.Member.Type == MemberTypeGuest || (a.User != nil && a.Member.MemberID == a.User.UserID)):
		return Grant{Permissions: a.Member.EffectivePermissions(room), Source: GrantMember, Role: a.Member.BaseRole}
	case a.User != nil && room.Access.UserEnabled:
		return Grant{Permissions: room.Roles.Speaker.Permissions, Source: GrantUserAccess, Role: BaseRoleSpeaker}
	}
	if a.Secret != "" {
		acc := room.Access
		switch {
		case acc.Moderator.Enabled && secretEqual(a.Secret, acc.Moderator.Secret):
			return Grant{Permissions: room.Roles.Moderator.Permissions, Source: GrantAnonymousModerator, Role: BaseRoleModerator}
		case acc.Speaker.Enabled && secretEqual(a.Secret, acc.Speaker.Secret):
			return Grant{Permissions: room.Roles.Speaker.Permissions, Source: GrantAnonymousSpeaker, Role: BaseRoleSpeaker}
		case acc.Recording.Enabled && secretEqual(a.Secret, acc.Recording.Secret):
			return Grant{Permissions: Permissions{
				RecordingList:     true,
				RecordingPlay:     true,
				RecordingDownload: room.Roles.Speaker.Permissions.RecordingDownload,
			}, Source: GrantAnonymousRecording}
		}
	}
	return Grant{Source: GrantNone}
}

// secretEqual compares secrets in constant time; an empty stored secret never matches.
func secretEqual(given, stored string) bool {
	if stored == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(given), []byte(stored)) == 1
}
