package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"conclave/conclavetest"
	"conclave/core"
	"conclave/web"
)

// wantClientError fails unless err is nil or a refusal core or web made on purpose with a
// 4xx kind: decoding must never fail in a way that would answer 500.
func wantClientError(t *testing.T, input any, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *core.Error
	if !errors.As(err, &e) {
		t.Fatalf("%q: error %v is not a core.Error", input, err)
	}
	if e.Kind != core.KindValidation && e.Kind != core.KindBadRequest {
		t.Fatalf("%q: error kind %v", input, e.Kind)
	}
	if e.Message == "" || e.Title == "" {
		t.Fatalf("%q: error without title or message: %+v", input, e)
	}
	if e.Kind == core.KindValidation && len(e.Details) == 0 {
		t.Fatalf("%q: 422 without details", input)
	}
}

// validSet checks that a decoded permission set names only permission keys.
func validSet(t *testing.T, set core.PermissionSet) {
	t.Helper()
	for k := range set {
		if !slices.Contains(core.PermissionKeys, k) {
			t.Fatalf("decoded permission set has unknown key %q", k)
		}
	}
}

var bodySeeds = []string{
	``, `{}`, `null`, `[]`, `"x"`, `{"roomName":"Team","autoDeletionDate":1900000000000}`,
	`{"roomName":null,"autoDeletionDate":null,"autoDeletionPolicy":{"withMeeting":"force","withRecordings":"close"}}`,
	`{"config":{"chat":{"enabled":false},"recording":{"enabled":true,"layout":"speaker","encoding":"H264_720P_30","retentionDays":7}}}`,
	`{"config":{"recording":{"encoding":{"video":{"width":1280},"audio":{"codec":"OPUS"}}}}}`,
	`{"config":{"recording":{"retentionDays":1e999}}}`, `{"autoDeletionDate":1.5}`, `{"autoDeletionDate":"soon"}`,
	`{"roles":{"moderator":{"permissions":{"meetingEnd":false}},"speaker":{"permissions":{"canRetrieveRecordings":true}}}}`,
	`{"roles":{"speaker":{"permissions":{"nope":true,"chatRead":"yes"}}},"recordingAccess":"admin"}`,
	`{"config":{"moderator":{"permissions":{}}}}`, `{"recordingAccess":""}`,
	`{"access":{"anonymous":{"moderator":{"enabled":false},"recording":{"enabled":"no"}},"user":{"enabled":true}}}`,
	`{"userId":"alice","baseRole":"moderator","customPermissions":{"mediaShareScreen":false}}`,
	`{"name":"Guest","baseRole":"speaker","customPermissions":null}`, `{"baseRole":7}`,
	`{"customPermissions":{}}`, `{"customPermissions":[true]}`, `{"a":`, `{"a":"\ud800"}`, "{\"a\":\"\xff\"}",
	`{"roomName":"` + string(bytes.Repeat([]byte("é"), 60)) + `"}`, `{"x":{"y":{"z":[1,{"w":null}]}}}`,
	// Names that would pass for others, escaped and raw.
	`{"roomName":"adm\u200bin"}`, "{\"roomName\":\"Team\u202esync\"}", `{"name":"Guest\ufeff","baseRole":"speaker"}`,
	"{\"name\":\"\u2066Bob\u2069\",\"baseRole\":\"moderator\"}", `{"participantName":"x\u200f"}`,
	// Repeated keys, at the top, nested, in arrays and through escapes.
	`{"roomName":"a","roomName":"b"}`, `{"roomName":"a","room\u004eame":"b"}`,
	`{"config":{"chat":{"enabled":true,"enabled":false}}}`, `{"x":[{"a":1},{"a":1,"a":2}]}`,
	`{"userId":"admin","password":"wrong","password":"admin"}`, `{"baseRole":"speaker","baseRole":"moderator","name":"A"}`,
}

func FuzzDecodeRoomOptions(f *testing.F) {
	for _, s := range bodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := web.DecodeRoomOptions(body)
		wantClientError(t, body, err)
		if err == nil && in.Roles != nil {
			validSet(t, in.Roles.Moderator)
			validSet(t, in.Roles.Speaker)
		}
	})
}

func FuzzDecodeRolesBody(f *testing.F) {
	for _, s := range bodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := web.DecodeRolesBody(body)
		wantClientError(t, body, err)
		if err == nil {
			validSet(t, in.Moderator)
			validSet(t, in.Speaker)
		}
	})
}

func FuzzDecodeMemberBodies(f *testing.F) {
	for _, s := range bodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := web.DecodeNewMember(body)
		wantClientError(t, body, err)
		if err == nil {
			validSet(t, in.Custom)
		}
		patch, err := web.DecodeMemberPatch(body)
		wantClientError(t, body, err)
		if err == nil {
			if patch.BaseRole == nil && patch.Custom == nil {
				t.Fatalf("%q: empty patch accepted", body)
			}
			if patch.Custom != nil {
				validSet(t, *patch.Custom)
			}
		}
	})
}

func FuzzParseListQuery(f *testing.F) {
	for _, s := range []string{
		"", "maxItems=5", "maxItems=0", "maxItems=-1", "maxItems=abc", "maxItems=1000000000", "maxItems=99999999999999999999",
		"maxItems=007", "sortField=roomName&sortOrder=asc", "sortOrder=desc", "sortOrder=sideways",
		"roomName=a%25_b&roomNameMatchMode=partial&roomNameCaseInsensitive=true", "roomName=(&roomNameMatchMode=regex",
		"userAccess=true", "userAccess=1", "nextPageToken=%00%FF", "roomIds=a,,b,a", "fields=roomId&extraFields=config",
		"%zz", "a=1&&&=&b", "maxItems=%2B5",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := web.ParseRoomQuery(raw)
		wantClientError(t, raw, err)
		if err == nil && (q.MaxItems < 1 || q.MaxItems > 100) {
			t.Fatalf("%q: maxItems %d outside 1..100", raw, q.MaxItems)
		}
	})
}

func FuzzPathID(f *testing.F) {
	for _, s := range []string{"room-abc123", "ext-XYZ", "..", ".", "a..b", "a/b", "a\x00b", "é", "a:b", "a.b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if !web.ValidPathID(id) {
			return
		}
		for i := 0; i < len(id); i++ {
			switch c := id[i]; {
			case c == '/', c == '\\', c == '"', c == '\'', c < 0x21, c > 0x7e:
				t.Fatalf("%q accepted with byte %q", id, c)
			}
		}
		if bytes.Contains([]byte(id), []byte("..")) || id == "." {
			t.Fatalf("%q accepted", id)
		}
	})
}

// FuzzCreateRoomHTTP sends fuzzed bodies through the whole stack: never a 5xx, and every
// refusal in the error shape.
func FuzzCreateRoomHTTP(f *testing.F) {
	for _, s := range bodySeeds {
		f.Add([]byte(s), "extraFields=config")
	}
	st := conclavetest.NewStack(f, conclavetest.HTTPConfig{})
	key, err := st.Svc.CreateAPIKey(context.Background(), core.System(), "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	srv := st.Server
	f.Fuzz(func(t *testing.T, body []byte, query string) {
		// A raw query with spaces or control bytes is refused by net/http itself before
		// any handler runs; what reaches the API is a well-formed query string.
		values, _ := url.ParseQuery(query)
		query = values.Encode()
		for _, target := range []string{"/meet/api/v1/rooms?", "/meet/api/v1/rooms/nope-1/members?", "/meet/internal-api/v1/auth/login?"} {
			req, err := http.NewRequest("POST", srv.URL+target+query, bytes.NewReader(body))
			if err != nil {
				return
			}
			req.Header.Set("X-API-KEY", key.Key)
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode >= 500 {
				t.Fatalf("POST %s %q: %d %s", target, body, res.StatusCode, data)
			}
			if res.StatusCode >= 400 {
				var e struct{ Error, Message string }
				if json.Unmarshal(data, &e) != nil || e.Error == "" || e.Message == "" {
					t.Fatalf("POST %s %q: error body %s", target, body, data)
				}
			} else {
				// Whatever was created has a name that shows what it is.
				var created struct{ RoomName, Name string }
				_ = json.Unmarshal(data, &created)
				if strings.ContainsFunc(created.RoomName+created.Name, func(r rune) bool { return slices.Contains(invisibles(), r) }) {
					t.Fatalf("POST %s %q: created with an invisible character: %s", target, body, data)
				}
			}
		}
	})
}
