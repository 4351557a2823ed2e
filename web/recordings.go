package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"conclave/core"
)

// recordingJSON renders a recording in OpenVidu Meet's shape: endDate, duration and size
// are null while it is being made.
func recordingJSON(rec *core.Recording) object {
	o := object{
		{"recordingId", rec.RecordingID},
		{"roomId", rec.RoomID},
		{"roomName", rec.RoomName},
		{"status", rec.Status},
		{"layout", rec.Layout},
		{"filename", rec.Filename},
		{"startDate", rec.StartDate},
	}
	if rec.EndDate != 0 {
		o = append(o, member{"endDate", rec.EndDate}, member{"duration", rec.Duration}, member{"size", rec.Size})
	} else {
		o = append(o, member{"endDate", nil}, member{"duration", nil}, member{"size", nil})
	}
	if rec.Error != "" {
		o = append(o, member{"error", rec.Error})
	} else {
		o = append(o, member{"error", nil})
	}
	if rec.Details != "" {
		o = append(o, member{"details", rec.Details})
	}
	streams := make([]object, 0, len(rec.Streams))
	for i, st := range rec.Streams {
		streams = append(streams, object{{"index", i}, {"file", st.File}, {"identity", st.Identity},
			{"name", st.Name}, {"kind", st.Kind}, {"offset", st.Offset}, {"duration", st.Duration}, {"size", st.Size}})
	}
	// Conclave's extension: the recording's files, one per published stream, in manifest
	// order (GET …/media?stream=N).
	o = append(o, member{"streams", streams})
	if rec.TrashedAt != 0 { // in the trash (trash.go): when, by whom, until when
		o = append(o, member{"trashedAt", rec.TrashedAt}, member{"trashedBy", rec.TrashedBy}, member{"purgeAt", rec.PurgeAt})
	}
	return o
}

func (s *server) recordingURL(id string) string { return s.svc.BaseURL() + "/api/v1/recordings/" + id }

// startRecording is POST /recordings {roomId, config?: {layout}}.
func (s *server) startRecording(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	roomID := o.str("roomId", true)
	layout := ""
	if cfg := o.object("config", false); cfg != nil {
		if l := cfg.str("layout", false); l != nil {
			layout = *l
		}
	}
	if err := o.p.err(); err != nil {
		return err
	}
	rec, err := s.svc.StartRecording(r.Context(), p, *roomID, layout)
	if err != nil {
		return err
	}
	w.Header().Set("Location", s.recordingURL(rec.RecordingID))
	writeJSON(w, http.StatusCreated, recordingJSON(rec))
	return nil
}

// stopRecording is POST /recordings/{recordingId}/stop: 202 while its files are finished.
func (s *server) stopRecording(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	rec, err := s.svc.StopRecording(r.Context(), p, r.PathValue("recordingId"))
	if err != nil {
		return err
	}
	w.Header().Set("Location", s.recordingURL(rec.RecordingID))
	writeJSON(w, http.StatusAccepted, recordingJSON(rec))
	return nil
}

// listRecordings is GET /recordings.
func (s *server) listRecordings(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	return s.writeRecordingList(w, r, p, s.svc.ListRecordings)
}

// writeRecordingList answers a listing of recordings with GET /recordings' filters and
// paging, from list (the recordings, or the trash).
func (s *server) writeRecordingList(w http.ResponseWriter, r *http.Request, p *core.Principal,
	list func(context.Context, *core.Principal, core.RecordingQuery) (core.Page[core.Recording], error)) error {
	q := newQuery(r)
	rq := core.RecordingQuery{
		ListOptions: q.listOptions("startDate"),
		RoomID:      q.str("roomId"),
		RoomName:    q.text("roomName"),
		Status:      q.str("status"),
	}
	if err := q.err(); err != nil {
		return err
	}
	page, err := list(r.Context(), p, rq)
	if err != nil {
		return err
	}
	out := make([]object, 0, len(page.Items))
	for i := range page.Items {
		out = append(out, recordingJSON(&page.Items[i]))
	}
	writeJSON(w, http.StatusOK, object{{"recordings", out}, {"pagination", pageInfo(page.Next, core.ClampMaxItems(rq.MaxItems))}})
	return nil
}

// getRecording is GET /recordings/{recordingId}.
func (s *server) getRecording(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	rec, err := s.svc.GetRecording(r.Context(), p, r.PathValue("recordingId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, recordingJSON(rec))
	return nil
}

// deleteRecording is DELETE /recordings/{recordingId}: into the trash, or with the
// extension ?force=true purged at once (admins).
func (s *server) deleteRecording(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	id := r.PathValue("recordingId")
	force, err := forceParam(r)
	if err != nil {
		return err
	}
	del := s.svc.DeleteRecording
	if force {
		del = s.svc.PurgeRecording
	}
	if err := del(r.Context(), p, id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{fmt.Sprintf("Recording '%s' deleted successfully", id)})
	return nil
}

// bulkDeleteRecordings is DELETE /recordings?recordingIds=a,b.
func (s *server) bulkDeleteRecordings(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	q := newQuery(r)
	ids := q.ids("recordingIds")
	force := q.boolean("force")
	if err := q.err(); err != nil {
		return err
	}
	if len(ids) == 0 {
		return core.Validation(core.FieldError{Field: "recordingIds", Message: "At least one recording id is required"})
	}
	del := s.svc.BulkDeleteRecordings
	if force != nil && *force {
		del = s.svc.BulkPurgeRecordings
	}
	res, err := del(r.Context(), p, ids)
	if err != nil {
		return err
	}
	failed := make([]object, 0, len(res.Failed))
	for _, f := range res.Failed {
		failed = append(failed, object{{"recordingId", f.ID}, {"error", "Recording Error"}, {"message", f.Error}})
	}
	status, msg := http.StatusOK, "All recordings deleted successfully"
	if len(failed) > 0 {
		status, msg = http.StatusBadRequest, fmt.Sprintf("%d recording(s) could not be deleted", len(failed))
	}
	writeJSON(w, status, object{{"message", msg}, {"deleted", res.Deleted}, {"failed", failed}})
	return nil
}

// recordingMedia is GET /recordings/{recordingId}/media[?stream=N]: the main file (or one
// stream's) with byte ranges (206, 416), for watching (recordingPlay). The first request
// of a viewing is in the access log (newViewing).
func (s *server) recordingMedia(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	return s.serveRecordingAs(w, r, p, r.PathValue("recordingId"), core.RecActPlay, false)
}

// downloadRecording is GET /recordings/{recordingId}/download[?stream=N|format=zip]
// (recordingDownload): the same file as an attachment, or all the recording's files and
// its manifest as a zip.
func (s *server) downloadRecording(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	id := r.PathValue("recordingId")
	switch f := r.URL.Query().Get("format"); f {
	case "zip":
		if r.URL.Query().Has("stream") {
			return core.Validation(core.FieldError{Field: "stream", Message: "a zip holds every stream: leave stream out"})
		}
		plan, err := s.svc.PlanRecordingZip(r.Context(), p, id)
		if err != nil {
			return err
		}
		return s.writeZip(w, r, plan)
	case "", "webm":
	default:
		return core.Validation(core.FieldError{Field: "format", Message: "must be webm or zip"})
	}
	return s.serveRecordingAs(w, r, p, id, core.RecActDownload, true)
}

func (s *server) serveRecordingAs(w http.ResponseWriter, r *http.Request, p *core.Principal, id, act string, attachment bool) error {
	stream := -1
	if v := r.URL.Query().Get("stream"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return core.Validation(core.FieldError{Field: "stream", Message: "must be a stream index from 0"})
		}
		stream = n
	}
	// A multi-range or malformed Range is refused before the file is opened (Go's
	// ServeContent would answer several ranges as multipart, which players do not ask for).
	rng := r.Header.Get("Range")
	if rng != "" && (!strings.HasPrefix(rng, "bytes=") || strings.Contains(rng, ",")) {
		return &httpError{status: http.StatusRequestedRangeNotSatisfiable, title: "Recording Error",
			message: fmt.Sprintf("Recording %q: only one byte range (bytes=start-end) may be asked for", id)}
	}
	_, f, err := s.svc.OpenRecordingLogged(r.Context(), p, id, stream, act, newViewing(r))
	if err != nil {
		return err
	}
	defer f.Close()
	if rng != "" && !rangeSatisfiable(rng, f.Size()) {
		return &httpError{status: http.StatusRequestedRangeNotSatisfiable, title: "Recording Error",
			message: fmt.Sprintf("Recording %q range not satisfiable. File size: %d", id, f.Size())}
	}
	h := w.Header()
	h.Set("Content-Type", "video/webm")
	h.Set("Accept-Ranges", "bytes")
	h.Set("X-Content-Type-Options", "nosniff")
	if attachment {
		h.Set("Content-Disposition", `attachment; filename="`+f.Name()+`"`)
	}
	http.ServeContent(w, r, f.Name(), f.ModTime(), f)
	return nil
}

// rangeSatisfiable reports whether a single "bytes=a-b", "bytes=a-" or "bytes=-n" range
// falls in a file of size bytes, start not after end.
func rangeSatisfiable(rng string, size int64) bool {
	spec := strings.TrimPrefix(rng, "bytes=")
	a, b, ok := strings.Cut(spec, "-")
	if !ok {
		return false
	}
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if a == "" { // suffix: the last n bytes
		n, err := strconv.ParseInt(b, 10, 64)
		return err == nil && n > 0 && size > 0
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil || start < 0 || start >= size {
		return false
	}
	if b == "" {
		return true
	}
	end, err := strconv.ParseInt(b, 10, 64)
	return err == nil && end >= start
}

// recordingSwitch is GET /internal-api/v1/config/recording (admins): the server switch.
func (s *server) recordingSwitch(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	on, err := s.svc.RecordingSwitch(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, object{{"enabled", on}})
	return nil
}

// setRecordingSwitch is PUT /internal-api/v1/config/recording {enabled} (admins).
func (s *server) setRecordingSwitch(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	on := o.boolean("enabled", true)
	if err := o.p.err(); err != nil {
		return err
	}
	if err := s.svc.SetRecordingEnabled(r.Context(), p, *on); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, object{{"enabled", *on}})
	return nil
}
