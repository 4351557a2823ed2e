package web

import (
	"slices"

	"conclave/core"
)

// Recording encoding presets of OpenVidu Meet. Conclave does not transcode, so the
// encoding is only kept; it is still checked so that a typo is reported, not stored.
var encodingPresets = []string{
	"H264_720P_30", "H264_720P_60", "H264_1080P_30", "H264_1080P_60",
	"PORTRAIT_H264_720P_30", "PORTRAIT_H264_720P_60", "PORTRAIT_H264_1080P_30", "PORTRAIT_H264_1080P_60",
}

// decodeRoomOptions reads the body of POST /rooms (meet-room-options).
func decodeRoomOptions(o *obj) (core.RoomOptions, error) {
	var in core.RoomOptions
	in.RoomName = o.str("roomName", false)
	in.AutoDeletionDate = o.integer("autoDeletionDate", false)
	if pol := o.object("autoDeletionPolicy", false); pol != nil {
		var p core.AutoDeletionPolicy
		if s := pol.str("withMeeting", false); s != nil {
			p.WithMeeting = *s
		}
		if s := pol.str("withRecordings", false); s != nil {
			p.WithRecordings = *s
		}
		in.AutoDeletionPolicy = &p
	}
	if c := o.object("config", false); c != nil {
		in.Config = decodeConfig(c)
	}
	if r := o.object("roles", false); r != nil {
		in.Roles = decodeRoles(r)
	}
	if a := o.object("access", false); a != nil {
		in.Access = decodeAccess(a)
	}
	return in, o.p.err()
}

// decodeConfig reads a MeetRoomConfig; every part is optional.
func decodeConfig(c *obj) *core.ConfigPatch {
	var p core.ConfigPatch
	enabled := func(key string) *bool {
		if f := c.object(key, false); f != nil {
			return f.boolean("enabled", false)
		}
		return nil
	}
	p.ChatEnabled = enabled("chat")
	p.VirtualBackgroundEnabled = enabled("virtualBackground")
	p.E2EEEnabled = enabled("e2ee")
	p.CaptionsEnabled = enabled("captions")
	if rec := c.object("recording", false); rec != nil {
		p.RecordingEnabled = rec.boolean("enabled", false)
		p.RecordingAutoStart = rec.boolean("autoStart", false)
		p.RecordingLayout = rec.str("layout", false)
		p.RecordingInternalOnly = rec.boolean("internalMembersOnly", false)
		if n := rec.integer("retentionDays", false); n != nil {
			d := int(max(min(*n, 1<<31-1), -1<<31))
			p.RecordingRetentionDays = &d
		}
		p.RecordingEncoding = decodeEncoding(rec)
	}
	return &p
}

// decodeEncoding accepts a preset name or an options object with video and audio parts.
func decodeEncoding(rec *obj) any {
	if !rec.has("encoding") {
		return nil
	}
	raw := rec.fields["encoding"]
	switch jsonKind(raw) {
	case "string":
		s := rec.str("encoding", false)
		if s == nil {
			return nil
		}
		if !slices.Contains(encodingPresets, *s) {
			rec.p.add(rec.name("encoding"), "must be one of the encoding presets or an object with video and audio")
			return nil
		}
		return *s
	case "object":
		enc := rec.object("encoding", false)
		if enc == nil {
			return nil
		}
		enc.object("video", true)
		enc.object("audio", true)
		return rec.any("encoding")
	}
	rec.wrongType("encoding", "string or object", raw)
	return nil
}

// decodeRoles reads meet-room-roles-config plus Conclave's recordingAccess preset.
func decodeRoles(r *obj) *core.RolesPatch {
	var p core.RolesPatch
	if m := r.object("moderator", false); m != nil {
		p.Moderator = m.permissions("permissions")
	}
	if s := r.object("speaker", false); s != nil {
		p.Speaker = s.permissions("permissions")
	}
	if ra := r.str("recordingAccess", false); ra != nil {
		p.RecordingAccess = *ra
		if *ra == "" {
			r.p.add(r.name("recordingAccess"), "must be one of admin, admin_moderator, admin_moderator_speaker")
		}
	}
	return &p
}

// decodeAccess reads meet-room-access-config.
func decodeAccess(a *obj) *core.AccessPatch {
	var p core.AccessPatch
	enabled := func(parent *obj, key string) *bool {
		if f := parent.object(key, false); f != nil {
			return f.boolean("enabled", false)
		}
		return nil
	}
	if anon := a.object("anonymous", false); anon != nil {
		p.Moderator = enabled(anon, "moderator")
		p.Speaker = enabled(anon, "speaker")
		p.Recording = enabled(anon, "recording")
	}
	p.User = enabled(a, "user")
	return &p
}

// decodeRolesBody reads the body of PUT /rooms/{roomId}/roles: {roles: …}. OpenVidu
// Meet's document calls the member `config`, so that is accepted when `roles` is absent;
// a top-level recordingAccess preset is Conclave's shortcut.
func decodeRolesBody(o *obj) (core.RolesPatch, error) {
	key := "roles"
	if !o.has("roles") && o.has("config") {
		key = "config"
	}
	var p core.RolesPatch
	preset := o.str("recordingAccess", false)
	if r := o.object(key, preset == nil); r != nil {
		p = *decodeRoles(r)
	}
	if preset != nil {
		if *preset == "" {
			o.p.add("recordingAccess", "must be one of admin, admin_moderator, admin_moderator_speaker")
		}
		if p.RecordingAccess == "" {
			p.RecordingAccess = *preset
		}
	}
	return p, o.p.err()
}
