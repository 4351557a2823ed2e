package signal_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"conclave/conclavetest"
	"conclave/core"
)

func TestSignallingAudioBothWays(t *testing.T) {
	s := newSigStack(t)
	alice := s.connect("Alice")
	bob := s.connect("Bob")
	if got := alice.expect("participantJoined"); got["identity"] != bob.identity || got["name"] != "Bob" {
		t.Fatalf("participantJoined %v", got)
	}
	alice.publishAudio()
	bob.publishAudio()
	waitUntil(t, "Bob hearing Alice", func() bool { return bob.received(alice.identity, "audio") > 5 })
	waitUntil(t, "Alice hearing Bob", func() bool { return alice.received(bob.identity, "audio") > 5 })

	// Bob leaves: Alice is told.
	bob.send(map[string]any{"type": "leave"})
	if got := alice.expect("participantLeft"); got["identity"] != bob.identity {
		t.Fatalf("participantLeft %v", got)
	}
}

func TestSignallingChat(t *testing.T) {
	s := newSigStack(t)
	alice := s.connect("Alice")
	bob := s.connect("Bob")
	alice.send(map[string]any{"type": "chat", "text": "hello Bob"})
	got := bob.expect("chat")
	if got["from"] != alice.identity || got["name"] != "Alice" || got["text"] != "hello Bob" || got["time"] == nil {
		t.Fatalf("chat %v", got)
	}
	alice.send(map[string]any{"type": "chat", "text": strings.Repeat("x", 2001)})
	alice.expectError("chat_too_long")
	alice.send(map[string]any{"type": "chat", "text": "  "})
	alice.expectError("chat_empty")

	// A burst beyond the limit is refused.
	for range 15 {
		alice.send(map[string]any{"type": "chat", "text": "spam"})
	}
	alice.expectError("chat_rate_limited")

	// An external member without chatWrite is refused, and reads what others write.
	ext, _, err := s.Svc.AddMember(context.Background(), s.admin, s.roomID, core.NewMember{Name: "Quiet Quentin",
		BaseRole: core.BaseRoleSpeaker, Custom: core.PermissionSet{"chatWrite": false}})
	if err != nil {
		t.Fatal(err)
	}
	quiet := s.connectWith("Quentin", conclavetest.JoinToken(t, s.Svc, s.roomID, ext.MemberID, ""))
	quiet.send(map[string]any{"type": "chat", "text": "may I?"})
	quiet.expectError("chat_forbidden")
	time.Sleep(1100 * time.Millisecond) // let Bob's bucket refill a little
	bob.send(map[string]any{"type": "chat", "text": "hi all"})
	if got := quiet.expect("chat"); got["text"] != "hi all" {
		t.Fatalf("chat %v", got)
	}
	for {
		select {
		case m := <-bob.events:
			if m["type"] == "chat" && m["text"] == "may I?" {
				t.Fatal("a refused chat message was relayed")
			}
			continue
		default:
		}
		break
	}
}

func TestSignallingKick(t *testing.T) {
	s := newSigStack(t)
	alice := s.connect("Alice")
	bob := s.connect("Bob")
	start := time.Now()
	if err := s.Svc.KickParticipant(context.Background(), s.admin, s.roomID, bob.identity); err != nil {
		t.Fatal(err)
	}
	got := bob.expect("kicked")
	if r, _ := got["reason"].(string); r == "" {
		t.Fatalf("kicked without a reason: %v", got)
	}
	bob.kickedWithin(start, time.Second)
	bob.closedWith(4004)
	if got := alice.expect("participantLeft"); got["identity"] != bob.identity {
		t.Fatalf("participantLeft %v", got)
	}
	// Alice is still connected and served.
	alice.send(map[string]any{"type": "chat", "text": "still here"})
	if got := alice.expect("chat"); got["text"] != "still here" {
		t.Fatalf("chat %v", got)
	}
	select {
	case <-alice.closed:
		t.Fatal("the other participant was disconnected")
	default:
	}
}

func TestSignallingEndMeeting(t *testing.T) {
	s := newSigStack(t)
	alice := s.connect("Alice")
	bob := s.connect("Bob")
	if err := s.Svc.EndMeeting(context.Background(), s.admin, s.roomID); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*sigClient{alice, bob} {
		c.expect("ended")
		select {
		case <-c.closed:
		case <-time.After(2 * time.Second):
			t.Fatalf("%s still connected after the end", c.Name)
		}
	}
}

func TestSignallingRefusals(t *testing.T) {
	s := newSigStack(t)
	for _, tok := range []string{"", "not-a-token"} {
		ws := s.dial(tok)
		m, err := readFrame(t, ws)
		if err != nil || m["type"] != "error" || m["code"] != "unauthenticated" {
			t.Fatalf("token %q: frame %v, err %v", tok, m, err)
		}
		_, err = readFrame(t, ws)
		if st := websocket.CloseStatus(err); st != 4001 {
			t.Fatalf("token %q: close %v (%v), want 4001", tok, st, err)
		}
	}

	tok := s.token("Alice")
	alice := s.connectWith("Alice", tok)
	ws := s.dial(tok)
	m, err := readFrame(t, ws)
	if err != nil || m["type"] != "error" || m["code"] != "already_joined" {
		t.Fatalf("second connection: frame %v, err %v", m, err)
	}
	if _, err := readFrame(t, ws); websocket.CloseStatus(err) != 4003 {
		t.Fatalf("second connection: close %v", err)
	}
	// The first connection is unaffected.
	alice.send(map[string]any{"type": "chat", "text": "ok"})
	alice.expect("chat")
}

func TestSignallingBadInput(t *testing.T) {
	s := newSigStack(t)
	alice := s.connect("Alice")
	raw := func(text string) {
		ctx, cancel := context.WithTimeout(context.Background(), sigWait)
		defer cancel()
		if err := alice.ws.Write(ctx, websocket.MessageText, []byte(text)); err != nil {
			t.Fatal(err)
		}
	}
	raw(`{"v":1,"type":`)
	alice.expectError("bad_json")
	raw(`[1,2,3]`)
	alice.expectError("bad_json")
	raw(`{"type":"chat","text":"no version"}`)
	alice.expectError("bad_version")
	alice.send(map[string]any{"type": "dance"})
	alice.expectError("unknown_type")
	alice.send(map[string]any{"type": "offer", "sdp": "v=0 garbage"})
	alice.expectError("bad_sdp")
	alice.send(map[string]any{"type": "offer", "sdp": "v=0", "sources": map[string]any{"0": "hologram"}})
	alice.expectError("bad_source")
	alice.send(map[string]any{"type": "answer", "sdp": "v=0 garbage"})
	alice.expectError("no_offer")
	alice.send(map[string]any{"type": "candidate"})
	alice.expectError("bad_candidate")
	// Still usable.
	alice.send(map[string]any{"type": "chat", "text": "still fine"})
	if got := alice.expect("chat"); got["text"] != "still fine" {
		t.Fatalf("chat %v", got)
	}
	// A frame over the limit closes the connection with 1009.
	raw(`{"v":1,"type":"chat","text":"` + strings.Repeat("a", 70<<10) + `"}`)
	select {
	case <-alice.closed:
	case <-time.After(sigWait):
		t.Fatal("an oversized frame did not close the connection")
	}
	if st := websocket.CloseStatus(alice.closeErr); st != websocket.StatusMessageTooBig {
		t.Fatalf("close %v (%v), want 1009", st, alice.closeErr)
	}
}

func TestSignallingModeration(t *testing.T) {
	s := newSigStack(t)
	alice := s.connect("Alice")
	bob := s.connect("Bob")
	alice.publishAudio()
	waitUntil(t, "Bob hearing Alice", func() bool { return bob.received(alice.identity, "audio") > 5 })
	if err := s.Svc.MuteParticipant(context.Background(), s.admin, s.roomID, alice.identity, core.MediaAudio); err != nil {
		t.Fatal(err)
	}
	if got := alice.expect("muted"); got["kind"] != "audio" || got["source"] != "microphone" {
		t.Fatalf("muted %v", got)
	}
	time.Sleep(200 * time.Millisecond) // packets already on their way
	before := bob.received(alice.identity, "audio")
	time.Sleep(300 * time.Millisecond)
	if after := bob.received(alice.identity, "audio"); after > before+1 {
		t.Fatalf("Bob still receives muted audio: %d → %d packets", before, after)
	}
	alice.send(map[string]any{"type": "unmute", "source": "microphone"})
	waitUntil(t, "audio after unmute", func() bool { return bob.received(alice.identity, "audio") > before+5 })

	if _, err := s.Svc.ChangeParticipantRole(context.Background(), s.admin, s.roomID, alice.identity, core.RoleUpgrade); err != nil {
		t.Fatal(err)
	}
	got := alice.expect("permissions")
	if perms, _ := got["permissions"].(map[string]any); got["role"] != "moderator" || perms["meetingEnd"] != true {
		t.Fatalf("permissions %v", got)
	}
}
