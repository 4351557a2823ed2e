package signal_test

import (
	"testing"

	"conclave/conclavetest"
)

// TestRaisedHands: a participant raises its hand and everyone sees it; a speaker may not
// lower another's hand, a moderator may, and the owner may lower its own.
func TestRaisedHands(t *testing.T) {
	s := newSigStack(t)
	alice := s.connect("Alice")
	media, _ := alice.joined["media"].(map[string]any)
	if port, _ := media["udpPort"].(float64); port <= 0 {
		t.Fatalf("joined does not name the media port: %v", alice.joined)
	}
	bob := s.connect("Bob")
	mo := s.connectWith("Mo", conclavetest.JoinToken(t, s.Svc, s.roomID, s.moderator, "Mo"))
	handOf := func(c *sigClient, who string, raised bool) {
		t.Helper()
		c.next("Alice's hand "+map[bool]string{true: "raised", false: "lowered"}[raised], func(m map[string]any) bool {
			return m["type"] == "participantUpdated" && m["identity"] == who && (m["handRaised"] == true) == raised
		})
	}

	alice.send(map[string]any{"type": "hand", "raised": true})
	for _, c := range []*sigClient{alice, bob, mo} {
		handOf(c, alice.identity, true)
	}
	// A latecomer sees the hand in joined.
	carol := s.connect("Carol")
	raised := false
	for _, p := range carol.joined["participants"].([]any) {
		if p := p.(map[string]any); p["identity"] == alice.identity {
			raised = p["handRaised"] == true
		}
	}
	if !raised {
		t.Fatalf("Carol's joined does not show Alice's raised hand: %v", carol.joined["participants"])
	}

	bob.send(map[string]any{"type": "lowerHand", "ref": "b1", "identity": alice.identity})
	if e := bob.expectError("forbidden"); e["ref"] != "b1" {
		t.Fatalf("refusal without its ref: %v", e)
	}
	mo.send(map[string]any{"type": "lowerHand", "ref": "m1", "identity": alice.identity})
	if r := mo.expect("result"); r["ref"] != "m1" {
		t.Fatalf("result %v", r)
	}
	for _, c := range []*sigClient{alice, bob} {
		handOf(c, alice.identity, false)
	}

	// The owner raises and lowers its own.
	bob.send(map[string]any{"type": "hand", "raised": true})
	handOf(alice, bob.identity, true)
	bob.send(map[string]any{"type": "hand", "raised": false})
	handOf(alice, bob.identity, false)
	bob.send(map[string]any{"type": "hand"})
	bob.expectError("bad_request")
	mo.send(map[string]any{"type": "lowerHand", "ref": "m2", "identity": "nobody"})
	mo.expectError("participant_not_found")
}

// TestParticipantsConnectingUntilTheirMediaIsUp: the others see a newcomer as connecting
// until its media connection is up, so its missing tracks do not read as muted.
func TestParticipantsConnectingUntilTheirMediaIsUp(t *testing.T) {
	s := newSigStack(t)
	alice := s.connect("Alice")
	bob := s.connect("Bob")
	if got := alice.expect("participantJoined"); got["identity"] != bob.identity || got["connecting"] != true {
		t.Fatalf("a newcomer is not shown connecting: %v", got)
	}
	bob.publishAudio()
	alice.next("Bob's media up", func(m map[string]any) bool {
		return m["type"] == "participantUpdated" && m["identity"] == bob.identity && m["connecting"] == nil
	})
}
