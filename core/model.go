package core

// This file holds the domain records core keeps in its Store. Their JSON form is not the
// wire form: web renders OpenVidu Meet's shapes from them.

// Role is an internal user's role.
type Role string

// User roles, named exactly as OpenVidu Meet 3.9 names them on the wire.
const (
	RoleAdmin       Role = "admin"
	RoleRoomManager Role = "room_manager"
	RoleRoomMember  Role = "room_member"
)

// RootAdminID is the fixed userId of the root admin.
const RootAdminID = "admin"

// ParseRole accepts a role name from the wire; the older name "user" means room_manager.
func ParseRole(s string) (Role, bool) {
	switch s {
	case "admin":
		return RoleAdmin, true
	case "room_manager", "user":
		return RoleRoomManager, true
	case "room_member":
		return RoleRoomMember, true
	}
	return "", false
}

// User is an internal user.
type User struct {
	UserID             string
	Name               string
	Role               Role
	PasswordHash       string
	MustChangePassword bool
	RegistrationDate   int64 // epoch ms
	RoleUpdatedAt      int64 // epoch ms
	// TokenVersion grows whenever the user's role or password changes; tokens carry the
	// version they were issued under and are refused once it moved on.
	TokenVersion int64
	// Generation is random and set once, when the user is created: a user deleted and
	// created again under the same userId is another incarnation, and tokens of the
	// earlier one (whose TokenVersion the new one starts over) never match it.
	Generation string
}

// Base roles of a room member or anonymous link.
const (
	BaseRoleModerator = "moderator"
	BaseRoleSpeaker   = "speaker"
)

// Room statuses.
const (
	StatusOpen          = "open"
	StatusActiveMeeting = "active_meeting"
	StatusClosed        = "closed"
)

// Meeting-end actions (what happens to a room when its meeting ends).
const (
	EndActionNone   = "none"
	EndActionClose  = "close"
	EndActionDelete = "delete"
)

// Room is a meeting room with its rules.
type Room struct {
	RoomID             string
	RoomName           string
	Owner              string
	CreationDate       int64
	AutoDeletionDate   *int64
	AutoDeletionPolicy AutoDeletionPolicy
	Config             RoomConfig
	Roles              RoomRoles
	Access             RoomAccess
	Status             string
	RolesUpdatedAt     int64
	MeetingEndAction   string
	// RolesVersion grows whenever roles or access change; room-member tokens carry it.
	RolesVersion int64
}

// AutoDeletionPolicy says what the janitor does with a room whose auto-deletion date passed.
type AutoDeletionPolicy struct {
	WithMeeting    string `json:"withMeeting"`    // force | when_meeting_ends
	WithRecordings string `json:"withRecordings"` // force | close
}

// RoomConfig is a room's feature configuration.
type RoomConfig struct {
	Chat              EnabledFlag     `json:"chat"`
	Recording         RecordingConfig `json:"recording"`
	VirtualBackground EnabledFlag     `json:"virtualBackground"`
	E2EE              EnabledFlag     `json:"e2ee"`
	Captions          EnabledFlag     `json:"captions"`
}

// EnabledFlag is a feature switch.
type EnabledFlag struct {
	Enabled bool `json:"enabled"`
}

// RecordingConfig is the recording part of a room's configuration.
type RecordingConfig struct {
	Enabled       bool   `json:"enabled"`
	AutoStart     bool   `json:"autoStart"`
	Layout        string `json:"layout"`
	RetentionDays int    `json:"retentionDays"`
	// InternalMembersOnly keeps the room's recordings from its external members and from
	// anonymous and public share links altogether (Conclave's extension, DingTalk's
	// "access limited to internal members").
	InternalMembersOnly bool `json:"internalMembersOnly,omitempty"`
	// Encoding is OpenVidu Meet's encoding preset or options, kept as given (Conclave does
	// not transcode, so it is informational).
	Encoding any `json:"encoding,omitempty"`
}

// RoomRoles holds the permission sets of the two meeting roles of a room.
type RoomRoles struct {
	Moderator RolePermissions `json:"moderator"`
	Speaker   RolePermissions `json:"speaker"`
}

// RolePermissions wraps a role's permissions as OpenVidu Meet nests them.
type RolePermissions struct {
	Permissions Permissions `json:"permissions"`
}

// RoomAccess holds a room's access rules and the secrets behind its anonymous links.
type RoomAccess struct {
	Moderator   AnonymousAccess `json:"moderator"`
	Speaker     AnonymousAccess `json:"speaker"`
	Recording   AnonymousAccess `json:"recording"`
	UserEnabled bool            `json:"userEnabled"`
}

// AnonymousAccess is one anonymous link: whether it works and its secret.
type AnonymousAccess struct {
	Enabled bool   `json:"enabled"`
	Secret  string `json:"secret"`
}

// Member types, named as OpenVidu Meet names them.
const (
	MemberTypeUser  = "user"
	MemberTypeGuest = "identified_guest"
)

// Member is a named participant of a room: an internal user or an external person.
type Member struct {
	RoomID         string
	MemberID       string // userId for internal members, "ext-…" for external ones
	Type           string // MemberTypeUser | MemberTypeGuest
	Name           string
	BaseRole       string
	Custom         PermissionSet
	MembershipDate int64
	UpdatedAt      int64 // last change of base role or custom permissions
	// Version grows whenever base role or custom permissions change.
	Version int64
	// Generation is random and set once, when the member is added: a member removed and
	// added again is another incarnation, and tokens of the earlier one never match it.
	Generation string
}

// EffectivePermissions is the base role's permissions in room overlaid with the member's
// custom ones. It is derived on every read, so it follows changes of the room's roles.
func (m *Member) EffectivePermissions(room *Room) Permissions {
	base := room.Roles.Speaker.Permissions
	if m.BaseRole == BaseRoleModerator {
		base = room.Roles.Moderator.Permissions
	}
	return base.Overlay(m.Custom)
}

// PermissionsUpdatedAt is the last time the member's effective permissions changed.
func (m *Member) PermissionsUpdatedAt(room *Room) int64 {
	return max(m.UpdatedAt, room.RolesUpdatedAt)
}

// APIKey is a named API key; only a hash of its secret is kept.
type APIKey struct {
	ID           string // public identifier, also the key's prefix
	Name         string
	Hash         []byte // SHA-256 of the secret part
	CreationDate int64
	CreatedBy    string
	LastUsed     int64
}

// SSHKey is a public key an internal user signs in to the control room with.
type SSHKey struct {
	ID          string
	UserID      string
	Fingerprint string // SHA256:…
	Type        string // ssh-ed25519, …
	Comment     string
	PublicKey   []byte // SSH wire format
	Added       int64
	LastUsed    int64
}

// Session is a signed-in user's refresh-token chain: logging out or reusing a rotated
// refresh token ends it, and every access token it issued stops working.
type Session struct {
	ID         string
	UserID     string
	RefreshJTI string // the only refresh token of this session still accepted
	Created    int64
	Expires    int64
	Source     string
	Device     string
}

// AuditEntry is one line of the append-only audit log.
type AuditEntry struct {
	ID      int64
	Time    int64 // epoch ms
	Actor   string
	Action  string
	Target  string
	Outcome string // success | failure
	Source  string
	Device  string
	Detail  string
	// ActorName is the display name of a meeting participant acting under an identity
	// (member:anon-…@room), "" for other actors.
	ActorName string
}
