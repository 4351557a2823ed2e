package tui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
	"conclave/db"
	"conclave/web"
	"conclave/webhook"
)

// An admin's Settings tab shows where webhooks go and what became of the last
// deliveries, following them as they happen.
func TestSettingsShowsWebhookDeliveries(t *testing.T) {
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusTeapot)
	}))
	defer rc.Close()
	var svc *core.Service
	var hooks *webhook.Outbox
	svc, _ = conclavetest.Core(t, conclavetest.Config{PublicURL: "http://meet.test", DBPath: filepath.Join(t.TempDir(), "c.db"),
		Webhooks: func(store *db.DB, publicURL string) core.WebhookOutbox {
			hooks = webhook.New(store, webhook.Options{Render: web.WebhookData(func() *core.Service { return svc }),
				Self: []string{publicURL}, Retries: 1, Backoff: 10 * time.Millisecond,
				Changed: func() { svc.Bus().Publish(core.Event{Type: core.EventWebhooks}) }})
			return hooks
		}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); hooks.Run(ctx) }()
	defer func() { cancel(); <-done }()

	h := newHarness(t, svc, "admin")
	tab := regexp.MustCompile(`(\d) Settings`).FindStringSubmatch(h.view())
	if tab == nil {
		t.Fatalf("no Settings tab:\n%s", h.view())
	}
	h.key(tab[1])
	h.mustSee("Webhooks  off", "0 pending · 0 delivered · 0 failed · 0 dropped")
	if _, err := svc.SetWebhooksConfig(context.Background(), asAdmin(t, svc), core.WebhookConfig{Enabled: true, URL: rc.URL + "/hook"}); err != nil {
		t.Fatal(err)
	}
	room := conclavetest.Room(t, svc, "Watched")
	p := conclavetest.Member(t, svc, conclavetest.JoinToken(t, svc, room.RoomID, room.Access.Moderator.Secret, "Ada"))
	if _, err := svc.JoinMeeting(context.Background(), p, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(h.view(), "2 failed") {
		if time.Now().After(deadline) {
			t.Fatalf("the failures never showed:\n%s", h.view())
		}
		time.Sleep(50 * time.Millisecond)
		h.pump()
	}
	h.mustSee("on → "+rc.URL+"/hook", "participantJoined", "meetingStarted", "failed: answered 418")
}
