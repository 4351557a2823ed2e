package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"conclave/core"
)

// TestRenameRoom: Conclave's extension PUT /rooms/{roomId}/name renames a room; its id and
// links stay, it is audited, and bad names and strangers change nothing.
func TestRenameRoom(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	created := s.room(bearer(adm), map[string]any{"roomName": "Old name"})
	id := str(t, created, "roomId")
	link := sub(t, created, "access", "anonymous", "moderator")["url"]
	path := "/api/v1/rooms/" + id + "/name"

	got := s.req("PUT", path, map[string]any{"roomName": "New name"}, bearer(adm)).want(http.StatusOK).obj()
	if got["roomName"] != "New name" || got["roomId"] != id {
		t.Fatalf("renamed room %v", got)
	}
	again := s.req("GET", "/api/v1/rooms/"+id, nil, bearer(adm)).want(http.StatusOK).obj()
	if again["roomName"] != "New name" || sub(t, again, "access", "anonymous", "moderator")["url"] != link {
		t.Fatalf("after the rename: %v (link was %v)", again, link)
	}
	page, err := s.svc.ListAudit(context.Background(), asAdminP(t, s), core.AuditQuery{Action: "room.rename"})
	if err != nil || len(page.Items) != 1 || page.Items[0].Target != "room:"+id {
		t.Fatalf("audit of the rename: %+v, %v", page.Items, err)
	}

	for _, body := range []map[string]any{{}, {"roomName": ""}, {"roomName": 7}, {"roomName": strings.Repeat("x", 51)}} {
		s.req("PUT", path, body, bearer(adm)).wantDetail("roomName")
	}
	s.req("PUT", "/api/v1/rooms/ghost-1/name", map[string]any{"roomName": "x"}, bearer(adm)).wantErr(http.StatusNotFound, "Room Error")
	other := s.user(adm, "other_mgr", "room_manager")
	s.req("PUT", path, map[string]any{"roomName": "Mine now"}, bearer(other)).want(http.StatusForbidden)
	s.req("PUT", path, map[string]any{"roomName": "Anonymous"}).want(http.StatusUnauthorized)
	if r := s.req("GET", "/api/v1/rooms/"+id, nil, bearer(adm)).want(http.StatusOK).obj(); r["roomName"] != "New name" {
		t.Fatalf("a refused rename changed the name: %v", r)
	}
}

func asAdminP(t *testing.T, s *stack) *core.Principal {
	t.Helper()
	p, err := s.svc.UserPrincipal(context.Background(), core.RootAdminID, core.RequestMeta{Via: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
