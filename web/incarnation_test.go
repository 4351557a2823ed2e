package web_test

import (
	"net/http"
	"testing"
)

// Tokens are bound to the incarnation of what they were issued to, and to what issued
// them (issue 12, item 3; SPEC 2.2 and 13): nothing issued before a deletion is accepted
// after it, even when the same id comes back, and no refresh outlives its issuer.

// refreshMember refreshes a room-member token through the API.
func (s *stack) refreshMember(roomID, tok string) *resp {
	s.t.Helper()
	return s.req("POST", "/internal-api/v1/rooms/"+roomID+"/members/token/refresh", nil, memberTok(tok))
}

// wantRefused checks that a room-member token no longer opens its room, nor refreshes.
func (s *stack) wantRefused(roomID, tok string) {
	s.t.Helper()
	s.req("GET", "/api/v1/rooms/"+roomID, nil, memberTok(tok)).wantErr(http.StatusUnauthorized, "")
	s.refreshMember(roomID, tok).wantErr(http.StatusUnauthorized, "")
}

func TestReaddedMemberDoesNotGetItsOldToken(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	bob := s.user(adm, "bob_mod", "room_member")
	id := str(t, s.room(bearer(adm), nil), "roomId")
	members := "/api/v1/rooms/" + id + "/members"
	s.req("POST", members, map[string]any{"userId": "bob_mod", "baseRole": "moderator"}, bearer(adm)).want(http.StatusCreated)
	modTok := s.memberToken(id, map[string]any{}, bearer(bob))
	// As a moderator (roomShareAccessLinks), the token sees the room's access links.
	modURL := func(tok string) any {
		room := s.req("GET", "/api/v1/rooms/"+id, nil, memberTok(tok)).want(http.StatusOK).obj()
		return sub(t, room, "access", "anonymous", "moderator")["url"]
	}
	if modURL(modTok) == nil {
		t.Fatal("moderator token sees no access links")
	}

	s.req("DELETE", members+"/bob_mod", nil, bearer(adm)).want(http.StatusOK)
	s.req("POST", members, map[string]any{"userId": "bob_mod", "baseRole": "speaker"}, bearer(adm)).want(http.StatusCreated)

	// Same userId, same member id, same versions as before the removal: only the
	// membership's incarnation tells the old token from a new one.
	s.wantRefused(id, modTok)
	if u := modURL(s.memberToken(id, map[string]any{}, bearer(bob))); u != nil {
		t.Fatalf("the re-added speaker sees the moderator link %v", u)
	}
}

func TestRecreatedUserInheritsNoToken(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	carol := s.user(adm, "carol_mgr", "room_manager")
	_, carolRefresh := s.login("carol_mgr", "carol_mgr-pw2")
	id := str(t, s.room(bearer(carol), nil), "roomId") // carol owns it
	ownerTok := s.memberToken(id, map[string]any{}, bearer(carol))
	s.req("GET", "/api/v1/rooms/"+id, nil, memberTok(ownerTok)).want(http.StatusOK)

	// The room passes to the root admin; a new carol_mgr is created and, as the first
	// did, changes its password, so its token version is the same as the first one's.
	s.req("DELETE", "/api/v1/users/carol_mgr", nil, bearer(adm)).want(http.StatusOK)
	s.user(adm, "carol_mgr", "room_manager")

	s.req("GET", "/internal-api/v1/users/me", nil, bearer(carol)).wantErr(http.StatusUnauthorized, "")
	s.req("POST", "/internal-api/v1/auth/refresh", nil, header("X-Refresh-Token", carolRefresh)).wantErr(http.StatusBadRequest, "")
	// The first carol's room-member token carried owner rights over the room.
	s.wantRefused(id, ownerTok)
}

func TestAPIKeyMemberTokenDiesWithTheKey(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	id := str(t, s.room(bearer(adm), nil), "roomId")
	created := s.req("POST", "/internal-api/v1/api-keys", map[string]string{"name": "integration"}, bearer(adm)).
		want(http.StatusCreated).obj()
	key, keyID := str(t, created, "key"), str(t, created, "id")
	other := s.apiKeyOf(adm)

	tok := s.memberToken(id, map[string]any{}, apiKey(key))
	refreshed := str(t, s.refreshMember(id, tok).want(http.StatusOK).obj(), "token")
	reissued := s.memberToken(id, map[string]any{}, memberTok(refreshed))
	otherTok := s.memberToken(id, map[string]any{}, apiKey(other))
	s.req("GET", "/api/v1/rooms/"+id, nil, memberTok(reissued)).want(http.StatusOK)

	s.req("DELETE", "/internal-api/v1/api-keys/"+keyID, nil, bearer(adm)).want(http.StatusOK)
	for _, tk := range []string{tok, refreshed, reissued} {
		s.wantRefused(id, tk)
	}
	// Only the deleted key's tokens go.
	s.req("GET", "/api/v1/rooms/"+id, nil, memberTok(otherTok)).want(http.StatusOK)
	s.refreshMember(id, otherTok).want(http.StatusOK)
}

// TestRefreshedMemberTokenDiesWithItsIssuer: a refreshed (or re-issued) room-member token
// keeps the binding of the first one, whatever issued it.
func TestRefreshedMemberTokenDiesWithItsIssuer(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	room := s.req("POST", "/api/v1/rooms", map[string]any{}, bearer(adm)).want(http.StatusCreated).obj()
	id := str(t, room, "roomId")
	modSecret := secretOf(t, sub(t, room, "access", "anonymous", "moderator")["url"].(string))
	guest := str(t, s.req("POST", "/api/v1/rooms/"+id+"/members", map[string]any{"name": "Guest", "baseRole": "speaker"},
		bearer(adm)).want(http.StatusCreated).obj(), "memberId")
	dave := s.user(adm, "dave_user", "room_member")
	s.req("POST", "/api/v1/rooms/"+id+"/members", map[string]any{"userId": "dave_user", "baseRole": "speaker"},
		bearer(adm)).want(http.StatusCreated)

	logout := func(access string) func() {
		return func() { s.req("POST", "/internal-api/v1/auth/logout", nil, bearer(access)).want(http.StatusOK) }
	}
	cases := []struct {
		name  string
		issue func() (tok string, end func())
	}{
		{"admin's session, signed out", func() (string, func()) {
			sess, _ := s.login("admin", "admin")
			return s.memberToken(id, map[string]any{}, bearer(sess)), logout(sess)
		}},
		{"member's session, signed out", func() (string, func()) {
			return s.memberToken(id, map[string]any{}, bearer(dave)), logout(dave)
		}},
		{"access link, regenerated", func() (string, func()) {
			return s.memberToken(id, map[string]any{"secret": modSecret}), func() {
				s.req("POST", "/api/v1/rooms/"+id+"/access/regenerate", map[string]any{"role": "moderator"}, bearer(adm)).
					want(http.StatusOK)
			}
		}},
		{"external membership, deleted", func() (string, func()) {
			return s.memberToken(id, map[string]any{"secret": guest}), func() {
				s.req("DELETE", "/api/v1/rooms/"+id+"/members/"+guest, nil, bearer(adm)).want(http.StatusOK)
			}
		}},
	}
	for _, c := range cases {
		first, end := c.issue()
		refreshed := str(t, s.refreshMember(id, first).want(http.StatusOK).obj(), "token")
		twice := str(t, s.refreshMember(id, refreshed).want(http.StatusOK).obj(), "token")
		s.req("GET", "/api/v1/rooms/"+id, nil, memberTok(twice)).want(http.StatusOK)
		end()
		for i, tk := range []string{first, refreshed, twice} {
			if got := s.req("GET", "/api/v1/rooms/"+id, nil, memberTok(tk)).status; got != http.StatusUnauthorized {
				t.Errorf("%s: token %d (0 = first, then refreshed) opens the room: %d, want 401", c.name, i, got)
			}
			if got := s.refreshMember(id, tk).status; got != http.StatusUnauthorized {
				t.Errorf("%s: token %d refreshes: %d, want 401", c.name, i, got)
			}
		}
	}
}
