package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
	"conclave/db"
	"conclave/web"
	"conclave/webhook"
)

// received is one POST a receiver got.
type received struct {
	Event        string          `json:"event"`
	CreationDate int64           `json:"creationDate"`
	Data         json.RawMessage `json:"data"`
	body         []byte
	ts, sig      string
	at           time.Time
}

// receiver is a webhook endpoint on loopback; answer decides each request's fate (nil:
// 200), given how many came before.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	n      atomic.Int64
	answer func(n int64, w http.ResponseWriter, r *http.Request) bool // true: answered
	ch     chan received
}

func newReceiver(t testing.TB, answer func(n int64, w http.ResponseWriter, r *http.Request) bool) *receiver {
	rc := &receiver{answer: answer, ch: make(chan received, 1000)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b)) // for answer
		n := rc.n.Add(1) - 1
		if rc.answer != nil && rc.answer(n, w, r) {
			return
		}
		var e received
		if err := json.Unmarshal(b, &e); err != nil {
			t.Errorf("webhook body is not JSON: %v: %s", err, b)
		}
		e.body, e.ts, e.sig, e.at = b, r.Header.Get("X-Timestamp"), r.Header.Get("X-Signature"), time.Now()
		rc.mu.Lock()
		rc.got = append(rc.got, e)
		rc.mu.Unlock()
		rc.ch <- e
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// next waits for the next event delivered.
func (rc *receiver) next(t *testing.T, within time.Duration) received {
	t.Helper()
	select {
	case e := <-rc.ch:
		return e
	case <-time.After(within):
		t.Fatalf("no webhook within %s", within)
	}
	return received{}
}

// env is core with a webhook outbox on a database file, its deliveries running.
type env struct {
	svc   *core.Service
	db    *db.DB
	hooks *webhook.Outbox
	admin *core.Principal
	stop  context.CancelFunc
	done  chan struct{}
}

func start(t testing.TB, path string, opts webhook.Options) *env {
	t.Helper()
	e := &env{done: make(chan struct{})}
	e.svc, e.db = conclavetest.Core(t, conclavetest.Config{DBPath: path, MeetingEndGrace: 50 * time.Millisecond,
		Webhooks: func(store *db.DB, publicURL string) core.WebhookOutbox {
			opts.Render = web.WebhookData(func() *core.Service { return e.svc })
			opts.Self = []string{publicURL}
			e.hooks = webhook.New(store, opts)
			return e.hooks
		}})
	e.admin = conclavetest.Admin(t, e.svc)
	ctx, cancel := context.WithCancel(context.Background())
	e.stop = func() { cancel(); <-e.done }
	go func() { defer close(e.done); e.hooks.Run(ctx) }()
	t.Cleanup(e.stop)
	return e
}

func (e *env) enable(t testing.TB, url string) string {
	t.Helper()
	if _, err := e.svc.SetWebhooksConfig(context.Background(), e.admin, core.WebhookConfig{Enabled: true, URL: url}); err != nil {
		t.Fatalf("enable webhooks: %v", err)
	}
	secret, err := e.svc.WebhookSecret(context.Background(), e.admin)
	if err != nil || len(secret) < 32 {
		t.Fatalf("webhook secret %q: %v", secret, err)
	}
	return secret
}

// join seats a participant (without media) in room and returns its identity.
func (e *env) join(t testing.TB, room *core.Room, name string) string {
	t.Helper()
	p := conclavetest.Member(t, e.svc, conclavetest.JoinToken(t, e.svc, room.RoomID, room.Access.Moderator.Secret, name))
	pt, err := e.svc.JoinMeeting(context.Background(), p, nil)
	if err != nil {
		t.Fatalf("join %s: %v", name, err)
	}
	return pt.Identity
}

// waitCount waits until n deliveries are in status (their outcome is stored just after
// the receiver answers).
func (e *env) waitCount(t *testing.T, status string, n int) map[string]int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := e.svc.WebhookCounts(context.Background(), e.admin)
		if err != nil {
			t.Fatal(err)
		}
		if c[status] == n {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("counts %v, want %d %s", c, n, status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func verify(t *testing.T, secret string, e received) {
	t.Helper()
	if e.ts == "" || e.sig == "" {
		t.Fatalf("%s: X-Timestamp %q, X-Signature %q", e.Event, e.ts, e.sig)
	}
	if !webhook.Verify(secret, e.ts, e.body, e.sig) {
		t.Fatalf("%s: X-Signature %s does not verify as HMAC-SHA256 of %q.<body>", e.Event, e.sig, e.ts)
	}
	if webhook.Verify("another secret of at least thirty-two chars", e.ts, e.body, e.sig) {
		t.Fatalf("%s: signature verifies with any key", e.Event)
	}
}

// A meeting's start and end and its participant's arrival and departure reach the
// receiver, in order, signed with the webhook secret, with the room as REST shows it.
func TestMeetingEventsArriveSigned(t *testing.T) {
	rc := newReceiver(t, nil)
	e := start(t, filepath.Join(t.TempDir(), "c.db"), webhook.Options{})
	secret := e.enable(t, rc.srv.URL+"/hook")
	room := conclavetest.Room(t, e.svc, "Daily")
	id := e.join(t, room, "Ada")
	e.svc.LeaveMeeting(room.RoomID, id, nil)

	want := []string{core.WebhookMeetingStarted, core.WebhookParticipantJoined, core.WebhookParticipantLeft, core.WebhookMeetingEnded}
	var got []received
	for range want {
		got = append(got, rc.next(t, 10*time.Second))
	}
	for i, ev := range got {
		if ev.Event != want[i] {
			t.Fatalf("event %d is %s, want %s (all: %v)", i, ev.Event, want[i], got)
		}
		verify(t, secret, ev)
		if ev.CreationDate <= 0 {
			t.Fatalf("%s: creationDate %d", ev.Event, ev.CreationDate)
		}
		var data map[string]any
		if err := json.Unmarshal(ev.Data, &data); err != nil {
			t.Fatal(err)
		}
		if data["roomId"] != room.RoomID {
			t.Fatalf("%s: data.roomId %v, want %s", ev.Event, data["roomId"], room.RoomID)
		}
		switch ev.Event {
		case core.WebhookMeetingStarted:
			if data["status"] != core.StatusActiveMeeting || data["roomName"] != "Daily" {
				t.Fatalf("meetingStarted data: %s", ev.Data)
			}
			// The anonymous links' secrets are not sent.
			anon := data["access"].(map[string]any)["anonymous"].(map[string]any)["moderator"].(map[string]any)
			if _, ok := anon["url"]; ok {
				t.Fatalf("meetingStarted leaks the moderator link: %s", ev.Data)
			}
		case core.WebhookMeetingEnded:
			if data["status"] != core.StatusOpen {
				t.Fatalf("meetingEnded data: %s", ev.Data)
			}
		case core.WebhookParticipantJoined, core.WebhookParticipantLeft:
			if data["participantName"] != "Ada" || data["participantIdentity"] != id {
				t.Fatalf("%s data: %s", ev.Event, ev.Data)
			}
		}
	}
	e.waitCount(t, core.WebhookDelivered, 4)
	page, err := e.svc.WebhookDeliveries(context.Background(), e.admin, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 4 {
		t.Fatalf("%d deliveries listed, want 4", len(page.Items))
	}
	for _, d := range page.Items {
		if d.Status != core.WebhookDelivered || d.StatusCode != 200 || d.Attempts != 1 || d.URL != rc.srv.URL+"/hook" {
			t.Fatalf("delivery %+v", d)
		}
	}
}

// Nothing is queued while webhooks are off.
func TestDisabledQueuesNothing(t *testing.T) {
	e := start(t, filepath.Join(t.TempDir(), "c.db"), webhook.Options{})
	room := conclavetest.Room(t, e.svc, "Quiet")
	e.svc.LeaveMeeting(room.RoomID, e.join(t, room, "Ada"), nil)
	c, err := e.svc.WebhookCounts(context.Background(), e.admin)
	if err != nil {
		t.Fatal(err)
	}
	if len(c) != 0 {
		t.Fatalf("webhooks off, yet queued: %v", c)
	}
}

// A receiver that fails twice gets the event on the third attempt, after back-offs that
// double.
func TestRetriesThenDelivers(t *testing.T) {
	// Each event fails twice, then arrives.
	times := map[string][]time.Time{}
	var mu sync.Mutex
	rc := newReceiver(t, func(n int64, w http.ResponseWriter, r *http.Request) bool {
		var e received
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &e)
		mu.Lock()
		times[e.Event] = append(times[e.Event], time.Now())
		k := len(times[e.Event])
		mu.Unlock()
		if k <= 2 {
			http.Error(w, "not now", http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	backoff := 100 * time.Millisecond
	e := start(t, filepath.Join(t.TempDir(), "c.db"), webhook.Options{Backoff: backoff})
	secret := e.enable(t, rc.srv.URL)
	room := conclavetest.Room(t, e.svc, "Retry")
	e.join(t, room, "Ada")
	for range 2 {
		ev := rc.next(t, 10*time.Second)
		verify(t, secret, ev)
		mu.Lock()
		tt := append([]time.Time(nil), times[ev.Event]...)
		mu.Unlock()
		if len(tt) != 3 {
			t.Fatalf("%s arrived at attempt %d, want 3", ev.Event, len(tt))
		}
		if g1, g2 := tt[1].Sub(tt[0]), tt[2].Sub(tt[1]); g1 < backoff || g2 < 2*backoff {
			t.Fatalf("%s retried after %s and %s, want at least %s then %s", ev.Event, g1, g2, backoff, 2*backoff)
		}
	}
	e.waitCount(t, core.WebhookDelivered, 2)
	page, err := e.svc.WebhookDeliveries(context.Background(), e.admin, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	var started *core.WebhookDelivery
	for i := range page.Items {
		if page.Items[i].Event == core.WebhookMeetingStarted {
			started = &page.Items[i]
		}
	}
	if started == nil || started.Attempts != 3 || started.Status != core.WebhookDelivered {
		t.Fatalf("meetingStarted delivery %+v, want delivered at the 3rd attempt", started)
	}
}

// A receiver that never answers gives up after 1 + Retries attempts, each cut at the
// timeout, and is reported failed.
func TestGivesUpAndReports(t *testing.T) {
	rc := newReceiver(t, func(n int64, w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Location", "/elsewhere")
		w.WriteHeader(http.StatusFound)
		return true
	})
	e := start(t, filepath.Join(t.TempDir(), "c.db"), webhook.Options{Backoff: 10 * time.Millisecond, Retries: 2})
	e.enable(t, rc.srv.URL)
	room := conclavetest.Room(t, e.svc, "Redirect")
	e.join(t, room, "Ada")
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := e.svc.WebhookCounts(context.Background(), e.admin)
		if err != nil {
			t.Fatal(err)
		}
		if c[core.WebhookFailed] == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("counts %v: the redirected deliveries never failed", c)
		}
		time.Sleep(20 * time.Millisecond)
	}
	page, _ := e.svc.WebhookDeliveries(context.Background(), e.admin, 10, "")
	for _, d := range page.Items {
		if d.Attempts != 3 || d.StatusCode != http.StatusFound || d.Error == "" {
			t.Fatalf("failed delivery %+v", d)
		}
	}
	if n := rc.n.Load(); n != 6 {
		t.Fatalf("receiver got %d requests, want 2 events × 3 attempts (redirects not followed)", n)
	}
	if s := e.hooks.Stats(); s.Failed != 2 || s.Retried != 4 {
		t.Fatalf("stats %+v", s)
	}
}

// A receiver that hangs does not slow a meeting: participants join and leave while
// every delivery is stuck waiting for it.
func TestHangingReceiverDoesNotBlockMeeting(t *testing.T) {
	release := make(chan struct{})
	var hanging atomic.Int64
	rc := newReceiver(t, func(n int64, w http.ResponseWriter, r *http.Request) bool {
		hanging.Add(1)
		<-release
		return true
	})
	defer close(release)
	e := start(t, filepath.Join(t.TempDir(), "c.db"), webhook.Options{Workers: 2})
	e.enable(t, rc.srv.URL)
	room := conclavetest.Room(t, e.svc, "Busy")
	first := e.join(t, room, "Host")
	deadline := time.Now().Add(5 * time.Second)
	for hanging.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the receiver never got a request")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The guests' tokens first, so that the timed part is the meeting's own work.
	guests := make([]*core.Principal, 50)
	for i := range guests {
		guests[i] = conclavetest.Member(t, e.svc, conclavetest.JoinToken(t, e.svc, room.RoomID, room.Access.Moderator.Secret, "Guest"))
	}
	done := make(chan error, 1)
	go func() {
		for _, g := range guests {
			pt, err := e.svc.JoinMeeting(context.Background(), g, nil)
			if err != nil {
				done <- err
				return
			}
			e.svc.LeaveMeeting(room.RoomID, pt.Identity, nil)
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(4 * time.Second): // less than one delivery timeout
		t.Fatal("50 joins and leaves did not complete while the receiver hung")
	}
	if n := rc.n.Load(); n > 2 {
		t.Fatalf("%d requests in flight, more than the 2 workers", n)
	}
	c, _ := e.svc.WebhookCounts(context.Background(), e.admin)
	if c[core.WebhookPending] < 100 {
		t.Fatalf("counts %v: the meeting's events were not all queued", c)
	}
	e.svc.LeaveMeeting(room.RoomID, first, nil)
}

// Events queued while the server is down are delivered after it starts again on the
// same database.
func TestPendingSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	var up atomic.Bool
	rc := newReceiver(t, func(n int64, w http.ResponseWriter, r *http.Request) bool {
		if !up.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return true
		}
		return false
	})
	var roomID string
	t.Run("before", func(t *testing.T) {
		e := start(t, path, webhook.Options{Backoff: time.Hour})
		e.enable(t, rc.srv.URL)
		room := conclavetest.Room(t, e.svc, "Restart")
		roomID = room.RoomID
		e.svc.LeaveMeeting(room.RoomID, e.join(t, room, "Ada"), nil)
		deadline := time.Now().Add(5 * time.Second)
		for {
			c, _ := e.svc.WebhookCounts(context.Background(), e.admin)
			if c[core.WebhookPending] == 4 && rc.n.Load() >= 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("counts %v", c)
			}
			time.Sleep(20 * time.Millisecond)
		}
		e.stop()
	})
	up.Store(true)
	start(t, path, webhook.Options{})
	seen := map[string]bool{}
	for range 4 {
		ev := rc.next(t, 10*time.Second)
		var data map[string]any
		_ = json.Unmarshal(ev.Data, &data)
		if data["roomId"] != roomID {
			t.Fatalf("%s for room %v", ev.Event, data["roomId"])
		}
		seen[ev.Event] = true
	}
	for _, ev := range []string{core.WebhookMeetingStarted, core.WebhookParticipantJoined, core.WebhookParticipantLeft, core.WebhookMeetingEnded} {
		if !seen[ev] {
			t.Fatalf("%s not delivered after the restart (got %v)", ev, seen)
		}
	}
}

// A full queue drops its oldest pending events, says so in the delivery list and counts
// them; it never grows past its bound.
func TestQueueBounded(t *testing.T) {
	rc := newReceiver(t, func(n int64, w http.ResponseWriter, r *http.Request) bool {
		http.Error(w, "down", http.StatusBadGateway)
		return true
	})
	e := start(t, filepath.Join(t.TempDir(), "c.db"), webhook.Options{MaxPending: 10, KeepDone: 5, Backoff: time.Hour})
	e.enable(t, rc.srv.URL)
	room := conclavetest.Room(t, e.svc, "Full")
	for range 20 {
		e.svc.LeaveMeeting(room.RoomID, e.join(t, room, "Guest"), nil)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, _ := e.svc.WebhookCounts(context.Background(), e.admin)
		if c[core.WebhookPending] <= 10 && c[core.WebhookDropped] > 0 {
			if c[core.WebhookDropped] > 5 {
				t.Fatalf("counts %v: more finished deliveries kept than KeepDone", c)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("counts %v: the queue was not bounded", c)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if s := e.hooks.Stats(); s.Dropped < 30 {
		t.Fatalf("stats %+v: dropped not counted (≥ 41 events, 10 kept)", s)
	}
	page, _ := e.svc.WebhookDeliveries(context.Background(), e.admin, 100, "")
	dropped := 0
	for _, d := range page.Items {
		if d.Status == core.WebhookDropped {
			dropped++
			if d.Error == "" {
				t.Fatalf("dropped delivery without a reason: %+v", d)
			}
		}
	}
	if dropped == 0 {
		t.Fatal("no dropped delivery in the list")
	}
}

// A room deleted during its meeting still ends it for webhooks: its participant leaves,
// then meetingEnded comes with the room as it was (closed: it can no longer be joined).
func TestDeletedRoomEndsMeeting(t *testing.T) {
	rc := newReceiver(t, nil)
	e := start(t, filepath.Join(t.TempDir(), "c.db"), webhook.Options{})
	e.enable(t, rc.srv.URL)
	room := conclavetest.Room(t, e.svc, "Doomed")
	e.join(t, room, "Ada")
	rc.next(t, 10*time.Second)
	rc.next(t, 10*time.Second)
	if _, err := e.svc.DeleteRoom(context.Background(), e.admin, room.RoomID, core.PolicyForce, core.PolicyForce); err != nil {
		t.Fatal(err)
	}
	if ev := rc.next(t, 10*time.Second); ev.Event != core.WebhookParticipantLeft {
		t.Fatalf("after the deletion %s, want participantLeft", ev.Event)
	}
	ev := rc.next(t, 10*time.Second)
	var data map[string]any
	_ = json.Unmarshal(ev.Data, &data)
	if ev.Event != core.WebhookMeetingEnded || data["roomId"] != room.RoomID || data["roomName"] != "Doomed" || data["status"] != core.StatusClosed {
		t.Fatalf("then %s %s, want meetingEnded with the closed room", ev.Event, ev.Data)
	}
}
