package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// invisibles are the characters that make one name look like another in a list without
// being seen: zero-width characters and direction marks, embeddings and overrides,
// isolates, and the byte-order mark.
func invisibles() []rune {
	var rs []rune
	for _, span := range [][2]rune{{0x200B, 0x200F}, {0x202A, 0x202E}, {0x2066, 0x2069}, {0xFEFF, 0xFEFF}} {
		for r := span[0]; r <= span[1]; r++ {
			rs = append(rs, r)
		}
	}
	return rs
}

// Room, user, member and participant names refuse invisible and text-direction
// characters (422 naming the field, and the character), and nothing is created; names in
// other scripts, right-to-left ones included, are still taken as they are.
func TestNamesRefuseInvisibleCharacters(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	room := s.room(bearer(adm), map[string]any{"roomName": "Team"})
	id := str(t, room, "roomId")
	secret := secretOf(t, sub(t, room, "access", "anonymous", "speaker")["url"].(string))
	guest := str(t, s.req("POST", "/api/v1/rooms/"+id+"/members", map[string]any{"name": "Guest", "baseRole": "speaker"},
		bearer(adm)).want(http.StatusCreated).obj(), "memberId")
	count := func(path, key string) int {
		return len(s.req("GET", path+"?maxItems=100", nil, bearer(adm)).want(http.StatusOK).obj()[key].([]any))
	}
	before := snapshot(s, adm, id, guest)
	rooms, members := count("/api/v1/rooms", "rooms"), count("/api/v1/rooms/"+id+"/members", "members")

	for _, r := range invisibles() {
		name := "adm" + string(r) + "in"
		code := fmt.Sprintf("U+%04X", r)
		cases := []struct {
			what, method, path string
			body               map[string]any
			field              string
			c                  cred
		}{
			{"room", "POST", "/api/v1/rooms", map[string]any{"roomName": name}, "roomName", bearer(adm)},
			{"user", "POST", "/api/v1/users", map[string]any{"userId": "imposter1", "name": name, "role": "admin", "password": "imposter-pw"},
				"name", bearer(adm)},
			{"member", "POST", "/api/v1/rooms/" + id + "/members", map[string]any{"name": name, "baseRole": "moderator"}, "name", bearer(adm)},
			{"participant", "POST", "/internal-api/v1/rooms/" + id + "/members/token",
				map[string]any{"secret": secret, "participantName": name}, "participantName", func(*http.Request) {}},
		}
		for _, c := range cases {
			d := s.req(c.method, c.path, c.body, c.c).wantDetail(c.field)
			if msg := d["message"].(string); !strings.Contains(msg, code) {
				t.Errorf("%s name with %s refused with %q: want the character named", c.what, code, msg)
			}
		}
	}
	// A character at either end is as refused as one inside.
	s.req("POST", "/api/v1/rooms", map[string]any{"roomName": "\u202eTeam"}, bearer(adm)).wantDetail("roomName")
	s.req("POST", "/api/v1/rooms", map[string]any{"roomName": "Team\ufeff"}, bearer(adm)).wantDetail("roomName")

	if after := snapshot(s, adm, id, guest); after != before {
		t.Fatalf("refused names changed state:\nbefore %s\nafter  %s", before, after)
	}
	if r, m := count("/api/v1/rooms", "rooms"), count("/api/v1/rooms/"+id+"/members", "members"); r != rooms || m != members {
		t.Fatalf("%d rooms and %d members after refused names, want %d and %d", r, m, rooms, members)
	}
	for _, name := range []string{"فريق العمل", "צוות", "Équipe 🎉", "会议室"} {
		got := s.room(bearer(adm), map[string]any{"roomName": name})
		if got["roomName"] != name {
			t.Fatalf("room name %q stored as %v", name, got["roomName"])
		}
	}
}

// A body that repeats a key within one object is refused (400, naming the key) instead of
// being read as its last occurrence: a proxy or a log that keeps the first would see
// another request than the one Conclave acts on.
func TestDuplicateKeysAreRefused(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	id := str(t, s.room(bearer(adm), nil), "roomId")
	cases := []struct{ method, path, body, key string }{
		{"POST", "/api/v1/rooms", `{"roomName":"Shown","roomName":"Kept"}`, "roomName"},
		{"POST", "/api/v1/rooms", `{"roomName":"Shown","room\u004eame":"Kept"}`, "roomName"},
		{"POST", "/api/v1/rooms", `{"config":{"chat":{"enabled":true,"enabled":false}}}`, "config.chat.enabled"},
		{"PUT", "/api/v1/rooms/" + id + "/roles", `{"roles":{"speaker":{"permissions":{"chatWrite":true,"chatWrite":false}}}}`,
			"roles.speaker.permissions.chatWrite"},
		{"POST", "/api/v1/rooms/" + id + "/members", `{"name":"A","baseRole":"speaker","baseRole":"moderator"}`, "baseRole"},
		{"POST", "/internal-api/v1/auth/login", `{"userId":"admin","password":"wrong","password":"admin"}`, "password"},
		{"POST", "/api/v1/rooms", `{"x":[{"a":1},{"a":1,"a":2}]}`, "x[1].a"},
	}
	for _, c := range cases {
		m := s.req(c.method, c.path, c.body, bearer(adm)).wantErr(http.StatusBadRequest, "Bad Request")
		if want := fmt.Sprintf("duplicate key %q", c.key); !strings.Contains(m["message"].(string), want) {
			t.Errorf("%s %s %s: message %q, want it to say %s", c.method, c.path, c.body, m["message"], want)
		}
	}
	list := s.req("GET", "/api/v1/rooms", nil, bearer(adm)).want(http.StatusOK).obj()["rooms"].([]any)
	if len(list) != 1 {
		t.Fatalf("%d rooms after refused bodies, want 1", len(list))
	}
	// The same key in different objects is no duplicate.
	s.req("POST", "/api/v1/rooms", `{"roomName":"R","config":{"chat":{"enabled":true},"recording":{"enabled":false}}}`, bearer(adm)).
		want(http.StatusCreated)
}
