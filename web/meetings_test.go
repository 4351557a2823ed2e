package web_test

import (
	"context"
	"net/http"
	"testing"

	"conclave/core"
)

// join gets a join token through an anonymous link and enters the meeting through core
// without a connection (these tests look at the REST side only).
func (s *stack) join(roomID, secret, name string) (token, identity string) {
	s.t.Helper()
	tok := s.memberToken(roomID, map[string]any{"secret": secret, "joinMeeting": true, "participantName": name})
	p, err := s.svc.AuthenticateMemberToken(context.Background(), tok, core.RequestMeta{})
	if err != nil {
		s.t.Fatal(err)
	}
	pt, err := s.svc.JoinMeeting(context.Background(), p, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return tok, pt.Identity
}

func TestMeetingModerationEndpoints(t *testing.T) {
	s := newStack(t)
	admin := s.admin()
	room := s.room(bearer(admin), map[string]any{"roomName": "Town hall"})
	id := str(t, room, "roomId")
	anon := sub(t, room, "access", "anonymous")
	modSecret := secretOf(t, str(t, sub(t, anon, "moderator"), "url"))
	spkSecret := secretOf(t, str(t, sub(t, anon, "speaker"), "url"))
	modTok, _ := s.join(id, modSecret, "Mo")
	spkTok, spk := s.join(id, spkSecret, "Sue")
	_, victim := s.join(id, spkSecret, "Vic")
	base := "/internal-api/v1/meetings/" + id

	if got := s.req("GET", "/api/v1/rooms/"+id, nil, bearer(admin)).want(http.StatusOK).obj()["status"]; got != "active_meeting" {
		t.Fatalf("status %v while people are in the meeting", got)
	}
	s.req("DELETE", base+"/participants/"+victim, nil).wantErr(http.StatusUnauthorized, "Authentication Error")
	s.req("DELETE", base+"/participants/"+victim, nil, memberTok(spkTok)).wantErr(http.StatusForbidden, "Authorization Error")
	s.req("DELETE", base+"/participants/nobody_here", nil, memberTok(modTok)).wantErr(http.StatusNotFound, "Participant Error")
	s.req("DELETE", base+"/participants/bad%22id", nil, memberTok(modTok)).want(http.StatusUnprocessableEntity)
	s.req("POST", base+"/participants/"+victim+"/mute", map[string]any{"kind": "smell"}, memberTok(modTok)).wantDetail("kind")
	s.req("POST", base+"/participants/"+victim+"/mute", map[string]any{"kind": "audio"}, memberTok(modTok)).want(http.StatusOK)
	s.req("DELETE", base+"/participants/"+victim, nil, memberTok(modTok)).want(http.StatusOK)

	role := base + "/participants/" + spk + "/role"
	s.req("PUT", role, map[string]any{}, memberTok(modTok)).wantDetail("action")
	s.req("PUT", role, map[string]any{"action": "crown"}, memberTok(modTok)).wantDetail("action")
	s.req("PUT", role, map[string]any{"action": "downgrade"}, memberTok(modTok)).wantErr(http.StatusConflict, "Participant Error")
	s.req("PUT", role, map[string]any{"action": "upgrade"}, memberTok(modTok)).want(http.StatusOK)
	// Promoted for this meeting, the speaker may now end it, with its own token.
	s.req("DELETE", base, nil, memberTok(spkTok)).want(http.StatusOK)
	if got := s.req("GET", "/api/v1/rooms/"+id, nil, bearer(admin)).want(http.StatusOK).obj()["status"]; got != "open" {
		t.Fatalf("status %v after the meeting ended", got)
	}
	// Idempotent, and 404 for a room that does not exist.
	s.req("DELETE", base, nil, bearer(admin)).want(http.StatusOK)
	s.req("DELETE", "/internal-api/v1/meetings/no_such_room-aaaaaaaaaaaaaaa", nil, bearer(admin)).wantErr(http.StatusNotFound, "Room Error")
}
