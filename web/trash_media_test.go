package web_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStorageOfARealRecording: a recording the engine made counts in the storage figures
// the bytes of its files on disk, and is served byte for byte the same once restored from
// the trash.
func TestStorageOfARealRecording(t *testing.T) {
	s := newRecStack(t)
	stop := make(chan struct{})
	defer close(stop)
	s.seat("Ria", stop)
	time.Sleep(500 * time.Millisecond)
	id := str(t, s.req("POST", "/api/v1/recordings", map[string]any{"roomId": s.roomID}, bearer(s.adm)).want(http.StatusCreated).obj(), "recordingId")
	time.Sleep(2 * time.Second)
	s.req("POST", "/api/v1/recordings/"+id+"/stop", nil, bearer(s.adm)).want(http.StatusAccepted)
	s.waitRecording(id, "complete")

	var disk int64
	if err := filepath.Walk(s.st.RecordDir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".webm") {
			disk += fi.Size()
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	st := s.req("GET", "/internal-api/v1/recordings/storage", nil, bearer(s.adm)).want(http.StatusOK).obj()
	if got := sub(t, st, "total")["bytes"]; disk < 10_000 || got != float64(disk) {
		t.Fatalf("storage says %v bytes, the recording's files hold %d", got, disk)
	}
	before := s.req("GET", "/api/v1/recordings/"+id+"/media", nil, bearer(s.adm)).want(http.StatusOK).body
	s.req("DELETE", "/api/v1/recordings/"+id, nil, bearer(s.adm)).want(http.StatusOK)
	s.req("GET", "/api/v1/recordings/"+id+"/media", nil, bearer(s.adm)).want(http.StatusNotFound)
	if got := sub(t, s.req("GET", "/internal-api/v1/recordings/storage", nil, bearer(s.adm)).want(http.StatusOK).obj(), "total"); got["trashBytes"] != float64(disk) {
		t.Fatalf("trash holds %v bytes, want %d", got["trashBytes"], disk)
	}
	s.req("POST", "/api/v1/recordings/"+id+"/restore", nil, bearer(s.adm)).want(http.StatusOK)
	after := s.req("GET", "/api/v1/recordings/"+id+"/media", nil, bearer(s.adm)).want(http.StatusOK).body
	if string(after) != string(before) {
		t.Fatalf("restored media differs: %d bytes, was %d", len(after), len(before))
	}
}
