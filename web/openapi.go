package web

import (
	_ "embed"
	"encoding/json"
	"net/http"

	"conclave/core"
)

//go:generate python3 openapi_gen.py

// openAPIDoc is the OpenAPI 3.1 document of the REST API, built by openapi_gen.py from
// OpenVidu Meet's description and Conclave's extensions; openapi_test.go keeps it true.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPIDocument returns the document as embedded (servers: the default base path).
func OpenAPIDocument() []byte { return append([]byte(nil), openAPIDoc...) }

// openAPI serves the document with its server url set to this server's base path.
func (s *server) openAPI(w http.ResponseWriter, _ *http.Request, _ *core.Principal) error {
	var doc map[string]any
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		return err
	}
	doc["servers"] = []map[string]string{{"url": s.base, "description": "this server"}}
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write(b)
	return err
}

// Route is one API endpoint as registered: its method and path pattern relative to the
// base path, in ServeMux's syntax ("/api/v1/rooms/{roomId}").
type Route struct{ Method, Pattern string }

// RegisteredRoutes lists the API routes h serves, when h was made by New (nil otherwise),
// for the test that checks the OpenAPI document against them. HTML pages and static files,
// which are not registered through handle, are not among them.
func RegisteredRoutes(h http.Handler) []Route {
	if s, ok := h.(*server); ok {
		return append([]Route(nil), s.registered...)
	}
	return nil
}
