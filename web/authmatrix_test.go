package web_test

import (
	"net/http"
	"testing"
)

// TestAuthMatrix sends every protected endpoint a valid request without credentials, with
// invalid ones, as a user who must still change its password, and as a signed-in user
// without the right: 401, 401, 403 and 403 with the error shape, and nothing changes.
func TestAuthMatrix(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	owner := s.user(adm, "owner_one", "room_manager")
	outsider := s.user(adm, "outsider1", "room_manager")
	s.user(adm, "someone1", "room_member")
	s.req("POST", "/api/v1/users", map[string]string{"userId": "pending1", "name": "P", "role": "room_manager", "password": "first1"},
		bearer(adm)).want(http.StatusCreated)
	pending, _ := s.login("pending1", "first1")
	id := str(t, s.room(bearer(owner), nil), "roomId")
	ext := str(t, s.req("POST", "/api/v1/rooms/"+id+"/members", map[string]any{"name": "Ext", "baseRole": "speaker"}, bearer(owner)).
		want(http.StatusCreated).obj(), "memberId")
	key := str(t, s.req("POST", "/internal-api/v1/api-keys", nil, bearer(adm)).want(http.StatusCreated).obj(), "id")
	before := snapshot(s, adm, id, ext)

	room := "/api/v1/rooms/" + id
	type endpoint struct {
		method, path string
		body         any
		// outsider403 is false where a signed-in outsider may act (listing its own rooms,
		// creating rooms) or is refused per item (bulk deletion).
		outsider403 bool
	}
	endpoints := []endpoint{
		{"POST", "/api/v1/users", map[string]string{"userId": "newuser1", "name": "N", "role": "admin", "password": "abcdef"}, true},
		{"GET", "/api/v1/users", nil, true},
		{"DELETE", "/api/v1/users?userIds=someone1", nil, true},
		{"GET", "/api/v1/users/admin", nil, true},
		{"DELETE", "/api/v1/users/someone1", nil, true},
		{"PUT", "/api/v1/users/someone1/password", map[string]string{"newPassword": "abcdef"}, true},
		{"PUT", "/api/v1/users/someone1/role", map[string]string{"role": "admin"}, true},
		{"POST", "/api/v1/rooms", map[string]any{}, false},
		{"GET", "/api/v1/rooms", nil, false},
		{"DELETE", "/api/v1/rooms?roomIds=" + id, nil, false},
		{"GET", room, nil, true},
		{"DELETE", room, nil, true},
		{"GET", room + "/config", nil, true},
		{"PUT", room + "/config", map[string]any{"config": map[string]any{"chat": map[string]any{"enabled": false}}}, true},
		{"PUT", room + "/roles", map[string]any{"roles": map[string]any{"speaker": map[string]any{"permissions": map[string]any{"chatRead": false}}}}, true},
		{"PUT", room + "/access", map[string]any{"access": map[string]any{"user": map[string]any{"enabled": true}}}, true},
		{"POST", room + "/access/regenerate", map[string]any{"role": "speaker"}, true},
		{"PUT", room + "/status", map[string]any{"status": "closed"}, true},
		{"POST", room + "/members", map[string]any{"name": "X", "baseRole": "speaker"}, true},
		{"GET", room + "/members", nil, true},
		{"DELETE", room + "/members?memberIds=" + ext, nil, true},
		{"GET", room + "/members/" + ext, nil, true},
		{"PUT", room + "/members/" + ext, map[string]any{"baseRole": "moderator"}, true},
		{"DELETE", room + "/members/" + ext, nil, true},
		{"POST", "/internal-api/v1/api-keys", map[string]any{}, true},
		{"GET", "/internal-api/v1/api-keys", nil, true},
		{"DELETE", "/internal-api/v1/api-keys", nil, true},
		{"DELETE", "/internal-api/v1/api-keys/" + key, nil, true},
	}
	for _, e := range endpoints {
		m := s.req(e.method, e.path, e.body).wantErr(http.StatusUnauthorized, "Authentication Error")
		if m["message"] != "Unauthorized" {
			t.Errorf("%s %s: message %v", e.method, e.path, m["message"])
		}
		s.req(e.method, e.path, e.body, bearer("not.a.token")).wantErr(http.StatusUnauthorized, "Authentication Error")
		s.req(e.method, e.path, e.body, apiKey("conclave_aaaaaaaaaaaa_"+"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")).
			wantErr(http.StatusUnauthorized, "Authentication Error")
		s.req(e.method, e.path, e.body, bearer(pending)).wantErr(http.StatusForbidden, "Authorization Error")
		if e.outsider403 {
			s.req(e.method, e.path, e.body, bearer(outsider)).wantErr(http.StatusForbidden, "Authorization Error")
		}
	}
	// A bulk deletion by an outsider fails per room.
	m := s.req("DELETE", "/api/v1/rooms?roomIds="+id, nil, bearer(outsider)).want(http.StatusBadRequest).obj()
	if f := m["failed"].([]any)[0].(map[string]any); f["error"] != "Authorization Error" {
		t.Fatalf("bulk by outsider %v", m)
	}
	if after := snapshot(s, adm, id, ext); after != before {
		t.Fatalf("refused requests changed state:\nbefore %s\nafter  %s", before, after)
	}
}
