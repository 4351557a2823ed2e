package signal_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"conclave/conclavetest"
	"conclave/core"
)

const wait = 10 * time.Second

// socket is a raw signalling connection: enough to join, be told things and be closed.
type socket struct {
	t      *testing.T
	ws     *websocket.Conn
	frames chan map[string]any
	closed chan websocket.StatusCode
}

func dial(t *testing.T, st *conclavetest.Stack, token string) *socket {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	url := "ws" + strings.TrimPrefix(st.Server.URL, "http") + "/meet/ws?token=" + token
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	ws.SetReadLimit(1 << 20)
	t.Cleanup(func() { _ = ws.CloseNow() })
	s := &socket{t: t, ws: ws, frames: make(chan map[string]any, 64), closed: make(chan websocket.StatusCode, 1)}
	go func() {
		for {
			_, data, err := ws.Read(context.Background())
			if err != nil {
				s.closed <- websocket.CloseStatus(err)
				return
			}
			var f map[string]any
			if json.Unmarshal(data, &f) == nil {
				s.frames <- f
			}
		}
	}()
	return s
}

// expect returns the next frame of type typ, skipping others; it fails the test if the
// socket closes first.
func (s *socket) expect(typ string) map[string]any {
	s.t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case f := <-s.frames:
			if f["type"] == typ {
				return f
			}
		case code := <-s.closed:
			s.t.Fatalf("socket closed (%d) while waiting for %s", code, typ)
		case <-deadline:
			s.t.Fatalf("no %s frame", typ)
		}
	}
}

// closedWith waits for the socket to close and checks its close code.
func (s *socket) closedWith(code websocket.StatusCode) {
	s.t.Helper()
	select {
	case got := <-s.closed:
		if got != code {
			s.t.Fatalf("closed with %d, want %d", got, code)
		}
	case <-time.After(wait):
		s.t.Fatalf("socket not closed (want %d)", code)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func identities(t *testing.T, st *conclavetest.Stack, admin *core.Principal, roomID string) []string {
	t.Helper()
	parts, err := st.Svc.Participants(context.Background(), admin, roomID)
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
	st := conclavetest.NewStack(t, conclavetest.HTTPConfig{Media: true,
		Config: conclavetest.Config{MeetingEndGrace: 200 * time.Millisecond}})
	ctx := context.Background()
	admin := conclavetest.Admin(t, st.Svc)
	room := conclavetest.Room(t, st.Svc, "One list")
	pat, _, err := st.Svc.AddMember(ctx, admin, room.RoomID, core.NewMember{Name: "Pat", BaseRole: core.BaseRoleSpeaker})
	if err != nil {
		t.Fatal(err)
	}
	quinn := dial(t, st, conclavetest.JoinToken(t, st.Svc, room.RoomID, room.Access.Moderator.Secret, "Quinn"))
	quinnID := quinn.expect("joined")["identity"].(string)
	p := dial(t, st, conclavetest.JoinToken(t, st.Svc, room.RoomID, pat.MemberID, "Pat"))
	if got := p.expect("joined")["identity"]; got != pat.MemberID {
		t.Fatalf("Pat joined as %v", got)
	}
	quinn.expect("participantJoined")
	both := []string{pat.MemberID, quinnID}
	slices.Sort(both)
	eventually(t, "both are in the meeting and the media", func() bool {
		return slices.Equal(identities(t, st, admin, room.RoomID), both) && slices.Equal(st.SFU.PeerIDs(room.RoomID), both)
	})

	// A kick takes Pat out of the registry: its socket and its peer go, the others hear.
	if err := st.Svc.KickParticipant(ctx, admin, room.RoomID, pat.MemberID); err != nil {
		t.Fatal(err)
	}
	if f := p.expect("kicked"); f["reason"] == "" {
		t.Fatalf("kicked without a reason: %v", f)
	}
	p.closedWith(4004)
	if f := quinn.expect("participantLeft"); f["identity"] != pat.MemberID {
		t.Fatalf("participantLeft %v", f)
	}
	eventually(t, "Pat's peer leaves the SFU", func() bool {
		return slices.Equal(st.SFU.PeerIDs(room.RoomID), []string{quinnID})
	})
	if got := identities(t, st, admin, room.RoomID); !slices.Equal(got, []string{quinnID}) {
		t.Fatalf("participants after the kick: %v", got)
	}

	// The seat is free: Pat comes back with a fresh token, in the meeting and the media.
	p = dial(t, st, conclavetest.JoinToken(t, st.Svc, room.RoomID, pat.MemberID, "Pat"))
	p.expect("joined")
	eventually(t, "Pat is back in the media", func() bool {
		return slices.Equal(st.SFU.PeerIDs(room.RoomID), both)
	})

	// Deleting the member expels it the same way.
	if err := st.Svc.DeleteMember(ctx, admin, room.RoomID, pat.MemberID); err != nil {
		t.Fatal(err)
	}
	p.expect("kicked")
	p.closedWith(4004)
	eventually(t, "the deleted member's peer leaves the SFU", func() bool {
		return slices.Equal(st.SFU.PeerIDs(room.RoomID), []string{quinnID})
	})

	// When the last one goes, the meeting ends after its grace period: no ghost seat
	// keeps the room live.
	if err := quinn.ws.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the room leaves active_meeting", func() bool {
		r, _, err := st.Svc.GetRoom(ctx, admin, room.RoomID)
		return err == nil && r.Status == core.StatusOpen
	})
	if ids := st.SFU.PeerIDs(room.RoomID); len(ids) != 0 {
		t.Fatalf("peers left in the SFU: %v", ids)
	}
	if clients := st.Svc.MeetingClients(room.RoomID); len(clients) != 0 {
		t.Fatalf("clients left in the registry: %d", len(clients))
	}
}
