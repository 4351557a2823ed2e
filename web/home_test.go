package web_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestEveryLinkOpensAPage follows every kind of link the server hands out (the home
// page, a room's moderator, speaker, recording and user links, an external member's
// personal link and an internal member's) and checks each opens the browser client's
// page, never JSON.
func TestEveryLinkOpensAPage(t *testing.T) {
	s := newStack(t)
	admin := s.admin()
	room := s.room(bearer(admin), map[string]any{"roomName": "Links", "access": map[string]any{"user": map[string]any{"enabled": true}}})
	roomID := str(t, room, "roomId")
	anon := sub(t, room, "access", "anonymous")
	links := map[string]string{
		"home":      s.srv.URL + "/meet/",
		"moderator": str(t, sub(t, anon, "moderator"), "url"),
		"speaker":   str(t, sub(t, anon, "speaker"), "url"),
		"recording": str(t, sub(t, anon, "recording"), "url"),
		"user":      str(t, sub(t, room, "access", "user"), "url"),
	}
	ext := s.req("POST", "/api/v1/rooms/"+roomID+"/members", map[string]any{"name": "Guest", "baseRole": "speaker"}, bearer(admin)).want(http.StatusCreated).obj()
	links["external member"] = str(t, ext, "accessUrl")
	s.user(admin, "member_one", "room_member")
	in := s.req("POST", "/api/v1/rooms/"+roomID+"/members", map[string]any{"userId": "member_one", "baseRole": "speaker"}, bearer(admin)).want(http.StatusCreated).obj()
	links["internal member"] = str(t, in, "accessUrl")

	for kind, link := range links {
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.Get(s.srv.URL + u.RequestURI())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(string(body), `src="/meet/client/app.js"`) {
			t.Errorf("the %s link %s answers %d %s:\n%.300s", kind, link, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		if res.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("the %s link's page may leak its url through Referer: %v", kind, res.Header)
		}
	}

	// / and the bare base path lead to the home page.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, p := range []string{"/", "/meet"} {
		res, err := noFollow.Get(s.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/meet/" {
			t.Errorf("GET %s: %d to %q, want 302 to /meet/", p, res.StatusCode, res.Header.Get("Location"))
		}
	}
	// The API's own unknown paths still answer in its JSON shape.
	s.req("GET", "/api/v1/nothing", nil).wantErr(http.StatusNotFound, "")
}
