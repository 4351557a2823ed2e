// Package webhook delivers core's webhook events (SPEC 12) from the persistent outbox core
// queues them in, in the transaction of each change: signed POSTs with a 5 s timeout and
// 5 retries with doubling back-off from 300 ms, never followed redirects, never a loop
// back to this server, and a bounded queue (the oldest pending events are dropped, and
// counted, when it is full). Queueing is an insert; every network call happens here, on
// the outbox's own goroutines, so a dead endpoint never slows a meeting.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"conclave/core"
)

// Delivery policy defaults (SPEC 12).
const (
	DefaultTimeout    = 5 * time.Second
	DefaultRetries    = 5
	DefaultBackoff    = 300 * time.Millisecond
	DefaultMaxPending = 10000
	DefaultKeepDone   = 1000
	// DefaultWorkers is 1 so that a receiver that answers gets events in the order
	// they happened; a retried event may still arrive after later ones.
	DefaultWorkers = 1
)

// TestEvent is the event name of the body POST …/config/webhooks/test sends.
const TestEvent = "testWebhook"

// Render turns an event's record into the body's data, as the REST API shows it (web
// provides it).
type Render func(ev core.WebhookEvent) (any, error)

// Store is what the outbox reads and writes: the outbox table and the settings holding
// the configuration and the secret.
type Store interface {
	core.WebhookStore
	core.SettingStore
}

// Options configures an Outbox; zero fields take the defaults above.
type Options struct {
	Render Render
	// Self lists this server's own addresses (its listen address, its public URL):
	// webhook URLs pointing there are refused and connections there never made, so
	// that events cannot loop.
	Self       []string
	Timeout    time.Duration
	Retries    int
	Backoff    time.Duration
	MaxPending int // pending deliveries kept at most (the oldest are dropped beyond)
	KeepDone   int // finished deliveries kept for the delivery log
	Workers    int // deliveries in flight at once (more than 1 may reorder events)
	// Poll is how often the queue is looked at when nothing wakes the outbox (100 ms).
	Poll   time.Duration
	Logger *slog.Logger
	Now    func() time.Time
	// Changed, when set, is told that deliveries moved on (an outcome stored, events
	// dropped), at most once a second, from the delivery loop: main publishes it on the
	// bus for the control room.
	Changed func()
}

// Stats are the outbox's counters since start, for metrics.
type Stats struct {
	Queued    uint64 // events queued
	Attempts  uint64 // POSTs made (tests excluded)
	Delivered uint64 // events delivered
	Retried   uint64 // failed attempts that will be retried
	Failed    uint64 // events given up after every attempt
	Dropped   uint64 // pending events dropped because the queue was full
}

// Outbox queues events in the database and delivers them. It implements
// core.WebhookOutbox; Run delivers.
type Outbox struct {
	st     Store
	opts   Options
	client *http.Client
	self   []hostPort
	wake   chan struct{}

	queued, attempts, delivered, retried, failed, dropped atomic.Uint64
	// changed is set by each outcome, cleared when Changed is told.
	changed atomic.Bool
	// tests bounds the test events in flight (POST …/webhooks/test).
	tests chan struct{}
}

// MaxTests is how many test events may be in flight at once; more are refused (429).
const MaxTests = 2

type hostPort struct{ host, port string }

var _ core.WebhookOutbox = (*Outbox)(nil)

// New makes an outbox over st; Run starts delivering.
func New(st Store, opts Options) *Outbox {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Retries <= 0 {
		opts.Retries = DefaultRetries
	}
	if opts.Backoff <= 0 {
		opts.Backoff = DefaultBackoff
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = DefaultMaxPending
	}
	if opts.KeepDone <= 0 {
		opts.KeepDone = DefaultKeepDone
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.Poll <= 0 {
		opts.Poll = 100 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Render == nil {
		opts.Render = func(core.WebhookEvent) (any, error) { return struct{}{}, nil }
	}
	o := &Outbox{st: st, opts: opts, wake: make(chan struct{}, 1), tests: make(chan struct{}, MaxTests)}
	for _, s := range opts.Self {
		if hp, ok := parseSelf(s); ok {
			o.self = append(o.self, hp)
		}
	}
	dialer := &net.Dialer{Timeout: opts.Timeout, Control: func(_, address string, _ syscall.RawConn) error {
		host, port, err := net.SplitHostPort(address)
		if err == nil && o.isSelf(host, port) {
			return errLoop
		}
		return nil
	}}
	o.client = &http.Client{
		Timeout: opts.Timeout,
		Transport: &http.Transport{
			Proxy: nil, DialContext: dialer.DialContext, TLSHandshakeTimeout: opts.Timeout,
			ResponseHeaderTimeout: opts.Timeout, MaxIdleConnsPerHost: opts.Workers, IdleConnTimeout: time.Minute,
		},
		// A redirect is reported, never followed: it could lead anywhere, this server too.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return o
}

var errLoop = errors.New("it points back at this server, which would loop")

// parseSelf reads "host:port" or a URL.
func parseSelf(s string) (hostPort, bool) {
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return hostPort{}, false
		}
		return hostPort{strings.ToLower(u.Hostname()), portOf(u)}, true
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return hostPort{}, false
	}
	return hostPort{strings.ToLower(host), port}, true
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// isSelf reports whether host:port is this server: one of its addresses, or a local
// address on the port it listens on.
func (o *Outbox) isSelf(host, port string) bool {
	host = strings.ToLower(strings.Trim(host, "[]"))
	for _, s := range o.self {
		if s.port != port {
			continue
		}
		if s.host == host || (isLocal(s.host) && isLocal(host)) {
			return true
		}
	}
	return false
}

// isLocal reports whether host names this machine: localhost, a loopback or unspecified
// address, or an address of one of its interfaces.
func isLocal(host string) bool {
	if host == "" || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	if ip.IsLoopback() || ip.IsUnspecified() {
		return true
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return true
		}
	}
	return false
}

// CheckURL refuses a URL that points back at this server.
func (o *Outbox) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if o.isSelf(u.Hostname(), portOf(u)) {
		return errLoop
	}
	return nil
}

// body is what every POST carries.
type body struct {
	CreationDate int64           `json:"creationDate"`
	Event        string          `json:"event"`
	Data         json.RawMessage `json:"data"`
}

// Enqueue renders ev and inserts it into the outbox through tx.
func (o *Outbox) Enqueue(ctx context.Context, tx core.Store, ev core.WebhookEvent) error {
	data, err := o.opts.Render(ev)
	if err != nil {
		return fmt.Errorf("render %s: %w", ev.Event, err)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("render %s: %w", ev.Event, err)
	}
	b, err := json.Marshal(body{CreationDate: ev.CreationDate, Event: ev.Event, Data: raw})
	if err != nil {
		return err
	}
	d := &core.WebhookDelivery{Event: ev.Event, CreationDate: ev.CreationDate, Body: b, NextAttempt: o.opts.Now().UnixMilli()}
	if err := tx.EnqueueWebhook(ctx, d); err != nil {
		return err
	}
	o.queued.Add(1)
	return nil
}

// Notify wakes the delivery loop.
func (o *Outbox) Notify() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Stats reads the counters.
func (o *Outbox) Stats() Stats {
	return Stats{Queued: o.queued.Load(), Attempts: o.attempts.Load(), Delivered: o.delivered.Load(),
		Retried: o.retried.Load(), Failed: o.failed.Load(), Dropped: o.dropped.Load()}
}

// Sign is the X-Signature of body sent at timestamp (epoch ms, the X-Timestamp): hex
// HMAC-SHA256 over "<timestamp>.<body>" keyed with secret.
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature is body's, in constant time.
func Verify(secret, timestamp string, body []byte, signature string) bool {
	want, err := hex.DecodeString(signature)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return hmac.Equal(m.Sum(nil), want)
}

// post makes one signed POST and says how it went: the status code (0 when no answer
// came) and why it is not a success.
func (o *Outbox) post(ctx context.Context, target, secret string, b []byte) (int, error) {
	if secret == "" {
		return 0, errors.New("no webhook secret is set to sign with")
	}
	ts := strconv.FormatInt(o.opts.Now().UnixMilli(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(string(b)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Conclave-Webhooks")
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Signature", Sign(secret, ts, b))
	resp, err := o.client.Do(req)
	if err != nil {
		return 0, describe(err, o.opts.Timeout)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return resp.StatusCode, nil
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return resp.StatusCode, fmt.Errorf("answered %d, a redirect to %q: redirects are not followed", resp.StatusCode, resp.Header.Get("Location"))
	}
	return resp.StatusCode, fmt.Errorf("answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
}

// describe turns a transport error into what an admin can act on.
func describe(err error, timeout time.Duration) error {
	var ne net.Error
	switch {
	case errors.Is(err, errLoop):
		return errLoop
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return fmt.Errorf("no answer within %s", timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Test sends a test event to target now, signed with the current secret: one attempt,
// no retry, within the timeout. At most MaxTests run at once: another is refused with
// core.KindTooMany.
func (o *Outbox) Test(ctx context.Context, target string) error {
	select {
	case o.tests <- struct{}{}:
		defer func() { <-o.tests }()
	default:
		return &core.Error{Kind: core.KindTooMany, Title: core.ErrTooMany.Title, RetryAfterSeconds: 5,
			Message: fmt.Sprintf("%d webhook tests are under way: try again when they are done", MaxTests)}
	}
	_, secret, err := core.WebhookTarget(ctx, o.st)
	if err != nil {
		return err
	}
	now := o.opts.Now().UnixMilli()
	b, err := json.Marshal(body{CreationDate: now, Event: TestEvent, Data: json.RawMessage(`{"message":"This is a test event from Conclave"}`)})
	if err != nil {
		return err
	}
	_, err = o.post(ctx, target, secret, b)
	return err
}

// Run delivers the outbox until ctx ends: pending deliveries (those a restart left too)
// are sent oldest first by up to Workers at once, each retried with back-off, and the
// queue is trimmed to its bounds every second. Deliveries cut short by ctx stay pending.
func (o *Outbox) Run(ctx context.Context) {
	st := o.st
	var (
		mu       sync.Mutex
		inflight = map[int64]bool{}
		wg       sync.WaitGroup
		done     = make(chan struct{}, o.opts.Workers)
	)
	defer wg.Wait()
	if n, err := st.ResumeWebhooks(ctx, o.opts.Now().UnixMilli()); err != nil {
		o.opts.Logger.Error("webhook queue unreadable", "err", err)
	} else if n > 0 {
		o.opts.Logger.Info("resuming pending webhook deliveries", "pending", n)
	}
	poll := time.NewTicker(o.opts.Poll)
	defer poll.Stop()
	lastTrim, lastChanged := time.Time{}, time.Time{}
	for {
		if o.opts.Changed != nil && time.Since(lastChanged) >= time.Second && o.changed.Swap(false) {
			lastChanged = time.Now()
			o.opts.Changed()
		}
		if now := time.Now(); now.Sub(lastTrim) >= time.Second {
			lastTrim = now
			o.trim(ctx, st)
		}
		mu.Lock()
		free := o.opts.Workers - len(inflight)
		skip := make([]int64, 0, len(inflight))
		for id := range inflight {
			skip = append(skip, id)
		}
		mu.Unlock()
		if free > 0 {
			cfg, secret, err := core.WebhookTarget(ctx, st)
			if err != nil && ctx.Err() == nil {
				o.opts.Logger.Error("webhook configuration unreadable", "err", err)
			}
			if err == nil && cfg.Enabled && cfg.URL != "" {
				due, err := st.DueWebhooks(ctx, o.opts.Now().UnixMilli(), free, skip)
				if err != nil && ctx.Err() == nil {
					o.opts.Logger.Error("webhook queue unreadable", "err", err)
				}
				for _, d := range due {
					mu.Lock()
					inflight[d.ID] = true
					mu.Unlock()
					wg.Go(func() {
						o.attempt(ctx, st, d, cfg.URL, secret)
						mu.Lock()
						delete(inflight, d.ID)
						mu.Unlock()
						done <- struct{}{}
					})
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		case <-done:
		case <-poll.C:
		}
	}
}

// attempt makes one delivery attempt of d and stores its outcome.
func (o *Outbox) attempt(ctx context.Context, st Store, d core.WebhookDelivery, target, secret string) {
	o.attempts.Add(1)
	code, err := o.post(ctx, target, secret, d.Body)
	if ctx.Err() != nil {
		return // shutting down: it stays pending and is sent after the restart
	}
	now := o.opts.Now().UnixMilli()
	d.Attempts++
	d.URL, d.StatusCode, d.UpdatedAt = target, code, now
	d.LatencyMS = now - d.CreationDate
	d.Error = ""
	switch {
	case err == nil:
		d.Status = core.WebhookDelivered
		o.delivered.Add(1)
	case d.Attempts > o.opts.Retries:
		d.Status, d.Error = core.WebhookFailed, err.Error()
		o.failed.Add(1)
		o.opts.Logger.Warn("webhook not delivered: giving up", "event", d.Event, "id", d.ID, "attempts", d.Attempts, "url", target, "err", err)
	default:
		d.Error = err.Error()
		d.NextAttempt = now + (o.opts.Backoff << (d.Attempts - 1)).Milliseconds()
		o.retried.Add(1)
	}
	if err := st.SaveWebhookAttempt(context.WithoutCancel(ctx), &d); err != nil && !errors.Is(err, core.ErrNoRows) {
		o.opts.Logger.Error("webhook attempt not saved", "id", d.ID, "err", err)
	}
	o.changed.Store(true)
}

// trim applies the queue's bounds.
func (o *Outbox) trim(ctx context.Context, st Store) {
	n, err := st.TrimWebhooks(ctx, o.opts.MaxPending, o.opts.KeepDone, o.opts.Now().UnixMilli())
	if err != nil {
		if ctx.Err() == nil {
			o.opts.Logger.Error("webhook queue not trimmed", "err", err)
		}
		return
	}
	if n > 0 {
		o.changed.Store(true)
		total := o.dropped.Add(uint64(n))
		o.opts.Logger.Warn("webhook queue full: oldest pending events dropped undelivered",
			"dropped", n, "droppedSinceStart", total, "maxPending", o.opts.MaxPending)
	}
}
