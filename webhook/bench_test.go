package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"

	"conclave/conclavetest"
	"conclave/webhook"
)

// BenchmarkJoinLeaveWebhooks measures a participant joining a meeting and leaving it,
// each queueing its webhook in its transaction, with webhooks off, to a receiver that
// answers, and to one that never answers: the meeting's cost must not depend on the
// receiver.
func BenchmarkJoinLeaveWebhooks(b *testing.B) {
	for _, mode := range []string{"off", "answering", "hanging"} {
		b.Run(mode, func(b *testing.B) {
			release := make(chan struct{})
			rc := newReceiver(b, func(n int64, w http.ResponseWriter, r *http.Request) bool {
				if mode == "hanging" {
					select {
					case <-release:
					case <-r.Context().Done():
					}
					return true
				}
				w.WriteHeader(http.StatusOK)
				return true
			})
			b.Cleanup(func() { close(release) }) // before the receiver's Close (cleanups run last first)
			e := start(b, filepath.Join(b.TempDir(), "c.db"), webhook.Options{})
			if mode != "off" {
				e.enable(b, rc.srv.URL)
			}
			ctx := context.Background()
			room := conclavetest.Room(b, e.svc, "Bench")
			secret := room.Access.Speaker.Secret
			e.join(b, room, "Host")
			i := 0
			for b.Loop() {
				b.StopTimer()
				p := conclavetest.Member(b, e.svc, conclavetest.JoinToken(b, e.svc, room.RoomID, secret, fmt.Sprintf("Guest %d", i)))
				b.StartTimer()
				pt, err := e.svc.JoinMeeting(ctx, p, nil)
				if err != nil {
					b.Fatal(err)
				}
				e.svc.LeaveMeeting(room.RoomID, pt.Identity, nil)
				i++
			}
		})
	}
}
