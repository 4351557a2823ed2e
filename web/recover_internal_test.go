package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// These tests live inside the package: no request can make a handler panic or core fail
// unexpectedly on purpose, so the safety nets are exercised directly.

func TestPanicBecomesGeneric500(t *testing.T) {
	var logs bytes.Buffer
	s := &server{log: slog.New(slog.NewTextHandler(&logs, nil)), base: "/meet", mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /meet/boom", func(http.ResponseWriter, *http.Request) { panic("secret detail") })
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/meet/boom", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d", rec.Code)
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	if body["error"] != "Internal Server Error" || body["message"] != "Unexpected error occurred" {
		t.Fatalf("body %v", body)
	}
	if strings.Contains(rec.Body.String(), "secret detail") {
		t.Fatalf("panic value leaked: %s", rec.Body)
	}
	if !strings.Contains(logs.String(), "secret detail") || !strings.Contains(logs.String(), "stack") {
		t.Fatalf("panic not logged with its stack: %s", logs.String())
	}
}

func TestUnexpectedErrorIsNotLeaked(t *testing.T) {
	var logs bytes.Buffer
	s := &server{log: slog.New(slog.NewTextHandler(&logs, nil))}
	rec := httptest.NewRecorder()
	s.writeError(rec, httptest.NewRequest("GET", "/x", nil), errors.New("open /var/lib/conclave.db: disk I/O error"))
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "conclave.db") {
		t.Fatalf("status %d body %s", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "disk I/O error") {
		t.Fatalf("real error not logged: %s", logs.String())
	}
}
