package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"conclave/core"
)

// object is a JSON object whose members keep their order, so that responses read like
// OpenVidu Meet's and `fields` projection can drop members by name.
type object []member

type member struct {
	key   string
	value any
}

// MarshalJSON writes the members in order.
func (o object) MarshalJSON() ([]byte, error) { return o.appendJSON(nil) }

// appendJSON writes the object into buf, walking nested objects itself: going through
// json.Marshal at every level would validate and compact each nested object's output
// again at every level above it, which was the largest cost of rendering a listing.
func (o object) appendJSON(buf []byte) ([]byte, error) {
	buf = append(buf, '{')
	for i, m := range o {
		if i > 0 {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = appendJSONValue(buf, m.key); err != nil {
			return nil, err
		}
		buf = append(buf, ':')
		if buf, err = appendJSONValue(buf, m.value); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

// appendJSONValue writes one value: objects and lists of objects directly, anything else
// through encoding/json.
func appendJSONValue(buf []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case object:
		return x.appendJSON(buf)
	case []object:
		buf = append(buf, '[')
		for i, o := range x {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = o.appendJSON(buf); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(buf, b...), nil
}

// selection is what a request asked to see of a resource: `fields` (query) and X-Fields
// (header) name the members to keep, their union; `extraFields` and X-ExtraFields name
// members left out by default that must be included, even if `fields` omits them.
type selection struct {
	fields map[string]bool // nil: every default member
	extra  map[string]bool
}

func selectionOf(r *http.Request) selection {
	q := r.URL.Query()
	return selection{
		fields: commaSet(q["fields"], r.Header.Values("X-Fields")),
		extra:  commaSet(q["extraFields"], r.Header.Values("X-ExtraFields")),
	}
}

// commaSet unions comma-separated lists; nil when they name nothing.
func commaSet(lists ...[]string) map[string]bool {
	var set map[string]bool
	for _, list := range lists {
		for _, v := range list {
			for _, f := range strings.Split(v, ",") {
				if f = strings.TrimSpace(f); f != "" {
					if set == nil {
						set = map[string]bool{}
					}
					set[f] = true
				}
			}
		}
	}
	return set
}

// project keeps the members of o the selection asks for; extras are members excluded by
// default.
func (sel selection) project(o object, extras []string) object {
	out := make(object, 0, len(o))
	for _, m := range o {
		if sel.shows(m.key, extras) {
			out = append(out, m)
		}
	}
	return out
}

// shows reports whether the member key is part of the response. A field named in `fields`
// is shown even when it is an extra.
func (sel selection) shows(key string, extras []string) bool {
	isExtra := slices.Contains(extras, key)
	switch {
	case sel.extra[key] && isExtra:
		return true
	case sel.fields != nil:
		return sel.fields[key]
	}
	return !isExtra
}

// Extra fields of each resource (OpenVidu Meet's `_extraFields`).
var (
	roomExtraFields   = []string{"config", "roles"}
	memberExtraFields = []string{"effectivePermissions"}
)

// userJSON renders a user (never its password hash or token version).
func userJSON(u *core.User) object {
	return object{
		{"userId", u.UserID},
		{"name", u.Name},
		{"registrationDate", u.RegistrationDate},
		{"role", string(u.Role)},
		{"roleUpdatedAt", u.RoleUpdatedAt},
	}
}

// roomJSON renders a room with every member; links says whether the anonymous access
// urls may be shown (the caller holds roomShareAccessLinks).
func (s *server) roomJSON(r *core.Room, links bool) object {
	o := object{
		{"roomId", r.RoomID},
		{"roomName", r.RoomName},
		{"owner", r.Owner},
		{"creationDate", r.CreationDate},
	}
	if r.AutoDeletionDate != nil {
		o = append(o, member{"autoDeletionDate", *r.AutoDeletionDate})
	}
	return append(o,
		member{"autoDeletionPolicy", object{
			{"withMeeting", r.AutoDeletionPolicy.WithMeeting},
			{"withRecordings", r.AutoDeletionPolicy.WithRecordings},
		}},
		member{"config", configJSON(r.Config)},
		member{"roles", rolesJSON(r.Roles)},
		member{"access", s.accessJSON(r, links)},
		member{"status", r.Status},
		member{"rolesUpdatedAt", r.RolesUpdatedAt},
		member{"meetingEndAction", r.MeetingEndAction},
	)
}

// roomView renders one room as a response: projected, with `_extraFields`.
func (s *server) roomView(r *core.Room, links bool, sel selection) object {
	return append(sel.project(s.roomJSON(r, links), roomExtraFields), member{"_extraFields", roomExtraFields})
}

// configJSON renders MeetRoomConfig; autoStart, retentionDays and internalMembersOnly are
// Conclave's additions.
func configJSON(c core.RoomConfig) object {
	rec := object{
		{"enabled", c.Recording.Enabled},
		{"autoStart", c.Recording.AutoStart},
		{"layout", c.Recording.Layout},
		{"retentionDays", c.Recording.RetentionDays},
		{"internalMembersOnly", c.Recording.InternalMembersOnly},
	}
	if c.Recording.Encoding != nil {
		rec = append(rec, member{"encoding", c.Recording.Encoding})
	}
	return object{
		{"chat", enabled(c.Chat.Enabled)},
		{"recording", rec},
		{"virtualBackground", enabled(c.VirtualBackground.Enabled)},
		{"e2ee", enabled(c.E2EE.Enabled)},
		{"captions", enabled(c.Captions.Enabled)},
	}
}

func enabled(b bool) object { return object{{"enabled", b}} }

// rolesJSON renders meet-room-roles: the complete permission set of each role.
func rolesJSON(r core.RoomRoles) object {
	return object{
		{"moderator", object{{"permissions", permissionsJSON(r.Moderator.Permissions)}}},
		{"speaker", object{{"permissions", permissionsJSON(r.Speaker.Permissions)}}},
	}
}

// permissionsJSON renders a full permission set in core's display order.
func permissionsJSON(p core.Permissions) object {
	o := make(object, 0, len(core.PermissionKeys))
	for _, k := range core.PermissionKeys {
		o = append(o, member{k, p.Get(k)})
	}
	return o
}

// permissionSetJSON renders a partial permission set (a member's overrides).
func permissionSetJSON(set core.PermissionSet) object {
	o := object{}
	for _, k := range core.PermissionKeys {
		if v, ok := set[k]; ok {
			o = append(o, member{k, v})
		}
	}
	return o
}

// accessJSON renders meet-room-access. The anonymous urls carry the links' secrets, so
// they are left out unless links is set.
func (s *server) accessJSON(r *core.Room, links bool) object {
	anon := func(a core.AnonymousAccess, role string) object {
		o := object{{"enabled", a.Enabled}}
		if links {
			o = append(o, member{"url", s.svc.AccessURL(r, role)})
		}
		return o
	}
	return object{
		{"anonymous", object{
			{"moderator", anon(r.Access.Moderator, core.BaseRoleModerator)},
			{"speaker", anon(r.Access.Speaker, core.BaseRoleSpeaker)},
			{"recording", anon(r.Access.Recording, "recording")},
		}},
		{"user", object{
			{"enabled", r.Access.UserEnabled},
			{"url", s.svc.RoomURL(r.RoomID)},
		}},
	}
}

// memberJSON renders a room member; room supplies the roles its permissions derive from.
func (s *server) memberJSON(m *core.Member, room *core.Room) object {
	return object{
		{"memberId", m.MemberID},
		{"roomId", m.RoomID},
		{"type", m.Type},
		{"name", m.Name},
		{"membershipDate", m.MembershipDate},
		{"accessUrl", s.svc.MemberURL(m)},
		{"baseRole", m.BaseRole},
		{"customPermissions", permissionSetJSON(m.Custom)},
		{"effectivePermissions", permissionsJSON(m.EffectivePermissions(room))},
		{"permissionsUpdatedAt", m.PermissionsUpdatedAt(room)},
	}
}

// memberView renders one member as a response: projected, with `_extraFields`.
func (s *server) memberView(m *core.Member, room *core.Room, sel selection) object {
	return append(sel.project(s.memberJSON(m, room), memberExtraFields), member{"_extraFields", memberExtraFields})
}

// canShareLinks reports whether p may see room's anonymous links without asking core
// again: admins, API keys and the owner hold every permission.
func canShareLinks(p *core.Principal, room *core.Room) (known, ok bool) {
	switch p.Kind {
	case core.PrincipalAPIKey, core.PrincipalSystem:
		return true, true
	case core.PrincipalUser:
		if p.User.Role == core.RoleAdmin || p.User.UserID == room.Owner {
			return true, true
		}
	}
	return false, false
}
