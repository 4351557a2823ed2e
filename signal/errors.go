package signal

import (
	"errors"

	"conclave/core"
	"conclave/media"
)

// coreCodes maps core's refusals to the error codes of docs/signalling.md: the one place
// where that happens. Entries are tried in order, so a sentinel with a code (cannot_promote)
// comes before the sentinel of its kind (forbidden, not found), which matches any error of
// that kind.
var coreCodes = []struct {
	err  error
	code string
}{
	{core.ErrRoomClosed, codeRoomClosed},
	{core.ErrAlreadyJoined, codeAlreadyJoined},
	{core.ErrParticipantNotFound, codeParticipantNotFound},
	{core.ErrNoMeeting, codeNoMeeting},
	{core.ErrCannotPromote, codeCannotPromote},
	{core.ErrCannotDemote, codeCannotDemote},
	{core.ErrBadResume, codeBadResume},
	{core.ErrRecordingActive, codeRecordingActive},
	{core.ErrRecordingNotActive, codeRecordingNotActive},
	{core.ErrRecordingNoOne, codeNoParticipants},
	{core.ErrRecordingDisabled, codeRecordingDisabled},
	{core.ErrInsufficientStorage, codeInsufficientStorage},
	{core.ErrRecordingNotFound, codeRecordingNotFound},
	{core.ErrUnauthenticated, codeUnauthenticated},
	{core.ErrForbidden, codeForbidden},
	{core.ErrValidation, codeBadRequest},
	{core.ErrBadRequest, codeBadRequest},
	{core.ErrNotFound, codeNotFound},
}

// mediaCodes maps the SFU's refusals of a client's negotiation frames to error codes.
var mediaCodes = []struct {
	err  error
	code string
}{
	{media.ErrGlare, codeGlare},
	{media.ErrNoOffer, codeNoOffer},
	{media.ErrBadSource, codeBadSource},
	{media.ErrTooMany, codeTooManyTracks},
}

// ErrorCode is the signalling error code a client gets for a refusal of core's
// (docs/signalling.md); "" for errors core did not make on purpose, or made with a kind
// signalling has no code for: those reach the client as `internal`.
func ErrorCode(err error) string {
	if core.KindOf(err) == core.KindInternal {
		return ""
	}
	for _, e := range coreCodes {
		if errors.Is(err, e.err) {
			return e.code
		}
	}
	return ""
}

// clientError is the error frame a client gets for err. Errors without a code are logged
// with op and the context in attrs and reach the client as a generic internal error, so
// that nothing of the server's insides leaks.
func (s *Server) clientError(err error, op string, attrs []any) outFrame {
	if code := ErrorCode(err); code != "" {
		var ce *core.Error
		errors.As(err, &ce)
		return errorFrame(code, ce.Message)
	}
	s.log.Error("signalling: "+op+" failed", append(attrs, "err", err)...)
	return errorFrame(codeInternal, "Internal error")
}

// mediaError is the error frame a client gets for a refused negotiation frame (offer,
// answer). A description Pion could not use is the client's fault as far as we can tell:
// the client learns that much, the log gets Pion's words.
func (c *conn) mediaError(err error, frame string) outFrame {
	for _, e := range mediaCodes {
		if errors.Is(err, e.err) {
			return errorFrame(e.code, err.Error()) // media's own words, not Pion's
		}
	}
	c.s.log.Info("signalling: session description refused", "room", c.roomID, "participant", c.identity, "frame", frame, "err", err)
	return errorFrame(codeBadSDP, "The session description could not be used")
}
