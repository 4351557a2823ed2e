package web

// Recording access: OpenVidu Meet's recording url and zip download, and Conclave's share
// links, the access log and the share-link media (docs/recording-access.md).

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"conclave/core"
)

// Share-link credential headers.
const (
	headerSharePassword = "X-Share-Password"
	headerShareToken    = "X-Share-Token"
)

func (s *server) recordingAccessRoutes() {
	pub := "/api/v1"
	std := credAPIKey | credAccess
	withMember := std | credMember
	s.handle("GET", pub+"/recordings/download", withMember, s.downloadRecordingsZip)
	s.handle("GET", pub+"/recordings/{recordingId}/url", withMember, s.recordingURLHandler)
	s.handle("POST", pub+"/recordings/{recordingId}/shares", withMember, s.createShareLink)
	s.handle("GET", pub+"/recordings/{recordingId}/shares", withMember, s.listShareLinks)
	s.handle("DELETE", pub+"/recordings/{recordingId}/shares", withMember, s.revokeShareLinks)
	s.handle("DELETE", pub+"/recordings/{recordingId}/shares/{linkId}", withMember, s.revokeShareLink)
	s.handle("GET", pub+"/recordings/{recordingId}/access-log", std, s.recordingAccessLog)
	s.handle("GET", pub+"/access-log", std, s.accessLog)
	// A share link's own endpoints: opened without an account (public) or signed in
	// (private); its media with the token the opening handed out.
	s.handle("GET", pub+"/shared-recordings/{linkId}", credAccess|credAnonymous, s.openShareLink)
	s.handle("GET", pub+"/shared-recordings/{linkId}/media", credAnonymous, s.sharedMedia)
	s.handle("GET", pub+"/shared-recordings/{linkId}/download", credAnonymous, s.sharedDownload)
}

// recordingURLHandler is GET /recordings/{recordingId}/url[?privateAccess=true].
func (s *server) recordingURLHandler(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	q := newQuery(r)
	private := q.boolean("privateAccess")
	if err := q.err(); err != nil {
		return err
	}
	u, err := s.svc.RecordingURL(r.Context(), p, r.PathValue("recordingId"), private != nil && *private)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, object{{"url", u}})
	return nil
}

func optMillis(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func shareLinkJSON(l *core.ShareLink, state string) object {
	return object{
		{"linkId", l.LinkID},
		{"recordingId", l.RecordingID},
		{"access", l.Access},
		{"allowDownload", l.AllowDownload},
		{"passwordProtected", l.PasswordHash != ""},
		{"expiresAt", optMillis(l.ExpiresAt)},
		{"maxUses", optMillis(l.MaxUses)},
		{"uses", l.Uses},
		{"lastUsed", optMillis(l.LastUsed)},
		{"createdAt", l.CreatedAt},
		{"createdBy", l.CreatedBy},
		{"revokedAt", optMillis(l.RevokedAt)},
		{"state", state},
		{"origin", l.Origin},
	}
}

// createShareLink is POST /recordings/{recordingId}/shares {access?, password?,
// expiresAt?, allowDownload?, maxUses?}: 201 with the link, its secret and its url
// (shown this once).
func (s *server) createShareLink(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	var in core.NewShareLink
	if a := o.str("access", false); a != nil {
		in.Access = *a
		if in.Access == "" {
			o.p.add("access", "must be one of public, private")
		}
	}
	in.Password = o.str("password", false)
	in.ExpiresAt = o.integer("expiresAt", false)
	if d := o.boolean("allowDownload", false); d != nil {
		in.AllowDownload = *d
	}
	in.MaxUses = o.integer("maxUses", false)
	for k := range o.fields {
		switch k {
		case "access", "password", "expiresAt", "allowDownload", "maxUses":
		default:
			o.p.add(k, "unknown field")
		}
	}
	if err := o.p.err(); err != nil {
		return err
	}
	id := r.PathValue("recordingId")
	l, secret, err := s.svc.CreateShareLink(r.Context(), p, id, in)
	if err != nil {
		return err
	}
	out := shareLinkJSON(l, s.svc.ShareLinkState(l))
	out = append(out, member{"secret", secret}, member{"url", s.svc.ShareLinkURL(l, secret)})
	w.Header().Set("Location", s.recordingURL(id)+"/shares/"+l.LinkID)
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// listShareLinks is GET /recordings/{recordingId}/shares: every link with its uses.
func (s *server) listShareLinks(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	q := newQuery(r)
	opts := q.listOptions("createdAt")
	if err := q.err(); err != nil {
		return err
	}
	page, err := s.svc.ListShareLinks(r.Context(), p, r.PathValue("recordingId"), opts)
	if err != nil {
		return err
	}
	out := make([]object, 0, len(page.Items))
	for i := range page.Items {
		out = append(out, shareLinkJSON(&page.Items[i], s.svc.ShareLinkState(&page.Items[i])))
	}
	writeJSON(w, http.StatusOK, object{{"shares", out}, {"pagination", pageInfo(page.Next, core.ClampMaxItems(opts.MaxItems))}})
	return nil
}

// revokeShareLink is DELETE /recordings/{recordingId}/shares/{linkId}.
func (s *server) revokeShareLink(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	id, link := r.PathValue("recordingId"), r.PathValue("linkId")
	if err := s.svc.RevokeShareLink(r.Context(), p, id, link); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{fmt.Sprintf("Share link '%s' revoked", link)})
	return nil
}

// revokeShareLinks is DELETE /recordings/{recordingId}/shares: every link in force.
func (s *server) revokeShareLinks(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	n, err := s.svc.RevokeShareLinks(r.Context(), p, r.PathValue("recordingId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, object{{"message", fmt.Sprintf("%d share link(s) revoked", n)}, {"revoked", n}})
	return nil
}

// logQuery reads the access log's filters.
func logQuery(r *http.Request) (core.AccessLogQuery, error) {
	q := newQuery(r)
	aq := core.AccessLogQuery{
		ListOptions: q.listOptions("time"),
		RecordingID: q.str("recordingId"),
		RoomID:      q.str("roomId"),
		Actor:       q.str("actor"),
		Action:      q.str("action"),
	}
	millis := func(key string) int64 {
		if !q.values.Has(key) {
			return 0
		}
		v := q.str(key)
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			q.p.add(key, "Expected a time in epoch milliseconds but got %q", truncate(v, 40))
			return 0
		}
		return n
	}
	aq.Since, aq.Until = millis("since"), millis("until")
	return aq, q.err()
}

func accessLogJSON(e *core.AccessLogEntry) object {
	return object{
		{"id", e.ID}, {"time", e.Time}, {"recordingId", e.RecordingID}, {"roomId", e.RoomID},
		{"action", e.Action}, {"actor", e.Actor}, {"actorKind", e.ActorKind}, {"linkId", e.LinkID},
		{"outcome", e.Outcome}, {"source", e.Source}, {"device", e.Device}, {"detail", e.Detail},
	}
}

func writeAccessLog(w http.ResponseWriter, page core.Page[core.AccessLogEntry], maxItems int) {
	out := make([]object, 0, len(page.Items))
	for i := range page.Items {
		out = append(out, accessLogJSON(&page.Items[i]))
	}
	writeJSON(w, http.StatusOK, object{{"entries", out}, {"pagination", pageInfo(page.Next, core.ClampMaxItems(maxItems))}})
}

// accessLog is GET /access-log: admins all, room owners their rooms'.
func (s *server) accessLog(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	aq, err := logQuery(r)
	if err != nil {
		return err
	}
	page, err := s.svc.ListAccessLog(r.Context(), p, aq)
	if err != nil {
		return err
	}
	writeAccessLog(w, page, aq.MaxItems)
	return nil
}

// recordingAccessLog is GET /recordings/{recordingId}/access-log.
func (s *server) recordingAccessLog(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	aq, err := logQuery(r)
	if err != nil {
		return err
	}
	page, err := s.svc.RecordingAccessLog(r.Context(), p, r.PathValue("recordingId"), aq)
	if err != nil {
		return err
	}
	writeAccessLog(w, page, aq.MaxItems)
	return nil
}

// downloadRecordingsZip is GET /recordings/download?recordingIds=a,b: the recordings the
// caller may download, streamed as one zip; SKIPPED.txt inside names the others.
func (s *server) downloadRecordingsZip(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	q := newQuery(r)
	ids := q.ids("recordingIds")
	if err := q.err(); err != nil {
		return err
	}
	plan, err := s.svc.PlanRecordingsZip(r.Context(), p, ids)
	if err != nil {
		return err
	}
	return s.writeZip(w, r, plan)
}

func (s *server) writeZip(w http.ResponseWriter, r *http.Request, plan *core.ZipPlan) error {
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", `attachment; filename="`+plan.Filename()+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if err := s.svc.WriteZip(r.Context(), plan, w); err != nil {
		// The status is sent: all a client can be told now is that the zip is cut short.
		s.log.Warn("zip download cut short", "path", r.URL.Path, "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// newViewing says whether a media request starts a viewing (or a download), which the
// access log records once: a request without Range, or whose range starts at byte 0.
// Players ask "bytes=0-" first and then seek with later ranges, which are not logged.
func newViewing(r *http.Request) bool {
	rng := strings.TrimSpace(r.Header.Get("Range"))
	if rng == "" {
		return true
	}
	start, _, _ := strings.Cut(strings.TrimPrefix(rng, "bytes="), "-")
	start = strings.TrimSpace(start)
	return start != "" && strings.Trim(start, "0") == ""
}

// openShareLink is GET /shared-recordings/{linkId}?secret=… (X-Share-Password when the
// link has one; Authorization for a private link): counts one use and answers what the
// player needs (the recording, the link's terms, a token and the media urls).
func (s *server) openShareLink(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	linkID := r.PathValue("linkId")
	sh, err := s.svc.OpenShareLink(r.Context(), p, linkID, r.URL.Query().Get("secret"), r.Header.Get(headerSharePassword))
	if err != nil {
		s.writeShareError(w, r, err)
		return nil
	}
	base := s.svc.BaseURL() + "/api/v1/shared-recordings/" + url.PathEscape(linkID)
	tok := "token=" + url.QueryEscape(sh.Token)
	streams := make([]object, 0, len(sh.Recording.Streams))
	for i, st := range sh.Recording.Streams {
		o := object{{"index", i}, {"name", st.Name}, {"kind", st.Kind}, {"offset", st.Offset},
			{"duration", st.Duration}, {"mediaUrl", fmt.Sprintf("%s/media?stream=%d&%s", base, i, tok)}}
		if sh.Link.AllowDownload {
			o = append(o, member{"downloadUrl", fmt.Sprintf("%s/download?stream=%d&%s", base, i, tok)})
		}
		streams = append(streams, o)
	}
	out := object{
		{"recording", recordingJSON(sh.Recording)},
		{"link", object{{"linkId", sh.Link.LinkID}, {"access", sh.Link.Access}, {"allowDownload", sh.Link.AllowDownload},
			{"expiresAt", optMillis(sh.Link.ExpiresAt)}, {"maxUses", optMillis(sh.Link.MaxUses)}, {"uses", sh.Link.Uses}}},
		{"token", sh.Token},
		{"tokenExpiresAt", sh.TokenExpiresAt},
		{"mediaUrl", base + "/media?" + tok},
		{"streams", streams},
	}
	// Who was there and who spoke, for the player's timeline, judged as the link's holder.
	if h, herr := s.svc.AuthenticateShareToken(r.Context(), linkID, sh.Token, s.meta(r)); herr == nil {
		if tl, terr := s.svc.RecordingTimeline(r.Context(), h, sh.Recording.RecordingID); terr == nil {
			out = append(out, member{"participants", participantsJSON(tl)}, member{"speakingKnown", tl.SpeakingKnown})
		}
	}
	if sh.Link.AllowDownload {
		out = append(out, member{"downloadUrl", base + "/download?" + tok}, member{"zipUrl", base + "/download?format=zip&" + tok})
	} else {
		out = append(out, member{"downloadUrl", nil}, member{"zipUrl", nil})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// shareHolder authenticates the token of an opened share link (?token= or X-Share-Token;
// a <video> element cannot send headers).
func (s *server) shareHolder(r *http.Request) (*core.Principal, error) {
	tok := r.Header.Get(headerShareToken)
	if tok == "" {
		tok = r.URL.Query().Get("token")
	}
	if tok == "" {
		return nil, core.ErrUnauthenticated
	}
	return s.svc.AuthenticateShareToken(r.Context(), r.PathValue("linkId"), tok, s.meta(r))
}

// sharedMedia is GET /shared-recordings/{linkId}/media[?stream=N]&token=….
func (s *server) sharedMedia(w http.ResponseWriter, r *http.Request, _ *core.Principal) error {
	h, err := s.shareHolder(r)
	if err == nil {
		err = s.serveRecordingAs(w, r, h, h.Share.RecordingID, core.RecActPlay, false)
	}
	if err != nil {
		s.writeShareError(w, r, err)
	}
	return nil
}

// sharedDownload is GET /shared-recordings/{linkId}/download[?stream=N|format=zip]&token=…
// for links that allow downloading.
func (s *server) sharedDownload(w http.ResponseWriter, r *http.Request, _ *core.Principal) error {
	h, err := s.shareHolder(r)
	if err == nil {
		if r.URL.Query().Get("format") == "zip" {
			var plan *core.ZipPlan
			if plan, err = s.svc.PlanRecordingZip(r.Context(), h, h.Share.RecordingID); err == nil {
				return s.writeZip(w, r, plan)
			}
		} else {
			err = s.serveRecordingAs(w, r, h, h.Share.RecordingID, core.RecActDownload, true)
		}
	}
	if err != nil {
		s.writeShareError(w, r, err)
	}
	return nil
}

// writeShareError answers like writeError, adding core's code (share_link_revoked,
// share_password_wrong, …) so that the player page can tell the cases apart.
func (s *server) writeShareError(w http.ResponseWriter, r *http.Request, err error) {
	var e *core.Error
	if !errors.As(err, &e) || e.Code == "" || statusOf(e.Kind) == http.StatusInternalServerError {
		s.writeError(w, r, err)
		return
	}
	status := statusOf(e.Kind)
	if e.Kind == core.KindTooMany {
		w.Header().Set("Retry-After", strconv.Itoa(max(e.RetryAfterSeconds, 1)))
	}
	writeJSON(w, status, object{{"error", e.Title}, {"message", e.Message}, {"code", e.Code}})
}
