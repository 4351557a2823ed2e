package tui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// parseWhen reads an auto-deletion date: "YYYY-MM-DD HH:MM" (or just the day) in the
// local zone, or a delay from now such as "+2h", "+90m", "+3d", "+1w". Empty means none.
func parseWhen(s string, now time.Time, loc *time.Location) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if rest, ok := strings.CutPrefix(s, "+"); ok {
		d, err := parseDelay(rest)
		if err != nil || d <= 0 {
			return 0, errors.New("a delay is + and a number with m, h, d or w, e.g. +2h")
		}
		return now.Add(d).UnixMilli(), nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, errors.New("use YYYY-MM-DD HH:MM or a delay like +2h")
}

// parseDelay is time.ParseDuration plus days and weeks, which it lacks.
func parseDelay(s string) (time.Duration, error) {
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.Atoi(n)
			if err != nil || v > 100000 {
				return 0, errors.New("bad number")
			}
			return time.Duration(v) * unit, nil
		}
	}
	return time.ParseDuration(s)
}

// parseDays reads the retention field as the REST API reads retentionDays: an integer.
func parseDays(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, errors.New("must be a whole number of days (0 keeps recordings for ever)")
	}
	return n, nil
}

var layouts = []string{"grid", "speaker", "single-speaker"}

// newCreateRoomForm is the n form of the Rooms tab.
func newCreateRoomForm(c *common) *form {
	noDate := func(v formValues) bool { return strings.TrimSpace(v.str("autoDeletionDate")) == "" }
	meetingPolicies, recPolicies := []string{core.PolicyWhenMeetingEnds, core.PolicyForce}, []string{core.PolicyClose, core.PolicyForce}
	withMeeting := labelled(selectField("autoDeletionPolicy.withMeeting", "If a meeting is live", meetingPolicies, core.PolicyWhenMeetingEnds),
		labelsOf(meetingPolicies, meetingPolicyLabel))
	withMeeting.hidden = noDate
	withRec := labelled(selectField("autoDeletionPolicy.withRecordings", "If it has recordings", recPolicies, core.PolicyClose),
		labelsOf(recPolicies, recordingsPolicyLabel))
	withRec.hidden = noDate
	f := newForm(c, "New room", "Create", []*field{
		textField("roomName", "Name", "", "up to 50 characters"),
		noteField("Recording"),
		checkField("config.recording.enabled", "Recording enabled", true),
		checkField("config.recording.autoStart", "Start with the meeting", false),
		selectField("config.recording.layout", "Layout", layouts, "grid"),
		textField("config.recording.retentionDays", "Keep recordings (days)", "0", "0 = for ever"),
		noteField("Features"),
		checkField("config.chat.enabled", "Chat", true),
		noteField("Access"),
		checkField("access.anonymous.moderator.enabled", "Moderator link", true),
		checkField("access.anonymous.speaker.enabled", "Speaker link", true),
		checkField("access.anonymous.recording.enabled", "Recording link", true),
		checkField("access.user.enabled", "Signed-in users may enter", false),
		noteField("Auto-deletion"),
		textField("autoDeletionDate", "Delete at", "", "YYYY-MM-DD HH:MM or +2h; empty = never"),
		withMeeting,
		withRec,
		noteField("Recording access"),
		checkField("config.recording.internalMembersOnly", "Recordings for internal members only", false),
	})
	f.validate = func(v formValues) map[string]string {
		errs := map[string]string{}
		if _, err := parseDays(v.str("config.recording.retentionDays")); err != nil {
			errs["config.recording.retentionDays"] = err.Error()
		}
		if _, err := parseWhen(v.str("autoDeletionDate"), c.now(), c.loc); err != nil {
			errs["autoDeletionDate"] = err.Error()
		}
		return errs
	}
	f.build = func(v formValues) submitFunc {
		name := v.str("roomName")
		days, _ := parseDays(v.str("config.recording.retentionDays"))
		layout := v.str("config.recording.layout")
		in := core.RoomOptions{
			RoomName: &name,
			Config: &core.ConfigPatch{
				RecordingEnabled:       v.ptrOn("config.recording.enabled"),
				RecordingAutoStart:     v.ptrOn("config.recording.autoStart"),
				RecordingLayout:        &layout,
				RecordingRetentionDays: &days,
				RecordingInternalOnly:  v.ptrOn("config.recording.internalMembersOnly"),
				ChatEnabled:            v.ptrOn("config.chat.enabled"),
			},
			Access: &core.AccessPatch{
				Moderator: v.ptrOn("access.anonymous.moderator.enabled"),
				Speaker:   v.ptrOn("access.anonymous.speaker.enabled"),
				Recording: v.ptrOn("access.anonymous.recording.enabled"),
				User:      v.ptrOn("access.user.enabled"),
			},
		}
		// The date is read again at submission, so "+2h" means two hours from now.
		when := v.str("autoDeletionDate")
		policy := core.AutoDeletionPolicy{WithMeeting: v.str("autoDeletionPolicy.withMeeting"), WithRecordings: v.str("autoDeletionPolicy.withRecordings")}
		now, loc := c.now, c.loc
		return func(ctx context.Context, backend Backend, p *core.Principal) (string, error) {
			if ms, _ := parseWhen(when, now(), loc); ms != 0 {
				in.AutoDeletionDate = &ms
				in.AutoDeletionPolicy = &policy
			}
			r, err := backend.CreateRoom(ctx, p, in)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("Room %q created (%s)", sanitize(r.RoomName), r.RoomID), nil
		}
	}
	return f
}

// newRenameForm renames a room (a Conclave extension: its id and links stay).
func newRenameForm(c *common, r *core.Room) *form {
	f := newForm(c, "Rename "+sanitize(r.RoomName), "Rename", []*field{
		textField("roomName", "Name", r.RoomName, "up to 50 characters"),
		noteField("The room id " + sanitize(r.RoomID) + " and every link stay."),
	})
	id := r.RoomID
	f.build = func(v formValues) submitFunc {
		name := v.str("roomName")
		return func(ctx context.Context, backend Backend, p *core.Principal) (string, error) {
			r, err := backend.RenameRoom(ctx, p, id, name)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("Room renamed %q", sanitize(r.RoomName)), nil
		}
	}
	return f
}

// newConfigForm edits a room's configuration.
func newConfigForm(c *common, r *core.Room) *form {
	cfg := r.Config
	f := newForm(c, "Configuration of "+sanitize(r.RoomName), "Save", []*field{
		checkField("config.recording.enabled", "Recording enabled", cfg.Recording.Enabled),
		checkField("config.recording.autoStart", "Start with the meeting", cfg.Recording.AutoStart),
		selectField("config.recording.layout", "Layout", layouts, cfg.Recording.Layout),
		textField("config.recording.retentionDays", "Keep recordings (days)", strconv.Itoa(cfg.Recording.RetentionDays), "0 = for ever"),
		checkField("config.recording.internalMembersOnly", "Recordings for internal members only", cfg.Recording.InternalMembersOnly),
		checkField("config.chat.enabled", "Chat", cfg.Chat.Enabled),
	})
	f.validate = func(v formValues) map[string]string {
		if _, err := parseDays(v.str("config.recording.retentionDays")); err != nil {
			return map[string]string{"config.recording.retentionDays": err.Error()}
		}
		return nil
	}
	id := r.RoomID
	f.build = func(v formValues) submitFunc {
		days, _ := parseDays(v.str("config.recording.retentionDays"))
		layout := v.str("config.recording.layout")
		in := core.ConfigPatch{
			RecordingEnabled:       v.ptrOn("config.recording.enabled"),
			RecordingAutoStart:     v.ptrOn("config.recording.autoStart"),
			RecordingLayout:        &layout,
			RecordingRetentionDays: &days,
			RecordingInternalOnly:  v.ptrOn("config.recording.internalMembersOnly"),
			ChatEnabled:            v.ptrOn("config.chat.enabled"),
		}
		return func(ctx context.Context, backend Backend, p *core.Principal) (string, error) {
			if _, err := backend.UpdateRoomConfig(ctx, p, id, in); err != nil {
				return "", err
			}
			return "Configuration saved", nil
		}
	}
	return f
}

// newRolesForm edits the permissions of one of a room's roles, one checkbox per key.
func newRolesForm(c *common, r *core.Room, role string) *form {
	perms := r.Roles.Speaker.Permissions
	if role == core.BaseRoleModerator {
		perms = r.Roles.Moderator.Permissions
	}
	prefix := "roles." + role + ".permissions."
	fields := []*field{noteField("Recordings now open to: " + recordingAccessLabel(core.RecordingAccessOf(r.Roles)))}
	for _, k := range shownPermissionKeys() {
		fields = append(fields, hinted(checkField(prefix+k, permissionLabel(k), perms.Get(k)), k))
	}
	f := newForm(c, strings.ToUpper(role[:1])+role[1:]+" permissions of "+sanitize(r.RoomName), "Save", fields)
	id := r.RoomID
	f.build = func(v formValues) submitFunc {
		set := core.PermissionSet{}
		for _, k := range shownPermissionKeys() {
			set[k] = v.on(prefix + k)
		}
		in := core.RolesPatch{}
		if role == core.BaseRoleModerator {
			in.Moderator = set
		} else {
			in.Speaker = set
		}
		return func(ctx context.Context, backend Backend, p *core.Principal) (string, error) {
			if _, err := backend.UpdateRoomRoles(ctx, p, id, in); err != nil {
				return "", err
			}
			return strings.ToUpper(role[:1]) + role[1:] + " permissions saved", nil
		}
	}
	return f
}

// newAccessForm switches a room's access rules.
func newAccessForm(c *common, r *core.Room) *form {
	a := r.Access
	f := newForm(c, "Access to "+sanitize(r.RoomName), "Save", []*field{
		checkField("access.anonymous.moderator.enabled", "Moderator link", a.Moderator.Enabled),
		checkField("access.anonymous.speaker.enabled", "Speaker link", a.Speaker.Enabled),
		checkField("access.anonymous.recording.enabled", "Recording link", a.Recording.Enabled),
		checkField("access.user.enabled", "Signed-in users may enter", a.UserEnabled),
	})
	id := r.RoomID
	f.build = func(v formValues) submitFunc {
		in := core.AccessPatch{
			Moderator: v.ptrOn("access.anonymous.moderator.enabled"),
			Speaker:   v.ptrOn("access.anonymous.speaker.enabled"),
			Recording: v.ptrOn("access.anonymous.recording.enabled"),
			User:      v.ptrOn("access.user.enabled"),
		}
		return func(ctx context.Context, backend Backend, p *core.Principal) (string, error) {
			if _, err := backend.UpdateRoomAccess(ctx, p, id, in); err != nil {
				return "", err
			}
			return "Access saved", nil
		}
	}
	return f
}

// editRoomChooser is the e key: which part of the room to edit.
func editRoomChooser(c *common, r *core.Room, open func(dialog)) *chooser {
	room := *r
	return newChooser(c, "Edit "+sanitize(r.RoomName), []choice{
		{label: "Configuration", value: "config", hint: "recording, chat"},
		{label: "Moderator permissions", value: core.BaseRoleModerator},
		{label: "Speaker permissions", value: core.BaseRoleSpeaker},
		{label: "Access", value: "access", hint: "anonymous links, signed-in users"},
		{label: "Name", value: "name", hint: "the room's id and links stay"},
	}, func(v string) tea.Cmd {
		var f *form
		switch v {
		case "name":
			f = newRenameForm(c, &room)
		case "config":
			f = newConfigForm(c, &room)
		case "access":
			f = newAccessForm(c, &room)
		default:
			f = newRolesForm(c, &room, v)
		}
		open(f)
		return f.setFocus(f.focus)
	})
}

// regenChooser is the R key: pick a link, confirm, regenerate.
func regenChooser(c *common, r *core.Room, open func(dialog)) *chooser {
	id, name := r.RoomID, sanitize(r.RoomName)
	return newChooser(c, "New link for "+name, []choice{
		{label: "Moderator link", value: core.BaseRoleModerator},
		{label: "Speaker link", value: core.BaseRoleSpeaker},
		{label: "Recording link", value: "recording"},
	}, func(role string) tea.Cmd {
		open(newConfirm(c, "Regenerate the "+role+" link?",
			"The current "+role+" link of "+name+" stops working at once,\nand everyone who joined through it must get the new one.", nil,
			func([]string) tea.Cmd {
				return c.call(func(ctx context.Context, backend Backend, p *core.Principal) tea.Msg {
					_, err := backend.RegenerateAccessLink(ctx, p, id, role)
					return doneMsg{ok: "New " + role + " link made; the old one no longer works", err: err}
				})
			}))
		return nil
	})
}

// The deletion policies offered, safest first.
var (
	deleteMeetingPolicies = []string{core.PolicyFail, core.PolicyForce, core.PolicyWhenMeetingEnds}
	deleteRecPolicies     = []string{core.PolicyFail, core.PolicyForce, core.PolicyClose}
)

// deleteRoomConfirm is the d key: OpenVidu Meet's policies, fail by default.
func deleteRoomConfirm(c *common, r *core.Room) *confirm {
	id, name := r.RoomID, sanitize(r.RoomName)
	return newConfirm(c, "Delete room "+name+"?",
		"Room "+name+" ("+sanitize(id)+") and its members and links will be deleted.",
		[]confirmOption{
			{label: "If a meeting is live", values: deleteMeetingPolicies, labels: labelsOf(deleteMeetingPolicies, meetingPolicyLabel), hint: "withMeeting"},
			{label: "If it has recordings", values: deleteRecPolicies, labels: labelsOf(deleteRecPolicies, recordingsPolicyLabel), hint: "withRecordings"},
		},
		func(v []string) tea.Cmd {
			return c.call(func(ctx context.Context, backend Backend, p *core.Principal) tea.Msg {
				res, err := backend.DeleteRoom(ctx, p, id, v[0], v[1])
				if err != nil {
					return doneMsg{err: err}
				}
				return doneMsg{ok: deletionText(name, res.Code)}
			})
		})
}

// deletionText says what a deletion did, from core's success code.
func deletionText(name, code string) string {
	switch code {
	case core.ClosedRoom, core.ClosedRoomWithMeeting:
		return "Room " + name + " closed (its recordings are kept)"
	case core.ScheduledRoomWithMeetingDeletion, core.ScheduledRoomWithMeetingAndRecordingsDelet:
		return "Room " + name + " will be deleted when its meeting ends"
	case core.ScheduledRoomWithMeetingClosing:
		return "Room " + name + " will be closed when its meeting ends"
	}
	return "Room " + name + " deleted"
}
