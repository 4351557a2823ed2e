package web_test

import (
	"net/http"
	"testing"
)

func TestCreateUser(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	r := s.req("POST", "/api/v1/users",
		map[string]string{"userId": "alice_smith", "name": "Alice Smith", "role": "user", "password": "secret1"}, bearer(adm))
	u := r.want(http.StatusCreated).obj()
	wantKeys(t, u, "userId", "name", "registrationDate", "role", "roleUpdatedAt")
	if u["userId"] != "alice_smith" || u["name"] != "Alice Smith" || u["role"] != "room_manager" {
		t.Fatalf("user %v: want alice_smith, Alice Smith, room_manager (\"user\" is the old name)", u)
	}
	if d, _ := u["registrationDate"].(float64); d < 1.6e12 {
		t.Fatalf("registrationDate %v is not epoch ms", u["registrationDate"])
	}
	if loc := r.header.Get("Location"); loc != s.srv.URL+"/meet/api/v1/users/alice_smith" {
		t.Fatalf("Location %q", loc)
	}

	body := map[string]string{"userId": "bob_jones", "name": "Bob", "role": "room_member", "password": "secret1"}
	s.req("POST", "/api/v1/users", body).wantErr(http.StatusUnauthorized, "Authentication Error")
	s.req("POST", "/api/v1/users", body, bearer("nonsense")).wantErr(http.StatusUnauthorized, "Authentication Error")
	s.req("POST", "/api/v1/users", body, apiKey("conclave_nope")).wantErr(http.StatusUnauthorized, "Authentication Error")
	mgr := s.user(adm, "manager1", "room_manager")
	s.req("POST", "/api/v1/users", body, bearer(mgr)).wantErr(http.StatusForbidden, "Authorization Error")
	dup := map[string]string{"userId": "alice_smith", "name": "Other", "role": "admin", "password": "secret2"}
	m := s.req("POST", "/api/v1/users", dup, bearer(adm)).wantErr(http.StatusConflict, "User Error")
	if m["message"] != `User "alice_smith" already exists` {
		t.Fatalf("conflict message %q", m["message"])
	}
	r = s.req("POST", "/api/v1/users", map[string]any{"userId": "carol_x", "name": 5, "role": "admin"}, bearer(adm))
	if d := r.wantDetail("name"); d["message"] != "Expected string but got number" {
		t.Fatalf("detail %v", d)
	}
	r.wantDetail("password")
	s.req("POST", "/api/v1/users", map[string]any{"userId": "Bad Id", "name": "x", "role": "admin", "password": "secret1"},
		bearer(adm)).wantDetail("userId")
	s.req("POST", "/api/v1/users", map[string]any{"userId": "carol_x", "name": "x", "role": "boss", "password": "secret1"},
		bearer(adm)).wantDetail("role")
	s.req("POST", "/api/v1/users", map[string]any{"userId": "carol_x", "name": "x", "role": "admin", "password": "abc"},
		bearer(adm)).wantDetail("password")
	// Nothing was created by the refused requests.
	s.req("GET", "/api/v1/users/bob_jones", nil, bearer(adm)).wantErr(http.StatusNotFound, "User Error")
	s.req("GET", "/api/v1/users/carol_x", nil, bearer(adm)).wantErr(http.StatusNotFound, "User Error")
}

func TestGetAndListUsers(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	mgr := s.user(adm, "manager1", "room_manager")

	u := s.req("GET", "/api/v1/users/manager1", nil, bearer(adm)).want(http.StatusOK).obj()
	wantKeys(t, u, "userId", "name", "registrationDate", "role", "roleUpdatedAt")
	s.req("GET", "/api/v1/users/manager1", nil, bearer(mgr)).want(http.StatusOK) // oneself
	s.req("GET", "/api/v1/users/admin", nil, bearer(mgr)).wantErr(http.StatusForbidden, "Authorization Error")
	m := s.req("GET", "/api/v1/users/nobody", nil, bearer(adm)).wantErr(http.StatusNotFound, "User Error")
	if m["message"] != `User "nobody" not found` {
		t.Fatalf("message %q", m["message"])
	}
	s.req("GET", "/api/v1/users/manager1", nil).wantErr(http.StatusUnauthorized, "Authentication Error")

	list := s.req("GET", "/api/v1/users", nil, bearer(adm)).want(http.StatusOK).obj()
	wantKeys(t, list, "users", "pagination")
	users := list["users"].([]any)
	if len(users) != 2 {
		t.Fatalf("users %v, want admin and manager1", users)
	}
	// Newest first by default.
	if users[0].(map[string]any)["userId"] != "manager1" {
		t.Fatalf("first user %v, want manager1 (newest first)", users[0])
	}
	p := sub(t, list, "pagination")
	wantKeys(t, p, "isTruncated", "nextPageToken", "maxItems")
	if p["isTruncated"] != false || p["nextPageToken"] != nil || p["maxItems"] != float64(10) {
		t.Fatalf("pagination %v", p)
	}
	s.req("GET", "/api/v1/users", nil, bearer(mgr)).wantErr(http.StatusForbidden, "Authorization Error")
	s.req("GET", "/api/v1/users?role=room_manager", nil, bearer(adm)).want(http.StatusOK)
	got := s.req("GET", "/api/v1/users?role=user", nil, bearer(adm)).want(http.StatusOK).obj()["users"].([]any)
	if len(got) != 1 || got[0].(map[string]any)["userId"] != "manager1" {
		t.Fatalf("role=user (old name of room_manager) gave %v", got)
	}
	got = s.req("GET", "/api/v1/users?userId=admin", nil, bearer(adm)).want(http.StatusOK).obj()["users"].([]any)
	if len(got) != 1 {
		t.Fatalf("userId=admin gave %v", got)
	}
	got = s.req("GET", "/api/v1/users?name=user&nameMatchMode=prefix&nameCaseInsensitive=true", nil, bearer(adm)).
		want(http.StatusOK).obj()["users"].([]any)
	if len(got) != 1 {
		t.Fatalf("name prefix filter gave %v", got)
	}
	got = s.req("GET", "/api/v1/users?sortField=name&sortOrder=asc", nil, bearer(adm)).want(http.StatusOK).obj()["users"].([]any)
	if got[0].(map[string]any)["name"] != "Administrator" {
		t.Fatalf("sort by name asc gave %v", got)
	}
	s.req("GET", "/api/v1/users?role=boss", nil, bearer(adm)).wantDetail("role")
	s.req("GET", "/api/v1/users?sortField=password", nil, bearer(adm)).wantDetail("sortField")
	s.req("GET", "/api/v1/users?sortOrder=up", nil, bearer(adm)).wantDetail("sortOrder")
	s.req("GET", "/api/v1/users?nameCaseInsensitive=yes", nil, bearer(adm)).wantDetail("nameCaseInsensitive")
	s.req("GET", "/api/v1/users?name=x&nameMatchMode=fuzzy", nil, bearer(adm)).wantDetail("nameMatchMode")
}

func TestResetPasswordAndRole(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	mgr := s.user(adm, "manager1", "room_manager")

	m := s.req("PUT", "/api/v1/users/manager1/password", map[string]string{"newPassword": "temp123"}, bearer(adm)).
		want(http.StatusOK).obj()
	wantKeys(t, m, "message")
	// The reset ended the user's sessions and requires a change at next sign-in.
	s.req("GET", "/internal-api/v1/users/me", nil, bearer(mgr)).wantErr(http.StatusUnauthorized, "Authentication Error")
	login := s.req("POST", "/internal-api/v1/auth/login", map[string]string{"userId": "manager1", "password": "temp123"}).
		want(http.StatusOK).obj()
	if login["mustChangePassword"] != true {
		t.Fatalf("login after reset %v: want mustChangePassword", login)
	}
	s.req("PUT", "/api/v1/users/manager1/password", map[string]any{}, bearer(adm)).wantDetail("newPassword")
	s.req("PUT", "/api/v1/users/manager1/password", map[string]any{"newPassword": true}, bearer(adm)).wantDetail("newPassword")
	s.req("PUT", "/api/v1/users/manager1/password", map[string]any{"newPassword": "ab"}, bearer(adm)).wantDetail("newPassword")
	s.req("PUT", "/api/v1/users/nobody1/password", map[string]any{"newPassword": "abcdef"}, bearer(adm)).
		wantErr(http.StatusNotFound, "User Error")
	s.req("PUT", "/api/v1/users/admin/password", map[string]any{"newPassword": "abcdef"}, bearer(adm)).
		wantErr(http.StatusForbidden, "Authorization Error")
	s.req("PUT", "/api/v1/users/manager1/password", map[string]any{"newPassword": "abcdef"}).
		wantErr(http.StatusUnauthorized, "Authentication Error")

	u := s.req("PUT", "/api/v1/users/manager1/role", map[string]string{"role": "room_member"}, bearer(adm)).want(http.StatusOK).obj()
	wantKeys(t, u, "userId", "name", "registrationDate", "role", "roleUpdatedAt")
	if u["role"] != "room_member" {
		t.Fatalf("role %v", u["role"])
	}
	s.req("PUT", "/api/v1/users/manager1/role", map[string]string{"role": "king"}, bearer(adm)).wantDetail("role")
	s.req("PUT", "/api/v1/users/manager1/role", map[string]any{}, bearer(adm)).wantDetail("role")
	s.req("PUT", "/api/v1/users/nobody1/role", map[string]string{"role": "admin"}, bearer(adm)).wantErr(http.StatusNotFound, "User Error")
	s.req("PUT", "/api/v1/users/admin/role", map[string]string{"role": "room_member"}, bearer(adm)).
		wantErr(http.StatusForbidden, "Authorization Error")
	got := s.req("GET", "/api/v1/users/admin", nil, bearer(adm)).want(http.StatusOK).obj()
	if got["role"] != "admin" {
		t.Fatalf("root admin demoted: %v", got)
	}
}

func TestDeleteUsers(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	for _, id := range []string{"user_one", "user_two", "user_three"} {
		s.req("POST", "/api/v1/users", map[string]string{"userId": id, "name": id, "role": "room_member", "password": "secret1"},
			bearer(adm)).want(http.StatusCreated)
	}
	m := s.req("DELETE", "/api/v1/users/user_one", nil, bearer(adm)).want(http.StatusOK).obj()
	if m["message"] != "User 'user_one' deleted successfully" {
		t.Fatalf("message %v", m)
	}
	s.req("DELETE", "/api/v1/users/user_one", nil, bearer(adm)).wantErr(http.StatusNotFound, "User Error")
	s.req("DELETE", "/api/v1/users/admin", nil, bearer(adm)).wantErr(http.StatusForbidden, "Authorization Error")
	s.req("DELETE", "/api/v1/users/user_two", nil).wantErr(http.StatusUnauthorized, "Authentication Error")

	bulk := s.req("DELETE", "/api/v1/users?userIds=user_two,ghost_user,admin", nil, bearer(adm)).want(http.StatusBadRequest).obj()
	wantKeys(t, bulk, "message", "deleted", "failed")
	if bulk["message"] != "2 user(s) could not be deleted" {
		t.Fatalf("message %v", bulk["message"])
	}
	if d := bulk["deleted"].([]any); len(d) != 1 || d[0] != "user_two" {
		t.Fatalf("deleted %v", d)
	}
	failed := bulk["failed"].([]any)
	if len(failed) != 2 {
		t.Fatalf("failed %v", failed)
	}
	f0 := failed[0].(map[string]any)
	wantKeys(t, f0, "userId", "error", "message")
	if f0["userId"] != "ghost_user" || f0["error"] != "User Error" {
		t.Fatalf("failure %v", f0)
	}
	ok := s.req("DELETE", "/api/v1/users?userIds=user_three", nil, bearer(adm)).want(http.StatusOK).obj()
	if ok["message"] != "All users deleted successfully" || len(ok["failed"].([]any)) != 0 || len(ok["deleted"].([]any)) != 1 {
		t.Fatalf("bulk %v", ok)
	}
	s.req("DELETE", "/api/v1/users", nil, bearer(adm)).wantDetail("userIds")
	s.req("DELETE", "/api/v1/users?userIds=,,", nil, bearer(adm)).wantDetail("userIds")
}
