package webhook_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
	"conclave/db"
	"conclave/web"
	"conclave/webhook"
)

// A recording's start, its status changes and its end reach the receiver, signed, each
// with the recording as REST returns it and the statuses OpenVidu Meet's reference allows
// for that event. It records for real, so it needs the loopback-only namespace.
func TestRecordingEventsArrive(t *testing.T) {
	rc := newReceiver(t, nil)
	var svc *core.Service
	var hooks *webhook.Outbox
	st := conclavetest.NewStack(t, conclavetest.HTTPConfig{Media: true, Record: true, Config: conclavetest.Config{
		Webhooks: func(store *db.DB, publicURL string) core.WebhookOutbox {
			hooks = webhook.New(store, webhook.Options{Render: web.WebhookData(func() *core.Service { return svc }), Self: []string{publicURL}})
			return hooks
		}}})
	svc = st.Svc
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); hooks.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	e := &env{svc: svc, db: st.DB, hooks: hooks, admin: conclavetest.Admin(t, svc)}
	secret := e.enable(t, rc.srv.URL)
	room := conclavetest.Room(t, svc, "Recorded")
	e.join(t, room, "Ada")
	rec, err := svc.StartRecording(context.Background(), e.admin, room.RoomID, "")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := svc.StopRecording(context.Background(), e.admin, rec.RecordingID); err != nil {
		t.Fatal(err)
	}
	allowed := map[string][]string{
		core.WebhookRecordingStarted: {"starting", "active"},
		core.WebhookRecordingUpdated: {"active", "ending"},
		core.WebhookRecordingEnded:   {"complete", "failed", "aborted", "limit_reached"},
	}
	var order []string
	for len(order) == 0 || order[len(order)-1] != core.WebhookRecordingEnded {
		ev := rc.next(t, 20*time.Second)
		if _, ok := allowed[ev.Event]; !ok {
			continue // the meeting's own events
		}
		verify(t, secret, ev)
		var data map[string]any
		if err := json.Unmarshal(ev.Data, &data); err != nil {
			t.Fatal(err)
		}
		if data["recordingId"] != rec.RecordingID || data["roomId"] != room.RoomID {
			t.Fatalf("%s data %s", ev.Event, ev.Data)
		}
		ok := false
		for _, s := range allowed[ev.Event] {
			ok = ok || data["status"] == s
		}
		if !ok {
			t.Fatalf("%s with status %v", ev.Event, data["status"])
		}
		if ev.Event == core.WebhookRecordingEnded {
			for _, k := range []string{"endDate", "duration", "size", "details"} {
				if data[k] == nil {
					t.Fatalf("recordingEnded without %s: %s", k, ev.Data)
				}
			}
		}
		order = append(order, ev.Event)
	}
	if order[0] != core.WebhookRecordingStarted || len(order) < 3 {
		t.Fatalf("recording events %v, want started, updated…, ended", order)
	}
}
