package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// apiKeyOf creates an API key through the API.
func (s *stack) apiKeyOf(adminTok string) string {
	s.t.Helper()
	m := s.req("POST", "/internal-api/v1/api-keys", map[string]string{"name": "test"}, bearer(adminTok)).want(http.StatusCreated).obj()
	return str(s.t, m, "key")
}

func TestPaginationVisitsEveryRoomOnce(t *testing.T) {
	s := newStack(t)
	key := s.apiKeyOf(s.admin())
	for i := 0; i < 250; i++ {
		s.req("POST", "/api/v1/rooms", map[string]any{"roomName": fmt.Sprintf("room %03d", i)}, apiKey(key)).want(http.StatusCreated)
	}
	for _, order := range []string{"", "&sortField=roomName&sortOrder=asc", "&sortOrder=asc", "&sortField=creationDate&sortOrder=desc"} {
		seen := map[string]bool{}
		token, pages, prev := "", 0, ""
		for {
			path := "/api/v1/rooms?maxItems=100&fields=roomId,roomName" + order
			if token != "" {
				path += "&nextPageToken=" + url.QueryEscape(token)
			}
			m := s.req("GET", path, nil, apiKey(key)).want(http.StatusOK).obj()
			pages++
			rooms := m["rooms"].([]any)
			if len(rooms) > 100 {
				t.Fatalf("page of %d rooms", len(rooms))
			}
			for _, r := range rooms {
				room := r.(map[string]any)
				id := str(t, room, "roomId")
				if seen[id] {
					t.Fatalf("%s: room %s listed twice", order, id)
				}
				seen[id] = true
				if order == "&sortField=roomName&sortOrder=asc" {
					name := str(t, room, "roomName")
					if name < prev {
						t.Fatalf("not ascending: %q after %q", name, prev)
					}
					prev = name
				}
			}
			p := sub(t, m, "pagination")
			if p["maxItems"] != float64(100) {
				t.Fatalf("maxItems %v", p["maxItems"])
			}
			if p["isTruncated"] == false {
				if p["nextPageToken"] != nil {
					t.Fatalf("last page has a token: %v", p)
				}
				break
			}
			token = str(t, p, "nextPageToken")
			if pages > 5 {
				t.Fatalf("too many pages")
			}
		}
		if len(seen) != 250 || pages != 3 {
			t.Fatalf("%s: %d rooms in %d pages, want 250 in 3", order, len(seen), pages)
		}
	}
	m := s.req("GET", "/api/v1/rooms?maxItems=1000000000", nil, apiKey(key)).want(http.StatusOK).obj()
	if len(m["rooms"].([]any)) != 100 || sub(t, m, "pagination")["maxItems"] != float64(100) {
		t.Fatalf("huge maxItems not clamped to 100: %d rooms, %v", len(m["rooms"].([]any)), m["pagination"])
	}
	m = s.req("GET", "/api/v1/rooms?maxItems=99999999999999999999999", nil, apiKey(key)).want(http.StatusOK).obj()
	if len(m["rooms"].([]any)) != 100 {
		t.Fatalf("huge maxItems gave %d rooms", len(m["rooms"].([]any)))
	}
	m = s.req("GET", "/api/v1/rooms", nil, apiKey(key)).want(http.StatusOK).obj()
	if len(m["rooms"].([]any)) != 10 || sub(t, m, "pagination")["maxItems"] != float64(10) {
		t.Fatalf("default page size is not 10")
	}
	for _, bad := range []string{"0", "-1", "abc", "1.5", "", "1e3", "0x10"} {
		s.req("GET", "/api/v1/rooms?maxItems="+url.QueryEscape(bad), nil, apiKey(key)).wantDetail("maxItems")
	}
	s.req("GET", "/api/v1/rooms?nextPageToken=forged", nil, apiKey(key)).wantDetail("nextPageToken")
}

func TestFiltersMatchLiterally(t *testing.T) {
	s := newStack(t)
	key := s.apiKeyOf(s.admin())
	names := []string{"100% done", "a_b", "axb", "O'Brien", "x;-- drop", "plain abc", `back\slash`, "Mixed Case"}
	for _, n := range names {
		s.req("POST", "/api/v1/rooms", map[string]any{"roomName": n}, apiKey(key)).want(http.StatusCreated)
	}
	cases := []struct {
		query string
		want  []string
	}{
		{"roomName=100%25 done", []string{"100% done"}},
		{"roomName=%25&roomNameMatchMode=partial", []string{"100% done"}},
		{"roomName=_&roomNameMatchMode=partial", []string{"a_b"}},
		{"roomName=a_b", []string{"a_b"}},
		{"roomName=O'&roomNameMatchMode=prefix", []string{"O'Brien"}},
		{"roomName=;--&roomNameMatchMode=partial", []string{"x;-- drop"}},
		{"roomName=x;-- drop' OR '1'='1", nil},
		{`roomName=\&roomNameMatchMode=partial`, []string{`back\slash`}},
		{"roomName=mixed case&roomNameCaseInsensitive=true", []string{"Mixed Case"}},
		{"roomName=mixed case", nil},
		{"roomName=^a.b$&roomNameMatchMode=regex", []string{"a_b", "axb"}},
		{"roomName=^a_b$&roomNameMatchMode=regex", []string{"a_b"}},
		{"roomName=*&roomNameMatchMode=partial", nil},
	}
	for _, c := range cases {
		q := url.Values{}
		parsed, _ := url.ParseQuery(escapeQuery(c.query))
		for k, v := range parsed {
			q[k] = v
		}
		m := s.req("GET", "/api/v1/rooms?maxItems=100&"+q.Encode(), nil, apiKey(key)).want(http.StatusOK).obj()
		var got []string
		for _, r := range m["rooms"].([]any) {
			got = append(got, r.(map[string]any)["roomName"].(string))
		}
		if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(c.want)) {
			t.Errorf("%s: got %q, want %q", c.query, got, c.want)
		}
	}
	s.req("GET", "/api/v1/rooms?roomName=(&roomNameMatchMode=regex", nil, apiKey(key)).wantDetail("roomName")
	s.req("GET", "/api/v1/rooms?roomName=x&roomNameMatchMode=glob", nil, apiKey(key)).wantDetail("roomNameMatchMode")
	s.req("GET", "/api/v1/rooms?roomNameCaseInsensitive=1", nil, apiKey(key)).wantDetail("roomNameCaseInsensitive")
	s.req("GET", "/api/v1/rooms?userAccess=maybe", nil, apiKey(key)).wantDetail("userAccess")
	s.req("GET", "/api/v1/rooms?status=sleeping", nil, apiKey(key)).wantDetail("status")
	s.req("GET", "/api/v1/rooms?sortField=owner", nil, apiKey(key)).wantDetail("sortField")
	s.req("GET", "/api/v1/rooms?sortOrder=random", nil, apiKey(key)).wantDetail("sortOrder")
	if n := len(s.req("GET", "/api/v1/rooms?userAccess=true", nil, apiKey(key)).want(http.StatusOK).obj()["rooms"].([]any)); n != 0 {
		t.Fatalf("userAccess=true gave %d rooms", n)
	}
	if n := len(s.req("GET", "/api/v1/rooms?status=open&userAccess=false&maxItems=100", nil, apiKey(key)).want(http.StatusOK).obj()["rooms"].([]any)); n != len(names) {
		t.Fatalf("status=open gave %d rooms", n)
	}
}

// escapeQuery percent-encodes what url.ParseQuery would misread in a readable test query
// (';' and a lone '\').
func escapeQuery(q string) string {
	out := ""
	for _, c := range q {
		switch c {
		case ';':
			out += "%3B"
		case ' ':
			out += "%20"
		case '\\':
			out += "%5C"
		case '\'':
			out += "%27"
		case '*':
			out += "%2A"
		case '^':
			out += "%5E"
		case '$':
			out += "%24"
		case '(':
			out += "%28"
		default:
			out += string(c)
		}
	}
	return out
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
