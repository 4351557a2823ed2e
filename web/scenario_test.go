package web_test

import (
	"net/http"
	"testing"
)

// TestScenarioRoomManager follows a room manager from its first sign-in to a room with
// members, and checks that every access decision a user would notice holds.
func TestScenarioRoomManager(t *testing.T) {
	s := newStack(t)
	adm := s.admin()

	// The admin creates a room manager, who must change its password first.
	s.req("POST", "/api/v1/users", map[string]string{"userId": "maria_m", "name": "Maria", "role": "room_manager", "password": "first1"},
		bearer(adm)).want(http.StatusCreated)
	s.user(adm, "guest_user", "room_member")
	login := s.req("POST", "/internal-api/v1/auth/login", map[string]string{"userId": "maria_m", "password": "first1"}).want(http.StatusOK).obj()
	if login["mustChangePassword"] != true {
		t.Fatalf("login %v: want mustChangePassword", login)
	}
	pending := str(t, login, "accessToken")
	s.req("GET", "/internal-api/v1/users/me", nil, bearer(pending)).want(http.StatusOK)
	s.req("POST", "/api/v1/rooms", map[string]any{}, bearer(pending)).wantErr(http.StatusForbidden, "Authorization Error")
	s.req("GET", "/api/v1/rooms", nil, bearer(pending)).wantErr(http.StatusForbidden, "Authorization Error")
	s.req("POST", "/internal-api/v1/api-keys", nil, bearer(pending)).wantErr(http.StatusForbidden, "Authorization Error")
	changed := s.req("POST", "/internal-api/v1/users/change-password", map[string]string{"currentPassword": "first1", "newPassword": "second2"},
		bearer(pending)).want(http.StatusOK).obj()
	maria := str(t, changed, "accessToken")

	// She creates a room and adds an internal and an external member.
	room := s.room(bearer(maria), map[string]any{"roomName": "Weekly"})
	id := str(t, room, "roomId")
	if room["owner"] != "maria_m" {
		t.Fatalf("owner %v", room["owner"])
	}
	other := str(t, s.room(bearer(maria), nil), "roomId")
	s.req("POST", "/api/v1/rooms/"+id+"/members", map[string]any{"userId": "guest_user", "baseRole": "speaker"}, bearer(maria)).
		want(http.StatusCreated)
	ext := s.req("POST", "/api/v1/rooms/"+id+"/members", map[string]any{"name": "Outside Olga", "baseRole": "speaker",
		"customPermissions": map[string]any{"chatWrite": false}}, bearer(maria)).want(http.StatusCreated).obj()
	extID := str(t, ext, "memberId")

	// The external member gets a token with the secret of its access url.
	extTok := s.memberToken(id, map[string]any{"secret": secretOf(t, str(t, ext, "accessUrl"))})
	s.req("GET", "/api/v1/rooms/"+id, nil, memberTok(extTok)).want(http.StatusOK)
	s.req("GET", "/api/v1/rooms/"+other, nil, memberTok(extTok)).wantErr(http.StatusForbidden, "Authorization Error")
	self := s.req("GET", "/api/v1/rooms/"+id+"/members/"+extID+"?extraFields=effectivePermissions", nil, memberTok(extTok)).
		want(http.StatusOK).obj()
	if sub(t, self, "effectivePermissions")["chatWrite"] != false {
		t.Fatalf("member sees %v", self)
	}
	s.req("GET", "/api/v1/rooms/"+id+"/members", nil, memberTok(extTok)).wantErr(http.StatusUnauthorized, "Authentication Error")

	// A speaker-link token cannot see the room's links.
	spkSecret := secretOf(t, sub(t, room, "access", "anonymous", "speaker")["url"].(string))
	spkTok := s.memberToken(id, map[string]any{"secret": spkSecret})
	seen := s.req("GET", "/api/v1/rooms/"+id, nil, memberTok(spkTok)).want(http.StatusOK).obj()
	for _, role := range []string{"moderator", "speaker", "recording"} {
		if _, ok := sub(t, seen, "access", "anonymous", role)["url"]; ok {
			t.Fatalf("speaker link holder sees the %s link: %v", role, seen["access"])
		}
	}

	// Regenerating the speaker link revokes the old secret and its tokens.
	regen := s.req("POST", "/api/v1/rooms/"+id+"/access/regenerate", map[string]any{"role": "speaker"}, bearer(maria)).want(http.StatusOK).obj()
	newSecret := secretOf(t, sub(t, regen, "access", "anonymous", "speaker")["url"].(string))
	if newSecret == spkSecret {
		t.Fatalf("secret not regenerated")
	}
	s.req("POST", "/internal-api/v1/rooms/"+id+"/members/token", map[string]any{"secret": spkSecret}).wantErr(http.StatusBadRequest, "Room Error")
	s.req("GET", "/api/v1/rooms/"+id, nil, memberTok(spkTok)).wantErr(http.StatusUnauthorized, "Authentication Error")
	s.memberToken(id, map[string]any{"secret": newSecret})
	s.req("POST", "/api/v1/rooms/"+id+"/access/regenerate", map[string]any{"role": "owner"}, bearer(maria)).wantDetail("role")
	s.req("POST", "/api/v1/rooms/"+id+"/access/regenerate", map[string]any{}, bearer(maria)).wantDetail("role")
	s.req("POST", "/api/v1/rooms/"+id+"/access/regenerate", map[string]any{"role": "speaker"}).wantErr(http.StatusUnauthorized, "Authentication Error")

	// Changing the room's roles: the member's effective permissions follow, its old token stops.
	extTok = s.memberToken(id, map[string]any{"secret": extID})
	s.req("PUT", "/api/v1/rooms/"+id+"/roles", map[string]any{"roles": map[string]any{"speaker": map[string]any{
		"permissions": map[string]any{"recordingDownload": true, "chatRead": false}}}}, bearer(maria)).want(http.StatusOK)
	eff := sub(t, s.req("GET", "/api/v1/rooms/"+id+"/members/"+extID+"?extraFields=effectivePermissions", nil, bearer(maria)).
		want(http.StatusOK).obj(), "effectivePermissions")
	if eff["recordingDownload"] != true || eff["chatRead"] != false || eff["chatWrite"] != false {
		t.Fatalf("effective permissions did not follow the roles: %v", eff)
	}
	s.req("GET", "/api/v1/rooms/"+id, nil, memberTok(extTok)).wantErr(http.StatusUnauthorized, "Authentication Error")

	// Deleting the member revokes its token at once.
	extTok = s.memberToken(id, map[string]any{"secret": extID})
	s.req("GET", "/api/v1/rooms/"+id, nil, memberTok(extTok)).want(http.StatusOK)
	s.req("DELETE", "/api/v1/rooms/"+id+"/members/"+extID, nil, bearer(maria)).want(http.StatusOK)
	s.req("GET", "/api/v1/rooms/"+id, nil, memberTok(extTok)).wantErr(http.StatusUnauthorized, "Authentication Error")
	s.req("POST", "/internal-api/v1/rooms/"+id+"/members/token", map[string]any{"secret": extID}).wantErr(http.StatusBadRequest, "Room Error")

	// The internal member signs in and enters with its own permissions.
	guest, _ := s.login("guest_user", "guest_user-pw2")
	gTok := s.memberToken(id, map[string]any{"joinMeeting": true}, bearer(guest))
	s.req("GET", "/api/v1/rooms/"+id+"/members/guest_user", nil, memberTok(gTok)).want(http.StatusOK)
	s.req("GET", "/api/v1/rooms/"+id+"/members/guest_user", nil, bearer(guest)).want(http.StatusOK)
	s.req("GET", "/api/v1/rooms/"+other, nil, bearer(guest)).wantErr(http.StatusForbidden, "Authorization Error")
	list := s.req("GET", "/api/v1/rooms", nil, bearer(guest)).want(http.StatusOK).obj()["rooms"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["roomId"] != id {
		t.Fatalf("member sees rooms %v, want only %s", list, id)
	}
}

func TestScenarioRoleChangeRevokesTokens(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	mgr := s.user(adm, "manager1", "room_manager")
	id := str(t, s.room(bearer(mgr), nil), "roomId")
	roomTok := s.memberToken(id, map[string]any{}, bearer(mgr))
	s.req("GET", "/internal-api/v1/users/me", nil, bearer(mgr)).want(http.StatusOK)
	s.req("PUT", "/api/v1/users/manager1/role", map[string]string{"role": "room_member"}, bearer(adm)).want(http.StatusOK)
	s.req("GET", "/internal-api/v1/users/me", nil, bearer(mgr)).wantErr(http.StatusUnauthorized, "Authentication Error")
	s.req("GET", "/api/v1/rooms/"+id, nil, memberTok(roomTok)).wantErr(http.StatusUnauthorized, "Authentication Error")
	again, _ := s.login("manager1", "manager1-pw2")
	me := s.req("GET", "/internal-api/v1/users/me", nil, bearer(again)).want(http.StatusOK).obj()
	if me["role"] != "room_member" {
		t.Fatalf("me %v", me)
	}
	s.req("POST", "/api/v1/rooms", map[string]any{}, bearer(again)).wantErr(http.StatusForbidden, "Authorization Error")
}

func TestScenarioUserDeletion(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	mgr := s.user(adm, "manager1", "room_manager")
	s.user(adm, "member1", "room_member")
	owned := str(t, s.room(bearer(mgr), nil), "roomId")
	s.req("POST", "/api/v1/rooms/"+owned+"/members", map[string]any{"userId": "member1", "baseRole": "speaker"}, bearer(mgr)).
		want(http.StatusCreated)
	other := str(t, s.room(bearer(adm), nil), "roomId")
	s.req("POST", "/api/v1/rooms/"+other+"/members", map[string]any{"userId": "manager1", "baseRole": "moderator"}, bearer(adm)).
		want(http.StatusCreated)

	s.req("DELETE", "/api/v1/users/manager1", nil, bearer(adm)).want(http.StatusOK)
	room := s.req("GET", "/api/v1/rooms/"+owned, nil, bearer(adm)).want(http.StatusOK).obj()
	if room["owner"] != "admin" {
		t.Fatalf("room of a deleted user is owned by %v, want admin", room["owner"])
	}
	s.req("GET", "/api/v1/rooms/"+other+"/members/manager1", nil, bearer(adm)).wantErr(http.StatusNotFound, "Room Member Error")
	s.req("GET", "/api/v1/rooms/"+owned+"/members/member1", nil, bearer(adm)).want(http.StatusOK)
	s.req("GET", "/internal-api/v1/users/me", nil, bearer(mgr)).wantErr(http.StatusUnauthorized, "Authentication Error")
	list := s.req("GET", "/api/v1/rooms?member=manager1", nil, bearer(adm)).want(http.StatusOK).obj()["rooms"].([]any)
	if len(list) != 0 {
		t.Fatalf("deleted user still a member of %v", list)
	}
	list = s.req("GET", "/api/v1/rooms?owner=admin", nil, bearer(adm)).want(http.StatusOK).obj()["rooms"].([]any)
	if len(list) != 2 {
		t.Fatalf("admin owns %d rooms, want 2", len(list))
	}
}
