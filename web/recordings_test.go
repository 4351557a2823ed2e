package web_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
)

// recStack is a stack with the SFU and the recorder, and a room with someone in its
// meeting publishing real VP8 and Opus.
type recStack struct {
	*stack
	adm    string
	roomID string
}

func newRecStack(t *testing.T) *recStack {
	t.Helper()
	conclavetest.NeedFFmpeg(t)
	s := openStack(t, t.TempDir()+"/c.db", func(c *conclavetest.HTTPConfig) { c.Media, c.Record = true, true })
	rs := &recStack{stack: s, adm: s.admin()}
	room := s.room(bearer(rs.adm), map[string]any{"roomName": "Recorded"})
	rs.roomID = str(t, room, "roomId")
	return rs
}

// seat puts a participant in the room's meeting, publishing from the SFU's side.
func (s *recStack) seat(name string, stop <-chan struct{}) {
	s.t.Helper()
	r, _, err := s.svc.GetRoom(context.Background(), core.System(), s.roomID)
	if err != nil {
		s.t.Fatal(err)
	}
	p := conclavetest.Member(s.t, s.svc, conclavetest.JoinToken(s.t, s.svc, s.roomID, r.Access.Speaker.Secret, name))
	pt, err := s.svc.JoinMeeting(context.Background(), p, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	ivf, ogg := conclavetest.Sources(s.t, 8)
	conclavetest.Publish(s.t, s.st.SFU, s.roomID, pt.Identity, ivf, ogg, stop)
}

// waitRecording polls GET …/{id} until its status is want.
func (s *recStack) waitRecording(id, want string) map[string]any {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rec := s.req("GET", "/api/v1/recordings/"+id, nil, bearer(s.adm)).want(http.StatusOK).obj()
		if rec["status"] == want {
			return rec
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("recording %s is %v, want %s: %v", id, rec["status"], want, rec)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRecordingThroughREST(t *testing.T) {
	s := newRecStack(t)
	// Nobody in the meeting: 409; an unknown room: 404; a bad body: 422.
	s.req("POST", "/api/v1/recordings", map[string]any{"roomId": s.roomID}, bearer(s.adm)).wantErr(http.StatusConflict, "Recording Error")
	s.req("POST", "/api/v1/recordings", map[string]any{"roomId": "nope-123456789012345"}, bearer(s.adm)).want(http.StatusNotFound)
	s.req("POST", "/api/v1/recordings", map[string]any{"roomId": 7}, bearer(s.adm)).wantDetail("roomId")
	s.req("POST", "/api/v1/recordings", map[string]any{"roomId": s.roomID, "config": map[string]any{"layout": "mosaic"}}, bearer(s.adm)).wantDetail("config.layout")

	stop := make(chan struct{})
	defer func() { close(stop) }()
	s.seat("Alice", stop)
	time.Sleep(500 * time.Millisecond)
	r := s.req("POST", "/api/v1/recordings", map[string]any{"roomId": s.roomID}, bearer(s.adm))
	rec := r.want(http.StatusCreated).obj()
	id := str(t, rec, "recordingId")
	if !strings.HasPrefix(id, s.roomID+"--") || rec["status"] != "active" || rec["endDate"] != nil || rec["duration"] != nil {
		t.Fatalf("started recording %v", rec)
	}
	if loc := r.header.Get("Location"); !strings.HasSuffix(loc, "/api/v1/recordings/"+id) {
		t.Fatalf("Location %q", loc)
	}
	// One at a time per room; not deletable nor playable while being made.
	s.req("POST", "/api/v1/recordings", map[string]any{"roomId": s.roomID}, bearer(s.adm)).wantErr(http.StatusConflict, "Recording Error")
	s.req("DELETE", "/api/v1/recordings/"+id, nil, bearer(s.adm)).wantErr(http.StatusConflict, "Recording Error")
	s.req("GET", "/api/v1/recordings/"+id+"/media", nil, bearer(s.adm)).wantErr(http.StatusConflict, "Recording Error")
	if got := s.svc.Recording(s.roomID); !got {
		t.Fatal("core does not say the room is being recorded")
	}

	time.Sleep(3 * time.Second)
	stopped := s.req("POST", "/api/v1/recordings/"+id+"/stop", nil, bearer(s.adm)).want(http.StatusAccepted).obj()
	if stopped["status"] != "ending" {
		t.Fatalf("stop answered %v", stopped)
	}
	s.req("POST", "/api/v1/recordings/"+id+"/stop", nil, bearer(s.adm)).wantErr(http.StatusConflict, "Recording Error")
	done := s.waitRecording(id, "complete")
	if d, _ := done["duration"].(float64); d < 2 || d > 4.5 {
		t.Fatalf("duration %v, recorded about 3 s", done["duration"])
	}
	if size, _ := done["size"].(float64); size < 10_000 {
		t.Fatalf("size %v", done["size"])
	}
	if streams, _ := done["streams"].([]any); len(streams) != 1 {
		t.Fatalf("streams %v", done["streams"])
	}

	// Listed, filtered by room and status.
	list := s.req("GET", "/api/v1/recordings?roomId="+s.roomID+"&status=complete", nil, bearer(s.adm)).want(http.StatusOK).obj()
	if items, _ := list["recordings"].([]any); len(items) != 1 {
		t.Fatalf("list %v", list)
	}
	s.req("GET", "/api/v1/recordings?status=sleeping", nil, bearer(s.adm)).wantDetail("status")

	// The media: whole, one range (206), a multi-range, a reversed and a past-the-end
	// range (416), a stream that does not exist (422); the download is an attachment.
	whole := s.req("GET", "/api/v1/recordings/"+id+"/media", nil, bearer(s.adm)).want(http.StatusOK)
	if ct := whole.header.Get("Content-Type"); ct != "video/webm" || len(whole.body) < 10_000 {
		t.Fatalf("media %s, %d bytes", ct, len(whole.body))
	}
	part := s.req("GET", "/api/v1/recordings/"+id+"/media", nil, bearer(s.adm), header("Range", "bytes=0-99")).want(http.StatusPartialContent)
	if len(part.body) != 100 || !strings.HasPrefix(part.header.Get("Content-Range"), "bytes 0-99/") {
		t.Fatalf("range: %d bytes, %q", len(part.body), part.header.Get("Content-Range"))
	}
	for _, bad := range []string{"bytes=0-1,5-9", "bytes=50-10", "bytes=999999999-", "items=0-5"} {
		s.req("GET", "/api/v1/recordings/"+id+"/media", nil, bearer(s.adm), header("Range", bad)).wantErr(http.StatusRequestedRangeNotSatisfiable, "Recording Error")
	}
	s.req("GET", "/api/v1/recordings/"+id+"/media?stream=3", nil, bearer(s.adm)).wantDetail("stream")
	s.req("GET", "/api/v1/recordings/"+id+"/media?stream=0", nil, bearer(s.adm)).want(http.StatusOK)
	dl := s.req("GET", "/api/v1/recordings/"+id+"/download", nil, bearer(s.adm)).want(http.StatusOK)
	if cd := dl.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
		t.Fatalf("download disposition %q", cd)
	}
	// Ids that are not recordings, or built to leave the data directory, are not found.
	for _, bad := range []string{"nope", s.roomID + "--..", "..%2F..%2Fconclave.db"} {
		s.req("GET", "/api/v1/recordings/"+bad+"/media", nil, bearer(s.adm)).want(http.StatusNotFound)
	}

	// Deleted once stopped.
	s.req("DELETE", "/api/v1/recordings/"+id, nil, bearer(s.adm)).want(http.StatusOK)
	s.req("GET", "/api/v1/recordings/"+id, nil, bearer(s.adm)).want(http.StatusNotFound)

	// A closed room (its meeting ended, nobody can join) is said to be closed.
	s.req("DELETE", "/internal-api/v1/meetings/"+s.roomID, nil, bearer(s.adm)).want(http.StatusOK)
	s.req("PUT", "/api/v1/rooms/"+s.roomID+"/status", map[string]any{"status": "closed"}, bearer(s.adm)).want(http.StatusOK)
	if r := s.req("POST", "/api/v1/recordings", map[string]any{"roomId": s.roomID}, bearer(s.adm)); r.status != http.StatusConflict || !strings.Contains(string(r.body), "is closed") {
		t.Fatalf("start in a closed room: %d %s", r.status, r.body)
	}
	if list := s.req("GET", "/api/v1/recordings?roomId="+s.roomID, nil, bearer(s.adm)).want(http.StatusOK).obj(); len(list["recordings"].([]any)) != 0 {
		t.Fatalf("a refused start left a recording: %v", list)
	}
}

func TestRecordingSwitches(t *testing.T) {
	s := newRecStack(t)
	stop := make(chan struct{})
	defer close(stop)
	s.seat("Bob", stop)
	// The server switch, off: 403; admins only; back on.
	s.req("PUT", "/internal-api/v1/config/recording", map[string]any{"enabled": false}, bearer(s.adm)).want(http.StatusOK)
	if got := s.req("GET", "/internal-api/v1/config/recording", nil, bearer(s.adm)).want(http.StatusOK).obj(); got["enabled"] != false {
		t.Fatalf("switch %v", got)
	}
	m := s.req("POST", "/api/v1/recordings", map[string]any{"roomId": s.roomID}, bearer(s.adm)).wantErr(http.StatusForbidden, "Recording Error")
	if !strings.Contains(m["message"].(string), "server") {
		t.Fatalf("refusal %v", m)
	}
	s.req("PUT", "/internal-api/v1/config/recording", map[string]any{"enabled": "yes"}, bearer(s.adm)).wantDetail("enabled")
	s.req("PUT", "/internal-api/v1/config/recording", map[string]any{"enabled": true}, bearer(s.adm)).want(http.StatusOK)
	// The room switch, off: 403 naming the room.
	s.req("PUT", "/api/v1/rooms/"+s.roomID+"/config", map[string]any{"config": map[string]any{"recording": map[string]any{"enabled": false}}}, bearer(s.adm)).want(http.StatusOK)
	m = s.req("POST", "/api/v1/recordings", map[string]any{"roomId": s.roomID}, bearer(s.adm)).wantErr(http.StatusForbidden, "Recording Error")
	if !strings.Contains(m["message"].(string), s.roomID) {
		t.Fatalf("refusal %v", m)
	}
}

func TestRecordingAutoStartAndDiskGuard(t *testing.T) {
	conclavetest.NeedFFmpeg(t)
	// With the disk guard above any free space, starting is 507 with the free space named.
	full := openStack(t, t.TempDir()+"/c.db", func(c *conclavetest.HTTPConfig) {
		c.Media, c.Record, c.MinFreeDisk = true, true, 1<<62
	})
	fs := &recStack{stack: full, adm: full.admin()}
	fs.roomID = str(t, full.room(bearer(fs.adm), map[string]any{"roomName": "Full"}), "roomId")
	stop := make(chan struct{})
	defer close(stop)
	fs.seat("Dee", stop)
	full.allow5xx = true // 507 is the documented answer here, not a failure of the server
	m := full.req("POST", "/api/v1/recordings", map[string]any{"roomId": fs.roomID}, bearer(fs.adm)).wantErr(http.StatusInsufficientStorage, "Recording Error")
	full.allow5xx = false
	if !strings.Contains(m["message"].(string), "MiB") {
		t.Fatalf("507 says %v", m)
	}

	// autoStart: the meeting is recorded from its first participant, and the recording
	// stops when the meeting ends.
	s := newRecStack(t)
	s.req("PUT", "/api/v1/rooms/"+s.roomID+"/config", map[string]any{"config": map[string]any{"recording": map[string]any{"enabled": true, "autoStart": true}}}, bearer(s.adm)).want(http.StatusOK)
	s.seat("Eve", stop)
	list := s.req("GET", "/api/v1/recordings?roomId="+s.roomID, nil, bearer(s.adm)).want(http.StatusOK).obj()
	items, _ := list["recordings"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["status"] != "active" {
		t.Fatalf("autoStart: %v", list)
	}
	id := items[0].(map[string]any)["recordingId"].(string)
	time.Sleep(2 * time.Second)
	s.req("DELETE", "/internal-api/v1/meetings/"+s.roomID, nil, bearer(s.adm)).want(http.StatusOK)
	rec := s.waitRecording(id, "complete")
	if d, _ := rec["duration"].(float64); d < 1 {
		t.Fatalf("recording of the ended meeting: %v", rec)
	}
}

// TestRecordingFilesCheckedAtStart: at start-up, a recording whose files are gone is
// marked so (not deleted), and a directory with no recording is reported in the log and
// kept.
func TestRecordingFilesCheckedAtStart(t *testing.T) {
	conclavetest.NeedFFmpeg(t)
	dbPath, recDir := t.TempDir()+"/c.db", t.TempDir()
	s := openStack(t, dbPath, func(c *conclavetest.HTTPConfig) { c.Media, c.Record, c.RecordDir = true, true, recDir })
	rs := &recStack{stack: s, adm: s.admin()}
	rs.roomID = str(t, s.room(bearer(rs.adm), map[string]any{"roomName": "Checked"}), "roomId")
	stop := make(chan struct{})
	rs.seat("Gil", stop)
	time.Sleep(500 * time.Millisecond)
	id := str(t, s.req("POST", "/api/v1/recordings", map[string]any{"roomId": rs.roomID}, bearer(rs.adm)).want(http.StatusCreated).obj(), "recordingId")
	time.Sleep(1500 * time.Millisecond)
	s.req("POST", "/api/v1/recordings/"+id+"/stop", nil, bearer(rs.adm)).want(http.StatusAccepted)
	rs.waitRecording(id, "complete")
	close(stop)
	s.close()

	// Its files go; a stray directory appears.
	dir := filepath.Join(recDir, rs.roomID, strings.TrimPrefix(id, rs.roomID+"--"))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	stray := filepath.Join(recDir, "lost-room", "abc")
	if err := os.MkdirAll(stray, 0o700); err != nil {
		t.Fatal(err)
	}
	logs := &strings.Builder{}
	var mu sync.Mutex
	s2 := openStack(t, dbPath, func(c *conclavetest.HTTPConfig) {
		c.Media, c.Record, c.RecordDir = true, true, recDir
		c.Logger = slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			return logs.Write(p)
		}), nil))
	})
	rec := s2.req("GET", "/api/v1/recordings/"+id, nil, bearer(s2.admin())).want(http.StatusOK).obj()
	if d, _ := rec["details"].(string); rec["status"] != "complete" || !strings.Contains(d, "gone") {
		t.Fatalf("recording whose files went: %v", rec)
	}
	s2.req("GET", "/api/v1/recordings/"+id+"/media", nil, bearer(s2.admin())).want(http.StatusNotFound)
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "lost-room/abc") {
		t.Fatalf("stray directory not reported:\n%s", logs.String())
	}
	if _, err := os.Stat(stray); err != nil {
		t.Fatalf("stray directory not kept: %v", err)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
