package core

import "context"

// LowerHand authorizes lowering a participant's raised hand (the hand itself is the
// signalling connection's state). Lowering another's needs participantMute, judged by
// the caller's rights now (promotion counts), and is audited as a moderation act;
// lowering one's own needs nothing.
func (s *Service) LowerHand(ctx context.Context, p *Principal, roomID, identity string) error {
	if p != nil && p.Kind == PrincipalMember && p.Member.RoomID == roomID && p.Member.Identity == identity {
		return nil
	}
	if _, err := s.moderate(ctx, p, roomID, "participantMute"); err != nil {
		return err
	}
	if _, err := s.participant(roomID, identity); err != nil {
		return err
	}
	return s.auditAs(ctx, s.store, p, "meeting.lowerHand", "participant:"+identity+"@"+roomID, "")
}
