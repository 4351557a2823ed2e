package core

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"time"
)

// RoomOptions is a room as its creator describes it; nil fields take defaults.
type RoomOptions struct {
	RoomName           *string
	AutoDeletionDate   *int64
	AutoDeletionPolicy *AutoDeletionPolicy
	Config             *ConfigPatch
	Roles              *RolesPatch
	Access             *AccessPatch
}

// ConfigPatch changes some of a room's configuration.
type ConfigPatch struct {
	ChatEnabled              *bool
	RecordingEnabled         *bool
	RecordingAutoStart       *bool
	RecordingLayout          *string
	RecordingRetentionDays   *int
	RecordingInternalOnly    *bool
	RecordingEncoding        any
	VirtualBackgroundEnabled *bool
	E2EEEnabled              *bool
	CaptionsEnabled          *bool
}

// RolesPatch changes some permissions of the room's roles; RecordingAccess, when set, applies
// a preset (SPEC 5) before the explicit keys.
type RolesPatch struct {
	Moderator       PermissionSet
	Speaker         PermissionSet
	RecordingAccess string
}

// AccessPatch switches some of a room's access rules.
type AccessPatch struct {
	Moderator *bool
	Speaker   *bool
	Recording *bool
	User      *bool
}

func roomNotFound(id string) error { return notFound("Room Error", "Room %q does not exist", id) }

func roomLive(id string) error {
	return &Error{Kind: KindConflict, Title: "Room Error", Code: "room_has_active_meeting",
		Message: "Room \"" + id + "\" has an active meeting"}
}

var slugRuns = regexp.MustCompile(`[^a-z0-9]+`)

// roomSlug turns a room name into the readable part of its id: lowercase [a-z0-9_],
// runs of anything else become one "_", "room" when nothing is left.
func roomSlug(name string) string {
	s := slugRuns.ReplaceAllString(strings.ToLower(name), "_")
	s = strings.Trim(s, "_")
	if s == "" {
		return "room"
	}
	return s
}

// NewRoomID makes a room id from a name: slug, "-", 15 random characters.
func NewRoomID(name string) string { return roomSlug(name) + "-" + randomID(15) }

// newSecret is an access-link secret: 16 characters of [A-Za-z0-9], 95 bits.
func newSecret() string { return randomSecret(16) }

// defaultRoom is a room with every default of SPEC 3.
func defaultRoom() Room {
	return Room{
		RoomName:           "Room",
		AutoDeletionPolicy: AutoDeletionPolicy{WithMeeting: "when_meeting_ends", WithRecordings: "close"},
		Config: RoomConfig{
			Chat:              EnabledFlag{Enabled: true},
			Recording:         RecordingConfig{Enabled: true, Layout: "grid"},
			VirtualBackground: EnabledFlag{Enabled: true},
			Captions:          EnabledFlag{Enabled: true},
		},
		Roles: RoomRoles{
			Moderator: RolePermissions{Permissions: DefaultModerator()},
			Speaker:   RolePermissions{Permissions: DefaultSpeaker()},
		},
		Access: RoomAccess{
			Moderator: AnonymousAccess{Enabled: true, Secret: newSecret()},
			Speaker:   AnonymousAccess{Enabled: true, Secret: newSecret()},
			Recording: AnonymousAccess{Enabled: true, Secret: newSecret()},
		},
		Status:           StatusOpen,
		MeetingEndAction: EndActionNone,
	}
}

// CreateRoom creates a room owned by the caller (the root admin for API keys). Admins and
// room managers may create rooms; room members may not.
func (s *Service) CreateRoom(ctx context.Context, p *Principal, in RoomOptions) (*Room, error) {
	if err := p.active(); err != nil {
		return nil, err
	}
	if !p.isAdmin() && !(p.Kind == PrincipalUser && p.User.Role == RoleRoomManager) {
		return nil, forbidden("Only admins and room managers can create rooms")
	}
	r := defaultRoom()
	var v validator
	if in.RoomName != nil {
		r.RoomName = *in.RoomName
		checkName(&v, "roomName", r.RoomName, 50)
	}
	now := s.nowMS()
	if in.AutoDeletionDate != nil {
		if *in.AutoDeletionDate < now+time.Hour.Milliseconds() {
			v.add("autoDeletionDate", "must be at least one hour in the future")
		}
		d := *in.AutoDeletionDate
		r.AutoDeletionDate = &d
	}
	if in.AutoDeletionPolicy != nil {
		if in.AutoDeletionPolicy.WithMeeting != "" {
			r.AutoDeletionPolicy.WithMeeting = in.AutoDeletionPolicy.WithMeeting
		}
		if in.AutoDeletionPolicy.WithRecordings != "" {
			r.AutoDeletionPolicy.WithRecordings = in.AutoDeletionPolicy.WithRecordings
		}
		checkEnum(&v, "autoDeletionPolicy.withMeeting", r.AutoDeletionPolicy.WithMeeting, "force", "when_meeting_ends")
		checkEnum(&v, "autoDeletionPolicy.withRecordings", r.AutoDeletionPolicy.WithRecordings, "force", "close")
	}
	if in.Config != nil {
		r.Config = applyConfig(&v, "config", r.Config, in.Config)
	}
	if in.Roles != nil {
		r.Roles = applyRoles(&v, "roles", r.Roles, in.Roles)
	}
	if in.Access != nil {
		r.Access = applyAccess(r.Access, in.Access)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	r.Owner = RootAdminID // API keys and the server act as the root admin
	if p.Kind == PrincipalUser {
		r.Owner = p.User.UserID
	}
	r.CreationDate = now
	r.RolesUpdatedAt = now
	r.RolesVersion = 1
	err := s.store.InTx(ctx, func(tx Store) error {
		for range 3 { // an id collision is astronomically unlikely; retry anyway
			r.RoomID = NewRoomID(r.RoomName)
			err := tx.CreateRoom(ctx, &r)
			if errors.Is(err, ErrDuplicate) {
				continue
			} else if err != nil {
				return internal("create room", err)
			}
			return s.auditAs(ctx, tx, p, "room.create", "room:"+r.RoomID, map[string]string{"roomName": r.RoomName})
		}
		return internal("create room", errors.New("no free room id"))
	})
	if err != nil {
		return nil, err
	}
	s.bus.Publish(Event{Type: EventRoomChanged, RoomID: r.RoomID})
	return &r, nil
}

func checkEnum(v *validator, field, value string, allowed ...string) {
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	v.add(field, "must be one of %s", strings.Join(allowed, ", "))
}

func applyConfig(v *validator, field string, c RoomConfig, in *ConfigPatch) RoomConfig {
	set := func(dst *bool, src *bool) {
		if src != nil {
			*dst = *src
		}
	}
	set(&c.Chat.Enabled, in.ChatEnabled)
	set(&c.Recording.Enabled, in.RecordingEnabled)
	set(&c.Recording.AutoStart, in.RecordingAutoStart)
	set(&c.Recording.InternalMembersOnly, in.RecordingInternalOnly)
	set(&c.VirtualBackground.Enabled, in.VirtualBackgroundEnabled)
	set(&c.E2EE.Enabled, in.E2EEEnabled)
	set(&c.Captions.Enabled, in.CaptionsEnabled)
	if in.RecordingLayout != nil {
		c.Recording.Layout = *in.RecordingLayout
		checkEnum(v, field+".recording.layout", c.Recording.Layout, "grid", "speaker", "single-speaker")
	}
	if in.RecordingRetentionDays != nil {
		c.Recording.RetentionDays = *in.RecordingRetentionDays
		if d := c.Recording.RetentionDays; d < 0 || d > 36500 {
			v.add(field+".recording.retentionDays", "must be between 0 (keep for ever) and 36500")
		}
	}
	if in.RecordingEncoding != nil {
		c.Recording.Encoding = in.RecordingEncoding
	}
	return c
}

func applyRoles(v *validator, field string, r RoomRoles, in *RolesPatch) RoomRoles {
	if in.RecordingAccess != "" {
		var err error
		if r, err = ApplyRecordingAccess(r, in.RecordingAccess); err != nil {
			v.add(field+".recordingAccess", "must be one of admin, admin_moderator, admin_moderator_speaker")
		}
	}
	r.Moderator.Permissions = r.Moderator.Permissions.Overlay(in.Moderator)
	r.Speaker.Permissions = r.Speaker.Permissions.Overlay(in.Speaker)
	return r
}

func applyAccess(a RoomAccess, in *AccessPatch) RoomAccess {
	set := func(dst *bool, src *bool) {
		if src != nil {
			*dst = *src
		}
	}
	set(&a.Moderator.Enabled, in.Moderator)
	set(&a.Speaker.Enabled, in.Speaker)
	set(&a.Recording.Enabled, in.Recording)
	set(&a.UserEnabled, in.User)
	return a
}

// roomAccessFor resolves what p may do in room, loading p's membership when p is a user.
func (s *Service) roomAccessFor(ctx context.Context, st Store, p *Principal, room *Room) (Grant, error) {
	a := Access{}
	switch p.Kind {
	case PrincipalAPIKey, PrincipalSystem:
		a.APIKey = true
	case PrincipalMember:
		a.Token = p.Member
	case PrincipalUser:
		a.User = p.User
		if p.User.Role != RoleAdmin && room.Owner != p.User.UserID {
			m, err := st.GetMember(ctx, room.RoomID, p.User.UserID)
			if err == nil {
				a.Member = m
			} else if !isNoRows(err) {
				return Grant{}, internal("load membership", err)
			}
		}
	}
	return ResolvePermissions(room, a), nil
}

// canManage reports whether p manages room: admins, API keys and the owner (SPEC 2.1),
// whatever the owner's role is now, as permission resolution also says.
func canManage(p *Principal, room *Room) bool {
	return p.isAdmin() || (p.Kind == PrincipalUser && p.User.UserID == room.Owner)
}

// loadRoom fetches a room or answers 404.
func loadRoom(ctx context.Context, st Store, roomID string) (*Room, error) {
	r, err := st.GetRoom(ctx, roomID)
	if isNoRows(err) {
		return nil, roomNotFound(roomID)
	} else if err != nil {
		return nil, internal("load room", err)
	}
	return r, nil
}

// GetRoom returns a room and what the caller may do in it. Anyone with some access to the
// room may read it; callers without roomShareAccessLinks must not be shown its links.
func (s *Service) GetRoom(ctx context.Context, p *Principal, roomID string) (*Room, Grant, error) {
	if err := p.active(); err != nil {
		return nil, Grant{}, err
	}
	r, err := loadRoom(ctx, s.store, roomID)
	if err != nil {
		return nil, Grant{}, err
	}
	g, err := s.roomAccessFor(ctx, s.store, p, r)
	if err != nil {
		return nil, Grant{}, err
	}
	if g.Source == GrantNone {
		return nil, Grant{}, forbidden("You have no access to room %q", roomID)
	}
	return r, g, nil
}

// ListRooms lists the rooms the caller may see: all for admins; for others, the rooms it
// owns or is a member of, and rooms with user access on.
func (s *Service) ListRooms(ctx context.Context, p *Principal, q RoomQuery) (Page[Room], error) {
	if err := p.active(); err != nil {
		return Page[Room]{}, err
	}
	if p.Kind == PrincipalMember {
		return Page[Room]{}, forbidden("Room member tokens cannot list rooms")
	}
	var err error
	if q.ListOptions, err = checkList(q.ListOptions, "creationDate", "roomName", "autoDeletionDate"); err != nil {
		return Page[Room]{}, err
	}
	if q.RoomName, err = checkText("roomName", q.RoomName); err != nil {
		return Page[Room]{}, err
	}
	if q.Status != "" {
		var v validator
		checkEnum(&v, "status", q.Status, StatusOpen, StatusActiveMeeting, StatusClosed)
		if err := v.err(); err != nil {
			return Page[Room]{}, err
		}
	}
	if !p.isAdmin() {
		q.VisibleTo = p.User.UserID
		q.IncludeUserAccess = true
	}
	page, err := s.store.ListRooms(ctx, q)
	return page, listErr("rooms", err)
}

// updateRoom loads a room the caller manages, applies change and stores it, all in one
// transaction with its audit entry.
func (s *Service) updateRoom(ctx context.Context, p *Principal, roomID, action string, detail any, change func(tx Store, r *Room) error) (*Room, error) {
	if err := p.active(); err != nil {
		return nil, err
	}
	var out *Room
	err := s.store.InTx(ctx, func(tx Store) error {
		r, err := loadRoom(ctx, tx, roomID)
		if err != nil {
			return err
		}
		if !canManage(p, r) {
			return forbidden("Only the room's owner and admins can change room %q", roomID)
		}
		if err := change(tx, r); err != nil {
			return err
		}
		if err := tx.UpdateRoom(ctx, r); err != nil {
			return internal("update room", err)
		}
		out = r
		return s.auditAs(ctx, tx, p, action, "room:"+roomID, detail)
	})
	if err != nil {
		return nil, err
	}
	s.bus.Publish(Event{Type: EventRoomChanged, RoomID: roomID})
	return out, nil
}

// RenameRoom gives a room a new name; its roomId (and so every link to it) stays. This
// is a Conclave extension: OpenVidu Meet 3.9 cannot rename a room. A live meeting may go
// on meanwhile: the name is what people read, nothing else depends on it.
func (s *Service) RenameRoom(ctx context.Context, p *Principal, roomID, name string) (*Room, error) {
	var v validator
	checkName(&v, "roomName", name, 50)
	if err := v.err(); err != nil {
		return nil, err
	}
	var old string
	r, err := s.updateRoom(ctx, p, roomID, "room.rename", map[string]string{"roomName": name}, func(_ Store, r *Room) error {
		old = r.RoomName
		r.RoomName = name
		return nil
	})
	if err == nil && old != name {
		s.log.Info("room renamed", "room", roomID, "from", old, "to", name)
	}
	return r, err
}

// UpdateRoomConfig changes a room's configuration. While a meeting is live the only change
// allowed is turning recording off.
func (s *Service) UpdateRoomConfig(ctx context.Context, p *Principal, roomID string, in ConfigPatch) (*Room, error) {
	return s.updateRoom(ctx, p, roomID, "room.updateConfig", nil, func(_ Store, r *Room) error {
		var v validator
		c := applyConfig(&v, "config", r.Config, &in)
		if err := v.err(); err != nil {
			return err
		}
		if r.Status == StatusActiveMeeting {
			off := r.Config
			off.Recording.Enabled = false
			if !configEqual(c, r.Config) && !configEqual(c, off) {
				return roomLive(r.RoomID)
			}
		}
		r.Config = c
		return nil
	})
}

func configEqual(a, b RoomConfig) bool {
	// Encoding is free-form JSON: compare the rest, then encoding by its JSON form.
	ea, eb := a.Recording.Encoding, b.Recording.Encoding
	a.Recording.Encoding, b.Recording.Encoding = nil, nil
	return a == b && jsonEqual(ea, eb)
}

// UpdateRoomRoles changes the permissions of a room's roles. Every member's effective
// permissions follow, and tokens issued under the old roles stop working.
func (s *Service) UpdateRoomRoles(ctx context.Context, p *Principal, roomID string, in RolesPatch) (*Room, error) {
	return s.updateRoom(ctx, p, roomID, "room.updateRoles", nil, func(_ Store, r *Room) error {
		var v validator
		roles := applyRoles(&v, "roles", r.Roles, &in)
		if err := v.err(); err != nil {
			return err
		}
		if r.Status == StatusActiveMeeting {
			return roomLive(r.RoomID)
		}
		if roles != r.Roles {
			r.Roles = roles
			r.RolesUpdatedAt = s.nowMS()
			r.RolesVersion++
		}
		return nil
	})
}

// UpdateRoomAccess switches a room's access rules; tokens issued under the old rules stop
// working.
func (s *Service) UpdateRoomAccess(ctx context.Context, p *Principal, roomID string, in AccessPatch) (*Room, error) {
	return s.updateRoom(ctx, p, roomID, "room.updateAccess", nil, func(_ Store, r *Room) error {
		if r.Status == StatusActiveMeeting {
			return roomLive(r.RoomID)
		}
		if a := applyAccess(r.Access, &in); a != r.Access {
			r.Access = a
			r.RolesUpdatedAt = s.nowMS()
			r.RolesVersion++
		}
		return nil
	})
}

// Access-link roles that can be regenerated.
var linkRoles = []string{BaseRoleModerator, BaseRoleSpeaker, "recording"}

// RegenerateAccessLink gives one anonymous link a new secret, revoking the old link and
// every token issued through it at once.
//
// Participants who joined through the old link are expelled: the link is what admitted
// them, and a revoked credential admits nobody (whoever is meant to stay gets the new
// link). Others in the meeting are not affected.
func (s *Service) RegenerateAccessLink(ctx context.Context, p *Principal, roomID, role string) (*Room, error) {
	r, err := s.regenerateAccessLink(ctx, p, roomID, role)
	if err == nil {
		s.reevaluate(ctx, roomID, func(pt *Participant) bool { return pt.origin.subject == SubjectAnonymous },
			"The link you joined with was replaced")
	}
	return r, err
}

func (s *Service) regenerateAccessLink(ctx context.Context, p *Principal, roomID, role string) (*Room, error) {
	return s.updateRoom(ctx, p, roomID, "room.regenerateLink", map[string]string{"role": role}, func(_ Store, r *Room) error {
		switch role {
		case BaseRoleModerator:
			r.Access.Moderator.Secret = newSecret()
		case BaseRoleSpeaker:
			r.Access.Speaker.Secret = newSecret()
		case "recording":
			r.Access.Recording.Secret = newSecret()
		default:
			return invalid("role", "must be one of %s", strings.Join(linkRoles, ", "))
		}
		r.RolesUpdatedAt = s.nowMS()
		r.RolesVersion++
		return nil
	})
}

// UpdateRoomStatus opens or closes a room. Closing a room with a live meeting takes effect
// when the meeting ends; scheduled reports that.
func (s *Service) UpdateRoomStatus(ctx context.Context, p *Principal, roomID, status string) (r *Room, scheduled bool, err error) {
	var v validator
	checkEnum(&v, "status", status, StatusOpen, StatusClosed)
	if err := v.err(); err != nil {
		return nil, false, err
	}
	r, err = s.updateRoom(ctx, p, roomID, "room.updateStatus", map[string]string{"status": status}, func(_ Store, r *Room) error {
		if r.Status == StatusActiveMeeting {
			scheduled = status == StatusClosed
			r.MeetingEndAction = EndActionNone
			if scheduled {
				r.MeetingEndAction = EndActionClose
			}
			return nil
		}
		r.Status = status
		return nil
	})
	return r, scheduled, err
}

// RoomURL is where internal users and internal members enter a room.
func (s *Service) RoomURL(roomID string) string { return s.BaseURL() + "/room/" + roomID }

// AccessURL is the anonymous link of a role ("moderator", "speaker", "recording").
func (s *Service) AccessURL(r *Room, role string) string {
	switch role {
	case BaseRoleModerator:
		return s.RoomURL(r.RoomID) + "?secret=" + r.Access.Moderator.Secret
	case BaseRoleSpeaker:
		return s.RoomURL(r.RoomID) + "?secret=" + r.Access.Speaker.Secret
	}
	return s.RoomURL(r.RoomID) + "/recordings?secret=" + r.Access.Recording.Secret
}

// MemberURL is a member's own access url: the room url for internal members, a url
// carrying the member id as its secret for external ones.
func (s *Service) MemberURL(m *Member) string {
	if m.Type == MemberTypeGuest {
		return s.RoomURL(m.RoomID) + "?secret=" + m.MemberID
	}
	return s.RoomURL(m.RoomID)
}

func jsonEqual(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}
