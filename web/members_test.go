package web_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestAddMembers(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	owner := s.user(adm, "owner_one", "room_manager")
	other := s.user(adm, "other_one", "room_manager")
	s.user(adm, "member_one", "room_member")
	room := s.room(bearer(owner), nil)
	id := str(t, room, "roomId")
	path := "/api/v1/rooms/" + id + "/members"

	r := s.req("POST", path, map[string]any{"userId": "member_one", "baseRole": "speaker",
		"customPermissions": map[string]any{"mediaShareScreen": false}}, bearer(owner))
	m := r.want(http.StatusCreated).obj()
	wantKeys(t, m, "memberId", "roomId", "type", "name", "membershipDate", "accessUrl", "baseRole",
		"customPermissions", "permissionsUpdatedAt", "_extraFields")
	if m["memberId"] != "member_one" || m["roomId"] != id || m["type"] != "user" || m["name"] != "User member_one" ||
		m["baseRole"] != "speaker" || m["accessUrl"] != s.srv.URL+"/meet/room/"+id {
		t.Fatalf("member %v", m)
	}
	cp := sub(t, m, "customPermissions")
	wantKeys(t, cp, "mediaShareScreen")
	if loc := r.header.Get("Location"); loc != s.srv.URL+"/meet/api/v1/rooms/"+id+"/members/member_one" {
		t.Fatalf("Location %q", loc)
	}

	ext := s.req("POST", path, map[string]any{"name": "Guest Bob", "baseRole": "moderator"}, bearer(owner),
		header("X-ExtraFields", "effectivePermissions")).want(http.StatusCreated).obj()
	extID := str(t, ext, "memberId")
	if !strings.HasPrefix(extID, "ext-") || ext["type"] != "identified_guest" || ext["name"] != "Guest Bob" ||
		ext["accessUrl"] != s.srv.URL+"/meet/room/"+id+"?secret="+extID {
		t.Fatalf("external member %v", ext)
	}
	eff := sub(t, ext, "effectivePermissions")
	if eff["meetingEnd"] != true || eff["roomShareAccessLinks"] != true || len(eff) != 18 {
		t.Fatalf("moderator effective permissions %v", eff)
	}

	s.req("POST", path, map[string]any{"userId": "member_one", "baseRole": "speaker"}, bearer(owner)).
		wantErr(http.StatusConflict, "Room Member Error")
	s.req("POST", path, map[string]any{"userId": "owner_one", "baseRole": "speaker"}, bearer(owner)).
		wantErr(http.StatusConflict, "Room Member Error")
	s.req("POST", path, map[string]any{"userId": "admin", "baseRole": "speaker"}, bearer(owner)).
		wantErr(http.StatusConflict, "Room Member Error")
	s.req("POST", path, map[string]any{"userId": "ghost_user", "baseRole": "speaker"}, bearer(owner)).
		wantErr(http.StatusNotFound, "User Error")
	s.req("POST", path, map[string]any{"name": "X"}, bearer(owner)).wantDetail("baseRole")
	s.req("POST", path, map[string]any{"name": "X", "baseRole": "boss"}, bearer(owner)).wantDetail("baseRole")
	s.req("POST", path, map[string]any{"baseRole": "speaker"}, bearer(owner)).wantDetail("name")
	s.req("POST", path, map[string]any{"name": "X", "baseRole": "speaker", "customPermissions": map[string]any{"x": true}}, bearer(owner)).
		wantDetail("customPermissions.x")
	s.req("POST", path, map[string]any{"name": "X", "baseRole": "speaker", "customPermissions": []any{"chatRead"}}, bearer(owner)).
		wantDetail("customPermissions")
	s.req("POST", path, map[string]any{"name": "X", "baseRole": "speaker"}).wantErr(http.StatusUnauthorized, "Authentication Error")
	s.req("POST", path, map[string]any{"name": "X", "baseRole": "speaker"}, bearer(other)).wantErr(http.StatusForbidden, "Authorization Error")
	s.req("POST", "/api/v1/rooms/ghost-1/members", map[string]any{"name": "X", "baseRole": "speaker"}, bearer(adm)).
		wantErr(http.StatusNotFound, "Room Error")
	list := s.req("GET", path, nil, bearer(owner)).want(http.StatusOK).obj()
	if n := len(list["members"].([]any)); n != 2 {
		t.Fatalf("%d members after refused additions, want 2", n)
	}
}

func TestListGetUpdateMembers(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	s.user(adm, "member_one", "room_member")
	id := str(t, s.room(bearer(adm), nil), "roomId")
	path := "/api/v1/rooms/" + id + "/members"
	s.req("POST", path, map[string]any{"userId": "member_one", "baseRole": "moderator"}, bearer(adm)).want(http.StatusCreated)
	ext := s.req("POST", path, map[string]any{"name": "Guest 100%_real", "baseRole": "speaker"}, bearer(adm)).want(http.StatusCreated).obj()
	extID := str(t, ext, "memberId")

	list := s.req("GET", path, nil, bearer(adm)).want(http.StatusOK).obj()
	wantKeys(t, list, "members", "_extraFields", "pagination")
	members := list["members"].([]any)
	if len(members) != 2 {
		t.Fatalf("members %v", members)
	}
	if _, ok := members[0].(map[string]any)["effectivePermissions"]; ok {
		t.Fatalf("effectivePermissions shown without being asked")
	}
	for q, want := range map[string]int{
		"type=identified_guest":    1,
		"type=user":                1,
		"baseRole=moderator":       1,
		"name=Guest%20100%25_real": 1,
		"name=guest%20100&nameMatchMode=prefix&nameCaseInsensitive=true": 1,
		"name=100%25_&nameMatchMode=partial":                             1,
		"name=1000&nameMatchMode=partial":                                0,
		"extraFields=effectivePermissions":                               2,
	} {
		got := s.req("GET", path+"?"+q, nil, bearer(adm)).want(http.StatusOK).obj()["members"].([]any)
		if len(got) != want {
			t.Errorf("?%s: %d members, want %d", q, len(got), want)
		}
	}
	s.req("GET", path+"?type=robot", nil, bearer(adm)).wantDetail("type")
	s.req("GET", path+"?baseRole=king", nil, bearer(adm)).wantDetail("baseRole")
	s.req("GET", path+"?sortField=secret", nil, bearer(adm)).wantDetail("sortField")
	s.req("GET", "/api/v1/rooms/ghost-1/members", nil, bearer(adm)).wantErr(http.StatusNotFound, "Room Error")

	m := s.req("GET", path+"/member_one?fields=memberId,accessUrl", nil, bearer(adm)).want(http.StatusOK).obj()
	wantKeys(t, m, "memberId", "accessUrl", "_extraFields")
	nf := s.req("GET", path+"/ghost_user", nil, bearer(adm)).wantErr(http.StatusNotFound, "Room Member Error")
	if nf["message"] != `Room member "ghost_user" does not exist in room "`+id+`"` {
		t.Fatalf("message %v", nf["message"])
	}

	up := s.req("PUT", path+"/"+extID, map[string]any{"baseRole": "moderator", "customPermissions": map[string]any{"meetingEnd": false}},
		bearer(adm), header("X-ExtraFields", "effectivePermissions")).want(http.StatusOK).obj()
	if up["baseRole"] != "moderator" || sub(t, up, "effectivePermissions")["meetingEnd"] != false ||
		sub(t, up, "effectivePermissions")["participantKick"] != true {
		t.Fatalf("updated %v", up)
	}
	up = s.req("PUT", path+"/"+extID, map[string]any{"customPermissions": map[string]any{}}, bearer(adm)).want(http.StatusOK).obj()
	if len(sub(t, up, "customPermissions")) != 0 {
		t.Fatalf("custom permissions not cleared: %v", up)
	}
	s.req("PUT", path+"/"+extID, map[string]any{}, bearer(adm)).wantDetail("body")
	s.req("PUT", path+"/"+extID, map[string]any{"baseRole": "owner"}, bearer(adm)).wantDetail("baseRole")
	s.req("PUT", path+"/"+extID, map[string]any{"customPermissions": map[string]any{"chatRead": 1}}, bearer(adm)).
		wantDetail("customPermissions.chatRead")
	s.req("PUT", path+"/ghost_user", map[string]any{"baseRole": "speaker"}, bearer(adm)).wantErr(http.StatusNotFound, "Room Member Error")
	s.req("PUT", path+"/"+extID, map[string]any{"baseRole": "speaker"}).wantErr(http.StatusUnauthorized, "Authentication Error")
}

func TestDeleteMembers(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	id := str(t, s.room(bearer(adm), nil), "roomId")
	path := "/api/v1/rooms/" + id + "/members"
	var ids []string
	for _, n := range []string{"A", "B", "C"} {
		ids = append(ids, str(t, s.req("POST", path, map[string]any{"name": n, "baseRole": "speaker"}, bearer(adm)).
			want(http.StatusCreated).obj(), "memberId"))
	}
	m := s.req("DELETE", path+"/"+ids[0], nil, bearer(adm)).want(http.StatusOK).obj()
	if m["message"] != "Member '"+ids[0]+"' deleted successfully from room '"+id+"'" {
		t.Fatalf("message %v", m)
	}
	s.req("DELETE", path+"/"+ids[0], nil, bearer(adm)).wantErr(http.StatusNotFound, "Room Member Error")
	s.req("DELETE", path+"/"+ids[1], nil).wantErr(http.StatusUnauthorized, "Authentication Error")

	bulk := s.req("DELETE", path+"?memberIds="+ids[1]+","+ids[0], nil, bearer(adm)).want(http.StatusBadRequest).obj()
	if bulk["message"] != "1 room member(s) could not be deleted" {
		t.Fatalf("bulk %v", bulk)
	}
	f := bulk["failed"].([]any)[0].(map[string]any)
	wantKeys(t, f, "memberId", "error", "message")
	if f["memberId"] != ids[0] || f["error"] != "Room Member Error" {
		t.Fatalf("failure %v", f)
	}
	ok := s.req("DELETE", path+"?memberIds="+ids[2], nil, bearer(adm)).want(http.StatusOK).obj()
	if ok["message"] != "All room members deleted successfully" || ok["deleted"].([]any)[0] != ids[2] {
		t.Fatalf("bulk %v", ok)
	}
	s.req("DELETE", path, nil, bearer(adm)).wantDetail("memberIds")
	s.req("DELETE", "/api/v1/rooms/ghost-1/members?memberIds=a", nil, bearer(adm)).wantErr(http.StatusNotFound, "Room Error")
}
