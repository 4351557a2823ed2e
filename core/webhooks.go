package core

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// Webhook events (SPEC 12): OpenVidu Meet's five plus Conclave's participant events.
const (
	WebhookMeetingStarted    = "meetingStarted"
	WebhookMeetingEnded      = "meetingEnded"
	WebhookParticipantJoined = "participantJoined"
	WebhookParticipantLeft   = "participantLeft"
	WebhookRecordingStarted  = "recordingStarted"
	WebhookRecordingUpdated  = "recordingUpdated"
	WebhookRecordingEnded    = "recordingEnded"
)

// Delivery statuses of the webhook outbox.
const (
	WebhookPending   = "pending"
	WebhookDelivered = "delivered"
	WebhookFailed    = "failed"  // every attempt failed
	WebhookDropped   = "dropped" // the queue was full: dropped, oldest first, undelivered
)

// Setting keys of webhooks.
const (
	settingWebhooks      = "webhooks"
	settingWebhookSecret = "webhook_secret"
)

// MaxWebhookURL bounds a webhook URL's length.
const MaxWebhookURL = 2048

// WebhookConfig is OpenVidu Meet's webhooks-config: whether events are sent, and where.
type WebhookConfig struct {
	Enabled bool   `json:"enabled"`
	URL     string `json:"url,omitempty"`
}

// WebhookDelivery is one event in the outbox with its delivery's progress and outcome.
type WebhookDelivery struct {
	ID           int64
	Event        string
	CreationDate int64  // epoch ms, the body's creationDate
	Body         []byte // the JSON body as signed and sent
	Status       string // WebhookPending | WebhookDelivered | WebhookFailed | WebhookDropped
	Attempts     int
	NextAttempt  int64  // epoch ms, while pending
	URL          string // where the last attempt went
	StatusCode   int    // the last answer's HTTP status, 0 when none came
	Error        string // why the last attempt failed, "" on success
	LatencyMS    int64  // from creation to the outcome
	UpdatedAt    int64
}

// WebhookStore keeps the webhook outbox (webhook_deliveries): events are queued in the
// transaction of the change they announce, so that none is lost, and delivered from it.
type WebhookStore interface {
	// EnqueueWebhook inserts d (pending) and sets d.ID.
	EnqueueWebhook(ctx context.Context, d *WebhookDelivery) error
	// DueWebhooks lists up to limit pending deliveries whose next attempt is at or
	// before now, oldest first, leaving out those whose id is in skip (being sent).
	DueWebhooks(ctx context.Context, now int64, limit int, skip []int64) ([]WebhookDelivery, error)
	// SaveWebhookAttempt stores an attempt's outcome (status, attempts, next attempt, url,
	// code, error, latency) of a delivery that is still pending; ErrNoRows when it is
	// not (dropped meanwhile).
	SaveWebhookAttempt(ctx context.Context, d *WebhookDelivery) error
	// TrimWebhooks bounds the outbox: the oldest pending deliveries beyond maxPending
	// become dropped (it returns how many), and the oldest finished ones beyond keepDone
	// are deleted.
	TrimWebhooks(ctx context.Context, maxPending, keepDone int, now int64) (dropped int, err error)
	// ListWebhookDeliveries lists up to limit deliveries with an id below before (all
	// when 0), newest first.
	ListWebhookDeliveries(ctx context.Context, before int64, limit int) ([]WebhookDelivery, error)
	// ResumeWebhooks makes every pending delivery due at now (start-up: what waited out a
	// back-off when the server stopped is tried again at once); it returns how many are
	// pending.
	ResumeWebhooks(ctx context.Context, now int64) (int, error)
	// CountWebhooks counts the deliveries by status.
	CountWebhooks(ctx context.Context) (map[string]int, error)
}

// WebhookEvent is what a change hands the outbox to announce: the record as it is after
// the change (a copy the outbox may keep).
type WebhookEvent struct {
	Event        string
	CreationDate int64
	// Room is set for meeting events, Recording for recording events, Participant for
	// participant events.
	Room        *Room
	Recording   *Recording
	Participant *WebhookParticipant
}

// WebhookParticipant is the data of participantJoined and participantLeft.
type WebhookParticipant struct {
	RoomID   string
	RoomName string
	Identity string
	Name     string
	Role     string
	JoinedAt int64
	LeftAt   int64  // 0 on join
	Reason   string // why it left: "left", "removed", "meeting ended"
}

// WebhookOutbox is what core needs of webhook delivery; package webhook implements it.
type WebhookOutbox interface {
	// Enqueue renders ev and queues it through tx, in the change's transaction: a quick
	// insert, never a network call.
	Enqueue(ctx context.Context, tx Store, ev WebhookEvent) error
	// Notify says that queued events were committed, to send them without waiting.
	Notify()
	// CheckURL says why url may not receive webhooks (a loop back to this server), nil
	// when it may. Core has checked the scheme and the length already.
	CheckURL(url string) error
	// Test sends a test event to url now, signed as every event, and reports why it did
	// not arrive (no answer in time, a status other than 2xx, a redirect).
	Test(ctx context.Context, url string) error
}

// ErrWebhookUnreachable is the refusal of a webhook test that did not get through.
var ErrWebhookUnreachable = &Error{Kind: KindBadRequest, Title: "Webhook Error", Code: "webhook_unreachable", Message: "webhook URL unreachable"}

// WebhookTarget is where and how events are sent now: the configuration and the secret
// deliveries are signed with. The outbox reads it before each attempt.
func WebhookTarget(ctx context.Context, st SettingStore) (WebhookConfig, string, error) {
	cfg, err := loadWebhookConfig(ctx, st)
	if err != nil {
		return cfg, "", err
	}
	secret, err := st.GetSetting(ctx, settingWebhookSecret)
	if isNoRows(err) {
		err = nil
	}
	return cfg, secret, err
}

func loadWebhookConfig(ctx context.Context, st SettingStore) (WebhookConfig, error) {
	var cfg WebhookConfig
	v, err := st.GetSetting(ctx, settingWebhooks)
	if isNoRows(err) {
		return cfg, nil
	} else if err != nil {
		return cfg, internal("load webhooks config", err)
	}
	if err := json.Unmarshal([]byte(v), &cfg); err != nil {
		return WebhookConfig{}, internal("decode webhooks config", err)
	}
	return cfg, nil
}

// WebhooksConfig is the webhooks configuration (admins).
func (s *Service) WebhooksConfig(ctx context.Context, p *Principal) (WebhookConfig, error) {
	if err := p.requireAdmin(); err != nil {
		return WebhookConfig{}, err
	}
	return loadWebhookConfig(ctx, s.store)
}

// CheckWebhookURL validates a webhook URL: absolute http(s), at most MaxWebhookURL
// bytes, not pointing back at this server. field names it in the 422.
func (s *Service) CheckWebhookURL(field, raw string) error {
	if raw == "" {
		return invalid(field, "is required")
	}
	if len(raw) > MaxWebhookURL {
		return invalid(field, "is longer than %d characters", MaxWebhookURL)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return invalid(field, "must be an absolute http:// or https:// URL")
	}
	if u.User != nil {
		return invalid(field, "must not carry a user name or password")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return invalid(field, "has an invalid port")
		}
	}
	if s.cfg.Webhooks != nil {
		if err := s.cfg.Webhooks.CheckURL(raw); err != nil {
			return invalid(field, "%s", err.Error())
		}
	}
	return nil
}

// SetWebhooksConfig replaces the webhooks configuration (admins): the url is required
// when enabled. Enabling with no secret set makes one, so that every event is signed.
// Events are queued from then on; those queued before go to the url in force when sent.
func (s *Service) SetWebhooksConfig(ctx context.Context, p *Principal, cfg WebhookConfig) (WebhookConfig, error) {
	if err := p.requireAdmin(); err != nil {
		return WebhookConfig{}, err
	}
	cfg.URL = strings.TrimSpace(cfg.URL)
	if cfg.Enabled || cfg.URL != "" {
		if err := s.CheckWebhookURL("url", cfg.URL); err != nil {
			return WebhookConfig{}, err
		}
	}
	b, _ := json.Marshal(cfg)
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := tx.PutSetting(ctx, settingWebhooks, string(b)); err != nil {
			return internal("save webhooks config", err)
		}
		if cfg.Enabled {
			if err := putWebhookSecretIfUnset(ctx, tx); err != nil {
				return err
			}
		}
		return s.auditAs(ctx, tx, p, "settings.webhooks", "server", map[string]any{"enabled": cfg.Enabled, "url": cfg.URL})
	})
	if err != nil {
		return WebhookConfig{}, err
	}
	s.bus.Publish(Event{Type: EventSettingsChanged})
	return cfg, nil
}

// MinWebhookSecret and MaxWebhookSecret bound a secret an admin sets.
const (
	MinWebhookSecret = 32
	MaxWebhookSecret = 256
)

// WebhookSecret reveals the secret events are signed with (admins; audited), "" when none
// is set yet.
func (s *Service) WebhookSecret(ctx context.Context, p *Principal) (string, error) {
	if err := p.requireAdmin(); err != nil {
		return "", err
	}
	var secret string
	err := s.store.InTx(ctx, func(tx Store) error {
		v, err := tx.GetSetting(ctx, settingWebhookSecret)
		if err != nil && !isNoRows(err) {
			return internal("load webhook secret", err)
		}
		secret = v
		return s.auditAs(ctx, tx, p, "settings.webhooks.secret.read", "server", nil)
	})
	if err == nil {
		s.bus.Publish(Event{Type: EventAudit})
	}
	return secret, err
}

// SetWebhookSecret sets the secret events are signed with (admins): secret, or a new
// random one when secret is ""; it returns the secret in force. Events still queued are
// signed with it when sent.
func (s *Service) SetWebhookSecret(ctx context.Context, p *Principal, secret string) (string, error) {
	if err := p.requireAdmin(); err != nil {
		return "", err
	}
	how := "set"
	if secret == "" {
		secret, how = randomSecret(40), "generated"
	} else if n := len(secret); n < MinWebhookSecret || n > MaxWebhookSecret {
		return "", invalid("secret", "must be %d to %d characters long", MinWebhookSecret, MaxWebhookSecret)
	} else if strings.ContainsFunc(secret, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return "", invalid("secret", "must be printable ASCII without spaces")
	}
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := tx.PutSetting(ctx, settingWebhookSecret, secret); err != nil {
			return internal("save webhook secret", err)
		}
		return s.auditAs(ctx, tx, p, "settings.webhooks.secret", "server", map[string]string{"secret": how})
	})
	if err != nil {
		return "", err
	}
	s.bus.Publish(Event{Type: EventSettingsChanged})
	return secret, nil
}

// TestWebhook sends a test event to url (admins) and reports whether it arrived:
// ErrWebhookUnreachable, with the reason, when not.
func (s *Service) TestWebhook(ctx context.Context, p *Principal, raw string) error {
	if err := p.requireAdmin(); err != nil {
		return err
	}
	raw = strings.TrimSpace(raw)
	if err := s.CheckWebhookURL("url", raw); err != nil {
		return err
	}
	if s.cfg.Webhooks == nil {
		return &Error{Kind: KindBadRequest, Title: "Webhook Error", Code: ErrWebhookUnreachable.Code,
			Message: "Webhooks are not available on this server"}
	}
	if err := s.ensureWebhookSecret(ctx); err != nil {
		return err
	}
	if err := s.cfg.Webhooks.Test(ctx, raw); KindOf(err) == KindTooMany {
		return err
	} else if err != nil {
		return &Error{Kind: KindBadRequest, Title: "Webhook Error", Code: ErrWebhookUnreachable.Code,
			Message: "Webhook URL " + strconv.Quote(raw) + " is unreachable: " + err.Error()}
	}
	return nil
}

// WebhookDeliveries lists the outbox, newest first (admins): pageToken is the last page's
// Next.
func (s *Service) WebhookDeliveries(ctx context.Context, p *Principal, maxItems int, pageToken string) (Page[WebhookDelivery], error) {
	if err := p.requireAdmin(); err != nil {
		return Page[WebhookDelivery]{}, err
	}
	maxItems = ClampMaxItems(maxItems)
	var before int64
	if pageToken != "" {
		n, err := strconv.ParseInt(pageToken, 10, 64)
		if err != nil || n <= 0 {
			return Page[WebhookDelivery]{}, invalid("nextPageToken", "invalid page token")
		}
		before = n
	}
	items, err := s.store.ListWebhookDeliveries(ctx, before, maxItems+1)
	if err != nil {
		return Page[WebhookDelivery]{}, internal("list webhook deliveries", err)
	}
	page := Page[WebhookDelivery]{Items: items}
	if len(items) > maxItems {
		page.Items = items[:maxItems]
		page.Next = strconv.FormatInt(items[maxItems-1].ID, 10)
	}
	return page, nil
}

// WebhookCounts counts the outbox's deliveries by status (admins).
func (s *Service) WebhookCounts(ctx context.Context, p *Principal) (map[string]int, error) {
	if err := p.requireAdmin(); err != nil {
		return nil, err
	}
	c, err := s.store.CountWebhooks(ctx)
	if err != nil {
		return nil, internal("count webhook deliveries", err)
	}
	return c, nil
}

// queueWebhook queues ev through tx, in the transaction of the change it announces, when
// webhooks are on. A failure to queue is logged, never the change's failure: a meeting
// goes on whatever becomes of its webhooks.
func (s *Service) queueWebhook(ctx context.Context, tx Store, ev WebhookEvent) bool {
	if s.cfg.Webhooks == nil {
		return false
	}
	cfg, err := loadWebhookConfig(ctx, tx)
	if err != nil || !cfg.Enabled {
		return false
	}
	ev.CreationDate = s.nowMS()
	if err := s.cfg.Webhooks.Enqueue(ctx, tx, ev); err != nil {
		s.log.Error("webhook not queued", "event", ev.Event, "err", err)
		return false
	}
	return true
}

// webhooksQueued wakes the outbox after a transaction that queued events committed.
func (s *Service) webhooksQueued(queued bool, err error) {
	if queued && err == nil && s.cfg.Webhooks != nil {
		s.cfg.Webhooks.Notify()
	}
}

// recordingWebhook is the event a recording's new status announces.
func recordingWebhook(rec *Recording, created bool) string {
	switch {
	case created:
		return WebhookRecordingStarted
	case liveStatus(rec.Status):
		return WebhookRecordingUpdated
	}
	return WebhookRecordingEnded
}

// copyRecording is a copy of rec for the outbox.
func copyRecording(rec *Recording) *Recording {
	c := *rec
	return &c
}

// putWebhookSecretIfUnset makes a secret when none is set.
func putWebhookSecretIfUnset(ctx context.Context, st Store) error {
	if _, err := st.GetSetting(ctx, settingWebhookSecret); isNoRows(err) {
		if err := st.PutSetting(ctx, settingWebhookSecret, randomSecret(40)); err != nil {
			return internal("save webhook secret", err)
		}
	} else if err != nil {
		return internal("load webhook secret", err)
	}
	return nil
}

// ensureWebhookSecret makes a secret when none is set, so that a test is signed too.
func (s *Service) ensureWebhookSecret(ctx context.Context) error {
	if _, err := s.store.GetSetting(ctx, settingWebhookSecret); err == nil {
		return nil
	}
	return s.store.InTx(ctx, func(tx Store) error { return putWebhookSecretIfUnset(ctx, tx) })
}
