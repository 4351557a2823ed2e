package signal_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"
)

func TestSignallingJoinedCarriesRoleRoomAndTracks(t *testing.T) {
	s := newSigStack(t)
	alice := s.connect("Alice")
	perms, _ := alice.joined["permissions"].(map[string]any)
	room, _ := alice.joined["room"].(map[string]any)
	rec, _ := alice.joined["recording"].(map[string]any)
	if alice.joined["role"] != "speaker" || perms["mediaPublishAudio"] != true || perms["participantKick"] != false ||
		room["roomName"] != "Signals" || room["roomId"] != s.roomID || rec["active"] != false || alice.joined["resume"] == "" {
		t.Fatalf("joined %v", alice.joined)
	}
	bob := s.connect("Bob")
	if got := alice.expect("participantJoined"); got["identity"] != bob.identity || got["role"] != "speaker" {
		t.Fatalf("participantJoined %v", got)
	}
	alice.publishAudio()
	got := bob.expect("trackPublished")
	track, _ := got["track"].(map[string]any)
	if got["identity"] != alice.identity || track["source"] != "microphone" || track["kind"] != "audio" || track["muted"] != false {
		t.Fatalf("trackPublished %v", got)
	}
	waitUntil(t, "Bob hearing Alice", func() bool { return bob.received(alice.identity, "audio") > 5 })

	// A latecomer learns of Alice's track from joined.
	carol := s.connect("Carol")
	var seen bool
	for _, p := range carol.joined["participants"].([]any) {
		p := p.(map[string]any)
		if p["identity"] == alice.identity {
			tracks, _ := p["tracks"].([]any)
			seen = len(tracks) == 1 && tracks[0].(map[string]any)["source"] == "microphone" && p["role"] == "speaker"
		}
	}
	if !seen {
		t.Fatalf("Carol's joined does not show Alice's microphone: %v", carol.joined["participants"])
	}

	// Alice mutes herself: everyone is told and nothing more is forwarded.
	alice.send(map[string]any{"type": "mute", "source": "microphone", "muted": true})
	for _, c := range []*sigClient{alice, bob} {
		if got := c.expect("trackMuted"); got["identity"] != alice.identity || got["muted"] != true || got["moderator"] != nil {
			t.Fatalf("%s: trackMuted %v", c.Name, got)
		}
	}
	time.Sleep(200 * time.Millisecond)
	before := bob.received(alice.identity, "audio")
	time.Sleep(300 * time.Millisecond)
	if after := bob.received(alice.identity, "audio"); after > before+1 {
		t.Fatalf("Bob still receives Alice's muted microphone: %d → %d", before, after)
	}
	alice.send(map[string]any{"type": "mute", "source": "microphone", "muted": false})
	if got := bob.expect("trackMuted"); got["muted"] != false {
		t.Fatalf("trackMuted %v", got)
	}
	waitUntil(t, "audio after unmute", func() bool { return bob.received(alice.identity, "audio") > before+5 })
	alice.send(map[string]any{"type": "mute", "source": "microphone"})
	alice.expectError("bad_request")

	// Leaving unpublishes.
	alice.close()
	if got := bob.expect("trackUnpublished"); got["identity"] != alice.identity {
		t.Fatalf("trackUnpublished %v", got)
	}
}

func TestSignallingResume(t *testing.T) {
	s := newSigStack(t)
	tok := s.token("Alice")
	alice := s.connectWith("Alice", tok)
	bob := s.connect("Bob")
	alice.publishAudio()
	waitUntil(t, "Bob hearing Alice", func() bool { return bob.received(alice.identity, "audio") > 5 })
	secret, _ := alice.joined["resume"].(string)

	// A wrong secret is refused and changes nothing.
	ws := s.dialURL(s.wsURL(tok) + "&resume=wrong")
	if m, err := readFrame(t, ws); err != nil || m["code"] != "bad_resume" {
		t.Fatalf("wrong resume: %v %v", m, err)
	}

	// The right one takes the seat over: the old socket is closed with 4007, Bob sees no
	// departure, and Alice's new connection is heard again.
	again := s.connectURL("Alice again", s.wsURL(tok)+"&resume="+secret)
	if again.identity != alice.identity || again.joined["name"] != "Alice" || again.joined["resume"] == secret {
		t.Fatalf("resumed as %v", again.joined)
	}
	select {
	case <-alice.closed:
	case <-time.After(sigWait):
		t.Fatal("the replaced socket is still open")
	}
	if st := websocket.CloseStatus(alice.closeErr); st != 4007 {
		t.Fatalf("replaced socket closed with %v (%v), want 4007", st, alice.closeErr)
	}
	again.publishAudio()
	if got := bob.expect("trackPublished"); got["identity"] != alice.identity {
		t.Fatalf("trackPublished %v", got)
	}
	waitUntil(t, "Bob hearing Alice's new connection", func() bool { return bob.received(alice.identity, "audio") > 5 })
	bob.noFrame("participantLeft", alice.identity, 300*time.Millisecond)
	if room, _, err := s.Svc.GetRoom(context.Background(), s.admin, s.roomID); err != nil || room.Status != core.StatusActiveMeeting {
		t.Fatalf("room %+v %v", room, err)
	}

	// Once the participant is gone, the same token and secret join afresh.
	again.close()
	if got := bob.expect("participantLeft"); got["identity"] != alice.identity {
		t.Fatalf("participantLeft %v", got)
	}
	third := s.connectURL("Alice third", s.wsURL(tok)+"&resume="+secret)
	if third.identity != alice.identity {
		t.Fatalf("joined %v", third.joined)
	}
	if got := bob.expect("participantJoined"); got["identity"] != alice.identity {
		t.Fatalf("participantJoined %v", got)
	}
}

func TestSignallingModerationFrames(t *testing.T) {
	s := newSigStack(t)
	mod := s.connectWith("Mo", conclavetest.JoinToken(t, s.Svc, s.roomID, s.moderator, "Mo"))
	bob := s.connect("Bob")
	if mod.joined["role"] != "moderator" {
		t.Fatalf("moderator joined as %v", mod.joined["role"])
	}
	expectRef := func(c *sigClient, ref, wantCode string) map[string]any {
		t.Helper()
		deadline := time.After(sigWait)
		for {
			select {
			case m := <-c.events:
				if m["ref"] != ref {
					continue
				}
				if wantCode == "" && m["type"] != "result" || wantCode != "" && (m["type"] != "error" || m["code"] != wantCode) {
					t.Fatalf("%s: ref %s answered %v, want %q", c.Name, ref, m, wantCode)
				}
				return m
			case <-deadline:
				t.Fatalf("%s: no answer to ref %s", c.Name, ref)
			}
		}
	}

	// A speaker may not kick; nothing happens to the target.
	bob.send(map[string]any{"type": "kick", "ref": "b1", "identity": mod.identity})
	expectRef(bob, "b1", "forbidden")
	bob.send(map[string]any{"type": "kick", "identity": mod.identity})
	bob.expectError("bad_ref")

	// Frames an act causes come before its result (expectRef skips what it passes).
	mod.send(map[string]any{"type": "setRole", "ref": "m1", "identity": bob.identity, "action": "upgrade"})
	mod.next("Bob's promotion", func(m map[string]any) bool {
		return m["type"] == "participantUpdated" && m["identity"] == bob.identity && m["role"] == "moderator"
	})
	expectRef(mod, "m1", "")
	if got := bob.expect("permissions"); got["role"] != "moderator" {
		t.Fatalf("permissions %v", got)
	}
	mod.send(map[string]any{"type": "setRole", "ref": "m2", "identity": bob.identity, "action": "upgrade"})
	expectRef(mod, "m2", "cannot_promote")
	mod.send(map[string]any{"type": "setRole", "ref": "m3", "identity": bob.identity, "action": "sideways"})
	expectRef(mod, "m3", "bad_request")
	mod.send(map[string]any{"type": "kick", "ref": "m4", "identity": "nobody"})
	expectRef(mod, "m4", "participant_not_found")

	// Promoted, Bob may now mute the moderator.
	bob.send(map[string]any{"type": "muteParticipant", "ref": "b2", "identity": mod.identity, "kind": "audio"})
	if got := bob.expect("trackMuted"); got["identity"] != mod.identity || got["moderator"] != true {
		t.Fatalf("trackMuted %v", got)
	}
	expectRef(bob, "b2", "")
	if got := mod.expect("muted"); got["kind"] != "audio" {
		t.Fatalf("muted %v", got)
	}

	start := time.Now()
	mod.send(map[string]any{"type": "kick", "ref": "m5", "identity": bob.identity})
	expectRef(mod, "m5", "")
	bob.expect("kicked")
	bob.kickedWithin(start, time.Second)
	mod.send(map[string]any{"type": "endMeeting", "ref": "m6"})
	mod.expect("ended")
	if _, _, err := s.Svc.GetRoom(context.Background(), s.admin, s.roomID); err != nil {
		t.Fatalf("the room after the meeting ended: %v", err)
	}
}

func TestSignallingGoingAway(t *testing.T) {
	s := newSigStack(t)
	alice := s.connect("Alice")
	if n := s.Svc.EndAllMeetings("The server is going away"); n != 1 {
		t.Fatalf("ended %d meetings", n)
	}
	if got := alice.expect("goingAway"); got["reason"] != "The server is going away" {
		t.Fatalf("goingAway %v", got)
	}
	select {
	case <-alice.closed:
	case <-time.After(sigWait):
		t.Fatal("still connected")
	}
	if st := websocket.CloseStatus(alice.closeErr); st != websocket.StatusGoingAway {
		t.Fatalf("close %v, want 1001", st)
	}
}

// iceUfrag returns the first a=ice-ufrag of a description.
func iceUfrag(sdp string) string {
	for _, l := range strings.Split(sdp, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "a=ice-ufrag:"); ok {
			return v
		}
	}
	return ""
}

func TestSignallingICERestart(t *testing.T) {
	s := newSigStack(t)
	alice := s.connect("Alice")
	bob := s.connect("Bob")
	alice.publishAudio()
	waitUntil(t, "Bob hearing Alice", func() bool { return bob.received(alice.identity, "audio") > 5 })
	var before string
	alice.Do(func() { before = iceUfrag(alice.PC.CurrentRemoteDescription().SDP) })

	// Alice's client restarts ICE, as a browser does when its network changed: the server
	// answers with new credentials and media keeps flowing.
	alice.Do(alice.RestartICE)
	waitUntil(t, "the restart answered", func() bool {
		var after string
		alice.Do(func() {
			if alice.Answered() && alice.PC.CurrentRemoteDescription() != nil {
				after = iceUfrag(alice.PC.CurrentRemoteDescription().SDP)
			}
		})
		return after != "" && after != before
	})
	n := bob.received(alice.identity, "audio")
	waitUntil(t, "audio after the ICE restart", func() bool { return bob.received(alice.identity, "audio") > n+25 })
	if st := alice.PC.ICEConnectionState(); st != webrtc.ICEConnectionStateConnected && st != webrtc.ICEConnectionStateCompleted {
		t.Fatalf("Alice's ICE is %s after the restart", st)
	}
}

func TestSignallingTooManyTracks(t *testing.T) {
	s := newSigStack(t)
	alice := s.connect("Alice")
	bob := s.connect("Bob")
	// A modified client offers nine microphones: refused before anything is set up.
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	sources := map[string]any{}
	for i := range 9 {
		track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "mic", "x")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
		sources[strconv.Itoa(i)] = "microphone"
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	alice.send(map[string]any{"type": "offer", "sdp": offer.SDP})
	alice.expectError("too_many_tracks")
	alice.send(map[string]any{"type": "offer", "sdp": offer.SDP, "sources": sources})
	alice.expectError("too_many_tracks")
	// Alice can still publish normally and Bob hears her.
	alice.publishAudio()
	waitUntil(t, "Bob hearing Alice", func() bool { return bob.received(alice.identity, "audio") > 5 })
}

func TestSignallingRefusesTamperedExpiredAndRevokedTokens(t *testing.T) {
	s := newSigStack(t)
	tok := s.token("Alice")
	s.connectWith("Alice", tok).close() // the token works until…
	// Tampered: one character of the signature changed.
	b := []byte(tok)
	b[len(b)-3] ^= 1
	s.refusedWith("tampered", string(b))

	// Revoked: the speaker link got a new secret, so tokens issued through the old one end.
	room, err := s.Svc.RegenerateAccessLink(context.Background(), s.admin, s.roomID, core.BaseRoleSpeaker)
	if err != nil {
		t.Fatal(err)
	}
	s.refusedWith("revoked", tok)

	// Expired: a fresh token, then the clock moves past its two hours.
	s.speaker = room.Access.Speaker.Secret
	fresh := s.token("Bob")
	s.connectWith("Bob", fresh).close()
	s.clk.Advance(2*time.Hour + time.Minute)
	s.refusedWith("expired", fresh)
}
