package core_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"conclave/core"
)

// TestMeetingHistory: two participants join and leave; the room's history has the
// meeting with its start and end and both stays, with names, roles and devices, and the
// audit log names them beside their identities. Only those who manage the room see it.
func TestMeetingHistory(t *testing.T) {
	svc, m, admin, room := liveService(t)
	ctx := context.Background()
	before := time.Now().UnixMilli()
	_, ann := joinAs(t, svc, m, room, room.Access.Moderator.Secret, "Ann Archer")
	_, bob := joinAs(t, svc, m, room, room.Access.Speaker.Secret, "Bob Baker")
	m.leave(svc, room.RoomID, bob.Identity)
	if err := svc.KickParticipant(ctx, admin, room.RoomID, ann.Identity); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, svc, admin, room.RoomID, core.StatusOpen) // the meeting ended after its grace period

	page, err := svc.RoomMeetings(ctx, admin, room.RoomID, core.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 {
		t.Fatalf("%d meetings, want 1: %+v", len(page.Items), page.Items)
	}
	mt := page.Items[0]
	if mt.RoomID != room.RoomID || mt.RoomName != "Stand-up" || mt.StartDate < before || mt.EndDate < mt.StartDate {
		t.Fatalf("meeting %+v", mt)
	}
	if len(mt.Attendance) != 2 {
		t.Fatalf("attendance %+v", mt.Attendance)
	}
	byName := map[string]core.Attendance{}
	for _, a := range mt.Attendance {
		byName[a.Name] = a
		if a.JoinedAt < mt.StartDate || a.LeftAt < a.JoinedAt || a.LeftAt > mt.EndDate || a.LeftAt == 0 {
			t.Errorf("stay %+v outside the meeting %d–%d", a, mt.StartDate, mt.EndDate)
		}
	}
	if byName["Ann Archer"].Role != core.BaseRoleModerator || byName["Bob Baker"].Role != core.BaseRoleSpeaker ||
		byName["Ann Archer"].Identity != ann.Identity || byName["Bob Baker"].Identity != bob.Identity {
		t.Fatalf("attendance %+v", mt.Attendance)
	}
	if byName["Bob Baker"].LeftAt > byName["Ann Archer"].LeftAt {
		t.Errorf("Bob left first, but the history says otherwise: %+v", mt.Attendance)
	}

	audit, _ := svc.ListAudit(ctx, admin, core.AuditQuery{Action: "meeting.join"})
	leaves, _ := svc.ListAudit(ctx, admin, core.AuditQuery{Action: "meeting.leave"})
	if len(audit.Items) != 2 || len(leaves.Items) != 2 {
		t.Fatalf("audited %d joins and %d leaves, want 2 and 2", len(audit.Items), len(leaves.Items))
	}
	for _, e := range append(audit.Items, leaves.Items...) {
		if e.Target != "participant:"+ann.Identity+"@"+room.RoomID && e.Target != "participant:"+bob.Identity+"@"+room.RoomID {
			t.Errorf("audit target %q", e.Target)
		}
		if !strings.Contains(e.Detail, "Ann Archer") && !strings.Contains(e.Detail, "Bob Baker") {
			t.Errorf("audit entry %s %s does not name the participant: %q", e.Action, e.Target, e.Detail)
		}
		if e.Actor != "system" && e.ActorName != "Ann Archer" && e.ActorName != "Bob Baker" {
			t.Errorf("audit entry %s by %s has no display name beside the identity (%q)", e.Action, e.Actor, e.ActorName)
		}
	}

	// A second meeting comes first in the history.
	joinAs(t, svc, m, room, room.Access.Speaker.Secret, "Cid")
	page, _ = svc.RoomMeetings(ctx, admin, room.RoomID, core.ListOptions{})
	if len(page.Items) != 2 || page.Items[0].EndDate != 0 || len(page.Items[0].Attendance) != 1 || page.Items[0].Attendance[0].LeftAt != 0 {
		t.Fatalf("live meeting in the history: %+v", page.Items)
	}

	// A room manager who does not own the room may not read its history.
	if _, err := svc.CreateUser(ctx, admin, core.NewUser{UserID: "other_mgr", Name: "Other", Role: "room_manager", Password: "temp-pass"}); err != nil {
		t.Fatal(err)
	}
	other := signIn(t, svc, "other_mgr", "temp-pass")
	if _, err := svc.RoomMeetings(ctx, other, room.RoomID, core.ListOptions{}); core.KindOf(err) != core.KindForbidden && core.KindOf(err) != core.KindNotFound {
		t.Fatalf("another manager reads the history: %v", err)
	}
}
