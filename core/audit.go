package core

import (
	"context"
	"encoding/json"
)

// Audit outcomes.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
)

// auditAs appends a successful action to the audit log through st (a transaction when the
// change is one), so that the change and its record commit together.
func (s *Service) auditAs(ctx context.Context, st Store, p *Principal, action, target string, detail any) error {
	e := s.auditEntry(p.Actor(), p.Meta, action, target, OutcomeSuccess, detail)
	if p != nil && p.Kind == PrincipalMember && p.Member != nil {
		e.ActorName = truncate(p.Member.ParticipantName, 100)
	}
	return st.AppendAudit(ctx, e)
}

// auditFailure records a refused attempt (a failed sign-in, say) outside any transaction.
func (s *Service) auditFailure(ctx context.Context, meta RequestMeta, actor, action, target, reason string) {
	if err := s.store.AppendAudit(ctx, s.auditEntry(actor, meta, action, target, OutcomeFailure, reason)); err != nil {
		s.log.Error("audit append failed", "action", action, "err", err)
		return
	}
	// No other event announces a refusal, so open audit views learn of it this way.
	s.bus.Publish(Event{Type: EventAudit})
}

func (s *Service) auditEntry(actor string, meta RequestMeta, action, target, outcome string, detail any) *AuditEntry {
	e := &AuditEntry{
		Time: s.nowMS(), Actor: actor, Action: action, Target: target, Outcome: outcome,
		Source: meta.Source, Device: truncate(deviceOf(meta), 200),
	}
	switch d := detail.(type) {
	case nil:
	case string:
		e.Detail = d
	default:
		if b, err := json.Marshal(d); err == nil {
			e.Detail = string(b)
		}
	}
	return e
}

// deviceOf is the device column: the channel and the client ("ssh SSH-2.0-OpenSSH_9.2").
func deviceOf(m RequestMeta) string {
	switch {
	case m.Via == "":
		return m.Device
	case m.Device == "":
		return m.Via
	}
	return m.Via + " " + m.Device
}

// ListAudit lists the audit log, newest first. Only admins see it (owners' view of their
// rooms' recording access comes with recordings).
func (s *Service) ListAudit(ctx context.Context, p *Principal, q AuditQuery) (Page[AuditEntry], error) {
	if err := p.requireAdmin(); err != nil {
		return Page[AuditEntry]{}, err
	}
	var err error
	if q.ListOptions, err = checkList(q.ListOptions, "time"); err != nil {
		return Page[AuditEntry]{}, err
	}
	page, err := s.store.ListAudit(ctx, q)
	return page, listErr("audit", err)
}
