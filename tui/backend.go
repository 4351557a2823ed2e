package tui

import (
	"context"
	"io"

	"conclave/core"
)

// Backend is what the control room needs of the server: *core.Service in production
// (the local terminal and every SSH session pass it unchanged), a fake in the page tests
// that only need canned data. It lists exactly the calls the control room makes, so that
// a page cannot reach around core's permission checks and a fake knows what to provide.
// Every call that acts for the user takes the principal the control room resolved.
type Backend interface {
	SessionBackend
	RoomBackend
	MemberBackend
	LiveBackend
	UserBackend
	AccountBackend
	AuditBackend
	RecordingBackend
	RecordingsBackend
	SettingsBackend
	TermSessionBackend
	EventBackend
}

// SessionBackend resolves who the control room acts for.
type SessionBackend interface {
	// UserPrincipal resolves a user the front end authenticated itself (the local
	// terminal's root admin, an SSH key); the control room calls it again whenever the
	// user changes, so role and forced password change are current.
	UserPrincipal(ctx context.Context, userID string, meta core.RequestMeta) (*core.Principal, error)
}

// RoomBackend lists, reads and changes rooms, and builds their links.
type RoomBackend interface {
	// ListRooms lists a page of the rooms p may see.
	ListRooms(ctx context.Context, p *core.Principal, q core.RoomQuery) (core.Page[core.Room], error)
	// GetRoom reads a room and the grant that says what p may do in it.
	GetRoom(ctx context.Context, p *core.Principal, roomID string) (*core.Room, core.Grant, error)
	// CreateRoom creates a room owned by p.
	CreateRoom(ctx context.Context, p *core.Principal, in core.RoomOptions) (*core.Room, error)
	// RenameRoom gives a room a new name; its id and links stay (a Conclave extension).
	RenameRoom(ctx context.Context, p *core.Principal, roomID, name string) (*core.Room, error)
	// RoomMeetings lists a page of a room's meetings, newest first, with who attended.
	RoomMeetings(ctx context.Context, p *core.Principal, roomID string, opts core.ListOptions) (core.Page[core.Meeting], error)
	// MemberCounts counts the members of the rooms p manages among rooms.
	MemberCounts(ctx context.Context, p *core.Principal, rooms []core.Room) (map[string]int, error)
	// UpdateRoomConfig changes a room's configuration (chat, recording, background).
	UpdateRoomConfig(ctx context.Context, p *core.Principal, roomID string, in core.ConfigPatch) (*core.Room, error)
	// UpdateRoomRoles changes the permissions of a room's moderator and speaker roles.
	UpdateRoomRoles(ctx context.Context, p *core.Principal, roomID string, in core.RolesPatch) (*core.Room, error)
	// UpdateRoomAccess switches a room's anonymous links and user access.
	UpdateRoomAccess(ctx context.Context, p *core.Principal, roomID string, in core.AccessPatch) (*core.Room, error)
	// RegenerateAccessLink gives one anonymous link ("moderator", "speaker",
	// "recording") a new secret, revoking the old one.
	RegenerateAccessLink(ctx context.Context, p *core.Principal, roomID, role string) (*core.Room, error)
	// DeleteRoom deletes, closes or schedules the deletion of a room under the two
	// policies for a live meeting and for recordings.
	DeleteRoom(ctx context.Context, p *core.Principal, roomID, withMeeting, withRecordings string) (*core.DeletionResult, error)
	// RoomURL is where signed-in users and internal members enter a room.
	RoomURL(roomID string) string
	// AccessURL is a room's anonymous link for a role.
	AccessURL(r *core.Room, role string) string
}

// MemberBackend manages the members of a room (its owner and admins).
type MemberBackend interface {
	// ListMembers lists a page of a room's members.
	ListMembers(ctx context.Context, p *core.Principal, q core.MemberQuery) (core.Page[core.Member], *core.Room, error)
	// AddMember adds an internal user or an external person to a room.
	AddMember(ctx context.Context, p *core.Principal, roomID string, in core.NewMember) (*core.Member, *core.Room, error)
	// UpdateMember changes a member's base role or its permission overrides.
	UpdateMember(ctx context.Context, p *core.Principal, roomID, memberID string, in core.MemberPatch) (*core.Member, *core.Room, error)
	// DeleteMember removes a member, ending its access at once.
	DeleteMember(ctx context.Context, p *core.Principal, roomID, memberID string) error
	// MemberURL is a member's own link, shown when it is added.
	MemberURL(m *core.Member) string
}

// LiveBackend watches and moderates the meetings in progress.
type LiveBackend interface {
	// LiveMeetings lists the meetings in progress that p may see, with their
	// participants and tracks.
	LiveMeetings(ctx context.Context, p *core.Principal) ([]core.LiveMeeting, error)
	// EndMeeting ends a room's meeting for everyone.
	EndMeeting(ctx context.Context, p *core.Principal, roomID string) error
	// KickParticipant removes a participant from a meeting.
	KickParticipant(ctx context.Context, p *core.Principal, roomID, identity string) error
	// MuteParticipant stops one kind of a participant's media (core.MediaAudio, …).
	MuteParticipant(ctx context.Context, p *core.Principal, roomID, identity, kind string) error
	// ChangeParticipantRole promotes a participant to moderator for this meeting, or
	// demotes it back (core.RoleUpgrade, core.RoleDowngrade).
	ChangeParticipantRole(ctx context.Context, p *core.Principal, roomID, identity, action string) (*core.Participant, error)
}

// UserBackend administers users (admins).
type UserBackend interface {
	// ListUsers lists a page of users.
	ListUsers(ctx context.Context, p *core.Principal, q core.UserQuery) (core.Page[core.User], error)
	// CreateUser adds a user, who must change its temporary password at first sign-in.
	CreateUser(ctx context.Context, p *core.Principal, in core.NewUser) (*core.User, error)
	// ResetPassword gives another user a temporary password and ends its sessions.
	ResetPassword(ctx context.Context, p *core.Principal, userID, password string) error
	// UpdateRole changes another user's role.
	UpdateRole(ctx context.Context, p *core.Principal, userID, role string) (*core.User, error)
	// DeleteUser deletes a user; its rooms pass to the root admin.
	DeleteUser(ctx context.Context, p *core.Principal, userID string) error
}

// AccountBackend changes the user's own password and the SSH keys it signs in with
// (any user's keys for an admin).
type AccountBackend interface {
	// ChangePassword changes p's own password, lifting a forced change.
	ChangePassword(ctx context.Context, p *core.Principal, current, next string) (*core.LoginResult, error)
	// ListSSHKeys lists a user's SSH keys.
	ListSSHKeys(ctx context.Context, p *core.Principal, userID string) ([]core.SSHKey, error)
	// AddSSHKey registers one authorized_keys line for a user.
	AddSSHKey(ctx context.Context, p *core.Principal, userID, authorizedKey string) (*core.SSHKey, error)
	// DeleteSSHKey removes a user's key by id or fingerprint.
	DeleteSSHKey(ctx context.Context, p *core.Principal, userID, idOrFingerprint string) error
}

// AuditBackend reads the audit log (admins).
type AuditBackend interface {
	// ListAudit lists a page of the audit log, newest first.
	ListAudit(ctx context.Context, p *core.Principal, q core.AuditQuery) (core.Page[core.AuditEntry], error)
	// ExportLog writes the audit or access log, filtered, to w, oldest first, a page at
	// a time (progress hears the rows so far); the export is audited.
	ExportLog(ctx context.Context, p *core.Principal, q core.ExportQuery, w io.Writer, progress func(rows int)) (int, error)
}

// RecordingBackend starts and stops the recording of a live meeting and lists a room's
// recordings (SPEC 7.1). Core checks recordingControl and recordingList itself.
type RecordingBackend interface {
	// RoomRecordingID is the id of the recording being made of a room, "" when none.
	RoomRecordingID(roomID string) string
	// GetRecording reads one recording (recordingList in its room).
	GetRecording(ctx context.Context, p *core.Principal, recordingID string) (*core.Recording, error)
	// StartRecording starts recording a room's meeting (recordingControl); layout ""
	// takes the room's. A recorder that could not start answers a recording that failed.
	StartRecording(ctx context.Context, p *core.Principal, roomID, layout string) (*core.Recording, error)
	// StopRecording stops a recording (recordingControl); it answers at once with the
	// recording ending, and it becomes complete once its files are finished.
	StopRecording(ctx context.Context, p *core.Principal, recordingID string) (*core.Recording, error)
	// ListRecordings lists a page of the recordings p may list, newest first by default.
	ListRecordings(ctx context.Context, p *core.Principal, q core.RecordingQuery) (core.Page[core.Recording], error)
}

// RecordingsBackend is what the Recordings tab needs beyond RecordingBackend: details,
// the player's timeline, share links, the access log, the trash and storage. Core
// decides every right (RecordingDecisionFor), the tab only asks it which keys to show.
type RecordingsBackend interface {
	// RecordingDecisionFor says whether p may do act (core.RecAct*) on a recording.
	RecordingDecisionFor(ctx context.Context, p *core.Principal, recordingID, act string) (core.RecordingDecision, error)
	// RecordingTimeline is a finished recording's streams, who was present and who
	// spoke when (recordingPlay).
	RecordingTimeline(ctx context.Context, p *core.Principal, id string) (*core.RecordingTimeline, error)
	// DeleteRecording moves a recording to the trash (recordingDelete).
	DeleteRecording(ctx context.Context, p *core.Principal, id string) error
	// RestoreRecording takes a recording out of the trash (its room's owner, admins).
	RestoreRecording(ctx context.Context, p *core.Principal, id string) (*core.Recording, error)
	// PurgeRecording removes a recording and its files at once (admins).
	PurgeRecording(ctx context.Context, p *core.Principal, id string) error
	// ListTrash lists the recordings in the trash p may restore.
	ListTrash(ctx context.Context, p *core.Principal, q core.RecordingQuery) (core.Page[core.Recording], error)
	// RecordingStorage is the space recordings use and the free space left (admins,
	// room owners for their rooms).
	RecordingStorage(ctx context.Context, p *core.Principal) (*core.RecordingStorage, error)
	// ListShareLinks lists a recording's share links with their uses (recordingShare).
	ListShareLinks(ctx context.Context, p *core.Principal, recordingID string, o core.ListOptions) (core.Page[core.ShareLink], error)
	// CreateShareLink makes a share link; its secret is in the answer only.
	CreateShareLink(ctx context.Context, p *core.Principal, recordingID string, in core.NewShareLink) (*core.ShareLink, string, error)
	// ShareLinkURL is the page a share link opens, with its secret.
	ShareLinkURL(l *core.ShareLink, secret string) string
	// RevokeShareLink revokes one share link of a recording.
	RevokeShareLink(ctx context.Context, p *core.Principal, recordingID, linkID string) error
	// RecordingAccessLog lists one recording's access log (its room's owner, admins).
	RecordingAccessLog(ctx context.Context, p *core.Principal, recordingID string, q core.AccessLogQuery) (core.Page[core.AccessLogEntry], error)
}

// SettingsBackend reads and changes the server's settings (admins).
type SettingsBackend interface {
	// RecordingSwitch is the server recording switch (SPEC 7.1).
	RecordingSwitch(ctx context.Context, p *core.Principal) (bool, error)
	// SetRecordingEnabled turns the server recording switch on or off; it is persisted,
	// audited and applies to new recordings.
	SetRecordingEnabled(ctx context.Context, p *core.Principal, on bool) error
	// ListAPIKeys lists the API keys, oldest first, without their secrets.
	ListAPIKeys(ctx context.Context, p *core.Principal) ([]core.APIKey, error)
	// CreateAPIKey makes a named API key; its secret is in the answer only.
	CreateAPIKey(ctx context.Context, p *core.Principal, name string) (*core.NewAPIKey, error)
	// DeleteAPIKey revokes one API key at once.
	DeleteAPIKey(ctx context.Context, p *core.Principal, id string) error
	// Analytics is the usage analytics: rooms, those with a meeting, recordings.
	Analytics(ctx context.Context, p *core.Principal) (*core.Analytics, error)
}

// TermSessionBackend lists and replays the recorded control-room sessions and sets which
// roles' sessions are recorded (admins; SPEC 8).
type TermSessionBackend interface {
	// ListTermSessions lists the latest sessions, newest first, with the storage used.
	ListTermSessions(ctx context.Context, p *core.Principal) (core.TermSessionList, error)
	// ReplayTermSession reads a session's recording up to any damage (audited).
	ReplayTermSession(ctx context.Context, p *core.Principal, id string) (*core.Cast, error)
	// SessionRecordingPolicy is which roles' sessions are recorded.
	SessionRecordingPolicy(ctx context.Context, p *core.Principal) (core.SessionPolicy, error)
	// SetSessionRecording turns one role's session recording on or off (audited).
	SetSessionRecording(ctx context.Context, p *core.Principal, role core.Role, on bool) error
}

// EventBackend is how the control room learns of changes made elsewhere (the REST API,
// another session, a meeting), so that what it shows follows without polling.
type EventBackend interface {
	// Bus is the event bus the control room subscribes to while it runs.
	Bus() *core.Bus
}
