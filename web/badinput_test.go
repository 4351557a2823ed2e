package web_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"conclave/conclavetest"
	"conclave/core"
	"conclave/web"
)

func TestBadPathIDs(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	room := s.room(bearer(adm), nil)
	id := str(t, room, "roomId")
	ext := str(t, s.req("POST", "/api/v1/rooms/"+id+"/members", map[string]any{"name": "Ext", "baseRole": "speaker"}, bearer(adm)).
		want(http.StatusCreated).obj(), "memberId")

	for _, bad := range []string{"a%2Fb", "a..b", "a%22b", "a'b", "a%00b", "%C3%A9t%C3%A9", "a%20b", "a%5Cb",
		strings.Repeat("x", 129), "a%3Cscript%3E"} {
		s.req("GET", "/api/v1/rooms/"+bad, nil, bearer(adm)).wantDetail("roomId")
		s.req("DELETE", "/api/v1/rooms/"+bad, nil, bearer(adm)).wantDetail("roomId")
		s.req("DELETE", "/api/v1/users/"+bad, nil, bearer(adm)).wantDetail("userId")
		s.req("DELETE", "/api/v1/rooms/"+id+"/members/"+bad, nil, bearer(adm)).wantDetail("memberId")
		s.req("PUT", "/api/v1/rooms/"+bad+"/status", map[string]any{"status": "closed"}, bearer(adm)).wantDetail("roomId")
		s.req("POST", "/internal-api/v1/rooms/"+bad+"/members/token", map[string]any{"secret": "x"}).wantDetail("roomId")
	}
	for _, bad := range []string{"%2E%2E", ".", "%2E", "..%2F..%2Fetc", id + "%2F.."} {
		r := s.req("DELETE", "/api/v1/rooms/"+bad, nil, bearer(adm))
		if r.status != http.StatusNotFound && r.status != http.StatusUnprocessableEntity {
			t.Fatalf("DELETE /rooms/%s: status %d", bad, r.status)
		}
		r.wantErr(r.status, "")
	}
	// Nothing changed.
	s.req("GET", "/api/v1/rooms/"+id, nil, bearer(adm)).want(http.StatusOK)
	s.req("GET", "/api/v1/rooms/"+id+"/members/"+ext, nil, bearer(adm)).want(http.StatusOK)
	s.req("GET", "/api/v1/users/admin", nil, bearer(adm)).want(http.StatusOK)

	s.req("GET", "/api/v1/nothing-here", nil, bearer(adm)).wantErr(http.StatusNotFound, "Not Found")
	s.req("GET", "/elsewhere", nil).wantErr(http.StatusNotFound, "Not Found")
	r := s.req("PATCH", "/api/v1/rooms/"+id, map[string]any{}, bearer(adm))
	r.wantErr(http.StatusMethodNotAllowed, "Method Not Allowed")
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "DELETE") {
		t.Fatalf("Allow %q", allow)
	}
	s.req("GET", "//api/v1/rooms", nil, bearer(adm)).wantErr(http.StatusNotFound, "Not Found")
}

// TestBadBodies sends every body-taking endpoint malformed, truncated, non-object and
// oversized bodies, and checks that each is refused with a 4xx and changes nothing.
func TestBadBodies(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	room := s.room(bearer(adm), nil)
	id := str(t, room, "roomId")
	ext := str(t, s.req("POST", "/api/v1/rooms/"+id+"/members", map[string]any{"name": "Ext", "baseRole": "speaker"}, bearer(adm)).
		want(http.StatusCreated).obj(), "memberId")
	s.user(adm, "someone1", "room_member")
	before := snapshot(s, adm, id, ext)

	endpoints := []struct{ method, path string }{
		{"POST", "/api/v1/users"},
		{"PUT", "/api/v1/users/someone1/password"},
		{"PUT", "/api/v1/users/someone1/role"},
		{"POST", "/api/v1/rooms"},
		{"PUT", "/api/v1/rooms/" + id + "/config"},
		{"PUT", "/api/v1/rooms/" + id + "/roles"},
		{"PUT", "/api/v1/rooms/" + id + "/access"},
		{"PUT", "/api/v1/rooms/" + id + "/status"},
		{"POST", "/api/v1/rooms/" + id + "/access/regenerate"},
		{"POST", "/api/v1/rooms/" + id + "/members"},
		{"PUT", "/api/v1/rooms/" + id + "/members/" + ext},
		{"POST", "/internal-api/v1/auth/login"},
		{"POST", "/internal-api/v1/users/change-password"},
		{"POST", "/internal-api/v1/api-keys"},
		{"POST", "/internal-api/v1/rooms/" + id + "/members/token"},
	}
	huge := `{"name":"` + strings.Repeat("x", 1<<20+10) + `"}`
	for _, e := range endpoints {
		for _, raw := range []string{`{`, `{"a":`, `{"a":1,}`, `[1,2`, `tru`, `{"a":"\u12"}`, `{} {}`} {
			m := s.req(e.method, e.path, raw, bearer(adm)).wantErr(http.StatusBadRequest, "Bad Request")
			if !strings.HasPrefix(m["message"].(string), "Malformed JSON body") {
				t.Errorf("%s %s %q: message %v", e.method, e.path, raw, m["message"])
			}
		}
		for _, raw := range []string{`[]`, `"x"`, `42`, `true`, `null`} {
			s.req(e.method, e.path, raw, bearer(adm)).wantDetail("body")
		}
		s.req(e.method, e.path, huge, bearer(adm)).wantErr(http.StatusRequestEntityTooLarge, "Payload Too Large")
	}
	// Wrong types where a specific type is expected.
	typed := []struct {
		method, path string
		body         map[string]any
		field        string
	}{
		{"PUT", "/api/v1/users/someone1/role", map[string]any{"role": []any{"admin"}}, "role"},
		{"PUT", "/api/v1/rooms/" + id + "/status", map[string]any{"status": map[string]any{}}, "status"},
		{"PUT", "/api/v1/rooms/" + id + "/config", map[string]any{"config": map[string]any{"recording": map[string]any{"retentionDays": "7"}}}, "config.recording.retentionDays"},
		{"PUT", "/api/v1/rooms/" + id + "/config", map[string]any{"config": map[string]any{"recording": map[string]any{"retentionDays": 1e300}}}, "config.recording.retentionDays"},
		{"PUT", "/api/v1/rooms/" + id + "/roles", map[string]any{"roles": map[string]any{"speaker": "all"}}, "roles.speaker"},
		{"PUT", "/api/v1/rooms/" + id + "/roles", map[string]any{"roles": map[string]any{"speaker": map[string]any{"permissions": true}}}, "roles.speaker.permissions"},
		{"PUT", "/api/v1/rooms/" + id + "/access", map[string]any{"access": map[string]any{"anonymous": []any{}}}, "access.anonymous"},
		{"POST", "/api/v1/rooms/" + id + "/members", map[string]any{"userId": 7, "baseRole": "speaker"}, "userId"},
		{"POST", "/internal-api/v1/users/change-password", map[string]any{"currentPassword": 1, "newPassword": 2}, "currentPassword"},
		{"POST", "/internal-api/v1/rooms/" + id + "/members/token", map[string]any{"participantName": []any{}}, "participantName"},
	}
	for _, c := range typed {
		s.req(c.method, c.path, c.body, bearer(adm)).wantDetail(c.field)
	}
	after := snapshot(s, adm, id, ext)
	if before != after {
		t.Fatalf("refused requests changed state:\nbefore %s\nafter  %s", before, after)
	}
}

// snapshot is the state bad requests must not change: users, the room with config and
// roles, and the member.
func snapshot(s *stack, adm, roomID, memberID string) string {
	s.t.Helper()
	users := s.req("GET", "/api/v1/users?maxItems=100", nil, bearer(adm)).want(http.StatusOK).body
	room := s.req("GET", "/api/v1/rooms/"+roomID+"?extraFields=config,roles", nil, bearer(adm)).want(http.StatusOK).body
	member := s.req("GET", "/api/v1/rooms/"+roomID+"/members/"+memberID+"?extraFields=effectivePermissions", nil, bearer(adm)).
		want(http.StatusOK).body
	keys := s.req("GET", "/internal-api/v1/api-keys", nil, bearer(adm)).want(http.StatusOK).body
	return string(users) + string(room) + string(member) + string(keys)
}

func TestHealth(t *testing.T) {
	s := newStack(t)
	m := s.req("GET", "/health", nil).want(http.StatusOK).obj()
	if m["status"] != "ok" {
		t.Fatalf("health %v", m)
	}
	s.allow5xx = true
	_ = s.db.Close()
	s.req("GET", "/health", nil).want(http.StatusServiceUnavailable)
	// With the store gone every request fails, but as the API's generic 500.
	m = s.req("POST", "/internal-api/v1/auth/login", map[string]string{"userId": "admin", "password": "admin"}).
		wantErr(http.StatusInternalServerError, "Internal Server Error")
	if m["message"] != "Unexpected error occurred" {
		t.Fatalf("500 leaks %v", m["message"])
	}
}

func TestClientAddressBehindProxy(t *testing.T) {
	for _, trust := range []bool{false, true} {
		s := openStack(t, filepath.Join(t.TempDir(), "c.db"), func(c *conclavetest.HTTPConfig) { c.Web = func(o *web.Options) { o.TrustProxy = trust } })
		s.req("POST", "/internal-api/v1/auth/login", map[string]string{"userId": "admin", "password": "wrong"},
			header("X-Forwarded-For", "198.51.100.1, 203.0.113.7"), header("User-Agent", "probe/1.0")).
			wantErr(http.StatusNotFound, "Login Error")
		page, err := s.svc.ListAudit(context.Background(), core.System(), core.AuditQuery{Action: "auth.login"})
		if err != nil || len(page.Items) == 0 {
			t.Fatalf("audit: %v %v", page, err)
		}
		e := page.Items[0]
		want := "127.0.0.1"
		if trust {
			want = "203.0.113.7" // the address the trusted proxy appended, not the client's claim
		}
		if e.Source != want || !strings.Contains(e.Device, "probe/1.0") || !strings.Contains(e.Device, "http") {
			t.Fatalf("trust=%v: audit source %q device %q, want %s", trust, e.Source, e.Device, want)
		}
	}
}
