package core

import "context"

// Store is what core needs from persistence: one small interface per concern (per table,
// roughly), composed here, plus transactions and a health check. db implements it on
// SQLite; methods return ErrNoRows, ErrDuplicate or ErrBadCursor (possibly wrapped) for the
// expected failures.
//
// A new table gets its own interface in this file (its records in model.go, its query type
// beside the interface if it is listed), embedded in Store, and in db its own numbered
// migration and its own file implementing that interface, with a compile-time assertion
// there. Code that needs only one concern can then take the small interface.
type Store interface {
	UserStore
	APIKeyStore
	SSHKeyStore
	SessionStore
	RoomStore
	MemberStore
	AuditStore
	SettingStore
	RecordingStore
	ShareLinkStore
	AccessLogStore
	MeetingStore
	TermSessionStore
	WebhookStore

	// InTx runs fn in one immediate (write-locking) transaction; fn's Store sees and makes
	// changes inside it. Calling InTx on the Store given to fn runs fn2 inline.
	InTx(ctx context.Context, fn func(tx Store) error) error

	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
}

// RecordingStore keeps the recordings of meetings (their files are the recorder's).
type RecordingStore interface {
	// CreateRecording inserts r; ErrDuplicate when its room already has a recording being
	// made (at most one per room, SPEC 7.1) or the id exists.
	CreateRecording(ctx context.Context, r *Recording) error
	GetRecording(ctx context.Context, recordingID string) (*Recording, error)
	UpdateRecording(ctx context.Context, r *Recording) error
	DeleteRecording(ctx context.Context, recordingID string) error
	ListRecordings(ctx context.Context, q RecordingQuery) (Page[Recording], error)
	// RecordingsInStatus lists the recordings in any of statuses, oldest first (start-up
	// finds those a crash left being made).
	RecordingsInStatus(ctx context.Context, statuses ...string) ([]Recording, error)
	// CountRoomRecordings counts a room's recordings, whatever their status, but not those
	// in the trash.
	CountRoomRecordings(ctx context.Context, roomID string) (int, error)
	// CountRoomTrash counts a room's recordings in the trash.
	CountRoomTrash(ctx context.Context, roomID string) (int, error)
	// RecordingsDueForPurge lists up to limit trashed recordings whose purge time is at or
	// before now, oldest purge time first.
	RecordingsDueForPurge(ctx context.Context, now int64, limit int) ([]Recording, error)
	// RecordingsPastRetention lists up to limit recordings (trashed or not, none being
	// made) whose room keeps recordings retentionDays > 0 days and that started that long
	// before now or earlier, oldest first.
	RecordingsPastRetention(ctx context.Context, now int64, limit int) ([]Recording, error)
	// RecordingUsage sums the recordings by room, status and trash, for the rooms in rooms
	// (every room when rooms is nil).
	RecordingUsage(ctx context.Context, rooms []string) ([]RecordingUsage, error)
}

// RecordingUsage is what the recordings of one room in one status, in the trash or not,
// hold: how many and their bytes (their size as recorded).
type RecordingUsage struct {
	RoomID   string
	RoomName string // "" when the room is gone
	Status   string
	Trashed  bool
	Count    int
	Bytes    int64
}

// UserStore keeps the internal users.
type UserStore interface {
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, userID string) (*User, error)
	UpdateUser(ctx context.Context, u *User) error
	// SwapUserPassword is UpdateUser made only while the stored password hash is still
	// oldHash; ErrNoRows when it is not (another change won) or the user is gone.
	SwapUserPassword(ctx context.Context, u *User, oldHash string) error
	DeleteUser(ctx context.Context, userID string) error
	ListUsers(ctx context.Context, q UserQuery) (Page[User], error)
	CountUsers(ctx context.Context) (int, error)
}

// APIKeyStore keeps the API keys, of which only a hash of the secret is stored.
type APIKeyStore interface {
	CreateAPIKey(ctx context.Context, k *APIKey) error
	GetAPIKey(ctx context.Context, id string) (*APIKey, error)
	ListAPIKeys(ctx context.Context) ([]APIKey, error) // oldest first
	DeleteAPIKey(ctx context.Context, id string) error
	TouchAPIKey(ctx context.Context, id string, when int64) error
}

// SSHKeyStore keeps the SSH public keys internal users sign in to the control room with.
type SSHKeyStore interface {
	CreateSSHKey(ctx context.Context, k *SSHKey) error
	ListSSHKeys(ctx context.Context, userID string) ([]SSHKey, error) // oldest first
	FindSSHKey(ctx context.Context, userID, fingerprint string) (*SSHKey, error)
	DeleteSSHKey(ctx context.Context, userID, id string) error
	TouchSSHKey(ctx context.Context, id string, when int64) error
}

// SessionStore keeps the sign-in sessions, each a user's refresh-token chain.
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	GetSession(ctx context.Context, id string) (*Session, error)
	UpdateSession(ctx context.Context, s *Session) error
	DeleteSession(ctx context.Context, id string) error
	DeleteUserSessions(ctx context.Context, userID string) error
	DeleteExpiredSessions(ctx context.Context, now int64) (int, error)
}

// RoomStore keeps the rooms.
type RoomStore interface {
	CreateRoom(ctx context.Context, r *Room) error
	GetRoom(ctx context.Context, roomID string) (*Room, error)
	UpdateRoom(ctx context.Context, r *Room) error
	DeleteRoom(ctx context.Context, roomID string) error // members go with it
	ListRooms(ctx context.Context, q RoomQuery) (Page[Room], error)
	// CountRooms counts every room (usage analytics).
	CountRooms(ctx context.Context) (int, error)
	// RoomsDueForDeletion lists rooms whose auto-deletion date is at or before now.
	RoomsDueForDeletion(ctx context.Context, now int64, limit int) ([]Room, error)
	// TransferRooms gives every room owned by from to to; it returns how many moved.
	TransferRooms(ctx context.Context, from, to string) (int, error)
}

// MemberStore keeps the rooms' members.
type MemberStore interface {
	CreateMember(ctx context.Context, m *Member) error
	GetMember(ctx context.Context, roomID, memberID string) (*Member, error)
	UpdateMember(ctx context.Context, m *Member) error
	DeleteMember(ctx context.Context, roomID, memberID string) error
	ListMembers(ctx context.Context, q MemberQuery) (Page[Member], error)
	// CountMembers counts the members of each of roomIDs (at most 1000); rooms without
	// members are absent from the map.
	CountMembers(ctx context.Context, roomIDs []string) (map[string]int, error)
	// DeleteUserMemberships removes the user's memberships of every room and returns the
	// ids of the rooms they were in.
	DeleteUserMemberships(ctx context.Context, userID string) ([]string, error)
}

// AuditStore keeps the audit log, which is append-only.
type AuditStore interface {
	AppendAudit(ctx context.Context, e *AuditEntry) error
	ListAudit(ctx context.Context, q AuditQuery) (Page[AuditEntry], error)
	// PruneAudit deletes the entries older than before (epoch ms) and returns how many
	// went: the log's retention, the only deletion from it (core's janitor).
	PruneAudit(ctx context.Context, before int64) (int, error)
}

// SettingStore keeps the server settings, as key/value strings.
type SettingStore interface {
	// GetSetting returns a server setting, ErrNoRows when unset.
	GetSetting(ctx context.Context, key string) (string, error)
	PutSetting(ctx context.Context, key, value string) error
}

// Page is one page of a cursor-paginated listing.
type Page[T any] struct {
	Items []T
	// Next is the token of the following page, "" on the last page.
	Next string
}

// MatchMode says how a text filter compares.
type MatchMode string

// Match modes of OpenVidu Meet's list filters.
const (
	MatchExact   MatchMode = "exact"
	MatchPrefix  MatchMode = "prefix"
	MatchPartial MatchMode = "partial"
	MatchRegex   MatchMode = "regex"
)

// TextFilter filters a text column. An empty Value means no filter. For MatchRegex the
// Value is a Go (RE2) regular expression already checked by core.
type TextFilter struct {
	Value           string
	Mode            MatchMode
	CaseInsensitive bool
}

// ListOptions are the paging and sorting options common to every listing.
type ListOptions struct {
	MaxItems  int    // 1..100, already clamped by core
	PageToken string // from a previous Page.Next
	SortField string // a field the listing supports, already validated by core
	Desc      bool
}

// UserQuery filters users.
type UserQuery struct {
	ListOptions
	UserID string // exact
	Name   TextFilter
	Role   Role
}

// RoomQuery filters rooms.
type RoomQuery struct {
	ListOptions
	RoomName TextFilter
	Owner    string
	// Member keeps rooms where this userId is a member.
	Member string
	Status string
	// UserAccess, when non-nil, keeps rooms whose user access is on (true) or off (false).
	UserAccess *bool
	// VisibleTo, when set, keeps only rooms that user owns or is a member of, plus rooms
	// with user access on when IncludeUserAccess is set.
	VisibleTo         string
	IncludeUserAccess bool
}

// MemberQuery filters a room's members.
type MemberQuery struct {
	ListOptions
	RoomID   string
	Name     TextFilter
	Type     string // MemberTypeUser | MemberTypeGuest | ""
	BaseRole string // BaseRoleModerator | BaseRoleSpeaker | ""
}

// AuditQuery filters the audit log (newest first unless Desc is false and SortField set).
type AuditQuery struct {
	ListOptions
	Actor  string
	Action string // prefix match
	Target string
	Since  int64 // epoch ms, inclusive; 0 = no bound
	Until  int64 // epoch ms, exclusive; 0 = no bound
}
