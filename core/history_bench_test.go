package core_test

import (
	"context"
	"fmt"
	"testing"

	"conclave/conclavetest"
)

// BenchmarkJoinLeave measures a participant joining a meeting already going on and
// leaving it, with the history and audit each writes to the SQLite store (a transaction
// each), as a browser's join and departure cost the server.
func BenchmarkJoinLeave(b *testing.B) {
	svc, _ := conclavetest.Core(b, conclavetest.Config{})
	ctx := context.Background()
	room := conclavetest.Room(b, svc, "Drop-in")
	secret := room.Access.Speaker.Secret
	// Someone stays, so that the meeting goes on through the loop.
	if _, err := svc.JoinMeeting(ctx, conclavetest.Member(b, svc, conclavetest.JoinToken(b, svc, room.RoomID, secret, "Host")), nil); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		b.StopTimer()
		p := conclavetest.Member(b, svc, conclavetest.JoinToken(b, svc, room.RoomID, secret, fmt.Sprintf("Guest %d", i)))
		b.StartTimer()
		pt, err := svc.JoinMeeting(ctx, p, nil)
		if err != nil {
			b.Fatal(err)
		}
		svc.LeaveMeeting(room.RoomID, pt.Identity, nil)
		i++
	}
}
