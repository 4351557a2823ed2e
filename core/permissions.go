package core

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Permissions is the full set of rights a participant holds in one room (SPEC 5).
type Permissions struct {
	MeetingJoin                  bool `json:"meetingJoin"`
	MeetingEnd                   bool `json:"meetingEnd"`
	RecordingControl             bool `json:"recordingControl"`
	RecordingList                bool `json:"recordingList"`
	RecordingPlay                bool `json:"recordingPlay"`
	RecordingDownload            bool `json:"recordingDownload"`
	RecordingDelete              bool `json:"recordingDelete"`
	RecordingShare               bool `json:"recordingShare"`
	RoomShareAccessLinks         bool `json:"roomShareAccessLinks"`
	ParticipantPromote           bool `json:"participantPromote"`
	ParticipantKick              bool `json:"participantKick"`
	ParticipantMute              bool `json:"participantMute"`
	MediaPublishAudio            bool `json:"mediaPublishAudio"`
	MediaPublishVideo            bool `json:"mediaPublishVideo"`
	MediaShareScreen             bool `json:"mediaShareScreen"`
	ChatRead                     bool `json:"chatRead"`
	ChatWrite                    bool `json:"chatWrite"`
	MediaChangeVirtualBackground bool `json:"mediaChangeVirtualBackground"`
}

// PermissionKeys lists every permission key in display order.
var PermissionKeys = []string{
	"meetingJoin", "meetingEnd", "recordingControl", "recordingList", "recordingPlay",
	"recordingDownload", "recordingDelete", "recordingShare", "roomShareAccessLinks",
	"participantPromote", "participantKick", "participantMute", "mediaPublishAudio",
	"mediaPublishVideo", "mediaShareScreen", "chatRead", "chatWrite",
	"mediaChangeVirtualBackground",
}

// field returns a pointer to the flag named key, or nil for an unknown key.
func (p *Permissions) field(key string) *bool {
	switch key {
	case "meetingJoin":
		return &p.MeetingJoin
	case "meetingEnd":
		return &p.MeetingEnd
	case "recordingControl":
		return &p.RecordingControl
	case "recordingList":
		return &p.RecordingList
	case "recordingPlay":
		return &p.RecordingPlay
	case "recordingDownload":
		return &p.RecordingDownload
	case "recordingDelete":
		return &p.RecordingDelete
	case "recordingShare":
		return &p.RecordingShare
	case "roomShareAccessLinks":
		return &p.RoomShareAccessLinks
	case "participantPromote":
		return &p.ParticipantPromote
	case "participantKick":
		return &p.ParticipantKick
	case "participantMute":
		return &p.ParticipantMute
	case "mediaPublishAudio":
		return &p.MediaPublishAudio
	case "mediaPublishVideo":
		return &p.MediaPublishVideo
	case "mediaShareScreen":
		return &p.MediaShareScreen
	case "chatRead":
		return &p.ChatRead
	case "chatWrite":
		return &p.ChatWrite
	case "mediaChangeVirtualBackground":
		return &p.MediaChangeVirtualBackground
	}
	return nil
}

// Get reports the value of the permission key (false for unknown keys).
func (p Permissions) Get(key string) bool {
	if f := p.field(key); f != nil {
		return *f
	}
	return false
}

// Overlay returns p with every key of overrides set to its value.
func (p Permissions) Overlay(overrides PermissionSet) Permissions {
	for k, v := range overrides {
		if f := p.field(k); f != nil {
			*f = v
		}
	}
	return p
}

// AllPermissions grants everything: admins, API keys and room owners hold it.
func AllPermissions() Permissions {
	var p Permissions
	for _, k := range PermissionKeys {
		*p.field(k) = true
	}
	return p
}

// DefaultModerator is the moderator role's permission set of a new room.
func DefaultModerator() Permissions { return AllPermissions() }

// DefaultSpeaker is the speaker role's permission set of a new room. Unlike OpenVidu Meet,
// speakers may watch recordings but not download them unless the room grants it.
func DefaultSpeaker() Permissions {
	return Permissions{
		MeetingJoin: true, RecordingList: true, RecordingPlay: true,
		MediaPublishAudio: true, MediaPublishVideo: true, MediaShareScreen: true,
		ChatRead: true, ChatWrite: true, MediaChangeVirtualBackground: true,
	}
}

// PermissionSet is a partial permission object: only the keys it names are set.
type PermissionSet map[string]bool

// legacyNames maps OpenVidu Meet 3.8 permission names to the current keys they set.
var legacyNames = map[string][]string{
	"canRecord":                  {"recordingControl"},
	"canRetrieveRecordings":      {"recordingList", "recordingPlay", "recordingDownload"},
	"canDeleteRecordings":        {"recordingDelete"},
	"canJoinMeeting":             {"meetingJoin"},
	"canShareAccessLinks":        {"roomShareAccessLinks"},
	"canMakeModerator":           {"participantPromote"},
	"canKickParticipants":        {"participantKick"},
	"canEndMeeting":              {"meetingEnd"},
	"canPublishVideo":            {"mediaPublishVideo"},
	"canPublishAudio":            {"mediaPublishAudio"},
	"canShareScreen":             {"mediaShareScreen"},
	"canReadChat":                {"chatRead"},
	"canWriteChat":               {"chatWrite"},
	"canChangeVirtualBackground": {"mediaChangeVirtualBackground"},
}

// ParsePermissionSet validates a partial permission object as received on the wire: every
// key must be a current or 3.8 permission name and every value a boolean. 3.8 names are
// mapped onto the current keys; a current key given explicitly wins over a 3.8 alias.
// field names the request field for error details (e.g. "roles.speaker.permissions").
func ParsePermissionSet(field string, raw map[string]json.RawMessage) (PermissionSet, error) {
	var v validator
	out := PermissionSet{}
	explicit := map[string]bool{}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if JSONKind(raw[k]) != "boolean" {
			v.add(field+"."+k, "Expected boolean but got %s", JSONKind(raw[k]))
			continue
		}
		var b bool
		if err := json.Unmarshal(raw[k], &b); err != nil {
			v.add(field+"."+k, "Expected boolean but got %s", JSONKind(raw[k]))
			continue
		}
		if (&Permissions{}).field(k) != nil {
			out[k] = b
			explicit[k] = true
			continue
		}
		targets, ok := legacyNames[k]
		if !ok {
			v.add(field+"."+k, "unknown permission %q", k)
			continue
		}
		for _, t := range targets {
			if !explicit[t] {
				out[t] = b
			}
		}
	}
	// A 3.8 name that contradicts an explicit current key is a mistake worth reporting.
	for _, k := range keys {
		for _, t := range legacyNames[k] {
			if explicit[t] && JSONKind(raw[k]) == "boolean" && string(raw[k]) != fmt.Sprint(out[t]) {
				v.add(field+"."+k, "contradicts %s", t)
			}
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// JSONKind names the JSON type of a raw value for error messages ("nothing" when empty).
func JSONKind(raw json.RawMessage) string {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '"':
			return "string"
		case '{':
			return "object"
		case '[':
			return "array"
		case 't', 'f':
			return "boolean"
		case 'n':
			return "null"
		default:
			return "number"
		}
	}
	return "nothing"
}

// Recording access presets (SPEC 5): shortcuts over the recording list/play/download keys.
const (
	RecordingAccessAdmin                 = "admin"
	RecordingAccessAdminModerator        = "admin_moderator"
	RecordingAccessAdminModeratorSpeaker = "admin_moderator_speaker"
)

// ApplyRecordingAccess sets the recording keys of both roles according to a preset.
func ApplyRecordingAccess(roles RoomRoles, preset string) (RoomRoles, error) {
	set := func(p *Permissions, list, play, download bool) {
		p.RecordingList, p.RecordingPlay, p.RecordingDownload = list, play, download
	}
	switch preset {
	case RecordingAccessAdmin:
		set(&roles.Moderator.Permissions, false, false, false)
		set(&roles.Speaker.Permissions, false, false, false)
	case RecordingAccessAdminModerator:
		set(&roles.Moderator.Permissions, true, true, true)
		set(&roles.Speaker.Permissions, false, false, false)
	case RecordingAccessAdminModeratorSpeaker:
		set(&roles.Moderator.Permissions, true, true, true)
		set(&roles.Speaker.Permissions, true, true, false)
	default:
		return roles, invalid("recordingAccess", "must be one of admin, admin_moderator, admin_moderator_speaker")
	}
	return roles, nil
}

// RecordingAccessOf names the preset the roles match, or "custom".
func RecordingAccessOf(roles RoomRoles) string {
	for _, p := range []string{RecordingAccessAdmin, RecordingAccessAdminModerator, RecordingAccessAdminModeratorSpeaker} {
		if r, _ := ApplyRecordingAccess(roles, p); r == roles {
			return p
		}
	}
	return "custom"
}
