package web

import (
	"errors"
	"net/http"

	"conclave/core"
)

// WebhookData renders the data of a webhook event as the REST API shows the record: the
// room (without its anonymous links' secrets) for meeting events, the recording for
// recording events, and, for Conclave's participant events, who joined or left. svc is
// read when an event is rendered (core is built after the outbox that renders its events).
func WebhookData(svc func() *core.Service) func(core.WebhookEvent) (any, error) {
	return func(ev core.WebhookEvent) (any, error) {
		switch {
		case ev.Room != nil:
			c := svc()
			if c == nil {
				return nil, errors.New("core is not built yet")
			}
			return (&server{svc: c}).roomJSON(ev.Room, false), nil
		case ev.Recording != nil:
			return recordingJSON(ev.Recording), nil
		case ev.Participant != nil:
			pt := ev.Participant
			o := object{{"roomId", pt.RoomID}}
			if pt.RoomName != "" {
				o = append(o, member{"roomName", pt.RoomName})
			}
			o = append(o, member{"participantIdentity", pt.Identity}, member{"participantName", pt.Name},
				member{"role", pt.Role}, member{"joinedAt", pt.JoinedAt})
			if pt.LeftAt != 0 {
				o = append(o, member{"leftAt", pt.LeftAt}, member{"reason", pt.Reason})
			}
			return o, nil
		}
		return object{}, nil
	}
}

func webhooksConfigJSON(c core.WebhookConfig) object {
	o := object{{"enabled", c.Enabled}}
	if c.URL != "" {
		o = append(o, member{"url", c.URL})
	}
	return o
}

// getWebhooksConfig is GET /internal-api/v1/config/webhooks (admins).
func (s *server) getWebhooksConfig(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	c, err := s.svc.WebhooksConfig(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webhooksConfigJSON(c))
	return nil
}

// putWebhooksConfig is PUT /internal-api/v1/config/webhooks {enabled, url?} (admins): the
// url is required when enabled.
func (s *server) putWebhooksConfig(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	on := o.boolean("enabled", true)
	u := o.str("url", false)
	if err := o.p.err(); err != nil {
		return err
	}
	c := core.WebhookConfig{Enabled: *on}
	if u != nil {
		c.URL = *u
	}
	if c, err = s.svc.SetWebhooksConfig(r.Context(), p, c); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webhooksConfigJSON(c))
	return nil
}

// testWebhook is POST /internal-api/v1/config/webhooks/test {url} (admins): a signed test
// event is sent there now; 400 "Webhook Error" says why it did not arrive.
func (s *server) testWebhook(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	u := o.str("url", true)
	if err := o.p.err(); err != nil {
		return err
	}
	if err := s.svc.TestWebhook(r.Context(), p, *u); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, object{{"message", "Webhook URL is valid"}})
	return nil
}

// webhookSecret is GET /internal-api/v1/config/webhooks/secret (Conclave extension,
// admins, audited): the secret X-Signature is keyed with.
func (s *server) webhookSecret(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	secret, err := s.svc.WebhookSecret(r.Context(), p)
	if err != nil {
		return err
	}
	var v any
	if secret != "" {
		v = secret
	}
	writeJSON(w, http.StatusOK, object{{"secret", v}})
	return nil
}

// setWebhookSecret is PUT /internal-api/v1/config/webhooks/secret {secret?} (extension,
// admins): sets the secret, or makes a new random one when the body has none.
func (s *server) setWebhookSecret(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	v := o.str("secret", false)
	if err := o.p.err(); err != nil {
		return err
	}
	secret := ""
	if v != nil {
		secret = *v
		if secret == "" {
			return core.Validation(core.FieldError{Field: "secret", Message: "must not be empty (leave it out to generate one)"})
		}
	}
	if secret, err = s.svc.SetWebhookSecret(r.Context(), p, secret); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, object{{"secret", secret}})
	return nil
}

// webhookDeliveries is GET /internal-api/v1/config/webhooks/deliveries (extension,
// admins): the outbox, newest first, each delivery with its outcome, and the counts by
// status.
func (s *server) webhookDeliveries(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	q := newQuery(r)
	n := q.maxItems()
	token := q.str("nextPageToken")
	if err := q.err(); err != nil {
		return err
	}
	page, err := s.svc.WebhookDeliveries(r.Context(), p, n, token)
	if err != nil {
		return err
	}
	counts, err := s.svc.WebhookCounts(r.Context(), p)
	if err != nil {
		return err
	}
	items := make([]object, 0, len(page.Items))
	for _, d := range page.Items {
		o := object{{"id", d.ID}, {"event", d.Event}, {"creationDate", d.CreationDate}, {"status", d.Status},
			{"attempts", d.Attempts}, {"url", d.URL}, {"statusCode", d.StatusCode}, {"error", d.Error},
			{"latencyMs", d.LatencyMS}, {"updatedAt", d.UpdatedAt}}
		if d.Status == core.WebhookPending {
			o = append(o, member{"nextAttempt", d.NextAttempt})
		}
		items = append(items, o)
	}
	c := object{}
	for _, st := range []string{core.WebhookPending, core.WebhookDelivered, core.WebhookFailed, core.WebhookDropped} {
		c = append(c, member{st, counts[st]})
	}
	writeJSON(w, http.StatusOK, object{{"deliveries", items}, {"counts", c}, {"pagination", pageInfo(page.Next, core.ClampMaxItems(n))}})
	return nil
}
