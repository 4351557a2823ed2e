package web

import (
	"bytes"
	"html"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"conclave/assets"
	"conclave/core"
)

// The recording player (SPEC 7.3): the page <base>/recording/{recordingId}, its files
// under <base>/player/, and GET …/recordings/{recordingId}/timeline, the one JSON
// document the page reads (streams, who was there and spoke when, what the viewer may
// do). A <video> cannot send an Authorization header, so the timeline also hands the
// browser its credential as a cookie scoped to that recording's path, which the media
// and download endpoints accept (credCookie) when no header credential is present.

// playerCookie is the cookie holding the player's credential: "a." then an access token,
// or "m." then a room-member token. It is HttpOnly, SameSite=Strict and sent only under
// <base>/api/v1/recordings/{recordingId}/.
const playerCookie = "conclave_player"

// playerRoutes registers the player's page, files and JSON.
func (s *server) playerRoutes() {
	s.handle("GET", "/api/v1/recordings/{recordingId}/timeline", credAPIKey|credAccess|credMember|credCookie, s.recordingTimeline)

	files, err := fs.Sub(assets.Player, "player")
	if err != nil {
		panic("assets: " + err.Error()) // the embedded tree is part of the binary
	}
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		panic("assets: " + err.Error())
	}
	prefix := strings.TrimSuffix(s.base, "/")
	page := bytes.ReplaceAll(index, []byte(basePlaceholder), []byte(html.EscapeString(prefix)))
	s.mux.HandleFunc("GET "+prefix+"/recording/{recordingId}", func(w http.ResponseWriter, r *http.Request) {
		if !validPathID(r.PathValue("recordingId")) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte("This is not the address of a recording.\n"))
			return
		}
		h := w.Header()
		setPageSecurity(h, r)
		h.Set("Permissions-Policy", "camera=(), microphone=(), display-capture=()")
		h.Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	})
	static := http.StripPrefix(prefix+"/player/", http.FileServerFS(files))
	s.mux.Handle("GET "+prefix+"/player/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") || strings.HasSuffix(r.URL.Path, "/index.html") {
			writeErrorBody(w, http.StatusNotFound, "Not Found", "Resource not found", nil)
			return
		}
		setPageSecurity(w.Header(), r)
		static.ServeHTTP(w, r)
	}))
}

// recordingPath is the path of a recording's REST resource, as the browser reaches it.
func (s *server) recordingPath(id string) string {
	return strings.TrimSuffix(s.base, "/") + "/api/v1/recordings/" + url.PathEscape(id)
}

// recordingTimeline is GET /recordings/{recordingId}/timeline (Conclave's extension,
// docs/recording-player.md): what the player needs, for someone with recordingPlay.
func (s *server) recordingTimeline(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	id := r.PathValue("recordingId")
	if !validPathID(id) {
		return core.Validation(core.FieldError{Field: "recordingId", Message: "must be 1 to 128 characters of letters, digits, '_', '-', '.' and ':'"})
	}
	tl, err := s.svc.RecordingTimeline(r.Context(), p, id)
	if err != nil {
		return err
	}
	s.setPlayerCookie(w, r, p, id)
	writeJSON(w, http.StatusOK, s.timelineJSON(tl))
	return nil
}

// participantsJSON is who was present and who spoke when, as the player draws it.
func participantsJSON(tl *core.RecordingTimeline) []object {
	people := make([]object, 0, len(tl.Participants))
	for _, tp := range tl.Participants {
		var speaking any // null: not recorded
		if tp.Speaking != nil {
			speaking = tp.Speaking
		}
		present := tp.Present
		if present == nil {
			present = [][2]float64{}
		}
		people = append(people, object{{"identity", tp.Identity}, {"name", tp.Name}, {"role", tp.Role},
			{"present", present}, {"speaking", speaking}, {"speakingTruncated", tp.SpeakingTruncated}})
	}
	return people
}

func (s *server) timelineJSON(tl *core.RecordingTimeline) object {
	rec := tl.Recording
	path := s.recordingPath(rec.RecordingID)
	streams := make([]object, 0, len(tl.Streams))
	for _, st := range tl.Streams {
		codecs := st.Codecs
		if codecs == nil {
			codecs = []string{}
		}
		streams = append(streams, object{{"index", st.Index}, {"identity", st.Identity}, {"name", st.Name},
			{"kind", st.Kind}, {"offset", st.Offset}, {"duration", st.Duration}, {"size", st.Size},
			{"codecs", codecs}, {"mediaUrl", path + "/media?stream=" + strconv.Itoa(st.Index)}})
	}
	people := participantsJSON(tl)
	download := object{{"allowed", tl.CanDownload}}
	if tl.CanDownload {
		download = append(download, member{"url", path + "/download"})
	}
	others := object{{"allowed", tl.CanList}}
	if tl.CanList {
		list := make([]object, 0, len(tl.Others))
		prefix := strings.TrimSuffix(s.base, "/")
		for i := range tl.Others {
			o := &tl.Others[i]
			item := object{{"recordingId", o.RecordingID}, {"roomName", o.RoomName}, {"status", o.Status},
				{"startDate", o.StartDate}}
			if o.EndDate != 0 {
				item = append(item, member{"duration", o.Duration})
			} else {
				item = append(item, member{"duration", nil})
			}
			item = append(item, member{"playerUrl", prefix + "/recording/" + url.PathEscape(o.RecordingID)})
			list = append(list, item)
		}
		others = append(others, member{"recordings", list}, member{"more", tl.OthersMore})
	}
	return object{
		{"recordingId", rec.RecordingID},
		{"roomId", rec.RoomID},
		{"roomName", rec.RoomName},
		{"status", rec.Status},
		{"startDate", rec.StartDate},
		{"endDate", rec.EndDate},
		{"duration", rec.Duration},
		{"mainMediaUrl", path + "/media"},
		{"streams", streams},
		{"participants", people},
		{"speakingKnown", tl.SpeakingKnown},
		{"download", download},
		{"others", others},
	}
}

// setPlayerCookie hands the browser the credential the timeline was read with, for its
// <video> and download requests under that recording's path. API keys are never put in
// a cookie.
func (s *server) setPlayerCookie(w http.ResponseWriter, r *http.Request, p *core.Principal, id string) {
	var v string
	switch p.Kind {
	case core.PrincipalUser:
		if tok, ok := bearer(r); ok {
			v = "a." + tok
		} else if c, err := r.Cookie(playerCookie); err == nil {
			v = c.Value
		}
	case core.PrincipalMember:
		if tok := r.Header.Get(headerMemberToken); tok != "" {
			v = "m." + tok
		} else if c, err := r.Cookie(playerCookie); err == nil {
			v = c.Value
		}
	}
	if v == "" || len(v) > 4000 {
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: playerCookie, Value: v, Path: s.recordingPath(id) + "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secureRequest(r),
	})
}

// secureRequest reports whether the browser reached us over https (directly, or through
// a trusted proxy that says so).
func (s *server) secureRequest(r *http.Request) bool {
	return r.TLS != nil || (s.trustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
}

// cookieCredential authenticates the player's cookie, if the request carries one; ok is
// false when it does not.
func (s *server) cookieCredential(r *http.Request, meta core.RequestMeta) (p *core.Principal, ok bool, err error) {
	c, cerr := r.Cookie(playerCookie)
	if cerr != nil || c.Value == "" {
		return nil, false, nil
	}
	kind, tok, _ := strings.Cut(c.Value, ".")
	switch kind {
	case "a":
		p, err = s.svc.AuthenticateAccessToken(r.Context(), tok, meta)
	case "m":
		p, err = s.svc.AuthenticateMemberToken(r.Context(), tok, meta)
	default:
		err = core.ErrUnauthenticated
	}
	return p, true, err
}
