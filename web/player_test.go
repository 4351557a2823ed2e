package web_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"conclave/core"
)

// recordTwo records the room with Alice there from the start and Bob joining about a
// second later, for about three seconds, and returns the finished recording.
func (s *recStack) recordTwo() map[string]any {
	s.t.Helper()
	stop := make(chan struct{})
	s.t.Cleanup(func() { close(stop) })
	s.seat("Alice", stop)
	time.Sleep(500 * time.Millisecond)
	rec := s.req("POST", "/api/v1/recordings", map[string]any{"roomId": s.roomID}, bearer(s.adm)).want(http.StatusCreated).obj()
	id := str(s.t, rec, "recordingId")
	time.Sleep(time.Second)
	s.seat("Bob", stop)
	time.Sleep(2500 * time.Millisecond)
	// Not playable while it is being made.
	s.req("GET", "/api/v1/recordings/"+id+"/timeline", nil, bearer(s.adm)).wantErr(http.StatusConflict, "Recording Error")
	s.req("POST", "/api/v1/recordings/"+id+"/stop", nil, bearer(s.adm)).want(http.StatusAccepted)
	return s.waitRecording(id, "complete")
}

// cookieOf returns the player cookie a response set, failing without one.
func cookieOf(t *testing.T, r *resp) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "conclave_player" {
			return c
		}
	}
	t.Fatalf("%s %s set no player cookie: %v", r.method, r.path, r.header)
	return nil
}

func withCookie(c *http.Cookie) cred {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value}) }
}

func intervals(t *testing.T, v any) [][2]float64 {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("intervals %v (%T)", v, v)
	}
	out := make([][2]float64, 0, len(list))
	for _, iv := range list {
		pair, _ := iv.([]any)
		if len(pair) != 2 {
			t.Fatalf("interval %v", iv)
		}
		a, _ := pair[0].(float64)
		b, _ := pair[1].(float64)
		out = append(out, [2]float64{a, b})
	}
	return out
}

func TestPlayerTimeline(t *testing.T) {
	s := newRecStack(t)
	rec := s.recordTwo()
	id := str(t, rec, "recordingId")
	dur, _ := rec["duration"].(float64)
	path := "/api/v1/recordings/" + id + "/timeline"

	r := s.req("GET", path, nil, bearer(s.adm)).want(http.StatusOK)
	tl := r.obj()
	if tl["recordingId"] != id || tl["roomId"] != s.roomID || tl["roomName"] != "Recorded" || tl["duration"] != dur {
		t.Fatalf("timeline %v", tl)
	}
	streams, _ := tl["streams"].([]any)
	if len(streams) != 2 {
		t.Fatalf("streams %v", tl["streams"])
	}
	st0, st1 := streams[0].(map[string]any), streams[1].(map[string]any)
	if st0["name"] != "Alice" || st1["name"] != "Bob" || st0["kind"] != "camera" {
		t.Fatalf("streams in manifest order: %v", streams)
	}
	for i, st := range []map[string]any{st0, st1} {
		want := "/meet/api/v1/recordings/" + id + "/media?stream=" + string(rune('0'+i))
		if st["mediaUrl"] != want {
			t.Fatalf("stream %d mediaUrl %v, want %s", i, st["mediaUrl"], want)
		}
		if codecs, _ := st["codecs"].([]any); len(codecs) == 0 {
			t.Fatalf("stream %d has no codecs: %v", i, st)
		}
	}
	off1, _ := st1["offset"].(float64)
	if off0, _ := st0["offset"].(float64); off0 > 0.5 || off1 < 0.7 || off1 > dur-2 {
		t.Fatalf("offsets %v and %v of %vs: Alice was there from the start, Bob joined later, 2.5 s before the end", off0, off1, dur)
	}
	people, _ := tl["participants"].([]any)
	if len(people) != 2 {
		t.Fatalf("participants %v", people)
	}
	bob := people[1].(map[string]any)
	present := intervals(t, bob["present"])
	d1, _ := st1["duration"].(float64)
	if bob["name"] != "Bob" || len(present) != 1 || math.Abs(present[0][0]-off1) > 0.01 || math.Abs(present[0][1]-math.Min(dur, off1+d1)) > 0.01 {
		t.Fatalf("Bob %v, stream %v", bob, st1)
	}
	// The recorder of this build may or may not say who spoke; without it the timeline
	// says so rather than showing nobody speaking.
	if tl["speakingKnown"] == false && bob["speaking"] != nil {
		t.Fatalf("speaking unknown but listed: %v", bob)
	}
	if dl := sub(t, tl, "download"); dl["allowed"] != true || dl["url"] != "/meet/api/v1/recordings/"+id+"/download" {
		t.Fatalf("download %v", dl)
	}
	others := sub(t, tl, "others")
	if others["allowed"] != true {
		t.Fatalf("others %v", others)
	}
	if list, _ := others["recordings"].([]any); len(list) != 0 {
		t.Fatalf("the room's only recording lists others: %v", list)
	}

	// The cookie: HttpOnly, SameSite=Strict, only under this recording's path; it plays
	// the media and downloads, and authenticates nothing else.
	c := cookieOf(t, r)
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/meet/api/v1/recordings/"+id+"/" {
		t.Fatalf("cookie %+v", c)
	}
	media := s.req("GET", "/api/v1/recordings/"+id+"/media?stream=1", nil, withCookie(c), header("Range", "bytes=0-99")).want(http.StatusPartialContent)
	if len(media.body) != 100 {
		t.Fatalf("media by cookie: %d bytes", len(media.body))
	}
	s.req("GET", "/api/v1/recordings/"+id+"/download", nil, withCookie(c), header("Range", "bytes=0-9")).want(http.StatusPartialContent)
	s.req("GET", "/api/v1/recordings/"+id, nil, withCookie(c)).want(http.StatusUnauthorized)
	s.req("DELETE", "/api/v1/recordings/"+id, nil, withCookie(c)).want(http.StatusUnauthorized)
	s.req("GET", "/api/v1/recordings/"+id+"/media", nil, withCookie(&http.Cookie{Name: "conclave_player", Value: "a.forged"})).want(http.StatusUnauthorized)
	s.req("GET", "/api/v1/recordings/"+id+"/media", nil, withCookie(&http.Cookie{Name: "conclave_player", Value: "k." + s.adm})).want(http.StatusUnauthorized)
	// A header credential decides over the cookie.
	s.req("GET", "/api/v1/recordings/"+id+"/media", nil, withCookie(c), bearer("garbage")).want(http.StatusUnauthorized)
	// The cookie is checked when the media is asked for: a signed-out session's stops.
	adm2, _ := s.login("admin", "admin")
	c2 := cookieOf(t, s.req("GET", path, nil, bearer(adm2)).want(http.StatusOK))
	s.req("GET", "/api/v1/recordings/"+id+"/media", nil, withCookie(c2), header("Range", "bytes=0-9")).want(http.StatusPartialContent)
	s.req("POST", "/internal-api/v1/auth/logout", nil, bearer(adm2)).want(http.StatusOK)
	s.req("GET", "/api/v1/recordings/"+id+"/media", nil, withCookie(c2)).want(http.StatusUnauthorized)
	// A user without access to the room may not watch.
	nora := s.user(s.adm, "nora_viewer", "room_member")
	s.req("GET", path, nil, bearer(nora)).wantErr(http.StatusForbidden, "Authorization Error")

	// A speaker of the room (anonymous speaker link) may watch but not download, and may
	// list: the member token's cookie plays, not downloads.
	room := s.req("GET", "/api/v1/rooms/"+s.roomID, nil, bearer(s.adm)).want(http.StatusOK).obj()
	secret := secretOf(t, str(t, sub(t, room, "access", "anonymous", "speaker"), "url"))
	tok := s.memberToken(s.roomID, map[string]any{"secret": secret})
	mr := s.req("GET", path, nil, memberTok(tok)).want(http.StatusOK)
	mtl := mr.obj()
	if dl := sub(t, mtl, "download"); dl["allowed"] != false || dl["url"] != nil {
		t.Fatalf("a speaker's download %v", dl)
	}
	if sub(t, mtl, "others")["allowed"] != true {
		t.Fatalf("a speaker's others %v", mtl["others"])
	}
	mc := cookieOf(t, mr)
	s.req("GET", "/api/v1/recordings/"+id+"/media?stream=0", nil, withCookie(mc), header("Range", "bytes=0-9")).want(http.StatusPartialContent)
	s.req("GET", "/api/v1/recordings/"+id+"/download", nil, withCookie(mc)).wantErr(http.StatusForbidden, "Authorization Error")
	// An API key reads the timeline but is never put in a cookie.
	key := str(t, s.req("POST", "/internal-api/v1/api-keys", map[string]any{"name": "player"}, bearer(s.adm)).want(http.StatusCreated).obj(), "key")
	kr := s.req("GET", path, nil, apiKey(key)).want(http.StatusOK)
	if sc := kr.header.Values("Set-Cookie"); len(sc) != 0 {
		t.Fatalf("an API key's timeline set %v", sc)
	}

	// Not found, no credentials, a bad id.
	s.req("GET", "/api/v1/recordings/"+s.roomID+"--nosuch/timeline", nil, bearer(s.adm)).wantErr(http.StatusNotFound, "Recording Error")
	s.req("GET", path, nil).want(http.StatusUnauthorized)
	s.req("GET", "/api/v1/recordings/a%22b/timeline", nil, bearer(s.adm)).wantDetail("recordingId")

	// Another recording of the room is listed in the first one's timeline, and links to
	// its player.
	second := s.recordTwo()
	sid := str(t, second, "recordingId")
	list, _ := sub(t, s.req("GET", path, nil, bearer(s.adm)).want(http.StatusOK).obj(), "others")["recordings"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["recordingId"] != sid || list[0].(map[string]any)["playerUrl"] != "/meet/recording/"+sid {
		t.Fatalf("others %v", list)
	}
}

// TestPlayerTimelineSpeaking checks that the manifest's speaking intervals, when the
// recorder writes them, reach the timeline sorted, merged and within the recording, and
// that a manifest that is gone or corrupt still leaves the streams playable.
func TestPlayerTimelineSpeaking(t *testing.T) {
	s := newRecStack(t)
	rec := s.recordTwo()
	id := str(t, rec, "recordingId")
	dur, _ := rec["duration"].(float64)
	got, err := s.svc.GetRecording(context.Background(), core.System(), id)
	if err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(s.st.RecordDir, got.Dir, "manifest.json")
	b, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	people, _ := m["participants"].([]any)
	if len(people) != 2 {
		t.Fatalf("manifest participants %v", people)
	}
	// Alice: out of order, overlapping, one past the end and one empty, and more not
	// listed; Bob never spoke (the recorder then leaves his list out).
	people[0].(map[string]any)["speaking"] = [][]float64{{2, 2.5}, {0.2, 0.8}, {0.6, 1.1}, {dur - 0.2, dur + 30}, {1.5, 1.5}}
	people[0].(map[string]any)["speakingTruncated"] = true
	delete(people[1].(map[string]any), "speaking")
	b, _ = json.Marshal(m)
	if err := os.WriteFile(manifest, b, 0o600); err != nil {
		t.Fatal(err)
	}
	tl := s.req("GET", "/api/v1/recordings/"+id+"/timeline", nil, bearer(s.adm)).want(http.StatusOK).obj()
	if tl["speakingKnown"] != true {
		t.Fatalf("speakingKnown %v", tl["speakingKnown"])
	}
	ps, _ := tl["participants"].([]any)
	alice := intervals(t, ps[0].(map[string]any)["speaking"])
	want := [][2]float64{{0.2, 1.1}, {2, 2.5}, {dur - 0.2, dur}}
	if len(alice) != len(want) {
		t.Fatalf("Alice spoke %v, want %v", alice, want)
	}
	for i := range want {
		if math.Abs(alice[i][0]-want[i][0]) > 1e-9 || math.Abs(alice[i][1]-want[i][1]) > 1e-9 {
			t.Fatalf("Alice spoke %v, want %v", alice, want)
		}
	}
	if bob := intervals(t, ps[1].(map[string]any)["speaking"]); len(bob) != 0 {
		t.Fatalf("Bob spoke %v", bob)
	}
	if ps[0].(map[string]any)["speakingTruncated"] != true || ps[1].(map[string]any)["speakingTruncated"] != false {
		t.Fatalf("truncation: %v, %v", ps[0], ps[1])
	}

	// A corrupt manifest: the streams and presence come from the recording's record.
	if err := os.WriteFile(manifest, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	tl = s.req("GET", "/api/v1/recordings/"+id+"/timeline", nil, bearer(s.adm)).want(http.StatusOK).obj()
	ps, _ = tl["participants"].([]any)
	if streams, _ := tl["streams"].([]any); len(streams) != 2 || len(ps) != 2 || tl["speakingKnown"] != false {
		t.Fatalf("timeline without a manifest: %v", tl)
	}
	if ps[0].(map[string]any)["name"] != "Alice" || len(intervals(t, ps[0].(map[string]any)["present"])) != 1 {
		t.Fatalf("Alice without a manifest: %v", ps[0])
	}
	if err := os.Remove(manifest); err != nil {
		t.Fatal(err)
	}
	s.req("GET", "/api/v1/recordings/"+id+"/timeline", nil, bearer(s.adm)).want(http.StatusOK)
}

func TestPlayerPageServed(t *testing.T) {
	s := newStack(t)
	page := s.req("GET", s.srv.URL+"/meet/recording/room--abc", nil).want(http.StatusOK)
	body := string(page.body)
	if ct := page.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("page content type %q", ct)
	}
	if !strings.Contains(body, `src="/meet/player/player.js"`) || strings.Contains(body, "__CONCLAVE_BASE__") {
		t.Fatalf("page %s", body)
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "media-src 'self'") {
		t.Fatalf("CSP %q", csp)
	}
	for _, f := range []string{"player.js", "source.js", "sync.js", "timeline.js", "dom.js", "style.css"} {
		r := s.req("GET", s.srv.URL+"/meet/player/"+f, nil).want(http.StatusOK)
		if len(r.body) == 0 {
			t.Fatalf("%s is empty", f)
		}
	}
	s.req("GET", s.srv.URL+"/meet/player/", nil).want(http.StatusNotFound)
	s.req("GET", s.srv.URL+"/meet/player/index.html", nil).want(http.StatusNotFound)
	s.req("GET", s.srv.URL+"/meet/recording/a%22b", nil).want(http.StatusNotFound)
}
