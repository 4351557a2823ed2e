package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"conclave/core"
)

// usageRoutes registers the usage analytics (OpenVidu Meet 3.9) and the log export
// (Conclave's extension).
func (s *server) usageRoutes() {
	in := "/internal-api/v1"
	// OpenVidu Meet's security for /analytics is the access token alone (its console).
	s.handle("GET", in+"/analytics", credAccess, s.analytics)
	s.handle("GET", in+"/audit/export", credAPIKey|credAccess, s.exportAudit)
}

// analytics is GET /internal-api/v1/analytics: {totalRooms, activeRooms, totalRecordings,
// completeRecordings}, for admins.
func (s *server) analytics(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	a, err := s.svc.Analytics(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, object{{"totalRooms", a.TotalRooms}, {"activeRooms", a.ActiveRooms},
		{"totalRecordings", a.TotalRecordings}, {"completeRecordings", a.CompleteRecordings}})
	return nil
}

// exportQuery reads GET …/audit/export's parameters: log (audit | access), format
// (jsonl | csv), since and until (epoch ms or RFC 3339), actor (exact), action (prefix),
// target (exact, audit log only).
func exportQuery(r *http.Request) (core.ExportQuery, error) {
	q := newQuery(r)
	eq := core.ExportQuery{
		Log:    q.oneOf("log", core.ExportAudit, core.ExportAccess),
		Format: q.oneOf("format", core.FormatJSONL, core.FormatCSV),
		Actor:  q.str("actor"),
		Action: q.str("action"),
		Target: q.str("target"),
	}
	at := func(key string) int64 {
		if !q.values.Has(key) {
			return 0
		}
		v := q.str(key)
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			return n
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil && t.Year() >= 1970 && t.Year() <= 9999 {
			return t.UnixMilli()
		}
		q.p.add(key, "Expected a time in epoch milliseconds or RFC 3339 (2025-01-31T09:00:00Z) but got %q", truncate(v, 40))
		return 0
	}
	eq.Since, eq.Until = at("since"), at("until")
	return eq, q.err()
}

// exportAudit is GET /internal-api/v1/audit/export (admins): the audit log, or with
// log=access the recordings' access log, oldest first, as JSON lines or CSV, streamed as
// it is read. Bad parameters are a 422 before anything is sent; a failure half-way
// aborts the response, so that a client never takes a cut export for a whole one.
func (s *server) exportAudit(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	eq, err := exportQuery(r)
	if err != nil {
		return err
	}
	if eq, err = s.svc.CheckExport(eq); err != nil {
		return err
	}
	ctype, ext := "application/x-ndjson", "jsonl"
	if eq.Format == core.FormatCSV {
		ctype, ext = "text/csv; charset=utf-8", "csv"
	}
	name := fmt.Sprintf("conclave-%s-%s.%s", eq.Log, time.Now().UTC().Format("20060102-150405"), ext)
	out := &lazyHeaders{w: w, set: func(h http.Header) {
		h.Set("Content-Type", ctype)
		h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
		h.Set("X-Content-Type-Options", "nosniff")
	}}
	rc := http.NewResponseController(w)
	n, err := s.svc.ExportLog(r.Context(), p, eq, out, func(int) {
		if out.started { // a flush before the first byte would send the headers unset
			_ = rc.Flush()
		}
	})
	if err != nil && !out.started {
		return err
	}
	if err != nil {
		s.log.Warn("log export cut off", "log", eq.Log, "rows", n, "err", err)
		panic(http.ErrAbortHandler)
	}
	if !out.started { // nothing matched: an empty file all the same
		out.set(w.Header())
		w.WriteHeader(http.StatusOK)
	}
	return nil
}

// lazyHeaders sets the export's headers at its first byte, so that an error before it
// still gets the API's JSON error instead of an attachment.
type lazyHeaders struct {
	w       http.ResponseWriter
	set     func(http.Header)
	started bool
}

func (l *lazyHeaders) Write(b []byte) (int, error) {
	if !l.started {
		l.started = true
		l.set(l.w.Header())
	}
	return l.w.Write(b)
}
