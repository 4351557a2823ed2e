package signal

import (
	"encoding/json"
	"strings"

	"conclave/core"
	"conclave/media"
)

// The signalling protocol over WebSocket (docs/signalling.md). Every frame is one JSON
// text message {"v":1,"type":…}.

// protocolVersion is the only version of the protocol spoken so far.
const protocolVersion = 1

// Limits of the signalling protocol.
const (
	maxFrameBytes  = 64 << 10 // a larger frame closes the connection (1009)
	maxChatRunes   = 2000
	sendQueueLen   = 256 // frames waiting for a client; a client this far behind is dropped
	maxReasonBytes = 120
)

// Client → server frame types.
const (
	inOffer     = "offer"
	inAnswer    = "answer"
	inCandidate = "candidate"
	inChat      = "chat"
	inMute      = "mute"
	inUnmute    = "unmute"
	inLeave     = "leave"
	// inHand raises or lowers the sender's own hand; inLowerHand lowers another's (a
	// moderation act, answered with `result` or an `error` carrying the same ref).
	inHand      = "hand"
	inLowerHand = "lowerHand"
	// Moderation acts, answered with `result` or an `error` carrying the same ref.
	inKick            = "kick"
	inMuteParticipant = "muteParticipant"
	inSetRole         = "setRole"
	inEndMeeting      = "endMeeting"
	// Recording control, answered the same way (needs recordingControl).
	inStartRecording = "startRecording"
	inStopRecording  = "stopRecording"
)

// Server → client frame types.
const (
	outJoined             = "joined"
	outOffer              = "offer"
	outAnswer             = "answer"
	outParticipantJoined  = "participantJoined"
	outParticipantLeft    = "participantLeft"
	outParticipantUpdated = "participantUpdated"
	outTrackPublished     = "trackPublished"
	outTrackUnpublished   = "trackUnpublished"
	outTrackMuted         = "trackMuted"
	outChat               = "chat"
	outKicked             = "kicked"
	outEnded              = "ended"
	outGoingAway          = "goingAway"
	outMuted              = "muted"
	outPermissions        = "permissions"
	outRecording          = "recording"
	outResult             = "result"
	outError              = "error"
)

// Error codes of error frames (and of the frame sent before a refused connection closes).
const (
	codeUnauthenticated = "unauthenticated"
	codeForbidden       = "forbidden"
	codeRoomClosed      = "room_closed"
	codeAlreadyJoined   = "already_joined"
	codeNotFound        = "not_found"
	codeInternal        = "internal"
	codeBadJSON         = "bad_json"
	codeBadVersion      = "bad_version"
	codeUnknownType     = "unknown_type"
	codeBadSDP          = "bad_sdp"
	codeGlare           = "glare"
	codeNoOffer         = "no_offer"
	codeBadSource       = "bad_source"
	codeBadCandidate    = "bad_candidate"
	codeChatForbidden   = "chat_forbidden"
	codeChatRateLimited = "chat_rate_limited"
	codeRateLimited     = "rate_limited"
	codeChatTooLong     = "chat_too_long"
	codeChatEmpty       = "chat_empty"
	codeMediaFailed     = "media_failed"
	codeBadResume       = "bad_resume"
	codeTooManyTracks   = "too_many_tracks"
	codeBadRef          = "bad_ref"
	codeBadRequest      = "bad_request"
	// Refusals of moderation acts, named as core names them.
	codeParticipantNotFound = "participant_not_found"
	codeNoMeeting           = "no_meeting"
	codeCannotPromote       = "cannot_promote"
	codeCannotDemote        = "cannot_demote"
	// Refusals of recording control.
	codeRecordingActive     = "recording_active"
	codeRecordingNotActive  = "recording_not_active"
	codeNoParticipants      = "no_participants"
	codeRecordingDisabled   = "recording_disabled"
	codeInsufficientStorage = "insufficient_storage"
	codeRecordingNotFound   = "recording_not_found"
)

// WebSocket close codes beyond the standard ones.
const (
	closeUnauthenticated = 4001
	closeRefused         = 4003 // JoinMeeting refused (closed room, already joined, forbidden)
	closeKicked          = 4004
	closeEnded           = 4005
	closeMediaFailed     = 4006
	closeReplaced        = 4007 // the participant resumed on another connection
)

// maxRefBytes bounds the ref of a moderation frame.
const maxRefBytes = 64

// inFrame is any client frame; which members matter depends on Type.
type inFrame struct {
	V         int                     `json:"v"`
	Type      string                  `json:"type"`
	SDP       string                  `json:"sdp"`
	Sources   map[string]media.Source `json:"sources"`
	Candidate *media.Candidate        `json:"candidate"`
	Text      string                  `json:"text"`
	Source    media.Source            `json:"source"`
	Muted     *bool                   `json:"muted"`
	Ref       string                  `json:"ref"`
	Identity  string                  `json:"identity"`
	Kind      string                  `json:"kind"`
	Action    string                  `json:"action"`
	Raised    *bool                   `json:"raised"`
}

// participantInfo describes someone in the meeting.
type participantInfo struct {
	Identity string      `json:"identity"`
	Name     string      `json:"name"`
	Role     string      `json:"role,omitempty"`
	Tracks   []trackInfo `json:"tracks"`
	// Connecting is true until the participant's media connection first comes up: its
	// tracks are not missing because it muted them.
	Connecting bool `json:"connecting,omitempty"`
	// HandRaised is true while the participant's hand is raised.
	HandRaised bool `json:"handRaised,omitempty"`
}

// trackInfo describes a published track: TrackID is the id subscribers receive.
type trackInfo struct {
	TrackID string       `json:"trackId"`
	Source  media.Source `json:"source"`
	Kind    string       `json:"kind"`
	Muted   bool         `json:"muted"`
}

// roomInfo names the room in `joined`.
type roomInfo struct {
	RoomID   string `json:"roomId"`
	RoomName string `json:"roomName"`
}

// mediaInfo tells the client in `joined` where its media goes: the server's one UDP port
// and the addresses it announces (empty when it announces every local address), so that
// a client whose media cannot connect can say what it could not reach.
type mediaInfo struct {
	UDPPort   int      `json:"udpPort"`
	Addresses []string `json:"addresses"`
}

// recordingInfo is the recording state in `joined` and `recording` frames.
type recordingInfo struct {
	Active bool `json:"active"`
}

// outFrame is any server frame; members not used by a type are omitted.
type outFrame struct {
	V            int               `json:"v"`
	Type         string            `json:"type"`
	Ref          string            `json:"ref,omitempty"`
	Identity     string            `json:"identity,omitempty"`
	Name         string            `json:"name,omitempty"`
	Role         string            `json:"role,omitempty"`
	Tracks       []trackInfo       `json:"tracks,omitempty"`
	Room         *roomInfo         `json:"room,omitempty"`
	Recording    *recordingInfo    `json:"recording,omitempty"`
	Resume       string            `json:"resume,omitempty"`
	Media        *mediaInfo        `json:"media,omitempty"`
	Participants []participantInfo `json:"participants,omitempty"`
	Track        *trackInfo        `json:"track,omitempty"`
	Muted        *bool             `json:"muted,omitempty"`
	Active       *bool             `json:"active,omitempty"`
	Moderator    bool              `json:"moderator,omitempty"`
	Connecting   bool              `json:"connecting,omitempty"`
	HandRaised   bool              `json:"handRaised,omitempty"`
	SDP          string            `json:"sdp,omitempty"`
	From         string            `json:"from,omitempty"`
	Text         string            `json:"text,omitempty"`
	Time         int64             `json:"time,omitempty"`
	Reason       string            `json:"reason,omitempty"`
	Kind         string            `json:"kind,omitempty"`
	Source       media.Source      `json:"source,omitempty"`
	Permissions  *core.Permissions `json:"permissions,omitempty"`
	Code         string            `json:"code,omitempty"`
	Message      string            `json:"message,omitempty"`
}

func errorFrame(code, message string) outFrame {
	return outFrame{Type: outError, Code: code, Message: message}
}

// decodeFrame parses and checks one client frame: the frame, or the error frame to answer
// it with. What it lets through has a known type and the members that type needs, so the
// handlers act without further checks (chat text and moderation targets are judged where
// they are used).
func decodeFrame(data []byte) (inFrame, *outFrame) {
	var f inFrame
	bad := func(code, message string) (inFrame, *outFrame) {
		e := errorFrame(code, message)
		e.Ref = f.Ref
		return inFrame{}, &e
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return bad(codeBadJSON, "The frame is not a valid JSON message: "+err.Error())
	}
	if f.V != protocolVersion {
		return bad(codeBadVersion, "Only version 1 of the protocol is spoken: send \"v\":1")
	}
	if len(f.Ref) > maxRefBytes {
		f.Ref = ""
		return bad(codeBadRef, "A ref is at most 64 characters")
	}
	switch f.Type {
	case inOffer, inAnswer:
		if strings.TrimSpace(f.SDP) == "" {
			return bad(codeBadSDP, "An "+f.Type+" needs an sdp")
		}
	case inCandidate:
		if f.Candidate == nil {
			return bad(codeBadCandidate, "A candidate frame needs a candidate")
		}
	case inMute, inUnmute:
		if !validSource(f.Source) {
			return bad(codeBadSource, "Unknown source: use microphone, camera, screen or screen_audio")
		}
		if f.Type == inMute && f.Muted == nil {
			return bad(codeBadRequest, "A mute frame needs muted: true or false")
		}
	case inHand:
		if f.Raised == nil {
			return bad(codeBadRequest, "A hand frame needs raised: true or false")
		}
	case inKick, inMuteParticipant, inSetRole, inEndMeeting, inStartRecording, inStopRecording, inLowerHand:
		if f.Ref == "" {
			return bad(codeBadRef, "A moderation frame needs a ref of 1 to 64 characters")
		}
		if f.Type != inEndMeeting && f.Type != inStartRecording && f.Type != inStopRecording && f.Identity == "" {
			return bad(codeBadRequest, "A moderation frame needs the identity of a participant")
		}
	case inChat, inLeave:
	default:
		return bad(codeUnknownType, "Unknown frame type")
	}
	return f, nil
}

// participantFrame is a participantJoined/participantUpdated frame for pi.
func participantFrame(typ string, pi participantInfo) outFrame {
	return outFrame{Type: typ, Identity: pi.Identity, Name: pi.Name, Role: pi.Role, Tracks: pi.Tracks, Connecting: pi.Connecting, HandRaised: pi.HandRaised}
}

// validSource reports whether s is one of the sources a client may name.
func validSource(s media.Source) bool {
	switch s {
	case media.SourceMicrophone, media.SourceCamera, media.SourceScreen, media.SourceScreenAudio:
		return true
	}
	return false
}

// rightsOf turns meeting permissions into what the SFU lets a peer publish.
func rightsOf(p core.Permissions) media.PublishRights {
	return media.PublishRights{Audio: p.MediaPublishAudio, Video: p.MediaPublishVideo, Screen: p.MediaShareScreen}
}

// sourcesOfKind maps a moderator's mute kind to the SFU sources it silences.
func sourcesOfKind(kind string) []media.Source {
	switch kind {
	case core.MediaAudio:
		return []media.Source{media.SourceMicrophone}
	case core.MediaVideo:
		return []media.Source{media.SourceCamera}
	case core.MediaScreen:
		return []media.Source{media.SourceScreen, media.SourceScreenAudio}
	}
	return nil
}

// closeReason trims a close reason to what a close frame can carry (125 bytes).
func closeReason(s string) string {
	if len(s) <= maxReasonBytes {
		return s
	}
	b := []byte(s[:maxReasonBytes])
	for len(b) > 0 && b[len(b)-1]&0xC0 == 0x80 { // do not cut a UTF-8 sequence
		b = b[:len(b)-1]
	}
	if len(b) > 0 && b[len(b)-1] >= 0xC0 {
		b = b[:len(b)-1]
	}
	return string(b)
}
