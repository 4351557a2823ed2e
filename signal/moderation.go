package signal

import (
	"context"

	"conclave/core"
)

// moderate carries out a moderation frame (kick, muteParticipant, setRole, endMeeting,
// startRecording, stopRecording)
// through core with the sender's credentials, exactly as the REST endpoints do, and
// answers with `result` or an `error` carrying the frame's ref.
func (c *conn) moderate(f inFrame) {
	ctx := context.Background()
	svc := c.s.svc
	var err error
	switch f.Type {
	case inKick:
		err = svc.KickParticipant(ctx, c.principal, c.roomID, f.Identity)
	case inMuteParticipant:
		err = svc.MuteParticipant(ctx, c.principal, c.roomID, f.Identity, f.Kind)
	case inSetRole:
		_, err = svc.ChangeParticipantRole(ctx, c.principal, c.roomID, f.Identity, f.Action)
	case inEndMeeting:
		err = svc.EndMeeting(ctx, c.principal, c.roomID)
	case inStartRecording:
		_, err = svc.StartRecording(ctx, c.principal, c.roomID, "")
	case inStopRecording:
		if id := svc.RoomRecordingID(c.roomID); id != "" {
			_, err = svc.StopRecording(ctx, c.principal, id)
		} else {
			err = core.ErrRecordingNotActive
		}
	}
	if err != nil {
		e := c.s.clientError(err, f.Type, []any{"room", c.roomID, "participant", c.identity, "target", f.Identity})
		e.Ref = f.Ref
		c.send(e)
		return
	}
	c.send(outFrame{Type: outResult, Ref: f.Ref})
}
