package signal_test

import (
	"context"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
)

// Rights follow every change at once (SPEC 13): each change that alters what a connected
// participant may do reaches its open socket within a second.

// expelledWithin waits for c to be kicked and its socket closed (4004) within d.
func (c *sigClient) expelledWithin(start time.Time, d time.Duration) map[string]any {
	c.t.Helper()
	f := c.expect("kicked")
	c.kickedWithin(start, d)
	c.closedWith(4004)
	return f
}

func TestDeletedUserLeavesEveryMeeting(t *testing.T) {
	s := newSigStack(t)
	ctx := context.Background()
	// Olga owns a room, Ada is an admin, Uma comes in through user access: none of them is
	// a member, so deleting their users must expel them all the same.
	olga := conclavetest.User(t, s.Svc, "olga_owner", "room_manager")
	owned, err := s.Svc.CreateRoom(ctx, olga, core.RoomOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ada := conclavetest.User(t, s.Svc, "ada_admin", "admin")
	uma := conclavetest.User(t, s.Svc, "uma_user", "room_member")
	on := true
	if _, err := s.Svc.UpdateRoomAccess(ctx, s.admin, s.roomID, core.AccessPatch{User: &on}); err != nil {
		t.Fatal(err)
	}
	owner := s.connectWith("Olga", conclavetest.UserJoinToken(t, s.Svc, olga, owned.RoomID))
	admin := s.connectWith("Ada", conclavetest.UserJoinToken(t, s.Svc, ada, s.roomID))
	viaAccess := s.connectWith("Uma", conclavetest.UserJoinToken(t, s.Svc, uma, s.roomID))
	other := s.connect("Sam")

	for _, c := range []struct {
		userID string
		client *sigClient
	}{{"olga_owner", owner}, {"ada_admin", admin}, {"uma_user", viaAccess}} {
		start := time.Now()
		if err := s.Svc.DeleteUser(ctx, s.admin, c.userID); err != nil {
			t.Fatal(err)
		}
		if f := c.client.expelledWithin(start, time.Second); f["reason"] != "Your user was deleted" {
			t.Fatalf("%s kicked with %v", c.userID, f)
		}
	}
	// The others stay; the seats are free.
	other.send(map[string]any{"type": "chat", "text": "still here"})
	other.expect("chat")
	parts, _ := s.Svc.Participants(ctx, s.admin, s.roomID)
	if len(parts) != 1 || parts[0].Identity != other.identity {
		t.Fatalf("participants left: %+v", parts)
	}
}

func TestDemotedMemberLosesRightsOnItsOpenSocket(t *testing.T) {
	s := newSigStack(t)
	ctx := context.Background()
	m, _, err := s.Svc.AddMember(ctx, s.admin, s.roomID, core.NewMember{Name: "Mona", BaseRole: core.BaseRoleModerator})
	if err != nil {
		t.Fatal(err)
	}
	mona := s.connectWith("Mona", conclavetest.JoinToken(t, s.Svc, s.roomID, m.MemberID, ""))
	sam := s.connect("Sam")
	mona.publishAudio()
	waitUntil(t, "Sam hearing Mona", func() bool { return sam.received(mona.identity, "audio") > 5 })
	if mona.joined["role"] != "moderator" {
		t.Fatalf("Mona joined as %v", mona.joined["role"])
	}

	// Demoted to speaker without chat or microphone, while connected.
	speaker := core.BaseRoleSpeaker
	custom := core.PermissionSet{"chatWrite": false, "mediaPublishAudio": false}
	start := time.Now()
	if _, _, err := s.Svc.UpdateMember(ctx, s.admin, s.roomID, m.MemberID, core.MemberPatch{BaseRole: &speaker, Custom: &custom}); err != nil {
		t.Fatal(err)
	}
	got := mona.expect("permissions")
	if took := time.Since(start); took > time.Second {
		t.Fatalf("permissions frame after %v", took)
	}
	perms, _ := got["permissions"].(map[string]any)
	if got["role"] != "speaker" || perms["participantKick"] != false || perms["chatWrite"] != false || perms["mediaPublishAudio"] != false {
		t.Fatalf("permissions %v", got)
	}
	// The others hear of her new role and of her microphone going, in either order (a
	// participantUpdated before that told of her media connection coming up).
	seen := map[string]map[string]any{}
	sam.next("Mona's new role and her microphone going", func(m map[string]any) bool {
		switch {
		case m["type"] == "participantUpdated" && m["role"] != "moderator":
			seen["participantUpdated"] = m
		case m["type"] == "trackUnpublished":
			seen["trackUnpublished"] = m
		}
		return len(seen) == 2
	})
	if f := seen["participantUpdated"]; f["identity"] != mona.identity || f["role"] != "speaker" {
		t.Fatalf("participantUpdated %v", f)
	}
	if f := seen["trackUnpublished"]; f["identity"] != mona.identity {
		t.Fatalf("trackUnpublished %v", f)
	}
	// Kick and chat are refused on the open socket; the SFU stops forwarding her microphone.
	mona.send(map[string]any{"type": "kick", "ref": "k1", "identity": sam.identity})
	if f := mona.expectError("forbidden"); f["ref"] != "k1" {
		t.Fatalf("kick answered %v", f)
	}
	mona.send(map[string]any{"type": "chat", "text": "am I still here?"})
	mona.expectError("chat_forbidden")
	time.Sleep(200 * time.Millisecond) // packets already on their way
	before := sam.received(mona.identity, "audio")
	time.Sleep(300 * time.Millisecond)
	if after := sam.received(mona.identity, "audio"); after > before {
		t.Fatalf("Sam still receives Mona's microphone: %d → %d packets", before, after)
	}
	select {
	case <-sam.closed:
		t.Fatal("Sam was disconnected")
	default:
	}

	// Losing meetingJoin expels her, and frees the seat.
	off := core.PermissionSet{"meetingJoin": false}
	start = time.Now()
	if _, _, err := s.Svc.UpdateMember(ctx, s.admin, s.roomID, m.MemberID, core.MemberPatch{Custom: &off}); err != nil {
		t.Fatal(err)
	}
	mona.expelledWithin(start, time.Second)
}

func TestRegeneratedLinkExpelsThoseItAdmitted(t *testing.T) {
	s := newSigStack(t)
	ctx := context.Background()
	m, _, err := s.Svc.AddMember(ctx, s.admin, s.roomID, core.NewMember{Name: "Mel", BaseRole: core.BaseRoleSpeaker})
	if err != nil {
		t.Fatal(err)
	}
	mel := s.connectWith("Mel", conclavetest.JoinToken(t, s.Svc, s.roomID, m.MemberID, ""))
	viaSpeaker := s.connect("Linda")
	viaModerator := s.connectWith("Moe", conclavetest.JoinToken(t, s.Svc, s.roomID, s.moderator, "Moe"))

	start := time.Now()
	room, err := s.Svc.RegenerateAccessLink(ctx, s.admin, s.roomID, core.BaseRoleSpeaker)
	if err != nil {
		t.Fatal(err)
	}
	viaSpeaker.expelledWithin(start, time.Second)
	// Only the speaker link changed: the moderator link's participant and the member stay.
	for _, c := range []*sigClient{mel, viaModerator} {
		c.noFrame("kicked", "", 300*time.Millisecond)
		select {
		case <-c.closed:
			t.Fatalf("%s was disconnected", c.Name)
		default:
		}
	}
	// The new link admits again.
	s.speaker = room.Access.Speaker.Secret
	s.connect("Linda again")
}

func TestUserRoleChangeReachesItsSeat(t *testing.T) {
	s := newSigStack(t)
	ctx := context.Background()
	ada := conclavetest.User(t, s.Svc, "ada_admin", "admin")
	admin := s.connectWith("Ada", conclavetest.UserJoinToken(t, s.Svc, ada, s.roomID))
	if admin.joined["role"] != "moderator" {
		t.Fatalf("admin joined as %v", admin.joined["role"])
	}
	// No longer an admin, not a member, no user access: she may not be there any more.
	start := time.Now()
	if _, err := s.Svc.UpdateRole(ctx, s.admin, "ada_admin", "room_member"); err != nil {
		t.Fatal(err)
	}
	admin.expelledWithin(start, time.Second)

	// A member who becomes an admin keeps its seat and gets an admin's rights.
	mo := conclavetest.User(t, s.Svc, "mo_member", "room_member")
	if _, _, err := s.Svc.AddMember(ctx, s.admin, s.roomID, core.NewMember{UserID: "mo_member", BaseRole: core.BaseRoleSpeaker}); err != nil {
		t.Fatal(err)
	}
	member := s.connectWith("Mo", conclavetest.UserJoinToken(t, s.Svc, mo, s.roomID))
	if member.joined["role"] != "speaker" {
		t.Fatalf("member joined as %v", member.joined["role"])
	}
	if _, err := s.Svc.UpdateRole(ctx, s.admin, "mo_member", "admin"); err != nil {
		t.Fatal(err)
	}
	got := member.expect("permissions")
	if perms, _ := got["permissions"].(map[string]any); got["role"] != "moderator" || perms["participantKick"] != true {
		t.Fatalf("permissions %v", got)
	}
}

func TestRevokedAPIKeyExpelsTheSeatsItMinted(t *testing.T) {
	s := newSigStack(t)
	ctx := context.Background()
	key, err := s.Svc.CreateAPIKey(ctx, s.admin, "integration")
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.Svc.CreateAPIKey(ctx, s.admin, "other")
	if err != nil {
		t.Fatal(err)
	}
	tokenOf := func(k *core.NewAPIKey, name string) string {
		p, err := s.Svc.AuthenticateAPIKey(ctx, k.Key, conclavetest.Meta)
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := s.Svc.IssueMemberToken(ctx, p, s.roomID, core.MemberTokenRequest{JoinMeeting: true, ParticipantName: name})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	bot := s.connectWith("Bot", tokenOf(key, "Bot"))
	stays := s.connectWith("Other bot", tokenOf(other, "Other bot"))
	start := time.Now()
	if err := s.Svc.DeleteAPIKey(ctx, s.admin, key.ID); err != nil {
		t.Fatal(err)
	}
	bot.expelledWithin(start, time.Second)
	stays.noFrame("kicked", "", 300*time.Millisecond)
	stays.send(map[string]any{"type": "chat", "text": "still here"})
	stays.expect("chat")
}
