package core_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
	"conclave/db"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// recordingMeetings stands in for the participants' connections (package signal's
// clients): it hands out clients that record what core asks of them.
type recordingMeetings struct {
	mu        sync.Mutex
	ended     []string
	expelled  []string
	replaced  []string
	updated   []string
	muted     []string
	tracks    []string
	away      []string
	recording []string
	clients   map[string]*recordingClient
}

// client is the connection of the participant p is about to join as (the same one for
// the same identity, so that a test can leave with it).
func (m *recordingMeetings) client(p *core.Principal) core.Client {
	return m.clientAt(p.Member.RoomID, p.Member.Identity)
}

func (m *recordingMeetings) clientAt(roomID, identity string) core.Client {
	m.mu.Lock()
	defer m.mu.Unlock()
	at := identity + "@" + roomID
	if m.clients == nil {
		m.clients = map[string]*recordingClient{}
	}
	if m.clients[at] == nil {
		m.clients[at] = &recordingClient{m: m, at: at}
	}
	return m.clients[at]
}

// leave is the participant's connection ending on its own.
func (m *recordingMeetings) leave(svc *core.Service, roomID, identity string) {
	svc.LeaveMeeting(roomID, identity, m.clientAt(roomID, identity))
}

type recordingClient struct {
	m  *recordingMeetings
	at string // identity@room
}

func (c *recordingClient) Close(why core.CloseReason, message string) {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	switch why {
	case core.CloseKicked:
		c.m.expelled = append(c.m.expelled, c.at)
	case core.CloseEnded:
		c.m.ended = append(c.m.ended, c.at)
	case core.CloseGoingAway:
		c.m.away = append(c.m.away, message)
	case core.CloseReplaced:
		c.m.replaced = append(c.m.replaced, c.at)
	}
}

func (c *recordingClient) Update(p core.Participant, perms core.Permissions) {
	c.m.mu.Lock()
	c.m.updated = append(c.m.updated, c.at+":"+p.MeetingRole)
	c.m.mu.Unlock()
}

func (c *recordingClient) Mute(kind string) {
	c.m.mu.Lock()
	c.m.muted = append(c.m.muted, c.at+":"+kind)
	c.m.mu.Unlock()
}

func (c *recordingClient) RecordingChanged(active bool) {
	c.m.mu.Lock()
	c.m.recording = append(c.m.recording, fmt.Sprintf("%s:%v", c.at, active))
	c.m.mu.Unlock()
}

func (c *recordingClient) TracksChanged(p core.Participant) {
	c.m.mu.Lock()
	c.m.tracks = append(c.m.tracks, fmt.Sprintf("%s:%d", c.at, len(p.Tracks())))
	c.m.mu.Unlock()
}

func newService(t *testing.T) (*core.Service, *db.DB, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	svc, store := conclavetest.Core(t, conclavetest.Config{PublicURL: "https://meet.example.com/", BasePath: "meet", Now: clk.Now})
	return svc, store, clk
}

var meta = core.RequestMeta{Source: "192.0.2.7", Device: "curl/8.0", Via: "http"}

func signIn(t *testing.T, svc *core.Service, user, pw string) *core.Principal {
	t.Helper()
	res, err := svc.Login(context.Background(), user, pw, meta)
	if err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	p, err := svc.AuthenticateAccessToken(context.Background(), res.AccessToken, meta)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestJanitorAppliesAutoDeletion(t *testing.T) {
	svc, _, clk := newService(t)
	ctx := context.Background()
	admin := signIn(t, svc, "admin", "admin")
	at := clk.Now().Add(2 * time.Hour).UnixMilli()
	doomed, err := svc.CreateRoom(ctx, admin, core.RoomOptions{RoomName: ptr("Doomed"), AutoDeletionDate: &at})
	if err != nil {
		t.Fatal(err)
	}
	kept, err := svc.CreateRoom(ctx, admin, core.RoomOptions{RoomName: ptr("Kept")})
	if err != nil {
		t.Fatal(err)
	}
	soon := clk.Now().Add(30 * time.Minute).UnixMilli()
	if _, err := svc.CreateRoom(ctx, admin, core.RoomOptions{AutoDeletionDate: &soon}); core.KindOf(err) != core.KindValidation {
		t.Fatalf("auto-deletion under an hour ahead accepted: %v", err)
	}
	if res, err := svc.Sweep(ctx); err != nil || res.RoomsProcessed != 0 {
		t.Fatalf("early sweep: %+v %v", res, err)
	}
	clk.Add(2*time.Hour + time.Second)
	if res, err := svc.Sweep(ctx); err != nil || res.RoomsProcessed != 1 {
		t.Fatalf("sweep: %+v %v", res, err)
	}
	if _, _, err := svc.GetRoom(ctx, admin, doomed.RoomID); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("room past its date still there: %v", err)
	}
	if _, _, err := svc.GetRoom(ctx, admin, kept.RoomID); err != nil {
		t.Fatal(err)
	}
	page, err := svc.ListAudit(ctx, admin, core.AuditQuery{Action: "room.delete"})
	if err != nil || len(page.Items) != 1 || page.Items[0].Actor != "system" || page.Items[0].Target != "room:"+doomed.RoomID {
		t.Fatalf("janitor deletion not audited as system: %+v %v", page.Items, err)
	}
}

func TestDeletingUserExpelsTransfersAndAudits(t *testing.T) {
	svc, _, _ := newService(t)
	ctx := context.Background()
	meetings := &recordingMeetings{}
	admin := signIn(t, svc, "admin", "admin")
	for _, u := range []core.NewUser{
		{UserID: "owner_ola", Name: "Ola", Role: "user", Password: "first1"},
		{UserID: "member_mo", Name: "Mo", Role: "room_member", Password: "first1"},
	} {
		if _, err := svc.CreateUser(ctx, admin, u); err != nil {
			t.Fatal(err)
		}
	}
	ola := signIn(t, svc, "owner_ola", "first1")
	if _, err := svc.CreateRoom(ctx, ola, core.RoomOptions{}); core.KindOf(err) != core.KindForbidden {
		t.Fatalf("user who must change its password created a room: %v", err)
	}
	if _, err := svc.ChangePassword(ctx, ola, "first1", "second2"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AuthenticateAccessToken(ctx, "Bearer "+mustLogin(t, svc, "owner_ola", "second2"), meta); err != nil {
		t.Fatal(err)
	}
	ola = signIn(t, svc, "owner_ola", "second2")
	room, err := svc.CreateRoom(ctx, ola, core.RoomOptions{RoomName: ptr("Ola's room")})
	if err != nil {
		t.Fatal(err)
	}
	if room.Owner != "owner_ola" {
		t.Fatalf("owner %q", room.Owner)
	}
	if _, _, err := svc.AddMember(ctx, ola, room.RoomID, core.NewMember{UserID: "member_mo", BaseRole: "speaker"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.AddMember(ctx, ola, room.RoomID, core.NewMember{UserID: "admin", BaseRole: "speaker"}); core.KindOf(err) != core.KindConflict {
		t.Fatalf("admin added as member: %v", err)
	}
	if _, _, err := svc.AddMember(ctx, ola, room.RoomID, core.NewMember{UserID: "member_mo", BaseRole: "moderator"}); core.KindOf(err) != core.KindConflict {
		t.Fatalf("member added twice: %v", err)
	}
	// Mo is in the room's meeting when the user is deleted.
	mo := signIn(t, svc, "member_mo", "first1")
	if _, err := svc.ChangePassword(ctx, mo, "first1", "second2"); err != nil {
		t.Fatal(err)
	}
	mo = signIn(t, svc, "member_mo", "second2")
	moTok, _, err := svc.IssueMemberToken(ctx, mo, room.RoomID, core.MemberTokenRequest{JoinMeeting: true})
	if err != nil {
		t.Fatal(err)
	}
	moLive, err := svc.AuthenticateMemberToken(ctx, moTok, meta)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.JoinMeeting(ctx, moLive, meetings.client(moLive)); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteUser(ctx, admin, "member_mo"); err != nil {
		t.Fatal(err)
	}
	if parts, _ := svc.Participants(ctx, admin, room.RoomID); len(parts) != 0 {
		t.Fatalf("deleted user keeps its seat: %+v", parts)
	}
	if len(meetings.expelled) != 1 || meetings.expelled[0] != "member_mo@"+room.RoomID {
		t.Fatalf("deleted user not expelled: %v", meetings.expelled)
	}
	if err := svc.DeleteUser(ctx, admin, "owner_ola"); err != nil {
		t.Fatal(err)
	}
	got, _, err := svc.GetRoom(ctx, admin, room.RoomID)
	if err != nil || got.Owner != core.RootAdminID {
		t.Fatalf("owned room not passed to the root admin: %+v %v", got, err)
	}
	if err := svc.DeleteUser(ctx, admin, "admin"); core.KindOf(err) != core.KindForbidden {
		t.Fatalf("root admin deletable: %v", err)
	}
	page, _ := svc.ListAudit(ctx, admin, core.AuditQuery{Target: "user:owner_ola"})
	var deleted *core.AuditEntry
	for i := range page.Items {
		if page.Items[i].Action == "user.delete" {
			deleted = &page.Items[i]
		}
	}
	if deleted == nil || deleted.Actor != "user:admin" || deleted.Source != "192.0.2.7" || deleted.Device != "http curl/8.0" {
		t.Fatalf("deletion audit entry: %+v", deleted)
	}
}

func mustLogin(t *testing.T, svc *core.Service, user, pw string) string {
	t.Helper()
	res, err := svc.Login(context.Background(), user, pw, meta)
	if err != nil {
		t.Fatal(err)
	}
	return res.AccessToken
}

func TestFailedLoginsAreLimitedAndUnknownUsersLookTheSame(t *testing.T) {
	svc, _, _ := newService(t)
	ctx := context.Background()
	_, errUnknown := svc.Login(ctx, "nobody_here", "x1234", meta)
	_, errWrong := svc.Login(ctx, "admin", "wrong", meta)
	if errUnknown.Error() != errWrong.Error() || core.KindOf(errUnknown) != core.KindOf(errWrong) {
		t.Fatalf("unknown user %v differs from wrong password %v", errUnknown, errWrong)
	}
	for range 4 {
		svc.Login(ctx, "admin", "wrong", meta)
	}
	_, err := svc.Login(ctx, "admin", "admin", meta)
	var e *core.Error
	if !errors.As(err, &e) || e.Kind != core.KindTooMany || e.RetryAfterSeconds <= 0 {
		t.Fatalf("sixth try with the right password not limited: %v", err)
	}
	// SSH and HTTP share the limiter: CheckPassword refuses too.
	if _, err := svc.CheckPassword(ctx, "admin", "admin", core.RequestMeta{Source: "198.51.100.1", Via: "ssh"}); core.KindOf(err) != core.KindTooMany {
		t.Fatalf("limit not shared by every way in: %v", err)
	}
}

func TestMemberChangesExpelWhenJoinIsLost(t *testing.T) {
	svc, _, _ := newService(t)
	ctx := context.Background()
	meetings := &recordingMeetings{}
	admin := signIn(t, svc, "admin", "admin")
	room, err := svc.CreateRoom(ctx, admin, core.RoomOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := svc.AddMember(ctx, admin, room.RoomID, core.NewMember{Name: "Gina", BaseRole: "speaker"})
	if err != nil {
		t.Fatal(err)
	}
	tok, claims, err := svc.IssueMemberToken(ctx, core.Anonymous(meta), room.RoomID, core.MemberTokenRequest{Secret: m.MemberID, JoinMeeting: true})
	if err != nil || claims.ParticipantName != "Gina" || claims.Identity != m.MemberID {
		t.Fatalf("member token: %+v %v", claims, err)
	}
	gina, err := svc.AuthenticateMemberToken(ctx, tok, meta)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.JoinMeeting(ctx, gina, meetings.client(gina)); err != nil {
		t.Fatal(err)
	}
	off := core.PermissionSet{"chatWrite": false}
	if _, _, err := svc.UpdateMember(ctx, admin, room.RoomID, m.MemberID, core.MemberPatch{Custom: &off}); err != nil {
		t.Fatal(err)
	}
	if len(meetings.expelled) != 0 {
		t.Fatalf("expelled without losing meetingJoin: %v", meetings.expelled)
	}
	if _, err := svc.AuthenticateMemberToken(ctx, tok, meta); core.KindOf(err) != core.KindUnauthenticated {
		t.Fatalf("token from before the permission change still accepted: %v", err)
	}
	noJoin := core.PermissionSet{"meetingJoin": false}
	if _, _, err := svc.UpdateMember(ctx, admin, room.RoomID, m.MemberID, core.MemberPatch{Custom: &noJoin}); err != nil {
		t.Fatal(err)
	}
	if len(meetings.expelled) != 1 || meetings.expelled[0] != m.MemberID+"@"+room.RoomID {
		t.Fatalf("member that lost meetingJoin not expelled: %v", meetings.expelled)
	}
	// Its seat is free: the meeting has nobody left.
	if parts, _ := svc.Participants(ctx, admin, room.RoomID); len(parts) != 0 {
		t.Fatalf("expelled member keeps its seat: %+v", parts)
	}
	if _, _, err := svc.IssueMemberToken(ctx, core.Anonymous(meta), room.RoomID, core.MemberTokenRequest{Secret: m.MemberID, JoinMeeting: true}); core.KindOf(err) != core.KindForbidden {
		t.Fatalf("member without meetingJoin got a join token: %v", err)
	}
	if got := svc.MemberURL(m); got != "https://meet.example.com/meet/room/"+room.RoomID+"?secret="+m.MemberID {
		t.Fatalf("member url %s", got)
	}
}

func TestEventsReachSubscribers(t *testing.T) {
	svc, _, _ := newService(t)
	sub := svc.Bus().Subscribe(16)
	defer sub.Close()
	admin := signIn(t, svc, "admin", "admin")
	room, err := svc.CreateRoom(context.Background(), admin, core.RoomOptions{})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-sub.C:
		if e.Type != core.EventRoomChanged || e.RoomID != room.RoomID {
			t.Fatalf("event %+v", e)
		}
	case <-time.After(time.Second):
		t.Fatal("no event for a new room")
	}
}

func ptr[T any](v T) *T { return &v }
