package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
	"conclave/db"
)

// stack is the real thing on a temporary database: db, core, web and an HTTP server.
type stack struct {
	t    *testing.T
	path string
	st   *conclavetest.Stack
	db   *db.DB
	svc  *core.Service
	srv  *httptest.Server
	// allow5xx lets a test that breaks the store on purpose see 5xx answers.
	allow5xx bool

	clk conclavetest.Clock // core's clock, moved forward to expire tokens
}

// newStack starts a stack on a fresh database file.
func newStack(t *testing.T) *stack {
	t.Helper()
	return openStack(t, filepath.Join(t.TempDir(), "conclave.db"))
}

// openStack starts a stack on the database file at path (new or existing); each opt may
// change how conclavetest builds it (web's options, media and signalling).
func openStack(t *testing.T, path string, opts ...func(*conclavetest.HTTPConfig)) *stack {
	t.Helper()
	s := &stack{t: t, path: path}
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := conclavetest.HTTPConfig{Config: conclavetest.Config{DBPath: path, Now: s.clk.Now, Logger: logger}}
	for _, o := range opts {
		o(&cfg)
	}
	s.st = conclavetest.NewStack(t, cfg)
	s.db, s.svc, s.srv = s.st.DB, s.st.Svc, s.st.Server
	return s
}

// close stops the server and closes the database; safe to call twice.
func (s *stack) close() { s.st.Close() }

// advance moves the stack's clock forward.
func (s *stack) advance(d time.Duration) { s.clk.Advance(d) }

// testWriter sends logs to the test log, so that a failing test shows what the server said.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// cred adds credentials (or any header) to a request.
type cred func(*http.Request)

func bearer(tok string) cred { return header("Authorization", "Bearer "+tok) }
func apiKey(key string) cred { return header("X-API-KEY", key) }
func memberTok(tok string) cred {
	return header("X-Room-Member-Token", tok)
}
func header(k, v string) cred { return func(r *http.Request) { r.Header.Set(k, v) } }

// resp is a response read in full.
type resp struct {
	t      *testing.T
	status int
	header http.Header
	body   []byte
	method string
	path   string
}

// req sends a request to <base>path (path starts with /api/v1, /internal-api/v1 or
// /health). body is nil, a string or []byte sent as is, or a value sent as JSON. Any 5xx
// fails the test: no input may make the server fail.
func (s *stack) req(method, path string, body any, creds ...cred) *resp {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			s.t.Fatalf("marshal body: %v", err)
		}
		rd = bytes.NewReader(j)
	}
	url := path
	if !strings.HasPrefix(path, "http") {
		url = s.srv.URL + "/meet" + path
	}
	r, err := http.NewRequest(method, url, rd)
	if err != nil {
		s.t.Fatalf("new request %s %s: %v", method, path, err)
	}
	if rd != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	for _, c := range creds {
		c(r)
	}
	res, err := s.srv.Client().Do(r)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	s.checkOpenAPI(r, res, data) // every answer must be one the OpenAPI document allows
	out := &resp{t: s.t, status: res.StatusCode, header: res.Header, body: data, method: method, path: path}
	if res.StatusCode >= 500 && !s.allow5xx {
		s.t.Errorf("%s %s: server error %d: %s", method, path, res.StatusCode, data)
	}
	return out
}

// want fails the test unless the status is status; it returns r for chaining.
func (r *resp) want(status int) *resp {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("%s %s: status %d, want %d; body %s", r.method, r.path, r.status, status, r.body)
	}
	return r
}

// obj decodes the body as a JSON object.
func (r *resp) obj() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		r.t.Fatalf("%s %s: body is not a JSON object: %v: %s", r.method, r.path, err, r.body)
	}
	return m
}

// arr decodes the body as a JSON array of objects.
func (r *resp) arr() []map[string]any {
	r.t.Helper()
	var a []map[string]any
	if err := json.Unmarshal(r.body, &a); err != nil {
		r.t.Fatalf("%s %s: body is not a JSON array: %v: %s", r.method, r.path, err, r.body)
	}
	return a
}

// wantErr checks an error answer: the status, the {error, message} shape, and the error
// title when title is not "".
func (r *resp) wantErr(status int, title string) map[string]any {
	r.t.Helper()
	r.want(status)
	m := r.obj()
	e, ok1 := m["error"].(string)
	msg, ok2 := m["message"].(string)
	if !ok1 || !ok2 || e == "" || msg == "" {
		r.t.Fatalf("%s %s: error body lacks error/message: %s", r.method, r.path, r.body)
	}
	if title != "" && e != title {
		r.t.Fatalf("%s %s: error %q, want %q; body %s", r.method, r.path, e, title, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		r.t.Fatalf("%s %s: error content type %q", r.method, r.path, ct)
	}
	return m
}

// wantDetail checks a 422 whose details name field.
func (r *resp) wantDetail(field string) map[string]any {
	r.t.Helper()
	m := r.wantErr(http.StatusUnprocessableEntity, "Unprocessable Entity")
	details, _ := m["details"].([]any)
	for _, d := range details {
		if dm, _ := d.(map[string]any); dm["field"] == field {
			if msg, _ := dm["message"].(string); msg == "" {
				r.t.Fatalf("detail for %s has no message: %s", field, r.body)
			}
			return dm
		}
	}
	r.t.Fatalf("%s %s: no 422 detail for %q: %s", r.method, r.path, field, r.body)
	return nil
}

// str returns a string member of a decoded object, failing when it is not one.
func str(t *testing.T, m map[string]any, key string) string {
	t.Helper()
	v, ok := m[key].(string)
	if !ok {
		t.Fatalf("%q is %T (%v), want string in %v", key, m[key], m[key], m)
	}
	return v
}

func sub(t *testing.T, m map[string]any, keys ...string) map[string]any {
	t.Helper()
	cur := m
	for _, k := range keys {
		next, ok := cur[k].(map[string]any)
		if !ok {
			t.Fatalf("%q is %T, want object in %v", k, cur[k], cur)
		}
		cur = next
	}
	return cur
}

// keysOf lists an object's keys, to check a shape exactly.
func wantKeys(t *testing.T, m map[string]any, keys ...string) {
	t.Helper()
	if len(m) != len(keys) {
		t.Fatalf("keys %v, want exactly %v", mapKeys(m), keys)
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Fatalf("missing %q: keys %v, want %v", k, mapKeys(m), keys)
		}
	}
}

func mapKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// login signs in and returns the access and refresh tokens.
func (s *stack) login(userID, password string) (access, refresh string) {
	s.t.Helper()
	m := s.req("POST", "/internal-api/v1/auth/login", map[string]string{"userId": userID, "password": password}).
		want(http.StatusOK).obj()
	return str(s.t, m, "accessToken"), str(s.t, m, "refreshToken")
}

// admin signs the root admin in.
func (s *stack) admin() string {
	s.t.Helper()
	tok, _ := s.login("admin", "admin")
	return tok
}

// user creates a user with role through the API, signs it in and changes its password
// (required at first sign-in); it returns a usable access token. The password is
// id+"-pw2".
func (s *stack) user(adminTok, id, role string) string {
	s.t.Helper()
	s.req("POST", "/api/v1/users", map[string]string{"userId": id, "name": "User " + id, "role": role, "password": id + "-pw1"},
		bearer(adminTok)).want(http.StatusCreated)
	tok, _ := s.login(id, id+"-pw1")
	m := s.req("POST", "/internal-api/v1/users/change-password",
		map[string]string{"currentPassword": id + "-pw1", "newPassword": id + "-pw2"}, bearer(tok)).want(http.StatusOK).obj()
	return str(s.t, m, "accessToken")
}

// room creates a room and returns its JSON.
func (s *stack) room(c cred, body any) map[string]any {
	s.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	return s.req("POST", "/api/v1/rooms", body, c, header("X-ExtraFields", "config,roles")).want(http.StatusCreated).obj()
}

// secretOf returns the secret query parameter of an access url.
func secretOf(t *testing.T, url string) string {
	t.Helper()
	_, secret, ok := strings.Cut(url, "?secret=")
	if !ok || secret == "" {
		t.Fatalf("url %q has no secret", url)
	}
	return secret
}

// memberToken gets a room-member token.
func (s *stack) memberToken(roomID string, body any, creds ...cred) string {
	s.t.Helper()
	m := s.req("POST", "/internal-api/v1/rooms/"+roomID+"/members/token", body, creds...).want(http.StatusOK).obj()
	return str(s.t, m, "token")
}
