package web

import (
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
	chatRate       = 5.0 // chat messages per second, sustained
	chatBurst      = 10.0
	sendQueueLen   = 256 // frames waiting for a client; a client this far behind is dropped
	maxReasonBytes = 120
)

// Client → server frame types.
const (
	inOffer     = "offer"
	inAnswer    = "answer"
	inCandidate = "candidate"
	inChat      = "chat"
	inUnmute    = "unmute"
	inLeave     = "leave"
)

// Server → client frame types.
const (
	outJoined            = "joined"
	outOffer             = "offer"
	outAnswer            = "answer"
	outParticipantJoined = "participantJoined"
	outParticipantLeft   = "participantLeft"
	outChat              = "chat"
	outKicked            = "kicked"
	outEnded             = "ended"
	outMuted             = "muted"
	outPermissions       = "permissions"
	outError             = "error"
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
	codeChatTooLong     = "chat_too_long"
	codeChatEmpty       = "chat_empty"
	codeMediaFailed     = "media_failed"
)

// WebSocket close codes beyond the standard ones.
const (
	closeUnauthenticated = 4001
	closeRefused         = 4003 // JoinMeeting refused (closed room, already joined, forbidden)
	closeKicked          = 4004
	closeEnded           = 4005
	closeMediaFailed     = 4006
)

// inFrame is any client frame; which members matter depends on Type.
type inFrame struct {
	V         int                     `json:"v"`
	Type      string                  `json:"type"`
	SDP       string                  `json:"sdp"`
	Sources   map[string]media.Source `json:"sources"`
	Candidate *media.Candidate        `json:"candidate"`
	Text      string                  `json:"text"`
	Source    media.Source            `json:"source"`
}

// participantInfo describes someone in the meeting.
type participantInfo struct {
	Identity string `json:"identity"`
	Name     string `json:"name"`
}

// outFrame is any server frame; members not used by a type are omitted.
type outFrame struct {
	V            int               `json:"v"`
	Type         string            `json:"type"`
	Identity     string            `json:"identity,omitempty"`
	Name         string            `json:"name,omitempty"`
	Participants []participantInfo `json:"participants,omitempty"`
	SDP          string            `json:"sdp,omitempty"`
	From         string            `json:"from,omitempty"`
	Text         string            `json:"text,omitempty"`
	Time         int64             `json:"time,omitempty"`
	Reason       string            `json:"reason,omitempty"`
	Kind         string            `json:"kind,omitempty"`
	Source       media.Source      `json:"source,omitempty"`
	Role         string            `json:"role,omitempty"`
	Permissions  *core.Permissions `json:"permissions,omitempty"`
	Code         string            `json:"code,omitempty"`
	Message      string            `json:"message,omitempty"`
}

func errorFrame(code, message string) outFrame {
	return outFrame{Type: outError, Code: code, Message: message}
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
