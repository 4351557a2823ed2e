package core_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
)

// liveService is a core over a real store with a short meeting grace period, and the
// stand-in for the participants' connections recording what core asks of them.
func liveService(t *testing.T) (*core.Service, *recordingMeetings, *core.Principal, *core.Room) {
	t.Helper()
	svc, _ := conclavetest.Core(t, conclavetest.Config{MeetingEndGrace: 50 * time.Millisecond})
	m := &recordingMeetings{}
	admin := signIn(t, svc, "admin", "admin")
	room, err := svc.CreateRoom(context.Background(), admin, core.RoomOptions{RoomName: ptr("Stand-up")})
	if err != nil {
		t.Fatal(err)
	}
	return svc, m, admin, room
}

// joinAs gets a join token through an anonymous link and joins with it.
func joinAs(t *testing.T, svc *core.Service, m *recordingMeetings, room *core.Room, secret, name string) (*core.Principal, *core.Participant) {
	t.Helper()
	p := conclavetest.Member(t, svc, conclavetest.JoinToken(t, svc, room.RoomID, secret, name))
	pt, err := svc.JoinMeeting(context.Background(), p, m.client(p))
	if err != nil {
		t.Fatalf("join %s: %v", name, err)
	}
	return p, pt
}

func roomStatus(t *testing.T, svc *core.Service, admin *core.Principal, id string) string {
	t.Helper()
	r, _, err := svc.GetRoom(context.Background(), admin, id)
	if err != nil {
		t.Fatal(err)
	}
	return r.Status
}

func waitStatus(t *testing.T, svc *core.Service, admin *core.Principal, id, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for roomStatus(t, svc, admin, id) != want {
		if time.Now().After(deadline) {
			t.Fatalf("room status %s, want %s", roomStatus(t, svc, admin, id), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMeetingLifecycle(t *testing.T) {
	svc, m, admin, room := liveService(t)
	ctx := context.Background()
	sub := svc.Bus().Subscribe(64)
	defer sub.Close()
	sam, pt1 := joinAs(t, svc, m, room, room.Access.Speaker.Secret, "Sam")
	_, pt2 := joinAs(t, svc, m, room, room.Access.Moderator.Secret, "sam")
	if pt1.Name != "Sam" || pt2.Name != "sam (2)" {
		t.Fatalf("names not made unique: %q %q", pt1.Name, pt2.Name)
	}
	if _, err := svc.JoinMeeting(ctx, sam, m.client(sam)); core.KindOf(err) != core.KindConflict {
		t.Fatalf("second join with the same token: %v", err)
	}
	if got := roomStatus(t, svc, admin, room.RoomID); got != core.StatusActiveMeeting {
		t.Fatalf("status %s while live", got)
	}
	off := false
	if _, err := svc.UpdateRoomConfig(ctx, admin, room.RoomID, core.ConfigPatch{ChatEnabled: &off}); core.KindOf(err) != core.KindConflict {
		t.Fatalf("config change while live: %v", err)
	}
	if _, err := svc.UpdateRoomConfig(ctx, admin, room.RoomID, core.ConfigPatch{RecordingEnabled: &off}); err != nil {
		t.Fatalf("turning recording off while live refused: %v", err)
	}
	parts, err := svc.Participants(ctx, admin, room.RoomID)
	if err != nil || len(parts) != 2 {
		t.Fatalf("participants %+v %v", parts, err)
	}
	// Everyone leaves, one comes back within the grace period: the meeting goes on.
	m.leave(svc, room.RoomID, pt1.Identity)
	m.leave(svc, room.RoomID, pt2.Identity)
	joinAs(t, svc, m, room, room.Access.Speaker.Secret, "Back again")
	time.Sleep(150 * time.Millisecond)
	if got := roomStatus(t, svc, admin, room.RoomID); got != core.StatusActiveMeeting {
		t.Fatalf("meeting ended although someone came back: %s", got)
	}
	parts, _ = svc.Participants(ctx, admin, room.RoomID)
	m.leave(svc, room.RoomID, parts[0].Identity)
	waitStatus(t, svc, admin, room.RoomID, core.StatusOpen)
	var started, ended int
	for len(sub.C) > 0 {
		switch (<-sub.C).Type {
		case core.EventMeetingStarted:
			started++
		case core.EventMeetingEnded:
			ended++
		}
	}
	if started != 1 || ended != 1 {
		t.Fatalf("meetingStarted %d, meetingEnded %d; want 1 and 1", started, ended)
	}
}

func TestModeration(t *testing.T) {
	svc, m, admin, room := liveService(t)
	ctx := context.Background()
	speaker, sp := joinAs(t, svc, m, room, room.Access.Speaker.Secret, "Speaker")
	moderator, _ := joinAs(t, svc, m, room, room.Access.Moderator.Secret, "Moderator")
	_, victim := joinAs(t, svc, m, room, room.Access.Speaker.Secret, "Victim")

	if err := svc.KickParticipant(ctx, speaker, room.RoomID, victim.Identity); core.KindOf(err) != core.KindForbidden {
		t.Fatalf("speaker kicked: %v", err)
	}
	if err := svc.MuteParticipant(ctx, moderator, room.RoomID, victim.Identity, "smell"); core.KindOf(err) != core.KindValidation {
		t.Fatalf("bad media kind: %v", err)
	}
	if err := svc.MuteParticipant(ctx, moderator, room.RoomID, victim.Identity, core.MediaAudio); err != nil {
		t.Fatal(err)
	}
	if len(m.muted) != 1 || m.muted[0] != victim.Identity+"@"+room.RoomID+":audio" {
		t.Fatalf("mute not passed on: %v", m.muted)
	}
	// Promotion gives the speaker moderator rights for this meeting; demotion takes them.
	if _, err := svc.ChangeParticipantRole(ctx, moderator, room.RoomID, sp.Identity, core.RoleDowngrade); core.KindOf(err) != core.KindConflict {
		t.Fatalf("demoting someone never promoted: %v", err)
	}
	if _, err := svc.ChangeParticipantRole(ctx, moderator, room.RoomID, sp.Identity, core.RoleUpgrade); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ChangeParticipantRole(ctx, moderator, room.RoomID, sp.Identity, core.RoleUpgrade); core.KindOf(err) != core.KindConflict {
		t.Fatalf("promoting a moderator: %v", err)
	}
	if err := svc.KickParticipant(ctx, speaker, room.RoomID, victim.Identity); err != nil {
		t.Fatalf("promoted speaker cannot kick: %v", err)
	}
	if len(m.expelled) != 1 || m.expelled[0] != victim.Identity+"@"+room.RoomID {
		t.Fatalf("kick not passed on: %v", m.expelled)
	}
	if err := svc.KickParticipant(ctx, speaker, room.RoomID, victim.Identity); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("kicking someone gone: %v", err)
	}
	if _, err := svc.ChangeParticipantRole(ctx, moderator, room.RoomID, sp.Identity, core.RoleDowngrade); err != nil {
		t.Fatal(err)
	}
	if err := svc.EndMeeting(ctx, speaker, room.RoomID); core.KindOf(err) != core.KindForbidden {
		t.Fatalf("demoted speaker ended the meeting: %v", err)
	}
	if len(m.updated) != 2 {
		t.Fatalf("role changes not passed on: %v", m.updated)
	}
	if err := svc.EndMeeting(ctx, moderator, room.RoomID); err != nil {
		t.Fatal(err)
	}
	// Both who are left (the victim was kicked) are told the meeting ended.
	if len(m.ended) != 2 || roomStatus(t, svc, admin, room.RoomID) != core.StatusOpen {
		t.Fatalf("meeting not ended: %v, status %s", m.ended, roomStatus(t, svc, admin, room.RoomID))
	}
	if err := svc.EndMeeting(ctx, admin, room.RoomID); err != nil {
		t.Fatalf("ending a meeting that is not live is not idempotent: %v", err)
	}
	if len(m.ended) != 2 {
		t.Fatalf("ending no meeting reached the live side: %v", m.ended)
	}
	page, _ := svc.ListAudit(ctx, admin, core.AuditQuery{Action: "meeting."})
	moderation := 0
	for _, e := range page.Items {
		if e.Action != "meeting.join" && e.Action != "meeting.leave" {
			moderation++
		}
	}
	if moderation != 5 { // mute, upgrade, kick, downgrade, end
		t.Fatalf("moderation audit entries: %d", moderation)
	}
}

func TestScheduledDeletionHappensWhenMeetingEnds(t *testing.T) {
	svc, m, admin, room := liveService(t)
	ctx := context.Background()
	_, pt := joinAs(t, svc, m, room, room.Access.Speaker.Secret, "Last one")
	res, err := svc.DeleteRoom(ctx, admin, room.RoomID, core.PolicyWhenMeetingEnds, core.PolicyFail)
	if err != nil || !res.Scheduled || res.Code != core.ScheduledRoomWithMeetingDeletion {
		t.Fatalf("scheduled deletion: %+v %v", res, err)
	}
	if _, err := svc.DeleteRoom(ctx, admin, room.RoomID, core.PolicyFail, core.PolicyFail); core.KindOf(err) != core.KindConflict {
		t.Fatalf("deleting a live room with fail: %v", err)
	}
	m.leave(svc, room.RoomID, pt.Identity)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, _, err := svc.GetRoom(ctx, admin, room.RoomID)
		if core.KindOf(err) == core.KindNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("room not deleted when its meeting ended: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestClosedRoomCannotBeJoined(t *testing.T) {
	svc, m, admin, room := liveService(t)
	ctx := context.Background()
	tok, _, err := svc.IssueMemberToken(ctx, core.Anonymous(meta), room.RoomID, core.MemberTokenRequest{Secret: room.Access.Speaker.Secret, JoinMeeting: true, ParticipantName: "Late"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.UpdateRoomStatus(ctx, admin, room.RoomID, core.StatusClosed); err != nil {
		t.Fatal(err)
	}
	p, err := svc.AuthenticateMemberToken(ctx, tok, meta)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.JoinMeeting(ctx, p, m.client(p)); core.KindOf(err) != core.KindConflict {
		t.Fatalf("joined a closed room: %v", err)
	}
}

func TestRestartEndsMeetingsLeftLive(t *testing.T) {
	svc, store := conclavetest.Core(t, conclavetest.Config{})
	ctx := context.Background()
	admin := signIn(t, svc, "admin", "admin")
	live, _ := svc.CreateRoom(ctx, admin, core.RoomOptions{RoomName: ptr("Crashed")})
	closing, _ := svc.CreateRoom(ctx, admin, core.RoomOptions{RoomName: ptr("Closing")})
	// As a crash would leave them: marked live, one with a close scheduled.
	for _, r := range []*core.Room{live, closing} {
		r.Status = core.StatusActiveMeeting
	}
	closing.MeetingEndAction = core.EndActionClose
	for _, r := range []*core.Room{live, closing} {
		if err := store.UpdateRoom(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	again, err := core.New(store, core.Config{BcryptCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Bootstrap(ctx, false, ""); err != nil {
		t.Fatal(err)
	}
	if got := roomStatus(t, again, admin, live.RoomID); got != core.StatusOpen {
		t.Fatalf("room left live by a crash is %s after restart", got)
	}
	if got := roomStatus(t, again, admin, closing.RoomID); got != core.StatusClosed {
		t.Fatalf("scheduled close not carried out at restart: %s", got)
	}
}

func TestLiveMeetingsWithTrackStats(t *testing.T) {
	svc, m, admin, room := liveService(t)
	ctx := context.Background()
	_, pt := joinAs(t, svc, m, room, room.Access.Speaker.Secret, "Streamer")
	svc.TrackPublished(room.RoomID, pt.Identity, core.TrackStat{TrackID: "camera-1", Kind: "video", Source: "camera"})
	svc.TrackPublished(room.RoomID, pt.Identity, core.TrackStat{TrackID: "microphone-0", Kind: "audio", Source: "microphone"})
	svc.TrackStats(room.RoomID, pt.Identity, core.TrackStat{TrackID: "camera-1", Kind: "video", Source: "camera", Bitrate: 1.5e6, Packets: 990, PacketsLost: 10})
	svc.TrackPublished(room.RoomID, "nobody", core.TrackStat{TrackID: "x"}) // ignored
	live, err := svc.LiveMeetings(ctx, admin)
	if err != nil || len(live) != 1 || live[0].Room.RoomID != room.RoomID || len(live[0].Participants) != 1 {
		t.Fatalf("live meetings %+v %v", live, err)
	}
	tracks := live[0].Participants[0].Tracks()
	if len(tracks) != 2 || tracks[0].Source != "camera" || tracks[0].Bitrate != 1.5e6 || tracks[0].LossPercent() != 1 {
		t.Fatalf("tracks %+v", tracks)
	}
	svc.TrackUnpublished(room.RoomID, pt.Identity, "camera-1")
	// The copy handed out before is not changed under the reader's feet.
	if len(live[0].Participants[0].Tracks()) != 2 {
		t.Fatal("a copy shared the live track map")
	}
	live, _ = svc.LiveMeetings(ctx, admin)
	if got := live[0].Participants[0].Tracks(); len(got) != 1 || got[0].Source != "microphone" {
		t.Fatalf("after unpublishing: %+v", got)
	}
	// Someone without access to the room does not see its meeting.
	if _, err := svc.CreateUser(ctx, admin, core.NewUser{UserID: "outsider", Name: "Out", Role: "room_manager", Password: "first1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ChangePassword(ctx, mustPrincipal(t, svc, "outsider"), "first1", "second2"); err != nil {
		t.Fatal(err)
	}
	if live, err := svc.LiveMeetings(ctx, mustPrincipal(t, svc, "outsider")); err != nil || len(live) != 0 {
		t.Fatalf("outsider sees %+v %v", live, err)
	}
}

func mustPrincipal(t *testing.T, svc *core.Service, user string) *core.Principal {
	t.Helper()
	p, err := svc.UserPrincipal(context.Background(), user, meta)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEndAllMeetingsAtShutdown(t *testing.T) {
	svc, m, admin, room := liveService(t)
	joinAs(t, svc, m, room, room.Access.Speaker.Secret, "Still here")
	if n := svc.EndAllMeetings("The server is going away"); n != 1 {
		t.Fatalf("ended %d meetings", n)
	}
	if len(m.away) != 1 || m.away[0] != "The server is going away" || roomStatus(t, svc, admin, room.RoomID) != core.StatusOpen {
		t.Fatalf("live side told %v; status %s", m.away, roomStatus(t, svc, admin, room.RoomID))
	}
	if live, _ := svc.LiveMeetings(context.Background(), admin); len(live) != 0 {
		t.Fatalf("still live: %+v", live)
	}
}

func TestResumeMeetingKeepsSeatAndPromotion(t *testing.T) {
	svc, m, admin, room := liveService(t)
	ctx := context.Background()
	p, pt := joinAs(t, svc, m, room, room.Access.Speaker.Secret, "Dana")
	if _, err := svc.ChangeParticipantRole(ctx, admin, room.RoomID, pt.Identity, core.RoleUpgrade); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.ResumeMeeting(ctx, p, "not the secret", &recordingClient{m: m, at: "thief"}); !errors.Is(err, core.ErrBadResume) {
		t.Fatalf("resume with a wrong secret: %v", err)
	}
	next := &recordingClient{m: m, at: pt.Identity + "@" + room.RoomID + " (resumed)"}
	got, perms, err := svc.ResumeMeeting(ctx, p, pt.ResumeSecret(), next)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Dana" || got.MeetingRole != core.BaseRoleModerator || !perms.ParticipantKick {
		t.Fatalf("resumed as %+v with %+v", got, perms)
	}
	if !slices.Equal(m.replaced, []string{pt.Identity + "@" + room.RoomID}) {
		t.Fatalf("old connection not told it was replaced: %v", m.replaced)
	}
	if got.ResumeSecret() == pt.ResumeSecret() {
		t.Fatal("resume secret not renewed")
	}
	// The old connection ending does not free the seat; the new one's does.
	m.leave(svc, room.RoomID, pt.Identity)
	if parts, _ := svc.Participants(ctx, admin, room.RoomID); len(parts) != 1 {
		t.Fatalf("the replaced connection's leaving freed the seat: %+v", parts)
	}
	svc.LeaveMeeting(room.RoomID, pt.Identity, next)
	if _, _, err := svc.ResumeMeeting(ctx, p, got.ResumeSecret(), next); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("resume after leaving: %v", err)
	}
	// A fresh join with the same token works again once the seat is free.
	if _, err := svc.JoinMeeting(ctx, p, m.client(p)); err != nil {
		t.Fatal(err)
	}
}

func TestTrackChangesReachTheLiveSide(t *testing.T) {
	svc, m, _, room := liveService(t)
	_, pt := joinAs(t, svc, m, room, room.Access.Speaker.Secret, "Eve")
	svc.TrackPublished(room.RoomID, pt.Identity, core.TrackStat{TrackID: "camera-0", Kind: "video", Source: "camera"})
	svc.TrackPublished(room.RoomID, pt.Identity, core.TrackStat{TrackID: "microphone-1", Kind: "audio", Source: "microphone"})
	svc.TrackUnpublished(room.RoomID, pt.Identity, "camera-0")
	svc.TrackPublished(room.RoomID, "nobody", core.TrackStat{TrackID: "camera-0"})
	m.mu.Lock()
	defer m.mu.Unlock()
	want := []string{pt.Identity + "@" + room.RoomID + ":1", pt.Identity + "@" + room.RoomID + ":2", pt.Identity + "@" + room.RoomID + ":1"}
	if !slices.Equal(m.tracks, want) {
		t.Fatalf("live side told %v, want %v", m.tracks, want)
	}
}
