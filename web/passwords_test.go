package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// The root admin's password is changed by the root admin only (SPEC 2.1): an API key acts
// as the root admin for everything else, but taking over the one account that cannot be
// deleted must need the account's own password.
func TestRootAdminPasswordIsNotResetByAnAPIKey(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	key := str(t, s.req("POST", "/internal-api/v1/api-keys", map[string]string{"name": "ci"}, bearer(adm)).
		want(http.StatusCreated).obj(), "key")

	m := s.req("PUT", "/api/v1/users/admin/password", map[string]string{"newPassword": "taken-over-1"}, apiKey(key)).
		wantErr(http.StatusForbidden, "Authorization Error")
	if msg := m["message"].(string); !strings.Contains(msg, "root admin") || !strings.Contains(msg, "change-password") {
		t.Fatalf("refusal %q does not say who may change it, and how", msg)
	}
	// Nothing changed: the old password works, the new one does not, and the root admin's
	// session is still alive.
	s.req("POST", "/internal-api/v1/auth/login", map[string]string{"userId": "admin", "password": "taken-over-1"}).
		wantErr(http.StatusNotFound, "Login Error")
	s.req("GET", "/internal-api/v1/users/me", nil, bearer(adm)).want(http.StatusOK)
	s.login("admin", "admin")
	// The key still resets other users' passwords.
	s.user(adm, "someone1", "room_member")
	s.req("PUT", "/api/v1/users/someone1/password", map[string]string{"newPassword": "temporary1"}, apiKey(key)).want(http.StatusOK)
	s.login("someone1", "temporary1")
}
