package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"conclave/web"
)

// The OpenAPI document (web/openapi.json), loaded once and checked for validity; every
// answer of req is validated against it.
var (
	openAPIOnce   sync.Once
	openAPIDoc    *openapi3.T
	openAPIRouter routers.Router
	openAPIErr    error
)

func loadOpenAPI() (*openapi3.T, routers.Router, error) {
	openAPIOnce.Do(func() {
		openapi3filter.RegisterBodyDecoder("video/webm", openapi3filter.FileBodyDecoder)
		openapi3filter.RegisterBodyDecoder("application/zip", openapi3filter.FileBodyDecoder)
		openapi3filter.RegisterBodyDecoder("application/x-ndjson", openapi3filter.FileBodyDecoder)
		openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.FileBodyDecoder)
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(web.OpenAPIDocument())
		if err != nil {
			openAPIErr = err
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			openAPIErr = err
			return
		}
		router, err := gorillamux.NewRouter(doc)
		if err != nil {
			openAPIErr = err
			return
		}
		openAPIDoc, openAPIRouter = doc, router
	})
	return openAPIDoc, openAPIRouter, openAPIErr
}

// checkOpenAPI validates one answer of the server against the document's operation: its
// status, content type and body. An answer to a path the document does not have must be
// the generic 404/405 error.
func (s *stack) checkOpenAPI(r *http.Request, res *http.Response, body []byte) {
	s.t.Helper()
	if !strings.HasPrefix(r.URL.String(), s.srv.URL+"/meet/") {
		return // another server's or base path's answer
	}
	if isPage(strings.TrimPrefix(r.URL.Path, "/meet")) {
		return
	}
	_, router, err := loadOpenAPI()
	if err != nil {
		s.t.Fatalf("openapi.json: %v", err)
	}
	route, params, err := router.FindRoute(r)
	if err != nil {
		if res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusMethodNotAllowed {
			// No such route: the generic error shape, as the document's default response.
			var e struct{ Error, Message string }
			if json.Unmarshal(body, &e) != nil || e.Error == "" || e.Message == "" {
				s.t.Errorf("openapi: %s %s answered %d without the error shape: %.200s", r.Method, r.URL.Path, res.StatusCode, body)
			}
			return
		}
		s.t.Errorf("openapi: %s %s answered %d but is not in the document: %v", r.Method, r.URL.Path, res.StatusCode, err)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if os.Getenv("OPENAPI_TRACE") != "" {
		fmt.Fprintf(os.Stderr, "OAPI %s %s %d %s %.600s\n", route.Method, route.Path, res.StatusCode, res.Header.Get("Content-Type"), bytes.ReplaceAll(body, []byte("\n"), nil))
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		s.t.Errorf("openapi: %s %s (%s %s) answered %d %s, which the document does not allow: %s\nbody: %.400s",
			r.Method, r.URL.Path, route.Method, route.Path, res.StatusCode, res.Header.Get("Content-Type"), describe(err), body)
	}
}

// describe flattens a validation error (a MultiError of schema errors) into one line per
// mismatch.
func describe(err error) string {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		var parts []string
		for _, e := range me {
			parts = append(parts, describe(e))
		}
		return strings.Join(parts, "; ")
	}
	var re *openapi3filter.ResponseError
	if errors.As(err, &re) && re.Err != nil {
		return re.Reason + ": " + describe(re.Err)
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return "at " + strings.Join(se.JSONPointer(), "/") + ": " + se.Reason
	}
	return err.Error()
}

// pagePrefixes are the HTML pages and static files (registered with the mux directly, not
// through handle), which the document leaves out: the room and recordings pages, the
// player and the meeting client.
var pagePrefixes = []string{"/room/", "/recording/", "/player/", "/client/"}

func isPage(path string) bool {
	if path == "/" || path == "" {
		return true // the home page
	}
	for _, p := range pagePrefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// openAPIUndocumented lists API routes left out of the document on purpose: none.
var openAPIUndocumented = []string{}

// TestOpenAPIComplete: the document describes exactly the API routes the server registers
// (signalling's /ws only exists with media, so it may be missing from this stack).
func TestOpenAPIComplete(t *testing.T) {
	doc, _, err := loadOpenAPI()
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	s := newStack(t)
	registered := map[string]bool{}
	for _, r := range web.RegisteredRoutes(s.srv.Config.Handler) {
		registered[r.Method+" "+r.Pattern] = true
	}
	if len(registered) < 50 {
		t.Fatalf("only %d routes registered: RegisteredRoutes is broken", len(registered))
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	var missing, extra []string
	for k := range registered {
		if !documented[k] && !slices.Contains(openAPIUndocumented, k) {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !registered[k] && k != "GET /ws" {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes the server serves but openapi.json does not describe (add them to web/openapi_routes.txt and openapi_gen.py):\n  %s",
			strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("routes openapi.json describes but the server does not serve:\n  %s", strings.Join(extra, "\n  "))
	}
	if !documented["GET /ws"] {
		t.Errorf("the signalling route GET /ws is not documented")
	}
	// Every operation says what it takes and answers.
	for path, item := range doc.Paths.Map() {
		for method, o := range item.Operations() {
			if o.Responses == nil || o.Responses.Len() < 2 || o.Responses.Default() == nil {
				t.Errorf("%s %s: responses missing or without the default error", method, path)
			}
			if o.OperationID == "" || o.Summary == "" {
				t.Errorf("%s %s: no operationId or summary", method, path)
			}
			if strings.Contains(path, "{") && len(o.Parameters)+len(item.Parameters) == 0 {
				t.Errorf("%s %s: path parameters not described", method, path)
			}
		}
	}
}

// TestOpenAPIServed: the document is served at <base>/api/v1/openapi.json without
// credentials, with this server's base path, and is the embedded one.
func TestOpenAPIServed(t *testing.T) {
	s := newStack(t)
	r := s.req("GET", "/api/v1/openapi.json", nil).want(http.StatusOK)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q", ct)
	}
	m := r.obj()
	if m["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v, want 3.1.0", m["openapi"])
	}
	servers, _ := m["servers"].([]any)
	if len(servers) != 1 || servers[0].(map[string]any)["url"] != "/meet" {
		t.Fatalf("servers = %v, want the base path /meet", m["servers"])
	}
	var embedded map[string]any
	if err := json.Unmarshal(web.OpenAPIDocument(), &embedded); err != nil {
		t.Fatal(err)
	}
	if len(sub(t, m, "paths")) != len(sub(t, embedded, "paths")) {
		t.Fatalf("served document has %d paths, embedded %d", len(sub(t, m, "paths")), len(sub(t, embedded, "paths")))
	}
	// A response that breaks the document is caught: a room without its required fields.
	_, router, _ := loadOpenAPI()
	req, _ := http.NewRequest("GET", s.srv.URL+"/meet/api/v1/rooms/r1", nil)
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("GET /api/v1/rooms/{roomId} not found in the document: %v", err)
	}
	bad := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 http.StatusOK,
		Header:                 http.Header{"Content-Type": {"application/json"}},
		Body:                   io.NopCloser(strings.NewReader(`{"roomId": 7}`)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), bad); err == nil {
		t.Fatal("a room whose roomId is a number validates: the document checks nothing")
	}
}

// TestRevokeAllShareLinks: DELETE /recordings/{id}/shares revokes every live link of the
// recording, says how many, and a revoked link no longer opens (its answer validated
// against the document like every other).
func TestRevokeAllShareLinks(t *testing.T) {
	a := newAccessStack(t)
	owner := bearer(a.w.Owner.Bearer)
	id := a.w.Rec.RecordingID
	var links []string
	for range 2 {
		m := a.req("POST", "/api/v1/recordings/"+id+"/shares", map[string]any{"access": "public"}, owner).want(http.StatusCreated).obj()
		links = append(links, str(t, m, "linkId")+"?secret="+str(t, m, "secret"))
	}
	a.req("GET", "/api/v1/shared-recordings/"+links[0], nil).want(http.StatusOK)
	live := 0 // links not yet revoked: the fixture's and these two
	for _, l := range a.req("GET", "/api/v1/recordings/"+id+"/shares?maxItems=100", nil, owner).want(http.StatusOK).obj()["shares"].([]any) {
		if l.(map[string]any)["revokedAt"] == nil {
			live++
		}
	}
	m := a.req("DELETE", "/api/v1/recordings/"+id+"/shares", nil, owner).want(http.StatusOK).obj()
	if live < 2 || m["revoked"] != float64(live) {
		t.Fatalf("revoked %v, want the %d unrevoked links: %v", m["revoked"], live, m)
	}
	for _, l := range links {
		a.req("GET", "/api/v1/shared-recordings/"+l, nil).wantErr(http.StatusGone, "Share Link Error")
	}
	if m := a.req("DELETE", "/api/v1/recordings/"+id+"/shares", nil, owner).want(http.StatusOK).obj(); m["revoked"] != float64(0) {
		t.Fatalf("second revoke: %v, want 0", m)
	}
}
