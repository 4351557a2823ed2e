package core

import (
	"errors"
	"fmt"
)

// Kind classifies an error so that every front end (REST, control room, SSH commands) can
// answer it the same way. web maps kinds to HTTP status codes in one place.
type Kind int

// The error kinds core returns.
const (
	KindInternal            Kind = iota
	KindBadRequest               // 400: a request that is well-formed but cannot be acted on
	KindUnauthenticated          // 401: no or invalid credentials
	KindForbidden                // 403: authenticated, not allowed
	KindNotFound                 // 404
	KindConflict                 // 409
	KindValidation               // 422: a field is missing, of the wrong type or out of range
	KindTooMany                  // 429: rate limited
	KindInsufficientStorage      // 507
	KindGone                     // 410: existed, and never will again (a revoked or expired share link)
)

// FieldError names one invalid field of a request (the 422 `details` of OpenVidu Meet).
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the error type of every refusal core makes on purpose. Title is OpenVidu Meet's
// `error` member ("Room Error", "Authentication Error"), Code a machine-readable reason where
// the dialect has one (e.g. room_has_active_meeting).
type Error struct {
	Kind    Kind
	Title   string
	Code    string
	Message string
	Details []FieldError
	// RetryAfterSeconds is set on KindTooMany.
	RetryAfterSeconds int
}

func (e *Error) Error() string { return e.Message }

// Sentinels for errors.Is checks; an *Error matches the sentinel of its kind.
var (
	ErrNotFound        = &Error{Kind: KindNotFound, Title: "Not Found", Message: "not found"}
	ErrConflict        = &Error{Kind: KindConflict, Title: "Conflict", Message: "conflict"}
	ErrValidation      = &Error{Kind: KindValidation, Title: "Unprocessable Entity", Message: "Invalid request"}
	ErrUnauthenticated = &Error{Kind: KindUnauthenticated, Title: "Authentication Error", Message: "Unauthorized"}
	ErrForbidden       = &Error{Kind: KindForbidden, Title: "Authorization Error", Message: "Insufficient permissions to access this resource"}
	ErrTooMany         = &Error{Kind: KindTooMany, Title: "Too Many Requests", Message: "Too many requests, please try again later"}
	ErrBadRequest      = &Error{Kind: KindBadRequest, Title: "Bad Request", Message: "bad request"}
)

// Is lets errors.Is(err, core.ErrNotFound) match any not-found *Error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && (t.Code == "" || t.Code == e.Code)
}

// KindOf returns the kind of err, KindInternal for errors core did not make on purpose.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

func newErr(kind Kind, title, format string, args ...any) *Error {
	return &Error{Kind: kind, Title: title, Message: fmt.Sprintf(format, args...)}
}

func notFound(title, format string, args ...any) *Error {
	return newErr(KindNotFound, title, format, args...)
}

func conflict(title, format string, args ...any) *Error {
	return newErr(KindConflict, title, format, args...)
}

func forbidden(format string, args ...any) *Error {
	return newErr(KindForbidden, "Authorization Error", format, args...)
}

func unauthenticated(format string, args ...any) *Error {
	return newErr(KindUnauthenticated, "Authentication Error", format, args...)
}

// Validation builds a 422 error with one detail per invalid field.
func Validation(details ...FieldError) *Error {
	msg := "Invalid request"
	if len(details) == 1 {
		msg = "Invalid request: " + details[0].Field + ": " + details[0].Message
	}
	return &Error{Kind: KindValidation, Title: "Unprocessable Entity", Message: msg, Details: details}
}

func invalid(field, format string, args ...any) *Error {
	return Validation(FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// validator collects field errors so that a request gets all its problems in one answer.
type validator struct{ details []FieldError }

func (v *validator) add(field, format string, args ...any) {
	v.details = append(v.details, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) err() error {
	if len(v.details) == 0 {
		return nil
	}
	return Validation(v.details...)
}

// Store-level errors: db returns these (wrapped) and core turns them into domain errors.
var (
	// ErrNoRows is returned by Store getters when nothing matches.
	ErrNoRows = errors.New("no such row")
	// ErrDuplicate is returned by Store inserts that violate a uniqueness constraint.
	ErrDuplicate = errors.New("duplicate key")
	// ErrBadCursor is returned by Store list methods given a page token they did not make.
	ErrBadCursor = errors.New("invalid page token")
)
