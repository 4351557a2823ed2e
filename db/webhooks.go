package db

// This file implements core.WebhookStore on the webhook_deliveries table.

import (
	"context"
	"strings"

	"conclave/core"
)

var _ core.WebhookStore = (*store)(nil)

const webhookCols = `id, event, creation_date, body, status, attempts, next_attempt, url, status_code, error, latency_ms, updated_at`

func scanWebhook(sc scanner) (core.WebhookDelivery, error) {
	var d core.WebhookDelivery
	err := sc.Scan(&d.ID, &d.Event, &d.CreationDate, &d.Body, &d.Status, &d.Attempts, &d.NextAttempt, &d.URL,
		&d.StatusCode, &d.Error, &d.LatencyMS, &d.UpdatedAt)
	return d, err
}

// EnqueueWebhook inserts d as pending and sets d.ID.
func (s *store) EnqueueWebhook(ctx context.Context, d *core.WebhookDelivery) error {
	res, err := s.w.ExecContext(ctx, `INSERT INTO webhook_deliveries (event, creation_date, body, status, next_attempt, updated_at)
		VALUES (?, ?, ?, 'pending', ?, ?)`, d.Event, d.CreationDate, d.Body, d.NextAttempt, d.CreationDate)
	if err != nil {
		return mapErr(err, "enqueue webhook")
	}
	if d.ID, err = res.LastInsertId(); err != nil {
		return mapErr(err, "enqueue webhook")
	}
	d.Status = core.WebhookPending
	return nil
}

// DueWebhooks lists pending deliveries due by now, oldest first, but those in skip.
func (s *store) DueWebhooks(ctx context.Context, now int64, limit int, skip []int64) ([]core.WebhookDelivery, error) {
	q := `SELECT ` + webhookCols + ` FROM webhook_deliveries WHERE status = 'pending' AND next_attempt <= ?`
	args := []any{now}
	if len(skip) > 0 {
		q += ` AND id NOT IN (` + strings.TrimSuffix(strings.Repeat("?,", len(skip)), ",") + `)`
		for _, id := range skip {
			args = append(args, id)
		}
	}
	q += ` ORDER BY next_attempt, id LIMIT ?`
	args = append(args, limit)
	return queryAll(ctx, s.r, "list due webhooks", scanWebhook, q, args...)
}

// SaveWebhookAttempt stores an attempt's outcome on a delivery still pending.
func (s *store) SaveWebhookAttempt(ctx context.Context, d *core.WebhookDelivery) error {
	res, err := s.w.ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt = ?, url = ?,
			status_code = ?, error = ?, latency_ms = ?, updated_at = ?
		WHERE id = ? AND status = 'pending'`,
		d.Status, d.Attempts, d.NextAttempt, d.URL, d.StatusCode, d.Error, d.LatencyMS, d.UpdatedAt, d.ID)
	if err != nil {
		return mapErr(err, "save webhook attempt")
	}
	if n, err := res.RowsAffected(); err != nil {
		return mapErr(err, "save webhook attempt")
	} else if n == 0 {
		return core.ErrNoRows
	}
	return nil
}

// TrimWebhooks drops the oldest pending deliveries beyond maxPending and deletes the
// oldest finished ones beyond keepDone.
func (s *store) TrimWebhooks(ctx context.Context, maxPending, keepDone int, now int64) (int, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE webhook_deliveries
		SET status = 'dropped', error = 'dropped undelivered: the webhook queue was full', updated_at = ?
		WHERE status = 'pending' AND id <= (SELECT id FROM webhook_deliveries WHERE status = 'pending'
			ORDER BY id DESC LIMIT 1 OFFSET ?)`, now, maxPending)
	if err != nil {
		return 0, mapErr(err, "drop webhooks")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, mapErr(err, "drop webhooks")
	}
	_, err = s.w.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE status != 'pending' AND id <=
		(SELECT id FROM webhook_deliveries WHERE status != 'pending' ORDER BY id DESC LIMIT 1 OFFSET ?)`, keepDone)
	if err != nil {
		return int(n), mapErr(err, "trim webhook log")
	}
	return int(n), nil
}

// ListWebhookDeliveries lists deliveries below before (all when 0), newest first.
func (s *store) ListWebhookDeliveries(ctx context.Context, before int64, limit int) ([]core.WebhookDelivery, error) {
	q := `SELECT ` + webhookCols + ` FROM webhook_deliveries`
	args := []any{}
	if before > 0 {
		q += ` WHERE id < ?`
		args = append(args, before)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	return queryAll(ctx, s.r, "list webhook deliveries", scanWebhook, q, args...)
}

// ResumeWebhooks makes every pending delivery due at now.
func (s *store) ResumeWebhooks(ctx context.Context, now int64) (int, error) {
	if _, err := s.w.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt = ? WHERE status = 'pending' AND next_attempt > ?`, now, now); err != nil {
		return 0, mapErr(err, "resume webhooks")
	}
	var n int
	err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'`).Scan(&n)
	return n, mapErr(err, "resume webhooks")
}

// CountWebhooks counts deliveries by status.
func (s *store) CountWebhooks(ctx context.Context) (map[string]int, error) {
	type count struct {
		status string
		n      int
	}
	rows, err := queryAll(ctx, s.r, "count webhooks", func(sc scanner) (count, error) {
		var c count
		err := sc.Scan(&c.status, &c.n)
		return c, err
	}, `SELECT status, count(*) FROM webhook_deliveries GROUP BY status`)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, c := range rows {
		out[c.status] = c.n
	}
	return out, nil
}
