package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
)

func TestAnalytics(t *testing.T) {
	dir := t.TempDir()
	s := openStack(t, t.TempDir()+"/c.db", func(c *conclavetest.HTTPConfig) { c.Recorder = conclavetest.FileRecorder(t, dir) })
	adm := s.admin()
	empty := s.req("GET", "/internal-api/v1/analytics", nil, bearer(adm)).want(http.StatusOK).obj()
	wantKeys(t, empty, "totalRooms", "activeRooms", "totalRecordings", "completeRecordings")
	for k, v := range empty {
		if v != float64(0) {
			t.Errorf("empty server: %s = %v", k, v)
		}
	}

	var rooms []*core.Room
	for _, name := range []string{"One", "Two", "Three"} {
		rooms = append(rooms, conclavetest.Room(t, s.svc, name))
	}
	p := conclavetest.Member(t, s.svc, conclavetest.JoinToken(t, s.svc, rooms[0].RoomID, rooms[0].Access.Speaker.Secret, "Ann"))
	if _, err := s.svc.JoinMeeting(context.Background(), p, nil); err != nil {
		t.Fatal(err)
	}
	conclavetest.FinishedRecording(t, s.db, dir, rooms[1], time.Now().Add(-2*time.Hour), 10)
	trashed := conclavetest.FinishedRecording(t, s.db, dir, rooms[1], time.Now().Add(-time.Hour), 10)
	failed := conclavetest.FinishedRecording(t, s.db, dir, rooms[2], time.Now().Add(-time.Hour), 10)
	failed.Status = core.RecFailed
	if err := s.db.UpdateRecording(context.Background(), failed); err != nil {
		t.Fatal(err)
	}
	s.req("DELETE", "/api/v1/recordings/"+trashed.RecordingID, nil, bearer(adm)).want(http.StatusOK)

	got := s.req("GET", "/internal-api/v1/analytics", nil, bearer(adm)).want(http.StatusOK).obj()
	want := map[string]any{"totalRooms": 3.0, "activeRooms": 1.0, "totalRecordings": 2.0, "completeRecordings": 1.0}
	if len(got) != len(want) {
		t.Errorf("analytics %v has other fields than OpenVidu's", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (%v)", k, got[k], v, got)
		}
	}

	// OpenVidu Meet's security for it: the access token of an admin. An API key is not
	// one of its schemes, so it is ignored and the caller has no credentials.
	s.req("GET", "/internal-api/v1/analytics", nil).wantErr(http.StatusUnauthorized, "Authentication Error")
	k, err := s.svc.CreateAPIKey(context.Background(), conclavetest.Admin(t, s.svc), "ci")
	if err != nil {
		t.Fatal(err)
	}
	s.req("GET", "/internal-api/v1/analytics", nil, apiKey(k.Key)).want(http.StatusUnauthorized)
	member := s.user(adm, "mia_1", "room_member")
	s.req("GET", "/internal-api/v1/analytics", nil, bearer(member)).want(http.StatusForbidden)
}

func TestAuditExportOverHTTP(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	for i := range 5 {
		s.room(bearer(adm), map[string]any{"roomName": "Room " + strconv.Itoa(i)})
	}
	s.req("POST", "/internal-api/v1/auth/login", map[string]string{"userId": "admin", "password": "nope"}).want(http.StatusNotFound)

	r := s.req("GET", "/internal-api/v1/audit/export", nil, bearer(adm)).want(http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="conclave-audit-`) || !strings.HasSuffix(cd, `.jsonl"`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	var actions []string
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		actions = append(actions, m["action"].(string)+"/"+m["outcome"].(string))
	}
	joined := strings.Join(actions, " ")
	if strings.Count(joined, "room.create/success") != 5 || !strings.Contains(joined, "auth.login/failure") || !strings.HasSuffix(joined, "audit.export/success") {
		t.Errorf("export holds %v", actions)
	}

	// Filters, as CSV; times as epoch ms or RFC 3339.
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	r = s.req("GET", "/internal-api/v1/audit/export?format=csv&action=room.&actor=user:admin&since="+since, nil, bearer(adm)).want(http.StatusOK)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q", ct)
	}
	recs, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil || len(recs) != 6 {
		t.Fatalf("CSV (%v): %d records: %q", err, len(recs), r.body)
	}
	// Nothing matches: an empty file, not an error.
	r = s.req("GET", "/internal-api/v1/audit/export?actor=user:nobody", nil, bearer(adm)).want(http.StatusOK)
	if len(r.body) != 0 || r.header.Get("Content-Disposition") == "" {
		t.Errorf("empty export: %q, %v", r.body, r.header)
	}
	// The recordings' access log.
	s.req("GET", "/api/v1/recordings", nil, bearer(adm)).want(http.StatusOK)
	r = s.req("GET", "/internal-api/v1/audit/export?log=access", nil, bearer(adm)).want(http.StatusOK)
	if !strings.Contains(string(r.body), `"action":"list"`) || !strings.Contains(r.header.Get("Content-Disposition"), "conclave-access-") {
		t.Errorf("access log export %q", r.body)
	}

	exports := func() int {
		page, err := s.svc.ListAudit(context.Background(), conclavetest.Admin(t, s.svc), core.AuditQuery{Action: "audit.export"})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Items)
	}
	before := exports()
	future := strconv.FormatInt(time.Now().Add(48*time.Hour).UnixMilli(), 10)
	for q, field := range map[string]string{
		"format=xml": "format", "log=sessions": "log", "since=yesterday": "since", "until=-5": "until",
		"since=99999999999999999": "since", "since=" + future: "since",
		"since=2025-02-01T00:00:00Z&until=2025-01-01T00:00:00Z": "until",
		"until=10000-01-01T00:00:00Z":                           "until",
		"actor=" + strings.Repeat("a", 300):                     "actor",
	} {
		s.req("GET", "/internal-api/v1/audit/export?"+q, nil, bearer(adm)).wantDetail(field)
	}
	s.req("GET", "/internal-api/v1/audit/export", nil).want(http.StatusUnauthorized)
	manager := s.user(adm, "max_1", "room_manager")
	s.req("GET", "/internal-api/v1/audit/export", nil, bearer(manager)).want(http.StatusForbidden)
	if n := exports(); n != before {
		t.Errorf("refused exports were audited as exports: %d, want %d", n, before)
	}
}
