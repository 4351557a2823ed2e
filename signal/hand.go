package signal

import "context"

// setHand raises or lowers the participant's own hand; everyone, the participant
// included, is told with participantUpdated. A frame that changes nothing tells nobody.
func (c *conn) setHand(raised bool) {
	c.mu.Lock()
	same := c.hand == raised
	c.hand = raised
	c.mu.Unlock()
	if !same {
		c.s.broadcast(c.roomID, "", participantFrame(outParticipantUpdated, c.info()))
	}
}

// lowerHand lowers a participant's hand: core checks the sender's rights now (lowering
// another's needs participantMute, as muting it does) and audits it.
func (c *conn) lowerHand(f inFrame) {
	if err := c.s.svc.LowerHand(context.Background(), c.principal, c.roomID, f.Identity); err != nil {
		e := c.s.clientError(err, f.Type, []any{"room", c.roomID, "participant", c.identity, "target", f.Identity})
		e.Ref = f.Ref
		c.send(e)
		return
	}
	if target := c.s.connOf(c.roomID, f.Identity); target != nil {
		target.setHand(false)
	}
	c.send(outFrame{Type: outResult, Ref: f.Ref})
}
