package tui

import "conclave/core"

// Labels a person reads, in place of the wire names of core and the REST API
// (when_meeting_ends, admin_moderator_speaker, recordingControl). The wire names stay where
// they help someone who scripts the API: as a hint beside a form field, and in the help.

// permissionLabels name each permission key (core.PermissionKeys) in words.
var permissionLabels = map[string]string{
	"meetingJoin":                  "Join the meeting",
	"meetingEnd":                   "End the meeting",
	"recordingControl":             "Start and stop recordings",
	"recordingList":                "See the recordings",
	"recordingPlay":                "Play recordings",
	"recordingDownload":            "Download recordings",
	"recordingDelete":              "Delete recordings",
	"recordingShare":               "Share recordings",
	"roomShareAccessLinks":         "Share the room's links",
	"participantPromote":           "Promote and demote participants",
	"participantKick":              "Remove participants",
	"participantMute":              "Mute participants",
	"mediaPublishAudio":            "Speak (microphone)",
	"mediaPublishVideo":            "Show video (camera)",
	"mediaShareScreen":             "Share the screen",
	"chatRead":                     "Read the chat",
	"chatWrite":                    "Write in the chat",
	"mediaChangeVirtualBackground": "Change the virtual background",
}

// permissionLabel names a permission key in words; an unknown key is shown as it is.
func permissionLabel(key string) string {
	if l, ok := permissionLabels[key]; ok {
		return l
	}
	return sanitize(key)
}

// roleLabel names a member's base role.
func roleLabel(role string) string {
	switch role {
	case core.BaseRoleModerator:
		return "moderator"
	case core.BaseRoleSpeaker:
		return "speaker"
	}
	return sanitize(role)
}

// recordingAccessLabel names a recording-access preset (core.RecordingAccessOf).
func recordingAccessLabel(preset string) string {
	switch preset {
	case core.RecordingAccessAdmin:
		return "Admins only"
	case core.RecordingAccessAdminModerator:
		return "Moderators"
	case core.RecordingAccessAdminModeratorSpeaker:
		return "Moderators and speakers"
	case "custom":
		return "custom (set per permission)"
	}
	return sanitize(preset)
}

// meetingPolicyLabel says what a deletion does with a live meeting (withMeeting).
func meetingPolicyLabel(p string) string {
	switch p {
	case core.PolicyFail:
		return "refuse while a meeting is live"
	case core.PolicyForce:
		return "end the meeting at once"
	case core.PolicyWhenMeetingEnds:
		return "when the meeting ends"
	}
	return sanitize(p)
}

// recordingsPolicyLabel says what a deletion does with the room's recordings
// (withRecordings).
func recordingsPolicyLabel(p string) string {
	switch p {
	case core.PolicyFail:
		return "refuse if it has recordings"
	case core.PolicyForce:
		return "delete them too"
	case core.PolicyClose:
		return "keep them (the room is closed)"
	}
	return sanitize(p)
}

// memberTypeLabel names a member's type (core.MemberTypeUser, core.MemberTypeGuest).
func memberTypeLabel(t string) string {
	if t == core.MemberTypeGuest {
		return "external"
	}
	return "user"
}

// grantSourceLabel says in words where a user's rights in a room come from.
func grantSourceLabel(source string) string {
	switch source {
	case core.GrantAdmin:
		return "admin"
	case core.GrantOwner:
		return "owner"
	case core.GrantAPIKey:
		return "API key"
	case core.GrantMember:
		return "member"
	case core.GrantUserAccess:
		return "signed-in user"
	case core.GrantAnonymousModerator:
		return "moderator link"
	case core.GrantAnonymousSpeaker:
		return "speaker link"
	case core.GrantToken:
		return "room-member token"
	}
	return sanitize(source)
}

// labelsOf maps each value through label.
func labelsOf(values []string, label func(string) string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = label(v)
	}
	return out
}

// userRoleLabel names an internal user's role (admin, room_manager, room_member).
func userRoleLabel(r core.Role) string {
	switch r {
	case core.RoleAdmin:
		return "admin"
	case core.RoleRoomManager:
		return "room manager"
	case core.RoleRoomMember:
		return "room member"
	}
	return sanitize(string(r))
}

func userRoleLabelOf(s string) string { return userRoleLabel(core.Role(s)) }

// unavailablePermissions are accepted from REST for OpenVidu clients but govern nothing
// Conclave's client does yet (a virtual background is planned): the control room neither
// offers them nor counts them, and leaves what is stored for them as it is.
var unavailablePermissions = map[string]bool{"mediaChangeVirtualBackground": true}

// shownPermissionKeys are the permission keys the control room offers, in core's order.
func shownPermissionKeys() []string {
	keys := make([]string, 0, len(core.PermissionKeys))
	for _, k := range core.PermissionKeys {
		if !unavailablePermissions[k] {
			keys = append(keys, k)
		}
	}
	return keys
}
