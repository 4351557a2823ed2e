// Package web serves Conclave over HTTP: the REST API, wire-compatible with OpenVidu Meet
// 3.9 (SPEC 11), over the domain core. It renders OpenVidu Meet's shapes from core's
// records and maps core's error kinds to status codes in one place (errors.go).
package web

import (
	"log/slog"
	"net/http"
	"path"
	"runtime/debug"
	"strings"
	"time"

	"conclave/core"
)

// Options configures the HTTP front end; main fills it in.
type Options struct {
	// BasePath prefixes every route, normalized like core.NormalizeBasePath: "/meet" when
	// empty, "/" for the root. It must match core's, which builds the urls handed out.
	BasePath string
	// Logger receives request and error logs (slog.Default when nil).
	Logger *slog.Logger
	// TrustProxy makes the client address come from X-Forwarded-For. Only set it behind a
	// reverse proxy that sets that header: otherwise any client could pick its own address
	// and dodge the per-address login limit.
	TrustProxy bool
	// Signal, when set, serves the signalling endpoint GET <base>/ws (package signal).
	Signal Signaller
	// BodyTimeout bounds the time to read a request body, counted from the end of its
	// header (DefaultBodyTimeout when zero): a body still arriving then is answered 408
	// and its connection closed, so that a client trickling a body in cannot hold a
	// connection and a handler for long. A route that takes uploads can be given longer
	// (withBodyTimeout). The header itself is bounded by the http.Server's
	// ReadHeaderTimeout.
	BodyTimeout time.Duration
	// Metrics, when set, serves GET /metrics — at the root, outside BasePath, where
	// Prometheus looks — to API keys (X-API-KEY, or "Authorization: Bearer <key>" as a
	// scrape config's credentials send it) and signed-in admins (metrics.go).
	Metrics http.Handler
	// ObserveRequest, when set, hears of every request answered: its method, the route
	// pattern that served it without the base path ("/api/v1/rooms/{roomId}", "unmatched"
	// when none did), the status and the time taken.
	ObserveRequest func(method, route string, code int, d time.Duration)
}

// Signaller serves signalling connections; *signal.Server is one. meta is where the
// request came from, as the REST endpoints see it.
type Signaller interface {
	ServeWS(w http.ResponseWriter, r *http.Request, meta core.RequestMeta)
}

// server holds what every handler needs.
type server struct {
	// registered lists the routes handle registered, in order (RegisteredRoutes).
	registered []Route
	svc        *core.Service
	log        *slog.Logger
	base       string
	trustProxy bool
	mux        *http.ServeMux
	// bodyTimeout is Options.BodyTimeout; slowBodies logs the requests it cut off.
	bodyTimeout time.Duration
	slowBodies  *offenderLog
	observe     func(method, route string, code int, d time.Duration)
}

// New builds the HTTP handler of the REST API over svc.
func New(svc *core.Service, opts Options) http.Handler {
	base := opts.BasePath
	if base == "" {
		base = "/meet"
	}
	s := &server{
		svc:        svc,
		log:        opts.Logger,
		base:       core.NormalizeBasePath(base), // "/" serves at the root
		trustProxy: opts.TrustProxy,
		mux:        http.NewServeMux(),
		observe:    opts.ObserveRequest,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.bodyTimeout = opts.BodyTimeout
	if s.bodyTimeout <= 0 {
		s.bodyTimeout = DefaultBodyTimeout
	}
	s.slowBodies = newOffenderLog(s.log, "http request body too slow: answered 408", time.Minute)
	if s.base != svc.BasePath() {
		// The urls core hands out (access links, Location) would not lead here.
		s.log.Warn("web base path differs from core's", "web", s.base, "core", svc.BasePath())
	}
	s.routes()
	s.usageRoutes()
	if opts.Metrics != nil {
		s.metricsRoute(opts.Metrics)
	}
	s.clientRoutes()
	s.playerRoutes()
	if opts.Signal != nil {
		s.handle("GET", "/ws", credAnonymous, func(w http.ResponseWriter, r *http.Request, _ *core.Principal) error {
			opts.Signal.ServeWS(w, r, s.meta(r))
			return nil
		})
	}
	return s
}

// routes registers every endpoint. The credential set of each route says which headers
// may authenticate it (OpenAPI `security`); other credential headers are ignored there.
func (s *server) routes() {
	pub := "/api/v1"
	in := "/internal-api/v1"
	std := credAPIKey | credAccess
	withMember := std | credMember

	s.handle("GET", "/health", credAnonymous, s.health)
	s.handle("GET", pub+"/openapi.json", credAnonymous, s.openAPI)

	s.handle("POST", pub+"/users", std, s.createUser)
	s.handle("GET", pub+"/users", std, s.listUsers)
	s.handle("DELETE", pub+"/users", std, s.bulkDeleteUsers)
	s.handle("GET", pub+"/users/{userId}", std, s.getUser)
	s.handle("DELETE", pub+"/users/{userId}", std, s.deleteUser)
	s.handle("PUT", pub+"/users/{userId}/password", std, s.resetPassword)
	s.handle("PUT", pub+"/users/{userId}/role", std, s.updateUserRole)

	s.handle("POST", pub+"/rooms", std, s.createRoom)
	s.handle("GET", pub+"/rooms", std, s.listRooms)
	s.handle("DELETE", pub+"/rooms", std, s.bulkDeleteRooms)
	s.handle("GET", pub+"/rooms/{roomId}", withMember, s.getRoom)
	s.handle("DELETE", pub+"/rooms/{roomId}", std, s.deleteRoom)
	s.handle("GET", pub+"/rooms/{roomId}/config", withMember, s.getRoomConfig)
	s.handle("PUT", pub+"/rooms/{roomId}/config", std, s.updateRoomConfig)
	s.handle("PUT", pub+"/rooms/{roomId}/roles", std, s.updateRoomRoles)
	s.handle("PUT", pub+"/rooms/{roomId}/access", std, s.updateRoomAccess)
	s.handle("POST", pub+"/rooms/{roomId}/access/regenerate", std, s.regenerateAccessLink)
	s.handle("PUT", pub+"/rooms/{roomId}/status", std, s.updateRoomStatus)
	s.handle("PUT", pub+"/rooms/{roomId}/name", std, s.renameRoom)       // Conclave extension
	s.handle("GET", pub+"/rooms/{roomId}/meetings", std, s.roomMeetings) // Conclave extension

	s.handle("POST", pub+"/rooms/{roomId}/members", std, s.addMember)
	s.handle("GET", pub+"/rooms/{roomId}/members", std, s.listMembers)
	s.handle("DELETE", pub+"/rooms/{roomId}/members", std, s.bulkDeleteMembers)
	s.handle("GET", pub+"/rooms/{roomId}/members/{memberId}", withMember, s.getMember)
	s.handle("PUT", pub+"/rooms/{roomId}/members/{memberId}", std, s.updateMember)
	s.handle("DELETE", pub+"/rooms/{roomId}/members/{memberId}", std, s.deleteMember)

	s.handle("POST", in+"/auth/login", credAnonymous, s.login)
	s.handle("POST", in+"/auth/refresh", credAnonymous, s.refresh)
	s.handle("POST", in+"/auth/logout", credAnonymous, s.logout)
	s.handle("GET", in+"/users/me", credAccess, s.me)
	s.handle("POST", in+"/users/change-password", credAccess, s.changePassword)
	s.handle("POST", in+"/api-keys", std, s.createAPIKey)
	s.handle("GET", in+"/api-keys", std, s.listAPIKeys)
	s.handle("DELETE", in+"/api-keys", std, s.deleteAllAPIKeys)
	s.handle("DELETE", in+"/api-keys/{keyId}", std, s.deleteAPIKey)
	s.handle("POST", in+"/rooms/{roomId}/members/token", withMember|credAnonymous, s.issueMemberToken)
	s.handle("POST", in+"/rooms/{roomId}/members/token/refresh", credMember, s.refreshMemberToken)

	s.handle("POST", pub+"/recordings", withMember, s.startRecording)
	s.handle("GET", pub+"/recordings", withMember, s.listRecordings)
	s.handle("DELETE", pub+"/recordings", std, s.bulkDeleteRecordings)
	s.handle("GET", pub+"/recordings/{recordingId}", withMember, s.getRecording)
	s.handle("DELETE", pub+"/recordings/{recordingId}", withMember, s.deleteRecording)
	s.handle("POST", pub+"/recordings/{recordingId}/stop", withMember, s.stopRecording)
	s.handle("GET", pub+"/recordings/{recordingId}/media", withMember|credCookie, s.recordingMedia)
	s.handle("GET", pub+"/recordings/{recordingId}/download", withMember|credCookie, s.downloadRecording)
	s.recordingAccessRoutes()
	s.handle("GET", pub+"/recordings/trash", std, s.listTrash)                                // extension (trash.go)
	s.handle("POST", pub+"/recordings/{recordingId}/restore", withMember, s.restoreRecording) // extension; core decides who
	s.handle("GET", in+"/recordings/storage", std, s.recordingStorage)                        // extension
	s.handle("GET", in+"/config/recording", std, s.recordingSwitch)
	s.handle("PUT", in+"/config/recording", std, s.setRecordingSwitch)
	s.handle("GET", in+"/config/rooms/appearance", withMember|credAnonymous, s.getRoomsAppearance)
	s.handle("PUT", in+"/config/rooms/appearance", std, s.putRoomsAppearance)
	s.handle("GET", in+"/config/captions", credAnonymous, s.captionsConfig)
	s.handle("GET", in+"/config/webhooks", std, s.getWebhooksConfig)
	s.handle("PUT", in+"/config/webhooks", std, s.putWebhooksConfig)
	s.handle("POST", in+"/config/webhooks/test", std, s.testWebhook)
	s.handle("GET", in+"/config/webhooks/secret", std, s.webhookSecret)         // extension (webhooks.go)
	s.handle("PUT", in+"/config/webhooks/secret", std, s.setWebhookSecret)      // extension
	s.handle("GET", in+"/config/webhooks/deliveries", std, s.webhookDeliveries) // extension

	s.handle("DELETE", in+"/meetings/{roomId}", withMember, s.endMeeting)
	s.handle("DELETE", in+"/meetings/{roomId}/participants/{participantIdentity}", withMember, s.kickParticipant)
	s.handle("PUT", in+"/meetings/{roomId}/participants/{participantIdentity}/role", withMember, s.updateParticipantRole)
	s.handle("POST", in+"/meetings/{roomId}/participants/{participantIdentity}/mute", withMember, s.muteParticipant)
}

// handlerFunc is an endpoint: it gets the authenticated caller and returns an error for
// the one error writer to answer.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p *core.Principal) error

func (s *server) handle(method, route string, creds credSet, h handlerFunc, opts ...routeOption) {
	var cfg routeConfig
	for _, o := range opts {
		o(&cfg)
	}
	s.registered = append(s.registered, Route{Method: method, Pattern: route})
	s.mux.HandleFunc(method+" "+s.base+route, func(w http.ResponseWriter, r *http.Request) {
		if cfg.bodyTimeout > 0 {
			extendBody(r, cfg.bodyTimeout)
		}
		if err := checkPathIDs(r); err != nil {
			s.writeError(w, r, err)
			return
		}
		p, err := s.authenticate(r, creds)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := h(w, r, p); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// ServeHTTP recovers from panics, answers unknown paths and methods in the API's JSON
// error shape, and dispatches to the mux.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rw := &statusWriter{ResponseWriter: w}
	route := "unmatched"
	if s.bodyTimeout > 0 {
		orig := r
		r = limitBody(rw, r, s.bodyTimeout, func(timeout time.Duration) {
			s.slowBodies.note(s.clientIP(orig), "method", orig.Method, "path", orig.URL.Path, "timeout", timeout)
		})
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v) // the handler asked net/http to drop the connection
			}
			s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path,
				"panic", v, "stack", string(debug.Stack()))
			if !rw.wrote {
				writeInternal(rw)
			}
		}
		s.log.Debug("http request", "method", r.Method, "path", r.URL.Path, "status", rw.status,
			"duration", time.Since(start))
		if s.observe != nil {
			code := rw.status
			if !rw.wrote {
				code = http.StatusOK
			}
			s.observe(r.Method, route, code, time.Since(start))
		}
	}()
	// Cache nothing: responses carry tokens, secrets and access links.
	rw.Header().Set("Cache-Control", "no-store")
	// ServeMux would redirect a path with "." or ".." segments to its cleaned form; an id
	// such as "%2E%2E" must not turn into another resource, so such paths are not found.
	if p := r.URL.Path; p != "/" && path.Clean(p) != strings.TrimSuffix(p, "/") {
		writeErrorBody(rw, http.StatusNotFound, "Not Found", "Resource not found", nil)
		return
	}
	_, pattern := s.mux.Handler(r)
	if pattern == "" {
		s.noRoute(rw, r)
		return
	}
	route = s.routeOf(pattern)
	s.mux.ServeHTTP(rw, r)
}

// routeOf is a mux pattern ("GET /meet/api/v1/rooms/{roomId}") as the metrics name it:
// the path without its method and the base path ("/api/v1/rooms/{roomId}").
func (s *server) routeOf(pattern string) string {
	if _, p, ok := strings.Cut(pattern, " "); ok {
		pattern = p
	}
	if p, ok := strings.CutPrefix(pattern, s.base); ok && strings.HasPrefix(p, "/") {
		return p
	}
	return pattern
}

// noRoute answers a request no pattern matched: 405 with Allow when the path exists with
// other methods, else 404, both as JSON.
func (s *server) noRoute(w http.ResponseWriter, r *http.Request) {
	h, _ := s.mux.Handler(r)
	rec := &headerRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	if rec.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", rec.header.Get("Allow"))
		writeErrorBody(w, http.StatusMethodNotAllowed, "Method Not Allowed",
			r.Method+" is not allowed on this resource", nil)
		return
	}
	writeErrorBody(w, http.StatusNotFound, "Not Found", "Resource not found", nil)
}

// statusWriter remembers whether and what a handler wrote, for the recover and the log.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// headerRecorder captures what ServeMux's own 404/405 handlers would answer.
type headerRecorder struct {
	header http.Header
	status int
}

func (r *headerRecorder) Header() http.Header         { return r.header }
func (r *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *headerRecorder) WriteHeader(code int)        { r.status = code }
