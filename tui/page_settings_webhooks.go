package tui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"conclave/core"
)

// WebhookBackend reads the webhooks' configuration and deliveries (admins); a Backend
// that has it (core.Service does) gets the Webhooks section of the Settings tab. They are
// configured over REST (PUT …/config/webhooks), the section shows what happens to them.
type WebhookBackend interface {
	WebhooksConfig(ctx context.Context, p *core.Principal) (core.WebhookConfig, error)
	WebhookCounts(ctx context.Context, p *core.Principal) (map[string]int, error)
	WebhookDeliveries(ctx context.Context, p *core.Principal, maxItems int, pageToken string) (core.Page[core.WebhookDelivery], error)
}

// recentDeliveries is how many deliveries the section lists.
const recentDeliveries = 4

// webhookState is what the section shows; nil when the backend has no webhooks.
type webhookState struct {
	cfg    core.WebhookConfig
	counts map[string]int
	recent []core.WebhookDelivery
}

// loadWebhooks reads the section's state, nil when backend has no webhooks.
func loadWebhooks(ctx context.Context, backend Backend, pr *core.Principal) (*webhookState, error) {
	wb, ok := backend.(WebhookBackend)
	if !ok {
		return nil, nil
	}
	var ws webhookState
	var err error
	if ws.cfg, err = wb.WebhooksConfig(ctx, pr); err != nil {
		return nil, err
	}
	if ws.counts, err = wb.WebhookCounts(ctx, pr); err != nil {
		return nil, err
	}
	page, err := wb.WebhookDeliveries(ctx, pr, recentDeliveries, "")
	if err != nil {
		return nil, err
	}
	ws.recent = page.Items
	return &ws, nil
}

// webhookLines is the Webhooks section in at most room lines: where events go, the
// counts by outcome, and the last few deliveries with their outcome.
func (p *settingsPage) webhookLines(w, room int) []string {
	ws := p.webhooks
	if ws == nil || room < 3 {
		return nil
	}
	st := p.c.styles
	target := "off"
	if ws.cfg.Enabled {
		target = "on → " + sanitize(ws.cfg.URL)
	}
	out := []string{"", st.header.Render("Webhooks") + "  " + ansi.Truncate(target, max(w-14, 10), "…"),
		"  " + st.dim.Render(ansi.Truncate(fmt.Sprintf("%d pending · %d delivered · %d failed · %d dropped (queue full) · set over REST",
			ws.counts[core.WebhookPending], ws.counts[core.WebhookDelivered], ws.counts[core.WebhookFailed], ws.counts[core.WebhookDropped]), max(w-4, 10), "…"))}
	for _, d := range ws.recent[:min(len(ws.recent), room-len(out))] {
		outcome := d.Status
		switch {
		case d.StatusCode != 0 && d.Error == "":
			outcome += fmt.Sprintf(" %d", d.StatusCode)
		case d.Error != "":
			outcome += ": " + d.Error
		}
		var b strings.Builder
		writeCell(&b, p.c.formatTime(d.CreationDate), 16)
		b.WriteString("  ")
		writeCell(&b, d.Event, 17)
		b.WriteString("  ")
		writeCell(&b, fmt.Sprintf("×%d %dms", d.Attempts, d.LatencyMS), 12)
		b.WriteString("  ")
		b.WriteString(sanitize(outcome))
		out = append(out, "  "+ansi.Truncate(b.String(), max(w-4, 10), "…"))
	}
	return out
}
