package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
	"conclave/db"
	"conclave/web"
	"conclave/webhook"
)

// hookStack is a stack whose core queues webhooks in an outbox that delivers them (with
// a short timeout, so that a hanging receiver is given up on quickly).
func hookStack(t *testing.T) *stack { return hookStackTimeout(t, 300*time.Millisecond) }

func hookStackTimeout(t *testing.T, timeout time.Duration) *stack {
	t.Helper()
	var svc *core.Service
	var hooks *webhook.Outbox
	s := openStack(t, filepath.Join(t.TempDir(), "c.db"), func(c *conclavetest.HTTPConfig) {
		c.Webhooks = func(store *db.DB, publicURL string) core.WebhookOutbox {
			hooks = webhook.New(store, webhook.Options{Render: web.WebhookData(func() *core.Service { return svc }),
				Self: []string{publicURL}, Timeout: timeout, Backoff: 10 * time.Millisecond})
			return hooks
		}
	})
	svc = s.svc
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); hooks.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

type hookReq struct {
	body    []byte
	ts, sig string
}

func TestWebhooksConfig(t *testing.T) {
	s := hookStack(t)
	adm := s.admin()
	path := "/internal-api/v1/config/webhooks"
	var mu sync.Mutex
	var got []hookReq
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, hookReq{b, r.Header.Get("X-Timestamp"), r.Header.Get("X-Signature")})
		mu.Unlock()
	}))
	defer rc.Close()

	if m := s.req("GET", path, nil, bearer(adm)).want(http.StatusOK).obj(); m["enabled"] != false || m["url"] != nil {
		t.Fatalf("default config %v", m)
	}
	// Bad input: a clear 422 naming the field, and nothing changes.
	self := s.srv.URL + "/meet/hook"
	_, port, _ := strings.Cut(strings.TrimPrefix(s.srv.URL, "http://"), ":")
	for _, body := range []map[string]any{
		{"enabled": "yes"},
		{"enabled": true},
		{"enabled": true, "url": ""},
		{"enabled": true, "url": "ftp://example.com/hook"},
		{"enabled": true, "url": "javascript:alert(1)"},
		{"enabled": true, "url": "/relative"},
		{"enabled": true, "url": "http://user:pw@example.com/"},
		{"enabled": true, "url": "http://example.com:99999/"},
		{"enabled": true, "url": "http://example.com/" + strings.Repeat("a", core.MaxWebhookURL)},
		{"enabled": true, "url": self},
		{"enabled": true, "url": "http://localhost:" + port + "/hook"},
		{"enabled": true, "url": 42},
	} {
		field := "url"
		if _, ok := body["enabled"].(string); ok {
			field = "enabled"
		}
		d := s.req("PUT", path, body, bearer(adm)).wantDetail(field)
		if body["url"] == self && !strings.Contains(d["message"].(string), "loop") {
			t.Fatalf("a URL to the server itself is refused with %q", d["message"])
		}
	}
	if m := s.req("GET", path, nil, bearer(adm)).want(http.StatusOK).obj(); m["enabled"] != false {
		t.Fatalf("refused updates changed the config: %v", m)
	}
	// Rights: admins only.
	mgr := s.user(adm, "manager1", "room_manager")
	for _, e := range []struct {
		method, path string
		body         any
	}{
		{"GET", path, nil}, {"PUT", path, map[string]any{"enabled": false}},
		{"POST", path + "/test", map[string]any{"url": rc.URL}},
		{"GET", path + "/secret", nil}, {"PUT", path + "/secret", map[string]any{}},
		{"GET", path + "/deliveries", nil},
	} {
		s.req(e.method, e.path, e.body).wantErr(http.StatusUnauthorized, "Authentication Error")
		s.req(e.method, e.path, e.body, bearer(mgr)).wantErr(http.StatusForbidden, "Authorization Error")
	}

	m := s.req("PUT", path, map[string]any{"enabled": true, "url": rc.URL + "/hook"}, bearer(adm)).want(http.StatusOK).obj()
	if m["enabled"] != true || m["url"] != rc.URL+"/hook" {
		t.Fatalf("PUT answered %v", m)
	}
	if m := s.req("GET", path, nil, bearer(adm)).want(http.StatusOK).obj(); m["enabled"] != true || m["url"] != rc.URL+"/hook" {
		t.Fatalf("config after PUT %v", m)
	}
	secret := str(t, s.req("GET", path+"/secret", nil, bearer(adm)).want(http.StatusOK).obj(), "secret")
	if len(secret) < core.MinWebhookSecret {
		t.Fatalf("generated secret %q", secret)
	}
	s.req("PUT", path+"/secret", map[string]any{"secret": "short"}, bearer(adm)).wantDetail("secret")
	s.req("PUT", path+"/secret", map[string]any{"secret": ""}, bearer(adm)).wantDetail("secret")
	s.req("PUT", path+"/secret", map[string]any{"secret": strings.Repeat("x ", 20)}, bearer(adm)).wantDetail("secret")
	mine := "my-own-webhook-secret-0123456789abcdef"
	if got := str(t, s.req("PUT", path+"/secret", map[string]any{"secret": mine}, bearer(adm)).want(http.StatusOK).obj(), "secret"); got != mine {
		t.Fatalf("secret set to %q", got)
	}

	// The test event arrives signed with the secret in force.
	m = s.req("POST", path+"/test", map[string]any{"url": rc.URL + "/test"}, bearer(adm)).want(http.StatusOK).obj()
	if m["message"] != "Webhook URL is valid" {
		t.Fatalf("test answered %v", m)
	}
	mu.Lock()
	if len(got) != 1 || !strings.Contains(string(got[0].body), `"event":"testWebhook"`) || !webhook.Verify(mine, got[0].ts, got[0].body, got[0].sig) {
		t.Fatalf("test event %+v", got)
	}
	mu.Unlock()

	// A real event, then the delivery list shows it.
	room := conclavetest.Room(t, s.svc, "Hooked")
	p := conclavetest.Member(t, s.svc, conclavetest.JoinToken(t, s.svc, room.RoomID, room.Access.Moderator.Secret, "Ada"))
	if _, err := s.svc.JoinMeeting(context.Background(), p, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		l := s.req("GET", path+"/deliveries", nil, bearer(adm)).want(http.StatusOK).obj()
		counts := l["counts"].(map[string]any)
		if counts["delivered"] == float64(2) {
			d := l["deliveries"].([]any)
			first := d[len(d)-1].(map[string]any)
			if first["event"] != "meetingStarted" || first["status"] != "delivered" || first["statusCode"] != float64(200) ||
				first["attempts"] != float64(1) || first["url"] != rc.URL+"/hook" {
				t.Fatalf("delivery %v", first)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries %v", l)
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	for _, g := range got[1:] {
		if !webhook.Verify(mine, g.ts, g.body, g.sig) {
			t.Fatalf("event not signed with the secret set: %s", g.body)
		}
	}
	mu.Unlock()
	l := s.req("GET", path+"/deliveries?maxItems=1", nil, bearer(adm)).want(http.StatusOK).obj()
	next := l["pagination"].(map[string]any)["nextPageToken"].(string)
	l2 := s.req("GET", path+"/deliveries?maxItems=1&nextPageToken="+url.QueryEscape(next), nil, bearer(adm)).want(http.StatusOK).obj()
	if a, b := l["deliveries"].([]any)[0].(map[string]any)["id"], l2["deliveries"].([]any)[0].(map[string]any)["id"]; a == b {
		t.Fatal("the second page repeats the first")
	}
	s.req("GET", path+"/deliveries?maxItems=abc", nil, bearer(adm)).wantDetail("maxItems")
	s.req("GET", path+"/deliveries?nextPageToken=zz", nil, bearer(adm)).wantDetail("nextPageToken")
}

// The test endpoint reports, as OpenVidu Meet's 400 "Webhook Error", a URL that
// redirects, never answers, answers an error or does not listen; one pointing at the
// server itself is refused before anything is sent.
func TestWebhookTestBadURLs(t *testing.T) {
	s := hookStack(t)
	adm := s.admin()
	path := "/internal-api/v1/config/webhooks/test"
	release := make(chan struct{})
	var redirects int
	var mu sync.Mutex
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/loop":
			mu.Lock()
			redirects++
			mu.Unlock()
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/hang":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/error":
			http.Error(w, "no", http.StatusInternalServerError)
		}
	}))
	defer rc.Close()
	defer close(release) // before rc.Close, which waits for its handlers
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	for _, c := range []struct{ url, says string }{
		{rc.URL + "/loop", "redirect"},
		{rc.URL + "/hang", "no answer within"},
		{rc.URL + "/error", "500"},
		{deadURL + "/hook", "refused"},
	} {
		start := time.Now()
		m := s.req("POST", path, map[string]any{"url": c.url}, bearer(adm)).wantErr(http.StatusBadRequest, "Webhook Error")
		if msg := m["message"].(string); !strings.Contains(msg, "is unreachable") || !strings.Contains(msg, c.says) {
			t.Fatalf("%s: message %q, want it to say %q", c.url, msg, c.says)
		}
		if el := time.Since(start); el > 5*time.Second {
			t.Fatalf("%s: the test took %s", c.url, el)
		}
	}
	if redirects != 1 {
		t.Fatalf("the redirect was followed %d times", redirects-1)
	}
	s.req("POST", path, map[string]any{"url": s.srv.URL + "/meet/health"}, bearer(adm)).wantDetail("url")
	s.req("POST", path, map[string]any{"url": "gopher://x"}, bearer(adm)).wantDetail("url")
	s.req("POST", path, map[string]any{}, bearer(adm)).wantDetail("url")
}

// Tests that hang are bounded: while two wait for their receiver, a third is 429.
func TestWebhookTestsBounded(t *testing.T) {
	s := hookStackTimeout(t, 10*time.Second)
	adm := s.admin()
	release := make(chan struct{})
	arrived := make(chan struct{}, 10)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
	}))
	defer rc.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(release)
	for range webhook.MaxTests {
		wg.Go(func() {
			s.req("POST", "/internal-api/v1/config/webhooks/test", map[string]any{"url": rc.URL}, bearer(adm)).want(http.StatusOK)
		})
	}
	for range webhook.MaxTests {
		select {
		case <-arrived:
		case <-time.After(10 * time.Second):
			t.Fatal("the tests never reached the receiver")
		}
	}
	r := s.req("POST", "/internal-api/v1/config/webhooks/test", map[string]any{"url": rc.URL}, bearer(adm))
	r.wantErr(http.StatusTooManyRequests, "")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}
