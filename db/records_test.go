package db

import (
	"errors"
	"reflect"
	"testing"

	"conclave/core"
)

func TestUserRoundTrip(t *testing.T) {
	d := openTest(t)
	u := sampleUser("alice")
	must(t, d.CreateUser(bg, u))
	got, err := d.GetUser(bg, "alice")
	must(t, err)
	if !reflect.DeepEqual(got, u) {
		t.Fatalf("got %+v\nwant %+v", got, u)
	}
	u.Name, u.Role, u.PasswordHash, u.MustChangePassword = "Alice B", core.RoleAdmin, "new-hash", false
	u.RegistrationDate, u.RoleUpdatedAt, u.TokenVersion = 5, 6, 7
	must(t, d.UpdateUser(bg, u))
	got, err = d.GetUser(bg, "alice")
	must(t, err)
	if !reflect.DeepEqual(got, u) {
		t.Fatalf("after update got %+v\nwant %+v", got, u)
	}
	// The generation is the incarnation's: no update changes it.
	u.Generation = "another"
	must(t, d.UpdateUser(bg, u))
	if got, _ := d.GetUser(bg, "alice"); got.Generation != "gen-of-alice" {
		t.Fatalf("UpdateUser changed the generation to %q", got.Generation)
	}
	if n, err := d.CountUsers(bg); err != nil || n != 1 {
		t.Errorf("CountUsers = %d, %v", n, err)
	}
	must(t, d.DeleteUser(bg, "alice"))
	if _, err := d.GetUser(bg, "alice"); !errors.Is(err, core.ErrNoRows) {
		t.Errorf("deleted user: %v", err)
	}
}

// A password swap over a stale hash changes nothing: that is what lets core refuse the
// losers of concurrent password changes instead of telling all of them "changed".
func TestSwapUserPassword(t *testing.T) {
	d := openTest(t)
	u := sampleUser("alice")
	must(t, d.CreateUser(bg, u))
	first := *u
	first.PasswordHash, first.TokenVersion = "hash-one", u.TokenVersion+1
	must(t, d.SwapUserPassword(bg, &first, u.PasswordHash))
	second := *u
	second.PasswordHash, second.TokenVersion = "hash-two", u.TokenVersion+1
	if err := d.SwapUserPassword(bg, &second, u.PasswordHash); !errors.Is(err, core.ErrNoRows) {
		t.Fatalf("swap over a stale hash: %v, want ErrNoRows", err)
	}
	got, err := d.GetUser(bg, "alice")
	must(t, err)
	if !reflect.DeepEqual(got, &first) {
		t.Fatalf("after a refused swap got %+v\nwant the first swap's %+v", got, &first)
	}
	if err := d.SwapUserPassword(bg, sampleUser("nobody"), "x"); !errors.Is(err, core.ErrNoRows) {
		t.Fatalf("swap of a missing user: %v, want ErrNoRows", err)
	}
}

func TestRoomRoundTrip(t *testing.T) {
	d := openTest(t)
	withDate := sampleRoom("r1")
	never := sampleRoom("r2")
	never.AutoDeletionDate = nil
	never.Config.Recording.Encoding = "H264_720P_30"
	bare := &core.Room{RoomID: "r3", RoomName: "bare", Owner: "x", Status: core.StatusClosed}
	for _, r := range []*core.Room{withDate, never, bare} {
		must(t, d.CreateRoom(bg, r))
		got, err := d.GetRoom(bg, r.RoomID)
		must(t, err)
		if !reflect.DeepEqual(got, r) {
			t.Errorf("room %s: got %+v\nwant %+v", r.RoomID, got, r)
		}
	}

	withDate.AutoDeletionDate = nil
	withDate.RoomName, withDate.Owner, withDate.Status = "renamed", "bob", core.StatusActiveMeeting
	withDate.Access.UserEnabled = false
	withDate.Access.Moderator.Secret = "regenerated"
	withDate.Roles.Speaker.Permissions.RecordingDownload = true
	withDate.Config.Recording.Layout = "grid"
	withDate.AutoDeletionPolicy.WithMeeting = "force"
	withDate.RolesVersion, withDate.RolesUpdatedAt, withDate.MeetingEndAction = 8, 9, core.EndActionDelete
	must(t, d.UpdateRoom(bg, withDate))
	got, err := d.GetRoom(bg, "r1")
	must(t, err)
	if !reflect.DeepEqual(got, withDate) {
		t.Errorf("after update got %+v\nwant %+v", got, withDate)
	}
	// The filter column follows the JSON it copies.
	page, err := d.ListRooms(bg, core.RoomQuery{UserAccess: ptr(true)})
	must(t, err)
	if ids := roomIDs(page.Items); !reflect.DeepEqual(ids, []string{"r2"}) {
		t.Errorf("rooms with user access after update = %v", ids)
	}
}

func TestMemberRoundTrip(t *testing.T) {
	d := openTest(t)
	must(t, d.CreateRoom(bg, sampleRoom("r1")))
	user := sampleMember("r1", "alice")
	guest := &core.Member{RoomID: "r1", MemberID: "ext-abc", Type: core.MemberTypeGuest, Name: "Guest",
		BaseRole: core.BaseRoleModerator, MembershipDate: 3}
	empty := sampleMember("r1", "carol")
	empty.Custom = core.PermissionSet{}
	for _, m := range []*core.Member{user, guest, empty} {
		must(t, d.CreateMember(bg, m))
		got, err := d.GetMember(bg, m.RoomID, m.MemberID)
		must(t, err)
		if !reflect.DeepEqual(got, m) {
			t.Errorf("member %s: got %+v\nwant %+v", m.MemberID, got, m)
		}
	}
	user.BaseRole, user.Custom, user.UpdatedAt, user.Version = core.BaseRoleModerator, core.PermissionSet{"meetingJoin": false}, 10, 11
	must(t, d.UpdateMember(bg, user))
	got, err := d.GetMember(bg, "r1", "alice")
	must(t, err)
	if !reflect.DeepEqual(got, user) {
		t.Errorf("after update got %+v\nwant %+v", got, user)
	}
	user.Generation = "another"
	must(t, d.UpdateMember(bg, user))
	if got, _ := d.GetMember(bg, "r1", "alice"); got.Generation != "gen-of-alice@r1" {
		t.Errorf("UpdateMember changed the generation to %q", got.Generation)
	}
	must(t, d.DeleteMember(bg, "r1", "ext-abc"))
	if _, err := d.GetMember(bg, "r1", "ext-abc"); !errors.Is(err, core.ErrNoRows) {
		t.Errorf("deleted member: %v", err)
	}
	// Deleting the room takes its members along.
	must(t, d.DeleteRoom(bg, "r1"))
	if _, err := d.GetMember(bg, "r1", "alice"); !errors.Is(err, core.ErrNoRows) {
		t.Errorf("member of deleted room: %v", err)
	}
	if err := d.CreateMember(bg, sampleMember("r1", "alice")); !errors.Is(err, core.ErrNoRows) {
		t.Errorf("member of a missing room: %v, want ErrNoRows", err)
	}
}

func TestAPIKeyRoundTrip(t *testing.T) {
	d := openTest(t)
	newer := &core.APIKey{ID: "ck_b", Name: "ci", Hash: []byte{0, 1, 2, 255}, CreationDate: 20, CreatedBy: "admin", LastUsed: 0}
	older := &core.APIKey{ID: "ck_a", Name: "ops", Hash: []byte("hash"), CreationDate: 10, CreatedBy: "admin", LastUsed: 5}
	for _, k := range []*core.APIKey{newer, older} {
		must(t, d.CreateAPIKey(bg, k))
		got, err := d.GetAPIKey(bg, k.ID)
		must(t, err)
		if !reflect.DeepEqual(got, k) {
			t.Errorf("got %+v\nwant %+v", got, k)
		}
	}
	keys, err := d.ListAPIKeys(bg)
	must(t, err)
	if len(keys) != 2 || keys[0].ID != "ck_a" || keys[1].ID != "ck_b" {
		t.Errorf("ListAPIKeys not oldest first: %+v", keys)
	}
	must(t, d.TouchAPIKey(bg, "ck_a", 100))
	must(t, d.TouchAPIKey(bg, "ck_a", 50)) // a late report of an earlier use
	if k, _ := d.GetAPIKey(bg, "ck_a"); k.LastUsed != 100 {
		t.Errorf("LastUsed = %d, want 100", k.LastUsed)
	}
	must(t, d.DeleteAPIKey(bg, "ck_a"))
	if _, err := d.GetAPIKey(bg, "ck_a"); !errors.Is(err, core.ErrNoRows) {
		t.Errorf("deleted key: %v", err)
	}
}

func TestSessionRoundTrip(t *testing.T) {
	d := openTest(t)
	must(t, d.CreateUser(bg, sampleUser("alice")))
	must(t, d.CreateUser(bg, sampleUser("bobby")))
	s := &core.Session{ID: "s1", UserID: "alice", RefreshJTI: "j1", Created: 1, Expires: 100, Source: "10.0.0.1", Device: "Firefox"}
	must(t, d.CreateSession(bg, s))
	got, err := d.GetSession(bg, "s1")
	must(t, err)
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("got %+v\nwant %+v", got, s)
	}
	s.RefreshJTI, s.Expires, s.Device = "j2", 200, "curl"
	must(t, d.UpdateSession(bg, s))
	if got, _ := d.GetSession(bg, "s1"); !reflect.DeepEqual(got, s) {
		t.Errorf("after update got %+v", got)
	}
	must(t, d.CreateSession(bg, &core.Session{ID: "s2", UserID: "alice", Expires: 50}))
	must(t, d.CreateSession(bg, &core.Session{ID: "s3", UserID: "bobby", Expires: 50}))
	must(t, d.CreateSession(bg, &core.Session{ID: "s4", UserID: "bobby", Expires: 300}))

	if n, err := d.DeleteExpiredSessions(bg, 50); err != nil || n != 2 {
		t.Errorf("DeleteExpiredSessions = %d, %v; want 2", n, err)
	}
	must(t, d.DeleteUserSessions(bg, "alice"))
	must(t, d.DeleteUserSessions(bg, "nobody")) // nothing to end is fine
	if _, err := d.GetSession(bg, "s1"); !errors.Is(err, core.ErrNoRows) {
		t.Errorf("session of alice survived DeleteUserSessions: %v", err)
	}
	// Deleting a user ends its sessions even without DeleteUserSessions.
	must(t, d.DeleteUser(bg, "bobby"))
	if _, err := d.GetSession(bg, "s4"); !errors.Is(err, core.ErrNoRows) {
		t.Errorf("session of a deleted user survived: %v", err)
	}
	must(t, d.CreateSession(bg, &core.Session{ID: "s5", UserID: "alice", Expires: 300}))
	must(t, d.DeleteSession(bg, "s5"))
	if _, err := d.GetSession(bg, "s5"); !errors.Is(err, core.ErrNoRows) {
		t.Errorf("deleted session: %v", err)
	}
}

func TestSettings(t *testing.T) {
	d := openTest(t)
	if _, err := d.GetSetting(bg, "jwt_secret"); !errors.Is(err, core.ErrNoRows) {
		t.Errorf("unset setting: %v", err)
	}
	must(t, d.PutSetting(bg, "jwt_secret", "one"))
	must(t, d.PutSetting(bg, "jwt_secret", "two"))
	must(t, d.PutSetting(bg, "other", ""))
	if v, err := d.GetSetting(bg, "jwt_secret"); err != nil || v != "two" {
		t.Errorf("GetSetting = %q, %v; want two", v, err)
	}
	if v, err := d.GetSetting(bg, "other"); err != nil || v != "" {
		t.Errorf("empty setting = %q, %v", v, err)
	}
}

func TestAuditAppendOnly(t *testing.T) {
	d := openTest(t)
	e := &core.AuditEntry{Time: 42, Actor: "admin", Action: "room.create", Target: "r1", Outcome: "success",
		Source: "127.0.0.1", Device: "ssh", Detail: `{"name":"x"}`}
	must(t, d.AppendAudit(bg, e))
	if e.ID == 0 {
		t.Fatal("AppendAudit did not set the id")
	}
	page, err := d.ListAudit(bg, core.AuditQuery{})
	must(t, err)
	if len(page.Items) != 1 || !reflect.DeepEqual(page.Items[0], *e) {
		t.Fatalf("audit = %+v, want %+v", page.Items, e)
	}
	if _, err := d.writer.Exec("UPDATE audit SET actor = 'mallory'"); err == nil {
		t.Error("an audit line was updated")
	}
	if n, err := d.PruneAudit(bg, 42); err != nil || n != 0 {
		t.Errorf("PruneAudit(42) = %d, %v; want 0 (the entry is not older)", n, err)
	}
	if n, err := d.PruneAudit(bg, 43); err != nil || n != 1 {
		t.Errorf("PruneAudit(43) = %d, %v; want 1", n, err)
	}
	// Ids never restart, even after retention emptied the log.
	e2 := &core.AuditEntry{Time: 50}
	must(t, d.AppendAudit(bg, e2))
	if e2.ID <= e.ID {
		t.Errorf("id reused: %d after %d", e2.ID, e.ID)
	}
}

func TestDuplicate(t *testing.T) {
	d := openTest(t)
	must(t, d.CreateUser(bg, sampleUser("alice")))
	must(t, d.CreateRoom(bg, sampleRoom("r1")))
	must(t, d.CreateMember(bg, sampleMember("r1", "alice")))
	must(t, d.CreateAPIKey(bg, &core.APIKey{ID: "k1"}))
	must(t, d.CreateSession(bg, &core.Session{ID: "s1", UserID: "alice"}))
	cases := []struct {
		name string
		err  error
	}{
		{"user", d.CreateUser(bg, sampleUser("alice"))},
		{"room", d.CreateRoom(bg, sampleRoom("r1"))},
		{"member", d.CreateMember(bg, sampleMember("r1", "alice"))},
		{"api key", d.CreateAPIKey(bg, &core.APIKey{ID: "k1"})},
		{"session", d.CreateSession(bg, &core.Session{ID: "s1", UserID: "alice"})},
	}
	for _, c := range cases {
		if !errors.Is(c.err, core.ErrDuplicate) {
			t.Errorf("duplicate %s: %v, want ErrDuplicate", c.name, c.err)
		}
	}
}

func TestMissing(t *testing.T) {
	d := openTest(t)
	must(t, d.CreateRoom(bg, sampleRoom("r1")))
	errOf := func(_ any, err error) error { return err }
	cases := []struct {
		name string
		err  error
	}{
		{"get user", errOf(d.GetUser(bg, "nobody"))},
		{"update user", d.UpdateUser(bg, sampleUser("nobody"))},
		{"delete user", d.DeleteUser(bg, "nobody")},
		{"get room", errOf(d.GetRoom(bg, "nope"))},
		{"update room", d.UpdateRoom(bg, sampleRoom("nope"))},
		{"delete room", d.DeleteRoom(bg, "nope")},
		{"get member", errOf(d.GetMember(bg, "r1", "nobody"))},
		{"update member", d.UpdateMember(bg, sampleMember("r1", "nobody"))},
		{"delete member", d.DeleteMember(bg, "r1", "nobody")},
		{"get api key", errOf(d.GetAPIKey(bg, "nope"))},
		{"delete api key", d.DeleteAPIKey(bg, "nope")},
		{"touch api key", d.TouchAPIKey(bg, "nope", 1)},
		{"get session", errOf(d.GetSession(bg, "nope"))},
		{"update session", d.UpdateSession(bg, &core.Session{ID: "nope"})},
		{"delete session", d.DeleteSession(bg, "nope")},
		{"get setting", errOf(d.GetSetting(bg, "nope"))},
		{"session of a missing user", d.CreateSession(bg, &core.Session{ID: "s9", UserID: "nobody"})},
	}
	for _, c := range cases {
		if !errors.Is(c.err, core.ErrNoRows) {
			t.Errorf("%s: %v, want ErrNoRows", c.name, c.err)
		}
	}
}
