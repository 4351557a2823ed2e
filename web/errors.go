package web

import (
	"errors"
	"net/http"
	"strconv"

	"conclave/core"
)

// httpError is a refusal made by web itself that has no core kind (413, 404 of an unknown
// path).
type httpError struct {
	status  int
	title   string
	message string
}

func (e *httpError) Error() string { return e.message }

// statusOf maps a core error kind to its HTTP status: the one place where that happens.
func statusOf(k core.Kind) int {
	switch k {
	case core.KindBadRequest:
		return http.StatusBadRequest
	case core.KindUnauthenticated:
		return http.StatusUnauthorized
	case core.KindForbidden:
		return http.StatusForbidden
	case core.KindNotFound:
		return http.StatusNotFound
	case core.KindConflict:
		return http.StatusConflict
	case core.KindValidation:
		return http.StatusUnprocessableEntity
	case core.KindTooMany:
		return http.StatusTooManyRequests
	case core.KindGone:
		return http.StatusGone
	case core.KindInsufficientStorage:
		return http.StatusInsufficientStorage
	}
	return http.StatusInternalServerError
}

// writeError answers err in OpenVidu Meet's error shape {error, message, details?}.
// Errors core did not make on purpose are logged and answered with a generic 500, so
// that nothing of the server's insides reaches the client.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	if errors.As(err, &he) {
		writeErrorBody(w, he.status, he.title, he.message, nil)
		return
	}
	var e *core.Error
	if !errors.As(err, &e) || statusOf(e.Kind) == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeInternal(w)
		return
	}
	status := statusOf(e.Kind)
	if e.Kind == core.KindTooMany {
		retry := max(e.RetryAfterSeconds, 1)
		w.Header().Set("Retry-After", strconv.Itoa(retry))
	}
	title := e.Title
	if title == "" {
		title = http.StatusText(status)
	}
	var details []core.FieldError
	if e.Kind == core.KindValidation {
		details = e.Details
		if details == nil {
			details = []core.FieldError{}
		}
	}
	writeErrorBody(w, status, title, e.Message, details)
}

// errorBody is the error shape of every failed request.
type errorBody struct {
	Error   string            `json:"error"`
	Message string            `json:"message"`
	Details []core.FieldError `json:"details,omitempty"`
}

func writeErrorBody(w http.ResponseWriter, status int, title, message string, details []core.FieldError) {
	writeJSON(w, status, errorBody{Error: title, Message: message, Details: details})
}

func writeInternal(w http.ResponseWriter) {
	writeErrorBody(w, http.StatusInternalServerError, "Internal Server Error", "Unexpected error occurred", nil)
}

// writeJSON writes v as the JSON body of a response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := appendJSONValue(make([]byte, 0, 1024), v)
	if err != nil {
		// Only our own render types are written; failing here is a programming error.
		b = []byte(`{"error":"Internal Server Error","message":"Unexpected error occurred"}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// message is the {message} body of many successful requests.
type message struct {
	Message string `json:"message"`
}

// badRequest is a 400 made by web (malformed JSON, say).
func badRequest(msg string) error {
	return &core.Error{Kind: core.KindBadRequest, Title: "Bad Request", Message: msg}
}
