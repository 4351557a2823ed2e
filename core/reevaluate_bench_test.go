package core_test

import (
	"context"
	"fmt"
	"testing"

	"conclave/conclavetest"
	"conclave/core"
)

// BenchmarkReevaluate100 measures one pass over a meeting of 100 (40 external members, 30
// internal users who are members, 30 through anonymous links) working out every seat's
// rights again from the SQLite store, as a change that concerns them all would.
func BenchmarkReevaluate100(b *testing.B) {
	svc, _ := conclavetest.Core(b, conclavetest.Config{})
	ctx := context.Background()
	admin := conclavetest.Admin(b, svc)
	room := conclavetest.Room(b, svc, "Town hall")
	join := func(tok string) {
		if _, err := svc.JoinMeeting(ctx, conclavetest.Member(b, svc, tok), nil); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 40 {
		m, _, err := svc.AddMember(ctx, admin, room.RoomID, core.NewMember{Name: fmt.Sprintf("Guest %d", i), BaseRole: core.BaseRoleSpeaker})
		if err != nil {
			b.Fatal(err)
		}
		join(conclavetest.JoinToken(b, svc, room.RoomID, m.MemberID, ""))
	}
	for i := range 30 {
		id := fmt.Sprintf("member_%02d", i)
		u := conclavetest.User(b, svc, id, "room_member")
		if _, _, err := svc.AddMember(ctx, admin, room.RoomID, core.NewMember{UserID: id, BaseRole: core.BaseRoleModerator}); err != nil {
			b.Fatal(err)
		}
		join(conclavetest.UserJoinToken(b, svc, u, room.RoomID))
	}
	for i := range 30 {
		join(conclavetest.JoinToken(b, svc, room.RoomID, room.Access.Speaker.Secret, fmt.Sprintf("Visitor %d", i)))
	}
	if parts, _ := svc.Participants(ctx, admin, room.RoomID); len(parts) != 100 {
		b.Fatalf("%d participants", len(parts))
	}
	b.ResetTimer()
	for b.Loop() {
		if expelled, _ := svc.ReevaluateAll(ctx, room.RoomID); expelled != 0 {
			b.Fatalf("%d expelled", expelled)
		}
	}
}
