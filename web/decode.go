package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"unicode/utf8"

	"conclave/core"
)

// maxBody is the largest request body accepted (1 MiB): every body of this API is a few
// hundred bytes, and reading more only costs memory.
const maxBody = 1 << 20

// readObject reads a JSON object body. An empty body is an empty object (every body of
// the API is optional or reports its missing fields as 422); a body that is not JSON, or
// repeats a key within one object, is a 400; valid JSON that is not an object is a 422.
func readObject(w http.ResponseWriter, r *http.Request) (*obj, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &httpError{status: http.StatusRequestEntityTooLarge, title: "Payload Too Large",
				message: fmt.Sprintf("Request body is larger than %d bytes", maxBody)}
		}
		var timedOut *httpError // the body's deadline passed (timedBody)
		if errors.As(err, &timedOut) {
			return nil, timedOut
		}
		return nil, badRequest("Could not read the request body")
	}
	return parseObject(body)
}

// parseObject is readObject on bytes already read.
func parseObject(body []byte) (*obj, error) {
	o := newObj("")
	if len(bytes.TrimSpace(body)) == 0 {
		return o, nil
	}
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD and store the mangled
	// text; JSON must be UTF-8, so refuse it instead.
	if !utf8.Valid(body) {
		return nil, badRequest("Malformed JSON body: invalid UTF-8")
	}
	var raw json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, badRequest("Malformed JSON body: " + err.Error())
	}
	if kind := jsonKind(raw); kind != "object" {
		return nil, core.Validation(core.FieldError{Field: "body", Message: "Expected object but got " + kind})
	}
	if key, err := duplicateKey(raw); err != nil {
		return nil, badRequest("Malformed JSON body: " + err.Error())
	} else if key != "" {
		return nil, badRequest(fmt.Sprintf("Malformed JSON body: duplicate key %q", key))
	}
	if err := json.Unmarshal(raw, &o.fields); err != nil {
		return nil, badRequest("Malformed JSON body: " + err.Error())
	}
	return o, nil
}

// duplicateKey returns the path ("config.recording.enabled", "items[2].name") of the
// first key repeated within one object of body, "" when there is none. encoding/json
// keeps the last of repeated keys, so a body could mean one thing to whatever checked it
// on the way (a proxy, a log, a reviewer reading the first key) and another to Conclave:
// such a body is refused rather than read. Keys are compared after unescaping, as they
// are decoded ("a" and "\u0061" are the same key).
func duplicateKey(body []byte) (string, error) {
	return walkKeys(json.NewDecoder(bytes.NewReader(body)), "")
}

// walkKeys reads one value from dec, looking for a repeated key in every object in it.
// The body has already been parsed once, so its nesting is within encoding/json's limit.
func walkKeys(dec *json.Decoder, path string) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return "", err
			}
			key, _ := tok.(string) // a key is always a string here
			at := key
			if path != "" {
				at = path + "." + key
			}
			if seen[key] {
				return at, nil
			}
			seen[key] = true
			if dup, err := walkKeys(dec, at); dup != "" || err != nil {
				return dup, err
			}
		}
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if dup, err := walkKeys(dec, fmt.Sprintf("%s[%d]", path, i)); dup != "" || err != nil {
				return dup, err
			}
		}
	default:
		return "", nil
	}
	_, err = dec.Token() // the closing delimiter
	return "", err
}

// problems collects the field errors of one request, so that it gets all of them at once.
type problems struct{ details []core.FieldError }

func (p *problems) add(field, format string, args ...any) {
	p.details = append(p.details, core.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// merge takes the details of a validation error (from core.ParsePermissionSet, say).
func (p *problems) merge(err error) {
	var e *core.Error
	if errors.As(err, &e) && len(e.Details) > 0 {
		p.details = append(p.details, e.Details...)
	} else if err != nil {
		p.add("body", "%s", err.Error())
	}
}

func (p *problems) err() error {
	if len(p.details) == 0 {
		return nil
	}
	return core.Validation(p.details...)
}

// obj is a JSON object being decoded: accessors check each member's type and record a
// problem under its full path ("config.recording.enabled") when it is wrong. Members the
// API does not know are ignored, as OpenVidu Meet clients send fields Conclave has no use for.
type obj struct {
	path   string
	fields map[string]json.RawMessage
	p      *problems
}

func newObj(path string) *obj {
	return &obj{path: path, fields: map[string]json.RawMessage{}, p: &problems{}}
}

func (o *obj) name(key string) string {
	if o.path == "" {
		return key
	}
	return o.path + "." + key
}

// get returns a member's raw value; a null counts as absent, as OpenVidu Meet's optional
// fields are nullable.
func (o *obj) get(key string, required bool) (json.RawMessage, bool) {
	raw, ok := o.fields[key]
	if ok && jsonKind(raw) == "null" {
		ok = false
	}
	if !ok && required {
		o.p.add(o.name(key), "Required")
	}
	return raw, ok
}

func (o *obj) wrongType(key, want string, raw json.RawMessage) {
	o.p.add(o.name(key), "Expected %s but got %s", want, jsonKind(raw))
}

// str returns a string member, nil when absent or of the wrong type.
func (o *obj) str(key string, required bool) *string {
	raw, ok := o.get(key, required)
	if !ok {
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		o.wrongType(key, "string", raw)
		return nil
	}
	return &s
}

// boolean returns a boolean member.
func (o *obj) boolean(key string, required bool) *bool {
	raw, ok := o.get(key, required)
	if !ok {
		return nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		o.wrongType(key, "boolean", raw)
		return nil
	}
	return &b
}

// integer returns an integral number member (1.9e12 is accepted, 1.5 is not).
func (o *obj) integer(key string, required bool) *int64 {
	raw, ok := o.get(key, required)
	if !ok {
		return nil
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		if jsonKind(raw) == "number" {
			o.p.add(o.name(key), "Number out of range")
		} else {
			o.wrongType(key, "number", raw)
		}
		return nil
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		o.p.add(o.name(key), "Expected integer but got %s", string(bytes.TrimSpace(raw)))
		return nil
	}
	n := int64(f)
	return &n
}

// object returns a nested object member.
func (o *obj) object(key string, required bool) *obj {
	raw, ok := o.get(key, required)
	if !ok {
		return nil
	}
	child := &obj{path: o.name(key), p: o.p}
	if jsonKind(raw) != "object" || json.Unmarshal(raw, &child.fields) != nil {
		o.wrongType(key, "object", raw)
		return nil
	}
	return child
}

// any returns a member decoded into a plain Go value.
func (o *obj) any(key string) any {
	raw, ok := o.get(key, false)
	if !ok {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		o.wrongType(key, "value", raw)
		return nil
	}
	return v
}

// permissions returns a partial permission object member, validated by core (every key
// a permission name, every value a boolean).
func (o *obj) permissions(key string) core.PermissionSet {
	c := o.object(key, false)
	if c == nil {
		return nil
	}
	set, err := core.ParsePermissionSet(c.path, c.fields)
	if err != nil {
		o.p.merge(err)
		return nil
	}
	return set
}

// has reports whether the object has a non-null member key.
func (o *obj) has(key string) bool {
	raw, ok := o.fields[key]
	return ok && jsonKind(raw) != "null"
}

// jsonKind names the JSON type of a raw value for error messages, as core does for
// permission objects, so both speak alike.
func jsonKind(raw json.RawMessage) string { return core.JSONKind(raw) }
