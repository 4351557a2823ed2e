package web_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
)

// fileStack is a stack whose recorder is the real file side without media, with finished
// recordings put on disk by the test.
type fileStack struct {
	*stack
	dir string
	adm string
}

func newFileStack(t *testing.T, trash time.Duration) *fileStack {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "recordings")
	s := openStack(t, filepath.Join(t.TempDir(), "c.db"), func(c *conclavetest.HTTPConfig) {
		c.Recorder, c.RecordingTrash = conclavetest.FileRecorder(t, dir), trash
	})
	return &fileStack{stack: s, dir: dir, adm: s.admin()}
}

// finished makes a finished recording of room with files of sizes; it returns its id.
func (s *fileStack) finished(roomID string, sizes ...int) string {
	s.t.Helper()
	room, _, err := s.svc.GetRoom(context.Background(), core.System(), roomID)
	if err != nil {
		s.t.Fatal(err)
	}
	return conclavetest.FinishedRecording(s.t, s.db, s.dir, room, s.clk.Now(), sizes...).RecordingID
}

func (s *fileStack) listedIDs(path string, c cred) []string {
	s.t.Helper()
	var ids []string
	for _, r := range s.req("GET", path, nil, c).want(http.StatusOK).obj()["recordings"].([]any) {
		ids = append(ids, r.(map[string]any)["recordingId"].(string))
	}
	return ids
}

func (s *fileStack) onDisk(id string) bool {
	roomID, rest, _ := strings.Cut(id, "--")
	_, err := os.Stat(filepath.Join(s.dir, roomID, rest))
	return err == nil
}

func TestRecordingTrashThroughREST(t *testing.T) {
	s := newFileStack(t, 0)
	owner := s.user(s.adm, "owner_one", "room_manager")
	other := s.user(s.adm, "owner_two", "room_manager")
	roomID := str(t, s.room(bearer(owner), map[string]any{"roomName": "Trash"}), "roomId")
	otherRoom := str(t, s.room(bearer(other), map[string]any{"roomName": "Other"}), "roomId")
	id := s.finished(roomID, 4000)
	s.finished(otherRoom, 100)
	before := s.req("GET", "/api/v1/recordings/"+id+"/media", nil, bearer(owner)).want(http.StatusOK).body

	// Deleted: OpenVidu's answer; then 404 everywhere a client looks, as if gone.
	m := s.req("DELETE", "/api/v1/recordings/"+id, nil, bearer(owner)).want(http.StatusOK).obj()
	if !strings.Contains(m["message"].(string), "deleted") {
		t.Fatalf("delete answered %v", m)
	}
	for _, p := range []string{"", "/media", "/download"} {
		s.req("GET", "/api/v1/recordings/"+id+p, nil, bearer(owner)).wantErr(http.StatusNotFound, "Recording Error")
	}
	s.req("DELETE", "/api/v1/recordings/"+id, nil, bearer(owner)).want(http.StatusNotFound)
	if ids := s.listedIDs("/api/v1/recordings", bearer(s.adm)); len(ids) != 1 || ids[0] == id {
		t.Fatalf("listing after delete: %v", ids)
	}
	// In the trash of its owner and of admins, with when it goes; not in another owner's.
	trash := s.req("GET", "/api/v1/recordings/trash", nil, bearer(owner)).want(http.StatusOK).obj()["recordings"].([]any)
	if len(trash) != 1 {
		t.Fatalf("owner's trash %v", trash)
	}
	tr := trash[0].(map[string]any)
	trashedAt, _ := tr["trashedAt"].(float64)
	purgeAt, _ := tr["purgeAt"].(float64)
	if tr["recordingId"] != id || tr["trashedBy"] != "user:owner_one" || purgeAt-trashedAt != float64((7*24*time.Hour).Milliseconds()) {
		t.Fatalf("trash entry %v", tr)
	}
	if ids := s.listedIDs("/api/v1/recordings/trash", bearer(s.adm)); len(ids) != 1 {
		t.Fatalf("admin's trash %v", ids)
	}
	if ids := s.listedIDs("/api/v1/recordings/trash", bearer(other)); len(ids) != 0 {
		t.Fatalf("another owner's trash %v", ids)
	}
	s.req("GET", "/api/v1/recordings/trash?status=sleeping", nil, bearer(owner)).wantDetail("status")

	// Restore: not by another owner (403), nor without credentials (401); bad ids 404.
	s.req("POST", "/api/v1/recordings/"+id+"/restore", nil, bearer(other)).wantErr(http.StatusForbidden, "")
	s.req("POST", "/api/v1/recordings/"+id+"/restore", nil).want(http.StatusUnauthorized)
	for _, bad := range []string{roomID + "--nope", "nope", "..%2F..%2Fconclave.db"} {
		s.req("POST", "/api/v1/recordings/"+bad+"/restore", nil, bearer(owner)).want(http.StatusNotFound)
	}
	back := s.req("POST", "/api/v1/recordings/"+id+"/restore", nil, bearer(owner)).want(http.StatusOK).obj()
	if back["recordingId"] != id || back["status"] != "complete" || back["trashedAt"] != nil {
		t.Fatalf("restore answered %v", back)
	}
	after := s.req("GET", "/api/v1/recordings/"+id+"/media", nil, bearer(owner)).want(http.StatusOK).body
	if string(after) != string(before) || len(after) != 4000 {
		t.Fatalf("media after restore: %d bytes, before %d", len(after), len(before))
	}
	s.req("POST", "/api/v1/recordings/"+id+"/restore", nil, bearer(owner)).wantErr(http.StatusConflict, "Recording Error")

	// Force: admins only; a bad value is 422; nothing changes on refusal.
	s.req("DELETE", "/api/v1/recordings/"+id+"?force=true", nil, bearer(owner)).wantErr(http.StatusForbidden, "")
	s.req("DELETE", "/api/v1/recordings/"+id+"?force=yes", nil, bearer(s.adm)).wantDetail("force")
	s.req("GET", "/api/v1/recordings/"+id+"/media", nil, bearer(owner)).want(http.StatusOK)
	s.req("DELETE", "/api/v1/recordings/"+id+"?force=true", nil, bearer(s.adm)).want(http.StatusOK)
	if s.onDisk(id) {
		t.Fatal("force purge left the files")
	}
	s.req("POST", "/api/v1/recordings/"+id+"/restore", nil, bearer(s.adm)).want(http.StatusNotFound)
	if ids := s.listedIDs("/api/v1/recordings/trash", bearer(s.adm)); len(ids) != 0 {
		t.Fatalf("trash after force purge %v", ids)
	}
}

func TestBulkDeleteToTrashAndForce(t *testing.T) {
	s := newFileStack(t, 0)
	owner := s.user(s.adm, "bulk_owner", "room_manager")
	roomID := str(t, s.room(bearer(owner), map[string]any{"roomName": "Bulk"}), "roomId")
	a, b := s.finished(roomID, 10), s.finished(roomID, 20)
	m := s.req("DELETE", "/api/v1/recordings?recordingIds="+a+","+b+","+roomID+"--gone", nil, bearer(owner)).want(http.StatusBadRequest).obj()
	if d, _ := m["deleted"].([]any); len(d) != 2 {
		t.Fatalf("bulk delete %v", m)
	}
	if f, _ := m["failed"].([]any); len(f) != 1 || f[0].(map[string]any)["recordingId"] != roomID+"--gone" {
		t.Fatalf("bulk delete %v", m)
	}
	if ids := s.listedIDs("/api/v1/recordings/trash", bearer(owner)); len(ids) != 2 || !s.onDisk(a) || !s.onDisk(b) {
		t.Fatalf("trash after bulk delete %v", ids)
	}
	s.req("DELETE", "/api/v1/recordings?force=true&recordingIds="+a+","+b, nil, bearer(owner)).wantErr(http.StatusForbidden, "")
	s.req("DELETE", "/api/v1/recordings?force=1&recordingIds="+a, nil, bearer(s.adm)).wantDetail("force")
	if ids := s.listedIDs("/api/v1/recordings/trash", bearer(owner)); len(ids) != 2 {
		t.Fatalf("refused force changed the trash: %v", ids)
	}
	s.req("DELETE", "/api/v1/recordings?force=true&recordingIds="+a+","+b, nil, bearer(s.adm)).want(http.StatusOK)
	if s.onDisk(a) || s.onDisk(b) || len(s.listedIDs("/api/v1/recordings/trash", bearer(s.adm))) != 0 {
		t.Fatal("bulk force left something")
	}
}

func TestTrashTimeAndRetentionThroughTheJanitor(t *testing.T) {
	s := newFileStack(t, 2*time.Hour)
	adm := apiKey(s.apiKeyOf(s.adm)) // an access token would expire as the clock moves
	roomID := str(t, s.room(adm, map[string]any{"roomName": "Janitor"}), "roomId")
	trashed, kept := s.finished(roomID, 50), s.finished(roomID, 60)
	s.req("DELETE", "/api/v1/recordings/"+trashed, nil, adm).want(http.StatusOK)
	s.advance(2*time.Hour + time.Second)
	if res, err := s.svc.Sweep(context.Background()); err != nil || res.RecordingsPurged != 1 {
		t.Fatalf("sweep: %+v, %v", res, err)
	}
	if s.onDisk(trashed) || !s.onDisk(kept) {
		t.Fatal("the janitor purged the wrong recording")
	}
	s.req("POST", "/api/v1/recordings/"+trashed+"/restore", nil, adm).want(http.StatusNotFound)

	// retentionDays, set through the API, applies to recordings already made.
	s.req("PUT", "/api/v1/rooms/"+roomID+"/config", map[string]any{"config": map[string]any{"recording": map[string]any{"retentionDays": 1}}}, adm).want(http.StatusOK)
	s.req("PUT", "/api/v1/rooms/"+roomID+"/config", map[string]any{"config": map[string]any{"recording": map[string]any{"retentionDays": -1}}}, adm).wantDetail("config.recording.retentionDays")
	s.advance(22 * time.Hour) // kept is now 24 h old and a second
	if res, err := s.svc.Sweep(context.Background()); err != nil || res.RecordingsPurged != 1 {
		t.Fatalf("retention sweep: %+v, %v", res, err)
	}
	s.req("GET", "/api/v1/recordings/"+kept, nil, adm).want(http.StatusNotFound)
	if s.onDisk(kept) {
		t.Fatal("retention left the files")
	}
}

func TestRecordingStorageThroughREST(t *testing.T) {
	s := newFileStack(t, 0)
	owner := s.user(s.adm, "store_owner", "room_manager")
	mine := str(t, s.room(bearer(owner), map[string]any{"roomName": "Mine"}), "roomId")
	theirs := str(t, s.room(bearer(s.adm), map[string]any{"roomName": "Theirs"}), "roomId")
	s.finished(mine, 1000, 200)
	gone := s.finished(mine, 300)
	s.finished(theirs, 4096)
	s.req("DELETE", "/api/v1/recordings/"+gone, nil, bearer(owner)).want(http.StatusOK)

	var disk int64
	if err := filepath.Walk(s.dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".webm") {
			disk += fi.Size()
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	st := s.req("GET", "/internal-api/v1/recordings/storage", nil, bearer(s.adm)).want(http.StatusOK).obj()
	total := sub(t, st, "total")
	if total["bytes"] != float64(disk) || total["trashBytes"] != float64(300) || total["trash"] != float64(1) {
		t.Fatalf("total %v, %d bytes on disk", total, disk)
	}
	if sub(t, total, "recordings")["complete"] != float64(2) || sub(t, total, "recordings")["failed"] != float64(0) {
		t.Fatalf("by status %v", total["recordings"])
	}
	if free, _ := st["freeBytes"].(float64); free <= 0 {
		t.Fatalf("freeBytes %v", st["freeBytes"])
	}
	if rooms, _ := st["rooms"].([]any); len(rooms) != 2 {
		t.Fatalf("rooms %v", st["rooms"])
	}
	// The owner sees its room's; an API key all; no credentials 401.
	own := s.req("GET", "/internal-api/v1/recordings/storage", nil, bearer(owner)).want(http.StatusOK).obj()
	rooms, _ := own["rooms"].([]any)
	if len(rooms) != 1 || rooms[0].(map[string]any)["roomId"] != mine || rooms[0].(map[string]any)["roomName"] != "Mine" ||
		sub(t, own, "total")["bytes"] != float64(1500) {
		t.Fatalf("owner's storage %v", own)
	}
	key := s.apiKeyOf(s.adm)
	if got := s.req("GET", "/internal-api/v1/recordings/storage", nil, apiKey(key)).want(http.StatusOK).obj(); sub(t, got, "total")["bytes"] != float64(disk) {
		t.Fatalf("API key's storage %v", got)
	}
	s.req("GET", "/internal-api/v1/recordings/storage", nil).want(http.StatusUnauthorized)
}
