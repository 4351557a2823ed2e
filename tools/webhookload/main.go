// Command webhookload measures webhook delivery on loopback: participants join and leave
// a meeting at a paced rate (each join and each leave is one participant event, queued in
// its transaction by core), and a receiver on loopback notes when each event arrives. The
// latency of an event is from the call (JoinMeeting, LeaveMeeting) to its arrival at the
// receiver, signature verified, so it counts the transaction, the outbox and the POST.
// It runs the real stack in-process: SQLite file on a temporary directory, core, the
// webhook outbox with its defaults (one delivery at a time, in order).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"conclave/core"
	"conclave/db"
	"conclave/web"
	"conclave/webhook"
)

func main() {
	rate := flag.Int("rate", 100, "events per second (half joins, half leaves)")
	duration := flag.Duration("duration", 20*time.Second, "how long to send events")
	mode := flag.String("receiver", "ok", "ok: the receiver answers 200; hang: it never answers (join/leave must not slow); off: webhooks off (the baseline)")
	flag.Parse()
	if *mode != "ok" && *mode != "hang" && *mode != "off" {
		fmt.Fprintln(os.Stderr, "webhookload: -receiver is ok, hang or off")
		os.Exit(2)
	}
	if err := run(*rate, *duration, *mode); err != nil {
		fmt.Fprintln(os.Stderr, "webhookload:", err)
		os.Exit(1)
	}
}

func run(rate int, duration time.Duration, mode string) error {
	dir, err := os.MkdirTemp("", "webhookload")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := db.Open(filepath.Join(dir, "conclave.db"))
	if err != nil {
		return err
	}
	defer store.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var svc *core.Service
	hooks := webhook.New(store, webhook.Options{Render: web.WebhookData(func() *core.Service { return svc }),
		Self: []string{"http://localhost:8080"}, Logger: quiet})
	svc, err = core.New(store, core.Config{PublicURL: "http://localhost:8080", BcryptCost: 4, Logger: quiet, Webhooks: hooks})
	if err != nil {
		return err
	}
	ctx := context.Background()
	if _, err := svc.Bootstrap(ctx, false, ""); err != nil {
		return err
	}
	admin, err := svc.UserPrincipal(ctx, core.RootAdminID, core.RequestMeta{Via: "webhookload"})
	if err != nil {
		return err
	}

	// The receiver: when each participant's join and leave arrived.
	var mu sync.Mutex
	sent := map[string]time.Time{}
	var lat []time.Duration
	bad := 0
	secret := ""
	hang := make(chan struct{})
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mode == "hang" {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
			return
		}
		b, _ := io.ReadAll(r.Body)
		now := time.Now()
		var ev struct {
			Event string `json:"event"`
			Data  struct {
				Name string `json:"participantName"`
			} `json:"data"`
		}
		_ = json.Unmarshal(b, &ev)
		mu.Lock()
		defer mu.Unlock()
		if !webhook.Verify(secret, r.Header.Get("X-Timestamp"), b, r.Header.Get("X-Signature")) {
			bad++
			return
		}
		if t0, ok := sent[ev.Event+" "+ev.Data.Name]; ok {
			lat = append(lat, now.Sub(t0))
		}
	}))
	defer rc.Close()
	defer close(hang) // before rc.Close, which waits for its handlers
	if _, err := svc.SetWebhooksConfig(ctx, admin, core.WebhookConfig{Enabled: mode != "off", URL: rc.URL}); err != nil {
		return err
	}
	if secret, err = svc.WebhookSecret(ctx, admin); err != nil {
		return err
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); hooks.Run(rctx) }()
	defer func() { stop(); <-done }()

	name := "Load"
	room, err := svc.CreateRoom(ctx, admin, core.RoomOptions{RoomName: &name})
	if err != nil {
		return err
	}
	// A host stays for the whole run, so the meeting does not end between guests.
	join := func(n string) (*core.Participant, error) {
		tok, _, err := svc.IssueMemberToken(ctx, core.Anonymous(core.RequestMeta{Via: "webhookload"}), room.RoomID,
			core.MemberTokenRequest{Secret: room.Access.Moderator.Secret, JoinMeeting: true, ParticipantName: n})
		if err != nil {
			return nil, err
		}
		p, err := svc.AuthenticateMemberToken(ctx, tok, core.RequestMeta{Via: "webhookload"})
		if err != nil {
			return nil, err
		}
		mu.Lock()
		sent[core.WebhookParticipantJoined+" "+n] = time.Now()
		mu.Unlock()
		return svc.JoinMeeting(ctx, p, nil)
	}
	if _, err := join("host"); err != nil {
		return err
	}
	fmt.Printf("webhook delivery on loopback, %d events/s for %s, receiver %s, GOMAXPROCS=%d\n", rate, duration, mode, runtime.GOMAXPROCS(0))
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	end := time.Now().Add(duration)
	var last *core.Participant
	events := 0
	var opLat []time.Duration
	for i := 0; time.Now().Before(end); i++ {
		<-tick.C
		t0 := time.Now()
		if last == nil {
			if last, err = join(fmt.Sprintf("g%d", i)); err != nil {
				return err
			}
		} else {
			mu.Lock()
			sent[core.WebhookParticipantLeft+" "+last.Name] = time.Now()
			mu.Unlock()
			svc.LeaveMeeting(room.RoomID, last.Identity, nil)
			last = nil
		}
		opLat = append(opLat, time.Since(t0))
		events++
	}
	// Wait for the stragglers.
	deadline := time.Now().Add(30 * time.Second)
	if mode != "ok" {
		deadline = time.Now()
	}
	for {
		mu.Lock()
		n := len(lat)
		mu.Unlock()
		if n >= events || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(lat)
	slices.Sort(opLat)
	q := func(d []time.Duration, p float64) time.Duration {
		if len(d) == 0 {
			return 0
		}
		return d[min(len(d)-1, int(float64(len(d))*p))]
	}
	fmt.Printf("events sent %d, delivered %d, bad signatures %d\n", events, len(lat), bad)
	fmt.Printf("delivery latency (call to receipt): p50 %s, p99 %s, max %s\n", q(lat, .50).Round(10*time.Microsecond),
		q(lat, .99).Round(10*time.Microsecond), q(lat, 1).Round(10*time.Microsecond))
	fmt.Printf("join/leave call (with its queued event): p50 %s, p99 %s\n", q(opLat, .50).Round(10*time.Microsecond), q(opLat, .99).Round(10*time.Microsecond))
	s := hooks.Stats()
	fmt.Printf("outbox: queued %d, attempts %d, delivered %d, retried %d, failed %d, dropped %d\n",
		s.Queued, s.Attempts, s.Delivered, s.Retried, s.Failed, s.Dropped)
	return nil
}
