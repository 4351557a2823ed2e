package web_test

import (
	"context"
	"net/http"
	"testing"

	"conclave/conclavetest"
	"conclave/core"
)

// TestRoomMeetingsHistory: GET /rooms/{roomId}/meetings (a Conclave extension) lists the
// room's meetings with who attended, from when to when and from which device.
func TestRoomMeetingsHistory(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	room := s.room(bearer(adm), map[string]any{"roomName": "History"})
	id := str(t, room, "roomId")
	secret := secretOf(t, sub(t, room, "access", "anonymous", "speaker")["url"].(string))
	ctx := context.Background()
	var ids []string
	for _, name := range []string{"Ann", "Bob"} {
		p := conclavetest.Member(t, s.svc, conclavetest.JoinToken(t, s.svc, id, secret, name))
		p.Meta.Device = "Test browser/1.0"
		pt, err := s.svc.JoinMeeting(ctx, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, pt.Identity)
	}
	for _, identity := range ids {
		s.svc.LeaveMeeting(id, identity, nil)
	}

	page := s.req("GET", "/api/v1/rooms/"+id+"/meetings", nil, bearer(adm)).want(http.StatusOK).obj()
	wantKeys(t, page, "meetings", "pagination")
	meetings, _ := page["meetings"].([]any)
	if len(meetings) != 1 {
		t.Fatalf("meetings %v", page)
	}
	m := meetings[0].(map[string]any)
	wantKeys(t, m, "meetingId", "roomId", "roomName", "startDate", "endDate", "participants")
	if m["roomId"] != id || m["roomName"] != "History" || m["startDate"] == nil {
		t.Fatalf("meeting %v", m)
	}
	people, _ := m["participants"].([]any)
	if len(people) != 2 {
		t.Fatalf("participants %v", m["participants"])
	}
	for i, raw := range people {
		pt := raw.(map[string]any)
		wantKeys(t, pt, "participantIdentity", "participantName", "role", "joinedAt", "leftAt", "source", "device")
		if pt["participantIdentity"] != ids[i] || pt["role"] != core.BaseRoleSpeaker || pt["leftAt"] == nil || pt["device"] != "Test browser/1.0" {
			t.Errorf("participant %v", pt)
		}
	}
	if people[0].(map[string]any)["participantName"] != "Ann" || people[1].(map[string]any)["participantName"] != "Bob" {
		t.Errorf("participants not in the order they joined: %v", people)
	}

	other := s.user(adm, "other_mgr", "room_manager")
	s.req("GET", "/api/v1/rooms/"+id+"/meetings", nil, bearer(other)).want(http.StatusForbidden)
	s.req("GET", "/api/v1/rooms/"+id+"/meetings", nil).want(http.StatusUnauthorized)
	s.req("GET", "/api/v1/rooms/ghost-1/meetings", nil, bearer(adm)).wantErr(http.StatusNotFound, "Room Error")
	s.req("GET", "/api/v1/rooms/"+id+"/meetings?maxItems=many", nil, bearer(adm)).wantDetail("maxItems")
	s.req("GET", "/api/v1/rooms/"+id+"/meetings?nextPageToken=forged", nil, bearer(adm)).wantDetail("nextPageToken")
}
