package web_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"conclave/core"
)

// setStatus changes a room's status in the database directly, as a crash would leave it
// (marked live with nobody in core's registry), so that REST's answers to each status can
// be checked without a meeting.
func (s *stack) setStatus(roomID, status string) {
	s.t.Helper()
	ctx := context.Background()
	r, err := s.db.GetRoom(ctx, roomID)
	if err != nil {
		s.t.Fatalf("get room: %v", err)
	}
	r.Status = status
	if err := s.db.UpdateRoom(ctx, r); err != nil {
		s.t.Fatalf("update room: %v", err)
	}
}

var roomIDPattern = regexp.MustCompile(`^[a-z0-9_]+-[a-z0-9]{15}$`)

func TestCreateRoomDefaults(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	r := s.req("POST", "/api/v1/rooms", map[string]any{}, bearer(adm))
	room := r.want(http.StatusCreated).obj()
	wantKeys(t, room, "roomId", "roomName", "owner", "creationDate", "autoDeletionPolicy", "access", "status",
		"rolesUpdatedAt", "meetingEndAction", "_extraFields")
	id := str(t, room, "roomId")
	if !strings.HasPrefix(id, "room-") || !roomIDPattern.MatchString(id) {
		t.Fatalf("roomId %q: want room-<15 random>", id)
	}
	if room["roomName"] != "Room" || room["owner"] != "admin" || room["status"] != "open" || room["meetingEndAction"] != "none" {
		t.Fatalf("room %v", room)
	}
	if fmt.Sprint(room["_extraFields"]) != "[config roles]" {
		t.Fatalf("_extraFields %v", room["_extraFields"])
	}
	pol := sub(t, room, "autoDeletionPolicy")
	if pol["withMeeting"] != "when_meeting_ends" || pol["withRecordings"] != "close" {
		t.Fatalf("policy %v", pol)
	}
	if loc := r.header.Get("Location"); loc != s.srv.URL+"/meet/api/v1/rooms/"+id {
		t.Fatalf("Location %q", loc)
	}
	acc := sub(t, room, "access")
	wantKeys(t, acc, "anonymous", "user")
	base := s.srv.URL + "/meet/room/" + id
	secrets := map[string]bool{}
	for _, role := range []string{"moderator", "speaker", "recording"} {
		a := sub(t, acc, "anonymous", role)
		wantKeys(t, a, "enabled", "url")
		url := str(t, a, "url")
		want := base + "?secret="
		if role == "recording" {
			want = base + "/recordings?secret="
		}
		if a["enabled"] != true || !strings.HasPrefix(url, want) {
			t.Fatalf("%s access %v: want enabled and url %s…", role, a, want)
		}
		secrets[secretOf(t, url)] = true
	}
	if len(secrets) != 3 {
		t.Fatalf("secrets not distinct: %v", secrets)
	}
	user := sub(t, acc, "user")
	if user["enabled"] != false || user["url"] != base {
		t.Fatalf("user access %v", user)
	}

	full := s.room(bearer(adm), nil)
	cfg := sub(t, full, "config")
	wantKeys(t, cfg, "chat", "recording", "virtualBackground", "e2ee", "captions")
	rec := sub(t, cfg, "recording")
	if rec["enabled"] != true || rec["layout"] != "grid" || rec["autoStart"] != false || rec["retentionDays"] != float64(0) {
		t.Fatalf("recording config %v", rec)
	}
	if sub(t, cfg, "chat")["enabled"] != true || sub(t, cfg, "e2ee")["enabled"] != false {
		t.Fatalf("config %v", cfg)
	}
	mod := sub(t, full, "roles", "moderator", "permissions")
	spk := sub(t, full, "roles", "speaker", "permissions")
	if len(mod) != len(core.PermissionKeys) || len(spk) != len(core.PermissionKeys) {
		t.Fatalf("roles must list every permission: %v / %v", mod, spk)
	}
	for _, k := range core.PermissionKeys {
		if mod[k] != true {
			t.Fatalf("moderator lacks %s", k)
		}
	}
	if spk["recordingPlay"] != true || spk["recordingDownload"] != false || spk["roomShareAccessLinks"] != false {
		t.Fatalf("speaker defaults %v: speakers watch but do not download or share links", spk)
	}
}

func TestCreateRoomOptions(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	when := time.Now().Add(2 * time.Hour).UnixMilli()
	room := s.room(bearer(adm), map[string]any{
		"roomName":           "Team Sync!",
		"autoDeletionDate":   when,
		"autoDeletionPolicy": map[string]any{"withMeeting": "force", "withRecordings": "force"},
		"config": map[string]any{
			"chat":      map[string]any{"enabled": false},
			"recording": map[string]any{"enabled": false, "layout": "speaker", "encoding": "H264_720P_30", "retentionDays": 30},
			"unknown":   "ignored",
		},
		"roles": map[string]any{
			"speaker": map[string]any{"permissions": map[string]any{"mediaShareScreen": false, "canRecord": true}},
		},
		"access":     map[string]any{"anonymous": map[string]any{"moderator": map[string]any{"enabled": false}}, "user": map[string]any{"enabled": true}},
		"someClient": "field",
	})
	if !strings.HasPrefix(str(t, room, "roomId"), "team_sync-") || room["roomName"] != "Team Sync!" {
		t.Fatalf("room %v", room)
	}
	if room["autoDeletionDate"] != float64(when) {
		t.Fatalf("autoDeletionDate %v, want %d", room["autoDeletionDate"], when)
	}
	if sub(t, room, "autoDeletionPolicy")["withMeeting"] != "force" {
		t.Fatalf("policy %v", room["autoDeletionPolicy"])
	}
	rec := sub(t, room, "config", "recording")
	if rec["enabled"] != false || rec["layout"] != "speaker" || rec["encoding"] != "H264_720P_30" || rec["retentionDays"] != float64(30) {
		t.Fatalf("recording %v", rec)
	}
	if sub(t, room, "config", "chat")["enabled"] != false {
		t.Fatalf("chat %v", room["config"])
	}
	spk := sub(t, room, "roles", "speaker", "permissions")
	if spk["mediaShareScreen"] != false || spk["recordingControl"] != true {
		t.Fatalf("speaker %v: canRecord (3.8 name) maps to recordingControl", spk)
	}
	if sub(t, room, "access", "anonymous", "moderator")["enabled"] != false || sub(t, room, "access", "user")["enabled"] != true {
		t.Fatalf("access %v", room["access"])
	}
	// roomName null takes the default.
	r := s.room(bearer(adm), map[string]any{"roomName": nil, "autoDeletionDate": nil})
	if r["roomName"] != "Room" {
		t.Fatalf("roomName %v", r["roomName"])
	}
}

func TestCreateRoomRefused(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	s.req("POST", "/api/v1/rooms", map[string]any{}).wantErr(http.StatusUnauthorized, "Authentication Error")
	member := s.user(adm, "member1", "room_member")
	s.req("POST", "/api/v1/rooms", map[string]any{}, bearer(member)).wantErr(http.StatusForbidden, "Authorization Error")

	past := time.Now().Add(-time.Hour).UnixMilli()
	cases := []struct {
		body  any
		field string
		msg   string
	}{
		{map[string]any{"roomName": strings.Repeat("x", 51)}, "roomName", ""},
		{map[string]any{"roomName": 42}, "roomName", "Expected string but got number"},
		{map[string]any{"roomName": ""}, "roomName", ""},
		{map[string]any{"autoDeletionDate": past}, "autoDeletionDate", ""},
		{map[string]any{"autoDeletionDate": "tomorrow"}, "autoDeletionDate", "Expected number but got string"},
		{map[string]any{"autoDeletionDate": 1.5}, "autoDeletionDate", ""},
		{map[string]any{"autoDeletionPolicy": map[string]any{"withMeeting": "fail"}}, "autoDeletionPolicy.withMeeting", ""},
		{map[string]any{"autoDeletionPolicy": "force"}, "autoDeletionPolicy", "Expected object but got string"},
		{map[string]any{"config": map[string]any{"chat": map[string]any{"enabled": "yes"}}}, "config.chat.enabled", "Expected boolean but got string"},
		{map[string]any{"config": map[string]any{"recording": map[string]any{"layout": "mosaic"}}}, "config.recording.layout", ""},
		{map[string]any{"config": map[string]any{"recording": map[string]any{"retentionDays": -1}}}, "config.recording.retentionDays", ""},
		{map[string]any{"config": map[string]any{"recording": map[string]any{"encoding": "H265_8K"}}}, "config.recording.encoding", ""},
		{map[string]any{"config": map[string]any{"recording": map[string]any{"encoding": map[string]any{"video": map[string]any{}}}}}, "config.recording.encoding.audio", "Required"},
		{map[string]any{"config": []any{}}, "config", "Expected object but got array"},
		{map[string]any{"roles": map[string]any{"speaker": map[string]any{"permissions": map[string]any{"fly": true}}}}, "roles.speaker.permissions.fly", ""},
		{map[string]any{"roles": map[string]any{"moderator": map[string]any{"permissions": map[string]any{"chatRead": "no"}}}}, "roles.moderator.permissions.chatRead", "Expected boolean but got string"},
		{map[string]any{"access": map[string]any{"user": map[string]any{"enabled": 1}}}, "access.user.enabled", "Expected boolean but got number"},
		{[]any{}, "body", "Expected object but got array"},
		{`"room"`, "body", "Expected object but got string"},
		{`null`, "body", "Expected object but got null"},
	}
	for _, c := range cases {
		d := s.req("POST", "/api/v1/rooms", c.body, bearer(adm)).wantDetail(c.field)
		if c.msg != "" && d["message"] != c.msg {
			t.Errorf("%v: detail %v, want message %q", c.body, d, c.msg)
		}
	}
	for _, raw := range []string{`{"roomName": "x"`, `{roomName: "x"}`, `abc`, `{"a":1}{"b":2}`, "{\"roomName\": \"\xff\"}"} {
		m := s.req("POST", "/api/v1/rooms", raw, bearer(adm)).wantErr(http.StatusBadRequest, "Bad Request")
		if !strings.HasPrefix(m["message"].(string), "Malformed JSON body") {
			t.Errorf("%q: message %v", raw, m["message"])
		}
	}
	big := `{"roomName":"` + strings.Repeat("a", 1<<20) + `"}`
	s.req("POST", "/api/v1/rooms", big, bearer(adm)).wantErr(http.StatusRequestEntityTooLarge, "Payload Too Large")
	// None of that created a room.
	list := s.req("GET", "/api/v1/rooms", nil, bearer(adm)).want(http.StatusOK).obj()
	if n := len(list["rooms"].([]any)); n != 0 {
		t.Fatalf("%d rooms exist after refused requests", n)
	}
}

func TestGetRoomProjection(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	id := str(t, s.room(bearer(adm), nil), "roomId")
	path := "/api/v1/rooms/" + id

	m := s.req("GET", path+"?fields=roomId,roomName", nil, bearer(adm)).want(http.StatusOK).obj()
	wantKeys(t, m, "roomId", "roomName", "_extraFields")
	m = s.req("GET", path+"?fields=roomId", nil, bearer(adm), header("X-Fields", "status")).want(http.StatusOK).obj()
	wantKeys(t, m, "roomId", "status", "_extraFields")
	m = s.req("GET", path+"?fields=roomId&extraFields=config", nil, bearer(adm)).want(http.StatusOK).obj()
	wantKeys(t, m, "roomId", "config", "_extraFields")
	m = s.req("GET", path+"?fields=config", nil, bearer(adm)).want(http.StatusOK).obj()
	wantKeys(t, m, "config", "_extraFields")
	m = s.req("GET", path, nil, bearer(adm), header("X-ExtraFields", "roles")).want(http.StatusOK).obj()
	if _, ok := m["roles"]; !ok {
		t.Fatalf("X-ExtraFields roles ignored: %v", m)
	}
	if _, ok := m["config"]; ok {
		t.Fatalf("config shown without being asked: %v", m)
	}
	m = s.req("GET", path+"?fields=access,nonsense", nil, bearer(adm)).want(http.StatusOK).obj()
	wantKeys(t, m, "access", "_extraFields")
}

func TestGetRoomAccess(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	owner := s.user(adm, "owner_one", "room_manager")
	other := s.user(adm, "other_one", "room_manager")
	id := str(t, s.room(bearer(owner), nil), "roomId")
	path := "/api/v1/rooms/" + id

	m := s.req("GET", path, nil, bearer(owner)).want(http.StatusOK).obj()
	if _, ok := sub(t, m, "access", "anonymous", "speaker")["url"]; !ok || m["owner"] != "owner_one" {
		t.Fatalf("owner sees %v", m)
	}
	s.req("GET", path, nil, bearer(other)).wantErr(http.StatusForbidden, "Authorization Error")
	s.req("GET", path, nil).wantErr(http.StatusUnauthorized, "Authentication Error")
	nf := s.req("GET", "/api/v1/rooms/nope-123456789012345", nil, bearer(adm)).wantErr(http.StatusNotFound, "Room Error")
	if nf["message"] != `Room "nope-123456789012345" does not exist` {
		t.Fatalf("message %v", nf["message"])
	}
	// With user access on, any signed-in user enters as speaker: no anonymous links.
	s.req("PUT", path+"/access", map[string]any{"access": map[string]any{"user": map[string]any{"enabled": true}}}, bearer(owner)).
		want(http.StatusOK)
	m = s.req("GET", path, nil, bearer(other)).want(http.StatusOK).obj()
	for _, role := range []string{"moderator", "speaker", "recording"} {
		a := sub(t, m, "access", "anonymous", role)
		wantKeys(t, a, "enabled")
	}
	if sub(t, m, "access", "user")["url"] != s.srv.URL+"/meet/room/"+id {
		t.Fatalf("user url missing: %v", m["access"])
	}
	// The listing hides them the same way.
	list := s.req("GET", "/api/v1/rooms", nil, bearer(other)).want(http.StatusOK).obj()
	rooms := list["rooms"].([]any)
	if len(rooms) != 1 {
		t.Fatalf("other sees %d rooms, want the one with user access", len(rooms))
	}
	wantKeys(t, sub(t, rooms[0].(map[string]any), "access", "anonymous", "moderator"), "enabled")
	list = s.req("GET", "/api/v1/rooms", nil, bearer(owner)).want(http.StatusOK).obj()
	if _, ok := sub(t, list["rooms"].([]any)[0].(map[string]any), "access", "anonymous", "moderator")["url"]; !ok {
		t.Fatalf("owner's listing lacks links: %v", list)
	}
}

func TestDeleteRoom(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	mgr := s.user(adm, "manager1", "room_manager")
	id := str(t, s.room(bearer(adm), nil), "roomId")
	path := "/api/v1/rooms/" + id

	s.req("DELETE", path, nil).wantErr(http.StatusUnauthorized, "Authentication Error")
	s.req("DELETE", path, nil, bearer(mgr)).wantErr(http.StatusForbidden, "Authorization Error")
	s.req("DELETE", path+"?withMeeting=later", nil, bearer(adm)).wantDetail("withMeeting")
	s.req("DELETE", path+"?withRecordings=keep", nil, bearer(adm)).wantDetail("withRecordings")

	s.setStatus(id, "active_meeting")
	m := s.req("DELETE", path, nil, bearer(adm)).wantErr(http.StatusConflict, "room_has_active_meeting")
	if m["message"] != "Room '"+id+"' cannot be deleted because it has an active meeting" {
		t.Fatalf("message %v", m["message"])
	}
	m = s.req("DELETE", path+"?withMeeting=when_meeting_ends", nil, bearer(adm)).want(http.StatusAccepted).obj()
	wantKeys(t, m, "successCode", "message", "room")
	if m["successCode"] != "room_with_active_meeting_scheduled_to_be_deleted" ||
		m["message"] != "Room '"+id+"' with active meeting scheduled to be deleted when the meeting ends" {
		t.Fatalf("scheduled deletion %v", m)
	}
	if room := sub(t, m, "room"); room["meetingEndAction"] != "delete" || room["_extraFields"] == nil {
		t.Fatalf("room %v", room)
	}
	m = s.req("DELETE", path+"?withMeeting=force", nil, bearer(adm)).want(http.StatusOK).obj()
	wantKeys(t, m, "successCode", "message")
	if m["successCode"] != "room_with_active_meeting_deleted" {
		t.Fatalf("forced deletion %v", m)
	}
	s.req("GET", path, nil, bearer(adm)).wantErr(http.StatusNotFound, "Room Error")
	s.req("DELETE", path, nil, bearer(adm)).wantErr(http.StatusNotFound, "Room Error")

	id2 := str(t, s.room(bearer(adm), nil), "roomId")
	m = s.req("DELETE", "/api/v1/rooms/"+id2, nil, bearer(adm)).want(http.StatusOK).obj()
	if m["successCode"] != "room_deleted" || m["message"] != "Room '"+id2+"' deleted successfully" {
		t.Fatalf("deletion %v", m)
	}
}

func TestBulkDeleteRooms(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	a := str(t, s.room(bearer(adm), nil), "roomId")
	b := str(t, s.room(bearer(adm), nil), "roomId")
	c := str(t, s.room(bearer(adm), nil), "roomId")
	s.setStatus(c, "active_meeting")

	m := s.req("DELETE", "/api/v1/rooms?roomIds="+a+",ghost-room,"+c, nil, bearer(adm)).want(http.StatusBadRequest).obj()
	wantKeys(t, m, "message", "deleted", "failed")
	if m["message"] != "2 room(s) failed to process while deleting" {
		t.Fatalf("message %v", m["message"])
	}
	del := m["deleted"].([]any)
	if len(del) != 1 {
		t.Fatalf("deleted %v", del)
	}
	d0 := del[0].(map[string]any)
	wantKeys(t, d0, "roomId", "successCode", "message")
	if d0["roomId"] != a || d0["successCode"] != "room_deleted" {
		t.Fatalf("deleted %v", d0)
	}
	failed := m["failed"].([]any)
	f0, f1 := failed[0].(map[string]any), failed[1].(map[string]any)
	wantKeys(t, f0, "roomId", "error", "message")
	if f0["roomId"] != "ghost-room" || f0["error"] != "Room Error" || f1["roomId"] != c || f1["error"] != "room_has_active_meeting" {
		t.Fatalf("failed %v", failed)
	}
	m = s.req("DELETE", "/api/v1/rooms?roomIds="+b+","+c+"&withMeeting=when_meeting_ends", nil, bearer(adm)).want(http.StatusOK).obj()
	if m["message"] != "Bulk deletion request processed successfully" || len(m["failed"].([]any)) != 0 {
		t.Fatalf("bulk %v", m)
	}
	if d := m["deleted"].([]any)[1].(map[string]any); d["successCode"] != "room_with_active_meeting_scheduled_to_be_deleted" || d["room"] == nil {
		t.Fatalf("scheduled %v", d)
	}
	s.req("DELETE", "/api/v1/rooms", nil, bearer(adm)).wantDetail("roomIds")
	s.req("DELETE", "/api/v1/rooms?roomIds=x&withRecordings=maybe", nil, bearer(adm)).wantDetail("withRecordings")
	s.req("DELETE", "/api/v1/rooms?roomIds=x", nil).wantErr(http.StatusUnauthorized, "Authentication Error")
}

func TestRoomConfig(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	mgr := s.user(adm, "manager1", "room_manager")
	id := str(t, s.room(bearer(adm), nil), "roomId")
	path := "/api/v1/rooms/" + id + "/config"

	cfg := s.req("GET", path, nil, bearer(adm)).want(http.StatusOK).obj()
	wantKeys(t, cfg, "chat", "recording", "virtualBackground", "e2ee", "captions")
	s.req("GET", path, nil, bearer(mgr)).wantErr(http.StatusForbidden, "Authorization Error")
	s.req("GET", "/api/v1/rooms/ghost-1/config", nil, bearer(adm)).wantErr(http.StatusNotFound, "Room Error")
	s.req("GET", path, nil).wantErr(http.StatusUnauthorized, "Authentication Error")

	cfg = s.req("PUT", path, map[string]any{"config": map[string]any{"chat": map[string]any{"enabled": false},
		"recording": map[string]any{"autoStart": true}}}, bearer(adm)).want(http.StatusOK).obj()
	if sub(t, cfg, "chat")["enabled"] != false || sub(t, cfg, "recording")["autoStart"] != true || sub(t, cfg, "recording")["enabled"] != true {
		t.Fatalf("config %v", cfg)
	}
	s.req("PUT", path, map[string]any{}, bearer(adm)).wantDetail("config")
	s.req("PUT", path, map[string]any{"config": map[string]any{"virtualBackground": map[string]any{"enabled": "off"}}}, bearer(adm)).
		wantDetail("config.virtualBackground.enabled")
	s.req("PUT", path, map[string]any{"config": map[string]any{}}, bearer(mgr)).wantErr(http.StatusForbidden, "Authorization Error")
	s.req("PUT", "/api/v1/rooms/ghost-1/config", map[string]any{"config": map[string]any{}}, bearer(adm)).wantErr(http.StatusNotFound, "Room Error")

	// During a meeting only turning recording off is allowed.
	s.setStatus(id, "active_meeting")
	s.req("PUT", path, map[string]any{"config": map[string]any{"chat": map[string]any{"enabled": true}}}, bearer(adm)).
		wantErr(http.StatusConflict, "Room Error")
	s.req("PUT", path, map[string]any{"config": map[string]any{"recording": map[string]any{"enabled": false}}}, bearer(adm)).
		want(http.StatusOK)
	cfg = s.req("GET", path, nil, bearer(adm)).want(http.StatusOK).obj()
	if sub(t, cfg, "chat")["enabled"] != false || sub(t, cfg, "recording")["enabled"] != false {
		t.Fatalf("config after refused and allowed changes %v", cfg)
	}
}

func TestRoomRoles(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	room := s.room(bearer(adm), nil)
	id := str(t, room, "roomId")
	path := "/api/v1/rooms/" + id + "/roles"

	time.Sleep(2 * time.Millisecond)
	roles := s.req("PUT", path, map[string]any{"roles": map[string]any{"speaker": map[string]any{"permissions": map[string]any{"recordingDownload": true}}}},
		bearer(adm)).want(http.StatusOK).obj()
	wantKeys(t, roles, "moderator", "speaker")
	if sub(t, roles, "speaker", "permissions")["recordingDownload"] != true {
		t.Fatalf("roles %v", roles)
	}
	after := s.req("GET", "/api/v1/rooms/"+id, nil, bearer(adm)).want(http.StatusOK).obj()
	if after["rolesUpdatedAt"].(float64) <= room["rolesUpdatedAt"].(float64) {
		t.Fatalf("rolesUpdatedAt did not move: %v -> %v", room["rolesUpdatedAt"], after["rolesUpdatedAt"])
	}
	// The OpenAPI document's `config` member is accepted too.
	roles = s.req("PUT", path, map[string]any{"config": map[string]any{"moderator": map[string]any{"permissions": map[string]any{"meetingEnd": false}}}},
		bearer(adm)).want(http.StatusOK).obj()
	if sub(t, roles, "moderator", "permissions")["meetingEnd"] != false {
		t.Fatalf("config fallback ignored: %v", roles)
	}
	roles = s.req("PUT", path, map[string]any{"recordingAccess": "admin"}, bearer(adm)).want(http.StatusOK).obj()
	if sub(t, roles, "moderator", "permissions")["recordingPlay"] != false || sub(t, roles, "speaker", "permissions")["recordingList"] != false {
		t.Fatalf("preset admin: %v", roles)
	}
	roles = s.req("PUT", path, map[string]any{"roles": map[string]any{"recordingAccess": "admin_moderator_speaker"}}, bearer(adm)).want(http.StatusOK).obj()
	if sub(t, roles, "speaker", "permissions")["recordingPlay"] != true || sub(t, roles, "speaker", "permissions")["recordingDownload"] != false {
		t.Fatalf("preset admin_moderator_speaker: %v", roles)
	}
	s.req("PUT", path, map[string]any{"recordingAccess": "everyone"}, bearer(adm)).wantDetail("roles.recordingAccess")
	s.req("PUT", path, map[string]any{}, bearer(adm)).wantDetail("roles")
	s.req("PUT", path, map[string]any{"roles": map[string]any{"speaker": map[string]any{"permissions": map[string]any{"teleport": true}}}}, bearer(adm)).
		wantDetail("roles.speaker.permissions.teleport")
	s.req("PUT", path, map[string]any{"roles": "all"}, bearer(adm)).wantDetail("roles")
	s.req("PUT", "/api/v1/rooms/ghost-1/roles", map[string]any{"roles": map[string]any{}}, bearer(adm)).wantErr(http.StatusNotFound, "Room Error")
	s.setStatus(id, "active_meeting")
	s.req("PUT", path, map[string]any{"roles": map[string]any{}}, bearer(adm)).wantErr(http.StatusConflict, "Room Error")
}

func TestRoomAccessAndStatus(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	id := str(t, s.room(bearer(adm), nil), "roomId")
	path := "/api/v1/rooms/" + id

	acc := s.req("PUT", path+"/access", map[string]any{"access": map[string]any{
		"anonymous": map[string]any{"speaker": map[string]any{"enabled": false}}, "user": map[string]any{"enabled": true}}},
		bearer(adm)).want(http.StatusOK).obj()
	wantKeys(t, acc, "anonymous", "user")
	sp := sub(t, acc, "anonymous", "speaker")
	if sp["enabled"] != false || sp["url"] == nil || sub(t, acc, "user")["enabled"] != true {
		t.Fatalf("access %v", acc)
	}
	// The disabled link's secret no longer admits anyone.
	s.req("POST", "/internal-api/v1/rooms/"+id+"/members/token", map[string]any{"secret": secretOf(t, sp["url"].(string))}).
		wantErr(http.StatusBadRequest, "Room Error")
	s.req("PUT", path+"/access", map[string]any{}, bearer(adm)).wantDetail("access")
	s.req("PUT", path+"/access", map[string]any{"access": map[string]any{"anonymous": map[string]any{"moderator": true}}}, bearer(adm)).
		wantDetail("access.anonymous.moderator")

	room := s.req("PUT", path+"/status", map[string]any{"status": "closed"}, bearer(adm)).want(http.StatusOK).obj()
	if room["status"] != "closed" || room["_extraFields"] == nil {
		t.Fatalf("room %v", room)
	}
	modSecret := secretOf(t, sub(t, s.req("GET", path, nil, bearer(adm)).want(http.StatusOK).obj(), "access", "anonymous", "moderator")["url"].(string))
	m := s.req("POST", "/internal-api/v1/rooms/"+id+"/members/token",
		map[string]any{"secret": modSecret, "joinMeeting": true, "participantName": "Ann"}).wantErr(http.StatusConflict, "Room Error")
	if m["message"] != "Room '"+id+"' is closed and cannot be joined" {
		t.Fatalf("message %v", m["message"])
	}
	s.req("PUT", path+"/status", map[string]any{"status": "open"}, bearer(adm)).want(http.StatusOK)
	s.req("PUT", path+"/status", map[string]any{"status": "ajar"}, bearer(adm)).wantDetail("status")
	s.req("PUT", path+"/status", map[string]any{}, bearer(adm)).wantDetail("status")
	s.req("PUT", path+"/status", map[string]any{"status": 1}, bearer(adm)).wantDetail("status")
	s.setStatus(id, "active_meeting")
	room = s.req("PUT", path+"/status", map[string]any{"status": "closed"}, bearer(adm)).want(http.StatusAccepted).obj()
	if room["status"] != "active_meeting" || room["meetingEndAction"] != "close" {
		t.Fatalf("scheduled closing %v", room)
	}
	s.req("PUT", "/api/v1/rooms/ghost-1/status", map[string]any{"status": "open"}, bearer(adm)).wantErr(http.StatusNotFound, "Room Error")
}
