package core

import (
	"encoding/json"
	"testing"
)

func testRoom() *Room {
	r := defaultRoom()
	r.RoomID = "standup-abcdefghijklmno"
	r.Owner = "olivia"
	return &r
}

func TestResolvePermissions(t *testing.T) {
	room := testRoom()
	mod, spk := room.Roles.Moderator.Permissions, room.Roles.Speaker.Permissions

	admin := &User{UserID: "root_two", Role: RoleAdmin}
	owner := &User{UserID: "olivia", Role: RoleRoomManager}
	manager := &User{UserID: "manny", Role: RoleRoomManager}
	plain := &User{UserID: "mem_ber", Role: RoleRoomMember}
	internalMember := &Member{RoomID: room.RoomID, MemberID: "mem_ber", Type: MemberTypeUser, BaseRole: BaseRoleSpeaker,
		Custom: PermissionSet{"recordingDownload": true, "chatWrite": false}}
	internalMod := &Member{RoomID: room.RoomID, MemberID: "manny", Type: MemberTypeUser, BaseRole: BaseRoleModerator,
		Custom: PermissionSet{"meetingEnd": false}}
	external := &Member{RoomID: room.RoomID, MemberID: "ext-AbCdEfGhIjKlMnOp", Type: MemberTypeGuest, BaseRole: BaseRoleSpeaker,
		Custom: PermissionSet{"mediaShareScreen": false}}
	otherRoomMember := &Member{RoomID: "other-room", MemberID: "mem_ber", Type: MemberTypeUser, BaseRole: BaseRoleModerator}
	tokenPerms := Permissions{MeetingJoin: true, ChatRead: true}

	userAccessOn := testRoom()
	userAccessOn.Access.UserEnabled = true
	speakerOff := testRoom()
	speakerOff.Access.Speaker.Enabled = false
	recordingOff := testRoom()
	recordingOff.Access.Recording.Enabled = false
	speakerMayDownload := testRoom()
	speakerMayDownload.Roles.Speaker.Permissions.RecordingDownload = true

	withDownload := spk
	withDownload.RecordingDownload, withDownload.ChatWrite = true, false
	modNoEnd := mod
	modNoEnd.MeetingEnd = false
	extPerms := spk
	extPerms.MediaShareScreen = false
	recOnly := Permissions{RecordingList: true, RecordingPlay: true}
	recDownload := Permissions{RecordingList: true, RecordingPlay: true, RecordingDownload: true}

	cases := []struct {
		name   string
		room   *Room
		access Access
		source string
		perms  Permissions
		role   string
	}{
		{"room-member token wins over everything", room, Access{Token: &MemberClaims{RoomID: room.RoomID, Permissions: tokenPerms, Role: BaseRoleSpeaker}, APIKey: true, User: admin},
			GrantToken, tokenPerms, BaseRoleSpeaker},
		{"token for another room is ignored", room, Access{Token: &MemberClaims{RoomID: "other", Permissions: AllPermissions()}},
			GrantNone, Permissions{}, ""},
		{"API key holds everything", room, Access{APIKey: true}, GrantAPIKey, AllPermissions(), BaseRoleModerator},
		{"admin holds everything", room, Access{User: admin}, GrantAdmin, AllPermissions(), BaseRoleModerator},
		{"owner holds everything", room, Access{User: owner}, GrantOwner, AllPermissions(), BaseRoleModerator},
		{"owner even with a membership and a secret", room, Access{User: owner, Member: internalMember, Secret: room.Access.Speaker.Secret},
			GrantOwner, AllPermissions(), BaseRoleModerator},
		{"room_manager without membership, user access off", room, Access{User: manager}, GrantNone, Permissions{}, ""},
		{"room_manager as moderator member with override", room, Access{User: manager, Member: internalMod}, GrantMember, modNoEnd, BaseRoleModerator},
		{"room_member as speaker member with overrides", room, Access{User: plain, Member: internalMember}, GrantMember, withDownload, BaseRoleSpeaker},
		{"someone else's membership is not mine", room, Access{User: manager, Member: internalMember}, GrantNone, Permissions{}, ""},
		{"membership of another room does not count", room, Access{User: plain, Member: otherRoomMember}, GrantNone, Permissions{}, ""},
		{"external member by its secret", room, Access{Member: external}, GrantMember, extPerms, BaseRoleSpeaker},
		{"member rule before user access", userAccessOn, Access{User: plain, Member: internalMember}, GrantMember, withDownload, BaseRoleSpeaker},
		{"user access on: room_member gets speaker", userAccessOn, Access{User: plain}, GrantUserAccess, spk, BaseRoleSpeaker},
		{"user access on: room_manager gets speaker", userAccessOn, Access{User: manager}, GrantUserAccess, spk, BaseRoleSpeaker},
		{"user access off: room_member gets nothing", room, Access{User: plain}, GrantNone, Permissions{}, ""},
		{"user access before anonymous secret", userAccessOn, Access{User: plain, Secret: userAccessOn.Access.Moderator.Secret}, GrantUserAccess, spk, BaseRoleSpeaker},
		{"signed-in user without access may use a secret", room, Access{User: plain, Secret: room.Access.Moderator.Secret}, GrantAnonymousModerator, mod, BaseRoleModerator},
		{"anonymous moderator secret", room, Access{Secret: room.Access.Moderator.Secret}, GrantAnonymousModerator, mod, BaseRoleModerator},
		{"anonymous speaker secret", room, Access{Secret: room.Access.Speaker.Secret}, GrantAnonymousSpeaker, spk, BaseRoleSpeaker},
		{"recording secret: list and play only", room, Access{Secret: room.Access.Recording.Secret}, GrantAnonymousRecording, recOnly, ""},
		{"recording secret: download when speakers may", speakerMayDownload, Access{Secret: speakerMayDownload.Access.Recording.Secret}, GrantAnonymousRecording, recDownload, ""},
		{"disabled speaker link refused", speakerOff, Access{Secret: speakerOff.Access.Speaker.Secret}, GrantNone, Permissions{}, ""},
		{"disabled recording link refused", recordingOff, Access{Secret: recordingOff.Access.Recording.Secret}, GrantNone, Permissions{}, ""},
		{"moderator link still works when speaker link is off", speakerOff, Access{Secret: speakerOff.Access.Moderator.Secret}, GrantAnonymousModerator, mod, BaseRoleModerator},
		{"wrong secret", room, Access{Secret: "nope"}, GrantNone, Permissions{}, ""},
		{"secret of another room", room, Access{Secret: userAccessOn.Access.Moderator.Secret}, GrantNone, Permissions{}, ""},
		{"prefix of a secret", room, Access{Secret: room.Access.Moderator.Secret[:8]}, GrantNone, Permissions{}, ""},
		{"nobody", room, Access{}, GrantNone, Permissions{}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := ResolvePermissions(c.room, c.access)
			if g.Source != c.source {
				t.Fatalf("source = %s, want %s", g.Source, c.source)
			}
			if g.Permissions != c.perms {
				t.Fatalf("permissions = %+v\nwant %+v", g.Permissions, c.perms)
			}
			if g.Role != c.role {
				t.Fatalf("role = %q, want %q", g.Role, c.role)
			}
		})
	}
}

func TestEffectivePermissionsFollowRoomRoles(t *testing.T) {
	room := testRoom()
	m := &Member{RoomID: room.RoomID, MemberID: "ext-x", Type: MemberTypeGuest, BaseRole: BaseRoleSpeaker, Custom: PermissionSet{"chatWrite": false}}
	if !m.EffectivePermissions(room).MediaShareScreen {
		t.Fatal("speaker default should share screen")
	}
	room.Roles.Speaker.Permissions.MediaShareScreen = false
	room.Roles.Speaker.Permissions.ChatWrite = true
	p := m.EffectivePermissions(room)
	if p.MediaShareScreen {
		t.Fatal("room role change did not reach the member")
	}
	if p.ChatWrite {
		t.Fatal("member override lost after room role change")
	}
}

func TestSpeakerDefaultsSeparateViewingFromDownloading(t *testing.T) {
	s := DefaultSpeaker()
	if !s.RecordingPlay || !s.RecordingList || s.RecordingDownload || s.RecordingDelete || s.MeetingEnd {
		t.Fatalf("speaker defaults wrong: %+v", s)
	}
	if DefaultModerator() != AllPermissions() {
		t.Fatal("moderator default should hold every permission")
	}
}

func TestParsePermissionSet(t *testing.T) {
	raw := func(s string) map[string]json.RawMessage {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	got, err := ParsePermissionSet("p", raw(`{"canRetrieveRecordings":true,"canRecord":false,"chatWrite":false}`))
	if err != nil {
		t.Fatal(err)
	}
	want := PermissionSet{"recordingList": true, "recordingPlay": true, "recordingDownload": true, "recordingControl": false, "chatWrite": false}
	if len(got) != len(want) {
		t.Fatalf("got %v want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s = %v, want %v", k, got[k], v)
		}
	}
	// A 3.8 alias agreeing with the current key is fine; contradicting it is an error.
	got, err = ParsePermissionSet("p", raw(`{"recordingDownload":true,"canRetrieveRecordings":true}`))
	if err != nil || !got["recordingDownload"] || !got["recordingPlay"] {
		t.Fatalf("agreeing alias: %v %v", got, err)
	}
	if _, err := ParsePermissionSet("p", raw(`{"recordingDownload":false,"canRetrieveRecordings":true}`)); KindOf(err) != KindValidation {
		t.Fatalf("contradicting alias accepted: %v", err)
	}
	for _, bad := range []string{`{"chatWrite":"yes"}`, `{"nope":true}`, `{"chatWrite":null}`, `{"meetingJoin":1}`} {
		_, err := ParsePermissionSet("p", raw(bad))
		if KindOf(err) != KindValidation {
			t.Errorf("%s: want validation error, got %v", bad, err)
		}
		var e *Error
		if !asError(err, &e) || len(e.Details) == 0 || e.Details[0].Field == "" {
			t.Errorf("%s: no field details: %v", bad, err)
		}
	}
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	if ok {
		*target = e
	}
	return ok
}

func TestRecordingAccessPresets(t *testing.T) {
	roles := testRoom().Roles
	if got := RecordingAccessOf(roles); got != RecordingAccessAdminModeratorSpeaker {
		t.Fatalf("default preset = %s", got)
	}
	r, err := ApplyRecordingAccess(roles, RecordingAccessAdminModerator)
	if err != nil {
		t.Fatal(err)
	}
	if r.Speaker.Permissions.RecordingPlay || !r.Moderator.Permissions.RecordingDownload {
		t.Fatalf("admin_moderator wrong: %+v", r)
	}
	r, _ = ApplyRecordingAccess(roles, RecordingAccessAdmin)
	if r.Moderator.Permissions.RecordingList || r.Speaker.Permissions.RecordingList {
		t.Fatal("admin preset leaves listing on")
	}
	if _, err := ApplyRecordingAccess(roles, "everyone"); KindOf(err) != KindValidation {
		t.Fatal("unknown preset accepted")
	}
}

// FuzzResolvePermissions checks invariants that must hold for any room and caller: no
// panic, nothing without a matching rule, and anonymous recording access never more than
// list/play/download.
func FuzzResolvePermissions(f *testing.F) {
	room := testRoom()
	f.Add(room.Access.Moderator.Secret, "olivia", "room_manager", true, false, false, "moderator", false)
	f.Add(room.Access.Recording.Secret, "", "", false, false, false, "", true)
	f.Add("ext-x", "mem_ber", "room_member", false, true, false, "speaker", true)
	f.Add("", "admin", "admin", false, false, true, "", false)
	f.Fuzz(func(t *testing.T, secret, userID, role string, userAccess, withMember, apiKey bool, baseRole string, speakerOff bool) {
		r := testRoom()
		r.Access.UserEnabled = userAccess
		r.Access.Speaker.Enabled = !speakerOff
		a := Access{Secret: secret, APIKey: apiKey}
		if userID != "" {
			a.User = &User{UserID: userID, Role: Role(role)}
		}
		if withMember {
			a.Member = &Member{RoomID: r.RoomID, MemberID: userID, Type: MemberTypeUser, BaseRole: baseRole}
		}
		g := ResolvePermissions(r, a)
		switch g.Source {
		case GrantNone:
			if g.Permissions != (Permissions{}) {
				t.Fatal("no grant but permissions")
			}
		case GrantAnonymousRecording:
			p := g.Permissions
			p.RecordingList, p.RecordingPlay, p.RecordingDownload = false, false, false
			if p != (Permissions{}) {
				t.Fatal("recording link grants more than recordings")
			}
		case GrantAnonymousSpeaker:
			if speakerOff {
				t.Fatal("disabled speaker link accepted")
			}
		case GrantAPIKey:
			if !apiKey {
				t.Fatal("API key grant without key")
			}
		case GrantAdmin:
			if role != string(RoleAdmin) {
				t.Fatal("admin grant for non-admin")
			}
		case GrantOwner:
			if userID != r.Owner {
				t.Fatal("owner grant for non-owner")
			}
		case GrantUserAccess:
			if !userAccess || a.User == nil {
				t.Fatal("user access grant while off")
			}
		}
		if secret != "" && g.Source == GrantAnonymousModerator && secret != r.Access.Moderator.Secret {
			t.Fatal("moderator grant for a wrong secret")
		}
	})
}
