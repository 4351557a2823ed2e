package signal_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
)

func identities(t *testing.T, s *sigStack) []string {
	t.Helper()
	parts, err := s.Svc.Participants(context.Background(), s.admin, s.roomID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range parts {
		ids = append(ids, p.Identity)
	}
	slices.Sort(ids)
	return ids
}

// TestParticipantIsKnownInOnePlace: core's registry is the only list of who is in a
// meeting. Taking a participant out of it (a kick, the member deleted) ends its socket
// and its SFU peer, frees its seat (it can come back with a fresh token; the meeting ends
// when nobody is left) and tells the others.
func TestParticipantIsKnownInOnePlace(t *testing.T) {
	s := newSigStackWith(t, conclavetest.Config{MeetingEndGrace: 200 * time.Millisecond})
	ctx := context.Background()
	pat, _, err := s.Svc.AddMember(ctx, s.admin, s.roomID, core.NewMember{Name: "Pat", BaseRole: core.BaseRoleSpeaker})
	if err != nil {
		t.Fatal(err)
	}
	quinn := s.connectWith("Quinn", conclavetest.JoinToken(t, s.Svc, s.roomID, s.moderator, "Quinn"))
	quinnID := quinn.identity
	p := s.connectWith("Pat", conclavetest.JoinToken(t, s.Svc, s.roomID, pat.MemberID, ""))
	if p.identity != pat.MemberID {
		t.Fatalf("Pat joined as %v", p.identity)
	}
	quinn.expect("participantJoined")
	both := []string{pat.MemberID, quinnID}
	slices.Sort(both)
	waitUntil(t, "both are in the meeting and the media", func() bool {
		return slices.Equal(identities(t, s), both) && slices.Equal(s.SFU.PeerIDs(s.roomID), both)
	})

	// A kick takes Pat out of the registry: its socket and its peer go, the others hear.
	if err := s.Svc.KickParticipant(ctx, s.admin, s.roomID, pat.MemberID); err != nil {
		t.Fatal(err)
	}
	if f := p.expect("kicked"); f["reason"] == "" {
		t.Fatalf("kicked without a reason: %v", f)
	}
	p.closedWith(4004)
	if f := quinn.expect("participantLeft"); f["identity"] != pat.MemberID {
		t.Fatalf("participantLeft %v", f)
	}
	waitUntil(t, "Pat's peer leaves the SFU", func() bool {
		return slices.Equal(s.SFU.PeerIDs(s.roomID), []string{quinnID})
	})
	if got := identities(t, s); !slices.Equal(got, []string{quinnID}) {
		t.Fatalf("participants after the kick: %v", got)
	}

	// The seat is free: Pat comes back with a fresh token, in the meeting and the media.
	p = s.connectWith("Pat again", conclavetest.JoinToken(t, s.Svc, s.roomID, pat.MemberID, ""))
	waitUntil(t, "Pat is back in the media", func() bool {
		return slices.Equal(s.SFU.PeerIDs(s.roomID), both)
	})

	// Deleting the member expels it the same way.
	if err := s.Svc.DeleteMember(ctx, s.admin, s.roomID, pat.MemberID); err != nil {
		t.Fatal(err)
	}
	p.expect("kicked")
	p.closedWith(4004)
	waitUntil(t, "the deleted member's peer leaves the SFU", func() bool {
		return slices.Equal(s.SFU.PeerIDs(s.roomID), []string{quinnID})
	})

	// When the last one goes, the meeting ends after its grace period: no ghost seat
	// keeps the room live.
	quinn.close()
	waitUntil(t, "the room leaves active_meeting", func() bool {
		r, _, err := s.Svc.GetRoom(ctx, s.admin, s.roomID)
		return err == nil && r.Status == core.StatusOpen
	})
	if ids := s.SFU.PeerIDs(s.roomID); len(ids) != 0 {
		t.Fatalf("peers left in the SFU: %v", ids)
	}
	if clients := s.Svc.MeetingClients(s.roomID); len(clients) != 0 {
		t.Fatalf("clients left in the registry: %d", len(clients))
	}
}
