package web

import (
	"context"
	"errors"

	"conclave/core"
)

// moderate carries out a moderation frame (kick, muteParticipant, setRole, endMeeting)
// through core with the sender's credentials, exactly as the REST endpoints do, and
// answers with `result` or an `error` carrying the frame's ref.
func (c *sigConn) moderate(f inFrame) {
	ctx := context.Background()
	var err error
	switch f.Type {
	case inKick:
		err = c.m.svc.KickParticipant(ctx, c.principal, c.roomID, f.Identity)
	case inMuteParticipant:
		err = c.m.svc.MuteParticipant(ctx, c.principal, c.roomID, f.Identity, f.Kind)
	case inSetRole:
		_, err = c.m.svc.ChangeParticipantRole(ctx, c.principal, c.roomID, f.Identity, f.Action)
	case inEndMeeting:
		err = c.m.svc.EndMeeting(ctx, c.principal, c.roomID)
	}
	if err != nil {
		c.send(refError(f.Ref, moderationCode(err), messageOf(err)))
		return
	}
	c.send(outFrame{Type: outResult, Ref: f.Ref})
}

func refError(ref, code, message string) outFrame {
	f := errorFrame(code, message)
	f.Ref = ref
	return f
}

// moderationCode is the error code of a refused moderation act: core's own code when it
// has one (cannot_promote, participant_not_found, no_meeting…), else one by kind.
func moderationCode(err error) string {
	var ce *core.Error
	if errors.As(err, &ce) && ce.Code != "" {
		return ce.Code
	}
	switch core.KindOf(err) {
	case core.KindForbidden:
		return codeForbidden
	case core.KindUnauthenticated:
		return codeUnauthenticated
	case core.KindValidation, core.KindBadRequest:
		return codeBadRequest
	case core.KindNotFound:
		return codeNotFound
	}
	return codeInternal
}
