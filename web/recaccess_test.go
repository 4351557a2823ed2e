package web_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
)

// accessStack is a stack whose recorder serves files written by the test, with the
// access table's world in it.
type accessStack struct {
	*stack
	w   *conclavetest.AccessWorld
	dir string
}

func newAccessStack(t *testing.T) *accessStack {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "recordings")
	s := openStack(t, filepath.Join(t.TempDir(), "c.db"), func(c *conclavetest.HTTPConfig) {
		c.Recorder = conclavetest.FileRecorder(t, dir)
	})
	return &accessStack{stack: s, dir: dir, w: conclavetest.NewAccessWorld(t, s.svc, s.db, dir, &s.clk)}
}

// creds are the actor's HTTP credentials (none for share links, whose token goes in the
// shared routes' query).
func (a *accessStack) creds(ac *conclavetest.AccessActor) []cred {
	switch {
	case ac.Bearer != "":
		return []cred{bearer(ac.Bearer)}
	case ac.MemberToken != "":
		return []cred{memberTok(ac.MemberToken)}
	case ac.APIKey != "":
		return []cred{apiKey(ac.APIKey)}
	}
	return []cred{header("X-Share-Token", ac.ShareToken)}
}

// TestRecordingAccessTableHTTP plays the access table through REST: each allowed cell
// answers with the resource, each refusal with the status its reason calls for.
func TestRecordingAccessTableHTTP(t *testing.T) {
	a := newAccessStack(t)
	for _, ac := range a.w.Actors {
		t.Run(ac.Name, func(t *testing.T) {
			a.t = t
			open, cells := conclavetest.SplitCells(conclavetest.AccessTable[ac.Name])
			if open != "" {
				a.checkOpen(ac, open)
			}
			if len(cells) == 0 {
				return
			}
			for i, act := range conclavetest.AccessActs {
				a.cell(ac, act, cells[i][0] == '+', cells[i][1:])
			}
		})
	}
}

// checkOpen opens a link that must not open, over HTTP, as its visitor would.
func (a *accessStack) checkOpen(ac *conclavetest.AccessActor, code string) {
	t := a.t
	t.Helper()
	var creds []cred
	if ac.OpenAs != nil && ac.OpenAs.Kind == core.PrincipalUser {
		t.Fatal("table links that do not open are opened anonymously")
	}
	if ac.Pass != "" {
		creds = append(creds, header("X-Share-Password", ac.Pass))
	}
	status := map[string]int{"share_link_sign_in_required": 401, "share_link_expired": 410, "share_link_used_up": 410,
		"share_password_wrong": 401, "share_link_revoked": 410}[code]
	m := a.req("GET", "/api/v1/shared-recordings/"+ac.ShareLinkID+"?secret="+url.QueryEscape(ac.Secret), nil, creds...).wantErr(status, "Share Link Error")
	if m["code"] != code {
		t.Fatalf("open answered %v, want code %s", m, code)
	}
}

func (a *accessStack) cell(ac *conclavetest.AccessActor, act string, allowed bool, reason string) {
	t := a.t
	t.Helper()
	id := ac.Rec.RecordingID
	link := ac.ShareLinkID != ""
	creds := a.creds(ac)
	// What a refusal answers: 403 for rights; a share token is no credential outside the
	// shared routes (401); a revoked link is gone (410), an expired one's token too (401).
	refused := http.StatusForbidden
	switch {
	case link && (act == core.RecActList || act == core.RecActDelete || act == core.RecActShare || act == core.RecActRestore):
		refused = http.StatusUnauthorized
	case reason == core.RecReasonLinkInvalid && ac.Name == conclavetest.ActRevoked:
		refused = http.StatusGone
	case reason == core.RecReasonLinkInvalid:
		refused = http.StatusUnauthorized
	}
	shared := "/api/v1/shared-recordings/" + ac.ShareLinkID
	tok := "token=" + url.QueryEscape(ac.ShareToken)
	switch act {
	case core.RecActList:
		r := a.req("GET", "/api/v1/recordings?roomId="+ac.Rec.RoomID, nil, creds...)
		if link {
			r.want(refused)
			return
		}
		items, _ := r.want(http.StatusOK).obj()["recordings"].([]any)
		if listed := len(items) == 1; listed != allowed {
			t.Errorf("list: %d recordings, want allowed=%v (%s)", len(items), allowed, reason)
		}
	case core.RecActPlay, core.RecActDownload:
		path := "/api/v1/recordings/" + id + "/media"
		if act == core.RecActDownload {
			path = "/api/v1/recordings/" + id + "/download"
		}
		if link {
			path = shared + "/" + map[string]string{core.RecActPlay: "media", core.RecActDownload: "download"}[act] + "?" + tok
		}
		r := a.req("GET", path, nil, creds...)
		if allowed {
			r.want(http.StatusOK)
			if string(r.body) != "main file of the board meeting" && string(r.body) != "internal meeting" {
				t.Errorf("%s served %q", act, r.body)
			}
			if act == core.RecActDownload && !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") {
				t.Errorf("download is not an attachment")
			}
		} else {
			r.wantErr(refused, "")
		}
	case "zip":
		path := "/api/v1/recordings/download?recordingIds=" + id
		if link {
			path = shared + "/download?format=zip&" + tok
		}
		r := a.req("GET", path, nil, creds...)
		if !allowed {
			if refused == http.StatusForbidden && !link {
				refused = http.StatusBadRequest // OpenVidu Meet: none of them may be zipped
			}
			r.wantErr(refused, "")
			return
		}
		r.want(http.StatusOK)
		zr, err := zip.NewReader(bytes.NewReader(r.body), int64(len(r.body)))
		if err != nil {
			t.Fatalf("zip: %v", err)
		}
		if len(zr.File) < 2 {
			t.Errorf("zip holds %d files", len(zr.File))
		}
	case core.RecActDelete:
		if allowed {
			// Deleting for real, a recording made for the purpose.
			throwaway := conclavetest.FakeRecording(t, a.db, a.dir, roomOf(a.w, ac), fmt.Sprintf("del%d", time.Now().UnixNano()), 1, conclavetest.FakeFile{Name: "x.webm", Content: []byte("x")})
			a.req("DELETE", "/api/v1/recordings/"+throwaway.RecordingID, nil, creds...).want(http.StatusOK)
			a.req("GET", "/api/v1/recordings/"+throwaway.RecordingID, nil, bearer(a.w.Actors[0].Bearer)).want(http.StatusNotFound)
			return
		}
		a.req("DELETE", "/api/v1/recordings/"+id, nil, creds...).wantErr(refused, "")
	case core.RecActRestore:
		// A recording of the actor's room, put in the trash by an admin, restored by it.
		trashed := conclavetest.FakeRecording(t, a.db, a.dir, roomOf(a.w, ac), fmt.Sprintf("rs%d", time.Now().UnixNano()), 1, conclavetest.FakeFile{Name: "x.webm", Content: []byte("x")})
		a.req("DELETE", "/api/v1/recordings/"+trashed.RecordingID, nil, bearer(a.w.Actors[0].Bearer)).want(http.StatusOK)
		r := a.req("POST", "/api/v1/recordings/"+trashed.RecordingID+"/restore", nil, creds...)
		// Purged afterwards, so that the room's listing stays as the other cells expect.
		defer func() {
			a.req("DELETE", "/api/v1/recordings/"+trashed.RecordingID+"?force=true", nil, bearer(a.w.Actors[0].Bearer)).want(http.StatusOK)
		}()
		if !allowed {
			r.wantErr(refused, "")
			a.req("GET", "/api/v1/recordings/"+trashed.RecordingID, nil, bearer(a.w.Actors[0].Bearer)).want(http.StatusNotFound)
			return
		}
		r.want(http.StatusOK)
		a.req("GET", "/api/v1/recordings/"+trashed.RecordingID, nil, bearer(a.w.Actors[0].Bearer)).want(http.StatusOK)
	case core.RecActShare:
		r := a.req("POST", "/api/v1/recordings/"+id+"/shares", map[string]any{"access": "private"}, creds...)
		if !allowed {
			r.wantErr(refused, "")
			return
		}
		m := r.want(http.StatusCreated).obj()
		if !strings.Contains(str(t, m, "url"), "/recording/"+id+"?share=") || str(t, m, "secret") == "" || m["state"] != "active" {
			t.Errorf("created link %v", m)
		}
	}
}

func roomOf(w *conclavetest.AccessWorld, ac *conclavetest.AccessActor) *core.Room {
	if ac.Rec.RoomID == w.Internal.RoomID {
		return w.Internal
	}
	return w.Room
}

// TestShareLinkInABrowser is the share link as a fresh browser meets it: made with a
// password and an expiry by the owner, opened without an account, its media played in
// ranges, then revoked; the access log names each act with the browser as device.
func TestShareLinkInABrowser(t *testing.T) {
	a := newAccessStack(t)
	owner := bearer(a.w.Owner.Bearer)
	id := a.w.Rec.RecordingID
	exp := a.clk.Now().Add(24 * time.Hour).UnixMilli()
	m := a.req("POST", "/api/v1/recordings/"+id+"/shares", map[string]any{"password": "s3cret pass", "expiresAt": exp, "allowDownload": true, "maxUses": 5}, owner).want(http.StatusCreated).obj()
	u, err := url.Parse(str(t, m, "url"))
	if err != nil || u.Path != "/meet/recording/"+id {
		t.Fatalf("link url %v", m["url"])
	}
	linkID, secret := u.Query().Get("share"), u.Query().Get("secret")
	if linkID != m["linkId"] || secret != m["secret"] || m["passwordProtected"] != true || m["expiresAt"] != float64(exp) {
		t.Fatalf("created %v", m)
	}
	ua := header("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/140 TestBrowser")
	open := "/api/v1/shared-recordings/" + linkID + "?secret=" + url.QueryEscape(secret)
	if c := a.req("GET", open, nil, ua).wantErr(http.StatusUnauthorized, "Share Link Error")["code"]; c != "share_password_required" {
		t.Fatalf("no password: %v", c)
	}
	if c := a.req("GET", open, nil, ua, header("X-Share-Password", "wrong")).wantErr(http.StatusUnauthorized, "Share Link Error")["code"]; c != "share_password_wrong" {
		t.Fatalf("wrong password: %v", c)
	}
	got := a.req("GET", open, nil, ua, header("X-Share-Password", "s3cret pass")).want(http.StatusOK).obj()
	if sub(t, got, "recording")["recordingId"] != id || sub(t, got, "link")["allowDownload"] != true || got["token"] == "" {
		t.Fatalf("opened %v", got)
	}
	media := strings.TrimPrefix(str(t, got, "mediaUrl"), a.srv.URL+"/meet")
	streams, _ := got["streams"].([]any)
	if len(streams) != 2 {
		t.Fatalf("streams %v", got["streams"])
	}
	// Who was there, for the player's timeline: one row per participant of the streams.
	if people, _ := got["participants"].([]any); len(people) != 2 {
		t.Fatalf("participants %v", got["participants"])
	}
	// A viewing: bytes=0- then a seek; a stream of its own; a download.
	a.req("GET", media, nil, ua, header("Range", "bytes=0-")).want(http.StatusPartialContent)
	if r := a.req("GET", media, nil, ua, header("Range", "bytes=5-9")).want(http.StatusPartialContent); string(r.body) != "file " {
		t.Fatalf("range body %q", r.body)
	}
	stream1 := strings.TrimPrefix(streams[1].(map[string]any)["mediaUrl"].(string), a.srv.URL+"/meet")
	if r := a.req("GET", stream1, nil, ua).want(http.StatusOK); string(r.body) != "alice's camera" {
		t.Fatalf("stream 1 %q", r.body)
	}
	zipURL := strings.TrimPrefix(str(t, got, "zipUrl"), a.srv.URL+"/meet")
	zr := a.req("GET", zipURL, nil, ua).want(http.StatusOK)
	if zr.header.Get("Content-Type") != "application/zip" {
		t.Fatalf("zip content type %q", zr.header.Get("Content-Type"))
	}
	// The list shows its use; revoking stops it at once, for ever.
	list := a.req("GET", "/api/v1/recordings/"+id+"/shares", nil, owner).want(http.StatusOK).obj()
	var listed map[string]any
	for _, l := range list["shares"].([]any) {
		if l.(map[string]any)["linkId"] == linkID {
			listed = l.(map[string]any)
		}
	}
	if listed == nil || listed["uses"] != float64(1) || listed["lastUsed"] == nil || listed["secret"] != nil {
		t.Fatalf("listed %v", listed)
	}
	a.req("DELETE", "/api/v1/recordings/"+id+"/shares/"+linkID, nil, owner).want(http.StatusOK)
	if c := a.req("GET", media, nil, ua).wantErr(http.StatusGone, "Share Link Error")["code"]; c != "share_link_revoked" {
		t.Fatalf("media after revoke: %v", c)
	}
	if c := a.req("GET", open, nil, ua, header("X-Share-Password", "s3cret pass")).wantErr(http.StatusGone, "Share Link Error")["code"]; c != "share_link_revoked" {
		t.Fatalf("open after revoke: %v", c)
	}
	a.req("DELETE", "/api/v1/recordings/"+id+"/shares/"+linkID, nil, owner).want(http.StatusGone)

	// The access log, through REST, filtered by this link's time.
	log := a.req("GET", "/api/v1/recordings/"+id+"/access-log?maxItems=100&since="+fmt.Sprint(exp-24*3600*1000-1), nil, owner).want(http.StatusOK).obj()
	var acts []string
	for _, e := range log["entries"].([]any) {
		em := e.(map[string]any)
		if em["linkId"] != linkID {
			continue
		}
		acts = append(acts, em["action"].(string))
		if em["action"] != "share.create" && em["action"] != "share.revoke" && em["device"] != "http Mozilla/5.0 (X11; Linux x86_64) Chrome/140 TestBrowser" {
			t.Errorf("entry %v has no browser device", em)
		}
	}
	want := []string{"share.revoke", "zip", "play", "play", "share.use", "share.passwordFailed", "share.create"}
	if strings.Join(acts, ",") != strings.Join(want, ",") {
		t.Fatalf("access log of the link, newest first: %v, want %v", acts, want)
	}
}

// TestRecordingURL is OpenVidu Meet's GET …/url: public needs the room's anonymous
// recording access, private is for signed-in users, and the link plays.
func TestRecordingURL(t *testing.T) {
	a := newAccessStack(t)
	owner := bearer(a.w.Owner.Bearer)
	id := a.w.Rec.RecordingID
	pub := str(t, a.req("GET", "/api/v1/recordings/"+id+"/url", nil, owner).want(http.StatusOK).obj(), "url")
	priv := str(t, a.req("GET", "/api/v1/recordings/"+id+"/url?privateAccess=true", nil, owner).want(http.StatusOK).obj(), "url")
	a.req("GET", "/api/v1/recordings/"+id+"/url?privateAccess=maybe", nil, owner).wantDetail("privateAccess")
	a.req("GET", "/api/v1/recordings/"+id+"/url", nil).wantErr(http.StatusUnauthorized, "")
	a.req("GET", "/api/v1/recordings/"+a.w.Room.RoomID+"--nope/url", nil, owner).want(http.StatusNotFound)
	a.req("GET", "/api/v1/recordings/"+id+"/url", nil, bearer(a.w.Actor(t, conclavetest.ActMemberSpk).Bearer)).wantErr(http.StatusForbidden, "")
	openOf := func(link string) string {
		u, _ := url.Parse(link)
		return "/api/v1/shared-recordings/" + u.Query().Get("share") + "?secret=" + url.QueryEscape(u.Query().Get("secret"))
	}
	a.req("GET", openOf(pub), nil).want(http.StatusOK)
	a.req("GET", openOf(priv), nil).wantErr(http.StatusUnauthorized, "Share Link Error")
	a.req("GET", openOf(priv), nil, bearer(a.w.Actor(t, conclavetest.ActOtherManager).Bearer)).want(http.StatusOK)
	// With anonymous recording access off, no public url.
	a.req("PUT", "/api/v1/rooms/"+a.w.Room.RoomID+"/access", map[string]any{"access": map[string]any{"anonymous": map[string]any{"recording": map[string]any{"enabled": false}}}}, owner).want(http.StatusOK)
	m := a.req("GET", "/api/v1/recordings/"+id+"/url", nil, owner).wantErr(http.StatusForbidden, "Room Error")
	if !strings.Contains(m["message"].(string), "disabled for recordings") {
		t.Fatalf("refusal %v", m)
	}
}

// TestRecordingAccessBadInput: bad zip requests, forged links and absurd log filters are
// clear 4xx answers.
func TestRecordingAccessBadInput(t *testing.T) {
	a := newAccessStack(t)
	adm := bearer(a.w.Actors[0].Bearer)
	id := a.w.Rec.RecordingID
	ids := make([]string, 10_000)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s--x%d", a.w.Room.RoomID, i)
	}
	m := a.req("GET", "/api/v1/recordings/download?recordingIds="+strings.Join(ids, ","), nil, adm).wantErr(http.StatusBadRequest, "Recording Error")
	if !strings.Contains(m["message"].(string), "At most 100") {
		t.Fatalf("10,000 ids: %v", m)
	}
	a.req("GET", "/api/v1/recordings/download", nil, adm).wantDetail("recordingIds")
	a.req("GET", "/api/v1/recordings/download?recordingIds=nope,"+a.w.Room.RoomID+"--none", nil, adm).wantErr(http.StatusBadRequest, "Recording Error")
	a.req("GET", "/api/v1/recordings/"+id+"/download?format=tar", nil, adm).wantDetail("format")
	a.req("GET", "/api/v1/recordings/"+id+"/download?format=zip&stream=0", nil, adm).wantDetail("stream")
	// Zip of several with one of another room the caller may not download: named inside.
	spk := bearer(a.w.Actor(t, conclavetest.ActMemberMod).Bearer)
	r := a.req("GET", "/api/v1/recordings/download?recordingIds="+id+","+a.w.IntRec.RecordingID, nil, spk).want(http.StatusOK)
	zr, err := zip.NewReader(bytes.NewReader(r.body), int64(len(r.body)))
	if err != nil {
		t.Fatal(err)
	}
	var skipped string
	for _, f := range zr.File {
		if f.Name == core.ZipSkippedName {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			skipped = string(b)
		}
	}
	if !strings.Contains(skipped, a.w.IntRec.RecordingID) {
		t.Fatalf("SKIPPED.txt %q", skipped)
	}

	// Share links: forged ids, bad bodies, the media with no or a forged token.
	a.req("GET", "/api/v1/shared-recordings/shr_forged?secret=abc", nil).wantErr(http.StatusNotFound, "Share Link Error")
	a.req("GET", "/api/v1/shared-recordings/..%2Fx?secret=abc", nil).want(http.StatusNotFound)
	a.req("GET", "/api/v1/shared-recordings/"+a.w.Links[conclavetest.ActPublicLink].ID+"/media", nil).wantErr(http.StatusUnauthorized, "")
	a.req("GET", "/api/v1/shared-recordings/"+a.w.Links[conclavetest.ActPublicLink].ID+"/media?token=forged", nil).wantErr(http.StatusUnauthorized, "")
	owner := bearer(a.w.Owner.Bearer)
	shares := "/api/v1/recordings/" + id + "/shares"
	for body, field := range map[string]string{
		`{"password": ""}`: "password",
		`{"password": "` + strings.Repeat("p", 200_000) + `"}`: "password",
		`{"expiresAt": 1000}`:             "expiresAt",
		`{"expiresAt": 9007199254740991}`: "expiresAt",
		`{"maxUses": -3}`:                 "maxUses",
		`{"maxUses": 1e15}`:               "maxUses",
		`{"access": "world"}`:             "access",
		`{"allowDownload": "yes"}`:        "allowDownload",
		`{"colour": "red"}`:               "colour",
	} {
		a.req("POST", shares, body, owner).wantDetail(field)
	}
	if r := a.req("POST", shares, `{"password": "`+strings.Repeat("p", 2<<20)+`"}`, owner); r.status < 400 || r.status >= 500 {
		t.Fatalf("2 MiB password: %d", r.status)
	}
	a.req("DELETE", shares+"/shr_nosuch", nil, owner).wantErr(http.StatusNotFound, "Share Link Error")
	a.req("DELETE", "/api/v1/recordings/"+a.w.IntRec.RecordingID+"/shares/"+a.w.Links[conclavetest.ActPublicLink].ID, nil, owner).wantErr(http.StatusNotFound, "Share Link Error")

	// The access log's filters.
	for _, q := range []string{"since=-5", "until=abc", "since=2000&until=1000", "until=99999999999999999", "maxItems=0", "sortField=actor", "nextPageToken=garbage"} {
		a.req("GET", "/api/v1/access-log?"+q, nil, adm).wantErr(http.StatusUnprocessableEntity, "")
	}
	a.req("GET", "/api/v1/access-log", nil, bearer(a.w.Actor(t, conclavetest.ActMemberMod).Bearer)).wantErr(http.StatusForbidden, "")
	a.req("GET", "/api/v1/access-log", nil, memberTok(a.w.Actor(t, conclavetest.ActAnonMod).MemberToken)).wantErr(http.StatusUnauthorized, "")
	page := a.req("GET", "/api/v1/access-log?maxItems=3&roomId="+a.w.Room.RoomID, nil, adm).want(http.StatusOK).obj()
	next := sub(t, page, "pagination")["nextPageToken"]
	if entries, _ := page["entries"].([]any); len(entries) != 3 || next == nil {
		t.Fatalf("first page %v", page)
	}
	a.req("GET", "/api/v1/access-log?maxItems=3&roomId="+a.w.Room.RoomID+"&nextPageToken="+url.QueryEscape(next.(string)), nil, adm).want(http.StatusOK)
}

// TestInternalMembersOnlyConfig: the room setting is validated, kept and shown, and shuts
// the room's external member out of its recordings at once.
func TestInternalMembersOnlyConfig(t *testing.T) {
	a := newAccessStack(t)
	owner := bearer(a.w.Owner.Bearer)
	room := a.w.Room.RoomID
	cfg := func(v any) map[string]any {
		return map[string]any{"config": map[string]any{"recording": map[string]any{"internalMembersOnly": v}}}
	}
	a.req("PUT", "/api/v1/rooms/"+room+"/config", cfg("yes"), owner).wantDetail("config.recording.internalMembersOnly")
	got := a.req("GET", "/api/v1/rooms/"+room+"/config", nil, owner).want(http.StatusOK).obj()
	if sub(t, got, "recording")["internalMembersOnly"] != false {
		t.Fatalf("config %v", got)
	}
	anonRec := memberTok(a.w.Actor(t, conclavetest.ActAnonRec).MemberToken)
	a.req("GET", "/api/v1/recordings/"+a.w.Rec.RecordingID+"/media", nil, anonRec).want(http.StatusOK)
	a.req("PUT", "/api/v1/rooms/"+room+"/config", cfg(true), owner).want(http.StatusOK)
	if got := a.req("GET", "/api/v1/rooms/"+room+"/config", nil, owner).want(http.StatusOK).obj(); sub(t, got, "recording")["internalMembersOnly"] != true {
		t.Fatalf("config after setting %v", got)
	}
	// Rooms' roles did not change, so the anonymous token lives on: the setting alone
	// refuses it, and the room's internal member still watches.
	a.req("GET", "/api/v1/recordings/"+a.w.Rec.RecordingID+"/media", nil, anonRec).wantErr(http.StatusForbidden, "")
	a.req("GET", "/api/v1/recordings/"+a.w.Rec.RecordingID+"/media", nil, bearer(a.w.Actor(t, conclavetest.ActMemberSpk).Bearer)).want(http.StatusOK)
	items, _ := a.req("GET", "/api/v1/recordings", nil, anonRec).want(http.StatusOK).obj()["recordings"].([]any)
	if len(items) != 0 {
		t.Fatalf("an anonymous link lists %d recordings of an internal-only room", len(items))
	}
}
