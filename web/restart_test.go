package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestRestartKeepsEverything creates state through HTTP, stops the server and closes the
// database, then opens the same file with a new core and web: everything is there, and
// credentials issued before the restart still work (the signing key is kept beside the
// database).
func TestRestartKeepsEverything(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	key := s.apiKeyOf(adm)
	mgr := s.user(adm, "manager1", "room_manager")
	s.user(adm, "member1", "room_member")
	room := s.room(bearer(mgr), map[string]any{"roomName": "Persistent", "config": map[string]any{"chat": map[string]any{"enabled": false}}})
	id := str(t, room, "roomId")
	s.req("POST", "/api/v1/rooms/"+id+"/members", map[string]any{"userId": "member1", "baseRole": "moderator"}, bearer(mgr)).
		want(http.StatusCreated)
	ext := s.req("POST", "/api/v1/rooms/"+id+"/members", map[string]any{"name": "Guest", "baseRole": "speaker",
		"customPermissions": map[string]any{"chatWrite": false}}, bearer(mgr)).want(http.StatusCreated).obj()
	extID := str(t, ext, "memberId")
	extTok := s.memberToken(id, map[string]any{"secret": extID})
	_, refresh := s.login("manager1", "manager1-pw2")
	roomBefore := s.req("GET", "/api/v1/rooms/"+id+"?extraFields=config,roles", nil, bearer(mgr)).want(http.StatusOK).body
	s.close()

	s2 := openStack(t, s.path)
	roomAfter := s2.req("GET", "/api/v1/rooms/"+id+"?extraFields=config,roles", nil, bearer(mgr)).want(http.StatusOK).body
	// Only the server's address (part of every url) may differ.
	if strings.ReplaceAll(string(roomBefore), s.srv.URL, "") != strings.ReplaceAll(string(roomAfter), s2.srv.URL, "") {
		t.Fatalf("room changed across restart:\n%s\n%s", roomBefore, roomAfter)
	}
	s2.req("GET", "/api/v1/rooms", nil, apiKey(key)).want(http.StatusOK)
	s2.req("GET", "/api/v1/rooms/"+id, nil, memberTok(extTok)).want(http.StatusOK)
	s2.req("POST", "/internal-api/v1/auth/refresh", nil, header("X-Refresh-Token", refresh)).want(http.StatusOK)
	users := s2.req("GET", "/api/v1/users", nil, apiKey(key)).want(http.StatusOK).obj()["users"].([]any)
	if len(users) != 3 {
		t.Fatalf("users after restart %v", users)
	}
	members := s2.req("GET", "/api/v1/rooms/"+id+"/members?extraFields=effectivePermissions", nil, bearer(mgr)).want(http.StatusOK).
		obj()["members"].([]any)
	if len(members) != 2 {
		t.Fatalf("members after restart %v", members)
	}
	got := s2.req("GET", "/api/v1/rooms/"+id+"/members/"+extID+"?extraFields=effectivePermissions", nil, apiKey(key)).
		want(http.StatusOK).obj()
	if sub(t, got, "effectivePermissions")["chatWrite"] != false || got["name"] != "Guest" {
		t.Fatalf("member after restart %v", got)
	}
	s2.login("member1", "member1-pw2")
	keys := s2.req("GET", "/internal-api/v1/api-keys", nil, apiKey(key)).want(http.StatusOK).arr()
	if len(keys) != 1 || keys[0]["name"] != "test" {
		t.Fatalf("api keys after restart %v", keys)
	}
}
