package web_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLogin(t *testing.T) {
	s := newStack(t)
	m := s.req("POST", "/internal-api/v1/auth/login", map[string]string{"userId": "admin", "password": "admin"}).want(http.StatusOK).obj()
	wantKeys(t, m, "message", "accessToken", "refreshToken")
	if m["message"] != "User 'admin' logged in successfully" {
		t.Fatalf("message %v", m["message"])
	}
	bad := s.req("POST", "/internal-api/v1/auth/login", map[string]string{"userId": "admin", "password": "nope1"}).
		wantErr(http.StatusNotFound, "Login Error")
	if bad["message"] != "Invalid user ID or password" {
		t.Fatalf("message %v", bad["message"])
	}
	unknown := s.req("POST", "/internal-api/v1/auth/login", map[string]string{"userId": "ghost_user", "password": "nope1"}).
		wantErr(http.StatusNotFound, "Login Error")
	if unknown["message"] != bad["message"] {
		t.Fatalf("unknown user answered differently from wrong password: %v / %v", unknown, bad)
	}
	s.req("POST", "/internal-api/v1/auth/login", map[string]string{}).wantDetail("userId")
	s.req("POST", "/internal-api/v1/auth/login", map[string]any{"userId": "admin", "password": 12345}).wantDetail("password")
	s.req("POST", "/internal-api/v1/auth/login", `{"userId":`).wantErr(http.StatusBadRequest, "Bad Request")
	s.req("GET", "/internal-api/v1/auth/login", nil).wantErr(http.StatusMethodNotAllowed, "Method Not Allowed")
}

func TestLoginRateLimit(t *testing.T) {
	s := newStack(t)
	var r *resp
	for i := 0; i < 10; i++ {
		r = s.req("POST", "/internal-api/v1/auth/login", map[string]string{"userId": "admin", "password": "guess" + strconv.Itoa(i)})
		if r.status == http.StatusTooManyRequests {
			break
		}
		r.wantErr(http.StatusNotFound, "Login Error")
	}
	r.wantErr(http.StatusTooManyRequests, "Too Many Requests")
	if n, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || n <= 0 {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	// Even the right password is refused while the limit holds.
	s.req("POST", "/internal-api/v1/auth/login", map[string]string{"userId": "admin", "password": "admin"}).
		wantErr(http.StatusTooManyRequests, "Too Many Requests")
	s.advance(16 * time.Minute)
	s.req("POST", "/internal-api/v1/auth/login", map[string]string{"userId": "admin", "password": "admin"}).want(http.StatusOK)
}

func TestRefreshRotationAndLogout(t *testing.T) {
	s := newStack(t)
	access, refresh := s.login("admin", "admin")
	m := s.req("POST", "/internal-api/v1/auth/refresh", nil, header("X-Refresh-Token", refresh)).want(http.StatusOK).obj()
	wantKeys(t, m, "message", "accessToken", "refreshToken")
	if m["message"] != "Access token for user 'admin' successfully refreshed" {
		t.Fatalf("message %v", m["message"])
	}
	access2, refresh2 := str(t, m, "accessToken"), str(t, m, "refreshToken")
	if refresh2 == refresh {
		t.Fatalf("refresh token not rotated")
	}
	// The body form works too.
	m = s.req("POST", "/internal-api/v1/auth/refresh", map[string]string{"refreshToken": refresh2}).want(http.StatusOK).obj()
	refresh3 := str(t, m, "refreshToken")
	// Reusing a rotated token ends the session: neither copy works any more.
	s.req("POST", "/internal-api/v1/auth/refresh", nil, header("X-Refresh-Token", refresh)).wantErr(http.StatusBadRequest, "Refresh Token Error")
	s.req("POST", "/internal-api/v1/auth/refresh", nil, header("X-Refresh-Token", refresh3)).wantErr(http.StatusBadRequest, "Refresh Token Error")
	s.req("GET", "/internal-api/v1/users/me", nil, bearer(access)).wantErr(http.StatusUnauthorized, "Authentication Error")
	s.req("GET", "/internal-api/v1/users/me", nil, bearer(access2)).wantErr(http.StatusUnauthorized, "Authentication Error")

	none := s.req("POST", "/internal-api/v1/auth/refresh", nil).wantErr(http.StatusBadRequest, "Refresh Token Error")
	if none["message"] != "No refresh token provided" {
		t.Fatalf("message %v", none["message"])
	}
	s.req("POST", "/internal-api/v1/auth/refresh", nil, header("X-Refresh-Token", "garbage")).wantErr(http.StatusBadRequest, "Refresh Token Error")
	// An access token is not a refresh token.
	a4, r4 := s.login("admin", "admin")
	s.req("POST", "/internal-api/v1/auth/refresh", nil, header("X-Refresh-Token", a4)).wantErr(http.StatusBadRequest, "Refresh Token Error")
	s.req("POST", "/internal-api/v1/auth/refresh", map[string]any{"refreshToken": 7}).wantDetail("refreshToken")

	out := s.req("POST", "/internal-api/v1/auth/logout", nil, bearer(a4)).want(http.StatusOK).obj()
	if out["message"] != "Logout successful" {
		t.Fatalf("logout %v", out)
	}
	s.req("GET", "/internal-api/v1/users/me", nil, bearer(a4)).wantErr(http.StatusUnauthorized, "Authentication Error")
	s.req("POST", "/internal-api/v1/auth/refresh", nil, header("X-Refresh-Token", r4)).wantErr(http.StatusBadRequest, "Refresh Token Error")

	a5, r5 := s.login("admin", "admin")
	s.req("POST", "/internal-api/v1/auth/logout", nil, header("X-Refresh-Token", r5)).want(http.StatusOK)
	s.req("GET", "/internal-api/v1/users/me", nil, bearer(a5)).wantErr(http.StatusUnauthorized, "Authentication Error")
	s.req("POST", "/internal-api/v1/auth/logout", nil).want(http.StatusOK)
	s.req("POST", "/internal-api/v1/auth/logout", nil, bearer("stale")).want(http.StatusOK)
}

func TestMeAndChangePassword(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	me := s.req("GET", "/internal-api/v1/users/me", nil, bearer(adm)).want(http.StatusOK).obj()
	wantKeys(t, me, "userId", "name", "registrationDate", "role", "roleUpdatedAt")
	if me["userId"] != "admin" || me["role"] != "admin" {
		t.Fatalf("me %v", me)
	}
	s.req("GET", "/internal-api/v1/users/me", nil).wantErr(http.StatusUnauthorized, "Authentication Error")
	s.req("GET", "/internal-api/v1/users/me", nil, header("Authorization", "Basic YWRtaW46YWRtaW4=")).
		wantErr(http.StatusUnauthorized, "Authentication Error")

	s.req("POST", "/internal-api/v1/users/change-password", map[string]string{"currentPassword": "wrong", "newPassword": "better1"},
		bearer(adm)).wantErr(http.StatusBadRequest, "Change Password Error")
	s.req("POST", "/internal-api/v1/users/change-password", map[string]string{"currentPassword": "admin"}, bearer(adm)).
		wantDetail("newPassword")
	s.req("POST", "/internal-api/v1/users/change-password", map[string]string{"currentPassword": "admin", "newPassword": "abc"}, bearer(adm)).
		wantDetail("newPassword")
	s.req("POST", "/internal-api/v1/users/change-password", map[string]string{"currentPassword": "admin", "newPassword": "better1"}).
		wantErr(http.StatusUnauthorized, "Authentication Error")
	m := s.req("POST", "/internal-api/v1/users/change-password", map[string]string{"currentPassword": "admin", "newPassword": "better1"},
		bearer(adm)).want(http.StatusOK).obj()
	wantKeys(t, m, "message", "accessToken", "refreshToken")
	if m["message"] != "Password for user 'admin' changed successfully" {
		t.Fatalf("message %v", m["message"])
	}
	s.req("GET", "/internal-api/v1/users/me", nil, bearer(adm)).wantErr(http.StatusUnauthorized, "Authentication Error")
	s.req("GET", "/internal-api/v1/users/me", nil, bearer(str(t, m, "accessToken"))).want(http.StatusOK)
	s.login("admin", "better1")
	s.req("POST", "/internal-api/v1/auth/login", map[string]string{"userId": "admin", "password": "admin"}).wantErr(http.StatusNotFound, "Login Error")
}

func TestAPIKeys(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	k := s.req("POST", "/internal-api/v1/api-keys", map[string]string{"name": "ci"}, bearer(adm)).want(http.StatusCreated).obj()
	wantKeys(t, k, "id", "name", "key", "creationDate")
	key := str(t, k, "key")
	if !strings.HasPrefix(key, "conclave_") || k["name"] != "ci" {
		t.Fatalf("key %v", k)
	}
	k2 := s.req("POST", "/internal-api/v1/api-keys", nil, bearer(adm)).want(http.StatusCreated).obj()
	if k2["name"] != "default" {
		t.Fatalf("unnamed key %v", k2)
	}
	list := s.req("GET", "/internal-api/v1/api-keys", nil, bearer(adm)).want(http.StatusOK).arr()
	if len(list) != 2 {
		t.Fatalf("keys %v", list)
	}
	for _, e := range list {
		wantKeys(t, e, "id", "name", "creationDate", "lastUsed")
		if e["lastUsed"] != nil {
			t.Fatalf("unused key has lastUsed %v", e)
		}
	}
	room := s.req("POST", "/api/v1/rooms", map[string]any{"roomName": "by key"}, apiKey(key)).want(http.StatusCreated).obj()
	if room["owner"] != "admin" {
		t.Fatalf("room made with an API key is owned by %v, want the root admin", room["owner"])
	}
	list = s.req("GET", "/internal-api/v1/api-keys", nil, apiKey(key)).want(http.StatusOK).arr()
	if list[0]["lastUsed"] == nil {
		t.Fatalf("used key has no lastUsed: %v", list)
	}

	mgr := s.user(adm, "manager1", "room_manager")
	s.req("POST", "/internal-api/v1/api-keys", nil, bearer(mgr)).wantErr(http.StatusForbidden, "Authorization Error")
	s.req("GET", "/internal-api/v1/api-keys", nil, bearer(mgr)).wantErr(http.StatusForbidden, "Authorization Error")
	s.req("DELETE", "/internal-api/v1/api-keys", nil, bearer(mgr)).wantErr(http.StatusForbidden, "Authorization Error")
	s.req("GET", "/internal-api/v1/api-keys", nil).wantErr(http.StatusUnauthorized, "Authentication Error")
	s.req("POST", "/internal-api/v1/api-keys", map[string]any{"name": strings.Repeat("n", 51)}, bearer(adm)).wantDetail("name")
	s.req("POST", "/internal-api/v1/api-keys", map[string]any{"name": false}, bearer(adm)).wantDetail("name")

	m := s.req("DELETE", "/internal-api/v1/api-keys/"+str(t, k, "id"), nil, bearer(adm)).want(http.StatusOK).obj()
	wantKeys(t, m, "message")
	s.req("GET", "/api/v1/rooms", nil, apiKey(key)).wantErr(http.StatusUnauthorized, "Authentication Error")
	s.req("DELETE", "/internal-api/v1/api-keys/"+str(t, k, "id"), nil, bearer(adm)).wantErr(http.StatusNotFound, "API Key Error")
	s.req("GET", "/api/v1/rooms", nil, apiKey(str(t, k2, "key"))).want(http.StatusOK)
	m = s.req("DELETE", "/internal-api/v1/api-keys", nil, bearer(adm)).want(http.StatusOK).obj()
	if m["message"] != "API keys deleted successfully" {
		t.Fatalf("message %v", m)
	}
	s.req("GET", "/api/v1/rooms", nil, apiKey(str(t, k2, "key"))).wantErr(http.StatusUnauthorized, "Authentication Error")
	if n := len(s.req("GET", "/internal-api/v1/api-keys", nil, bearer(adm)).want(http.StatusOK).arr()); n != 0 {
		t.Fatalf("%d keys after deleting all", n)
	}
}

func TestMemberTokens(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	owner := s.user(adm, "owner_one", "room_manager")
	room := s.room(bearer(owner), nil)
	id := str(t, room, "roomId")
	tokPath := "/internal-api/v1/rooms/" + id + "/members/token"
	mod := secretOf(t, sub(t, room, "access", "anonymous", "moderator")["url"].(string))
	rec := secretOf(t, sub(t, room, "access", "anonymous", "recording")["url"].(string))

	modTok := s.memberToken(id, map[string]any{"secret": mod})
	got := s.req("GET", "/api/v1/rooms/"+id, nil, memberTok(modTok)).want(http.StatusOK).obj()
	if _, ok := sub(t, got, "access", "anonymous", "speaker")["url"]; !ok {
		t.Fatalf("moderator link holder cannot see links: %v", got)
	}
	s.req("GET", "/api/v1/rooms/"+id+"/config", nil, memberTok(modTok)).want(http.StatusOK)
	// A member token does not manage the room.
	s.req("PUT", "/api/v1/rooms/"+id+"/status", map[string]any{"status": "closed"}, memberTok(modTok)).
		wantErr(http.StatusUnauthorized, "Authentication Error")
	recTok := s.memberToken(id, map[string]any{"secret": rec})
	got = s.req("GET", "/api/v1/rooms/"+id, nil, memberTok(recTok)).want(http.StatusOK).obj()
	wantKeys(t, sub(t, got, "access", "anonymous", "moderator"), "enabled")

	bad := s.req("POST", tokPath, map[string]any{"secret": "not-the-secret"}).wantErr(http.StatusBadRequest, "Room Error")
	if bad["message"] != `Secret is not recognized for room "`+id+`"` {
		t.Fatalf("message %v", bad["message"])
	}
	s.req("POST", tokPath, map[string]any{}).wantErr(http.StatusUnauthorized, "Authentication Error")
	s.req("POST", tokPath, map[string]any{"secret": mod, "joinMeeting": true}).wantErr(http.StatusBadRequest, "Room Member Error")
	s.req("POST", tokPath, map[string]any{"secret": mod, "joinMeeting": "yes"}).wantDetail("joinMeeting")
	s.req("POST", tokPath, map[string]any{"secret": 5}).wantDetail("secret")
	s.memberToken(id, map[string]any{"secret": mod, "joinMeeting": true, "participantName": "Ann"})
	s.req("POST", "/internal-api/v1/rooms/ghost-1/members/token", map[string]any{"secret": mod}).wantErr(http.StatusNotFound, "Room Error")
	ownerTok := s.memberToken(id, map[string]any{"joinMeeting": true}, bearer(owner))
	s.req("GET", "/api/v1/rooms/"+id, nil, memberTok(ownerTok)).want(http.StatusOK)

	ref := s.req("POST", tokPath+"/refresh", nil, memberTok(modTok)).want(http.StatusOK).obj()
	wantKeys(t, ref, "token")
	s.req("GET", "/api/v1/rooms/"+id, nil, memberTok(str(t, ref, "token"))).want(http.StatusOK)
	s.req("POST", tokPath+"/refresh", nil).wantErr(http.StatusUnauthorized, "Authentication Error")
	s.req("POST", tokPath+"/refresh", nil, bearer(owner)).wantErr(http.StatusUnauthorized, "Authentication Error")
	other := str(t, s.room(bearer(owner), nil), "roomId")
	s.req("POST", "/internal-api/v1/rooms/"+other+"/members/token/refresh", nil, memberTok(modTok)).
		wantErr(http.StatusForbidden, "Authorization Error")
	s.req("POST", "/internal-api/v1/rooms/"+other+"/members/token", map[string]any{}, memberTok(modTok)).
		wantErr(http.StatusForbidden, "Authorization Error")

	// Tampered and expired tokens are refused.
	tampered := modTok[:len(modTok)-3] + flip(modTok[len(modTok)-3:])
	s.req("GET", "/api/v1/rooms/"+id, nil, memberTok(tampered)).wantErr(http.StatusUnauthorized, "Authentication Error")
	s.req("GET", "/api/v1/rooms/"+id, nil, bearer(owner[:len(owner)-2]+flip(owner[len(owner)-2:]))).
		wantErr(http.StatusUnauthorized, "Authentication Error")
	s.advance(3 * time.Hour)
	s.req("GET", "/api/v1/rooms/"+id, nil, memberTok(modTok)).wantErr(http.StatusUnauthorized, "Authentication Error")
	s.req("GET", "/api/v1/rooms/"+id, nil, bearer(owner)).wantErr(http.StatusUnauthorized, "Authentication Error")
}

// flip changes every character of s, to tamper with a token's signature.
func flip(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
	}
	return string(b)
}
