package core

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"time"
)

// Logs an export reads.
const (
	ExportAudit  = "audit"  // the audit log (SPEC 9)
	ExportAccess = "access" // the recordings' access log (SPEC 7.3)
)

// Export formats.
const (
	FormatJSONL = "jsonl" // one JSON object a line
	FormatCSV   = "csv"   // RFC 4180, a header line first
)

// exportPage is how many entries one database read of an export holds: the export's
// memory, whatever the log's size.
const exportPage = 500

// ExportQuery says which log to export, how and which entries.
type ExportQuery struct {
	Log    string // ExportAudit (default) or ExportAccess
	Format string // FormatJSONL (default) or FormatCSV
	// Since (inclusive) and Until (exclusive) bound the entries' times, epoch ms; 0 is no
	// bound. Until 0 means "now": the export is of the log as it was when it began, so
	// that a busy server cannot keep it running.
	Since, Until int64
	Actor        string // exact ("user:alice", "apiKey:ci", "system")
	Action       string // a prefix ("room." takes room.create, room.delete, …)
	Target       string // exact, audit log only ("room:abc", "user:alice")
}

// CheckExport validates q and fills in its defaults, without reading anything: front ends
// call it before they start answering, so that a bad request gets a clean error.
func (s *Service) CheckExport(q ExportQuery) (ExportQuery, error) {
	var v validator
	switch q.Log {
	case "":
		q.Log = ExportAudit
	case ExportAudit, ExportAccess:
	default:
		v.add("log", "must be audit or access")
	}
	switch q.Format {
	case "":
		q.Format = FormatJSONL
	case FormatJSONL, FormatCSV:
	default:
		v.add("format", "must be jsonl or csv")
	}
	checkLogTime(&v, "since", q.Since)
	checkLogTime(&v, "until", q.Until)
	if now := s.nowMS(); q.Since > now {
		v.add("since", "is in the future: nothing was logged after it yet")
	}
	if q.Since != 0 && q.Until != 0 && q.Until <= q.Since {
		v.add("until", "must be after since")
	}
	if len(q.Actor) > 200 {
		v.add("actor", "must be at most 200 characters")
	}
	if len(q.Action) > 200 {
		v.add("action", "must be at most 200 characters")
	}
	if len(q.Target) > 200 {
		v.add("target", "must be at most 200 characters")
	}
	if q.Target != "" && q.Log == ExportAccess {
		v.add("target", "filters the audit log only")
	}
	return q, v.err()
}

// ExportLog writes the entries of a log that match q to w, oldest first, in q's format,
// and returns how many it wrote. It reads the log a page at a time through the store's
// cursor, so its memory does not grow with the log; progress, when set, hears the count
// after each page. Only admins may export; the export itself is audited, before it
// starts, and is part of what it exports when the filters take it.
func (s *Service) ExportLog(ctx context.Context, p *Principal, q ExportQuery, w io.Writer, progress func(rows int)) (int, error) {
	if err := p.requireAdmin(); err != nil {
		return 0, err
	}
	q, err := s.CheckExport(q)
	if err != nil {
		return 0, err
	}
	e := s.auditEntry(p.Actor(), p.Meta, "audit.export", "log:"+q.Log, OutcomeSuccess, map[string]any{
		"format": q.Format, "since": q.Since, "until": q.Until, "actor": q.Actor, "action": q.Action, "target": q.Target})
	if err := s.store.AppendAudit(ctx, e); err != nil {
		return 0, internal("audit export", err)
	}
	s.bus.Publish(Event{Type: EventAudit})
	if q.Until == 0 {
		q.Until = e.Time + 1 // the log as it is now, this export's own entry included
	}
	out := newExportWriter(w, q)
	if err := out.header(); err != nil {
		return 0, err
	}
	n := 0
	opts := ListOptions{MaxItems: exportPage, SortField: "time"} // ascending
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		var next string
		var rows int
		switch q.Log {
		case ExportAudit:
			page, err := s.store.ListAudit(ctx, AuditQuery{ListOptions: opts, Actor: q.Actor, Action: q.Action, Target: q.Target, Since: q.Since, Until: q.Until})
			if err != nil {
				return n, internal("export audit", err)
			}
			for i := range page.Items {
				if err := out.audit(&page.Items[i]); err != nil {
					return n, err
				}
			}
			next, rows = page.Next, len(page.Items)
		default:
			page, err := s.store.ListAccessLog(ctx, AccessLogQuery{ListOptions: opts, Actor: q.Actor, Action: q.Action, Since: q.Since, Until: q.Until})
			if err != nil {
				return n, internal("export access log", err)
			}
			for i := range page.Items {
				if err := out.access(&page.Items[i]); err != nil {
					return n, err
				}
			}
			next, rows = page.Next, len(page.Items)
		}
		n += rows
		if err := out.flush(); err != nil {
			return n, err
		}
		if progress != nil {
			progress(n)
		}
		if next == "" {
			return n, nil
		}
		opts.PageToken = next
	}
}

// exportWriter renders entries as JSON lines or CSV.
type exportWriter struct {
	q    ExportQuery
	w    io.Writer
	csv  *csv.Writer
	json *json.Encoder
}

func newExportWriter(w io.Writer, q ExportQuery) *exportWriter {
	x := &exportWriter{q: q, w: w}
	if q.Format == FormatCSV {
		x.csv = csv.NewWriter(w)
	} else {
		x.json = json.NewEncoder(w)
		x.json.SetEscapeHTML(false)
	}
	return x
}

var (
	auditCSVHeader  = []string{"id", "time", "date", "actor", "actorName", "action", "target", "outcome", "source", "device", "detail"}
	accessCSVHeader = []string{"id", "time", "date", "recordingId", "roomId", "action", "actor", "actorKind", "linkId", "outcome", "source", "device", "detail"}
)

func (x *exportWriter) header() error {
	if x.csv == nil {
		return nil
	}
	if x.q.Log == ExportAccess {
		return x.csv.Write(accessCSVHeader)
	}
	return x.csv.Write(auditCSVHeader)
}

// exportDate is an entry's time for people: RFC 3339 in UTC with milliseconds.
func exportDate(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

type auditLine struct {
	ID        int64  `json:"id"`
	Time      int64  `json:"time"`
	Date      string `json:"date"`
	Actor     string `json:"actor"`
	ActorName string `json:"actorName,omitempty"`
	Action    string `json:"action"`
	Target    string `json:"target"`
	Outcome   string `json:"outcome"`
	Source    string `json:"source"`
	Device    string `json:"device"`
	Detail    string `json:"detail,omitempty"`
}

type accessLine struct {
	ID          int64  `json:"id"`
	Time        int64  `json:"time"`
	Date        string `json:"date"`
	RecordingID string `json:"recordingId"`
	RoomID      string `json:"roomId"`
	Action      string `json:"action"`
	Actor       string `json:"actor"`
	ActorKind   string `json:"actorKind"`
	LinkID      string `json:"linkId,omitempty"`
	Outcome     string `json:"outcome"`
	Source      string `json:"source"`
	Device      string `json:"device"`
	Detail      string `json:"detail,omitempty"`
}

func (x *exportWriter) audit(e *AuditEntry) error {
	if x.csv == nil {
		return x.json.Encode(auditLine{e.ID, e.Time, exportDate(e.Time), e.Actor, e.ActorName, e.Action, e.Target, e.Outcome, e.Source, e.Device, e.Detail})
	}
	return x.csv.Write([]string{strconv.FormatInt(e.ID, 10), strconv.FormatInt(e.Time, 10), exportDate(e.Time),
		csvCell(e.Actor), csvCell(e.ActorName), csvCell(e.Action), csvCell(e.Target), csvCell(e.Outcome),
		csvCell(e.Source), csvCell(e.Device), csvCell(e.Detail)})
}

func (x *exportWriter) access(e *AccessLogEntry) error {
	if x.csv == nil {
		return x.json.Encode(accessLine{e.ID, e.Time, exportDate(e.Time), e.RecordingID, e.RoomID, e.Action, e.Actor, e.ActorKind, e.LinkID, e.Outcome, e.Source, e.Device, e.Detail})
	}
	return x.csv.Write([]string{strconv.FormatInt(e.ID, 10), strconv.FormatInt(e.Time, 10), exportDate(e.Time),
		csvCell(e.RecordingID), csvCell(e.RoomID), csvCell(e.Action), csvCell(e.Actor), csvCell(e.ActorKind),
		csvCell(e.LinkID), csvCell(e.Outcome), csvCell(e.Source), csvCell(e.Device), csvCell(e.Detail)})
}

func (x *exportWriter) flush() error {
	if x.csv != nil {
		x.csv.Flush()
		return x.csv.Error()
	}
	return nil
}

// csvCell defuses a value a spreadsheet would run as a formula (a name or user agent that
// starts with "=", "+", "-", "@"): OWASP's advice, a leading apostrophe.
func csvCell(s string) string {
	if s != "" {
		switch s[0] {
		case '=', '+', '-', '@', '\t', '\r':
			return "'" + s
		}
	}
	return s
}
