package conclavetest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"conclave/core"
	"conclave/record"
	"conclave/record/bridge"
)

// Recordings without media: the recorder's real file side over a directory, and finished
// recordings put in place as the engine leaves them, for tests of what happens to
// recordings after they are made (trash, purge, retention, storage, serving).

var recSeq atomic.Int64 // makes recordings' ids unique within a test binary

// FileRecorder is the real recorder (record's engine through bridge) over dir, with no
// SFU: it opens, removes, lists and measures recording files. It cannot record, which
// tests without media never ask (a room with no one in its meeting is refused first).
func FileRecorder(t testing.TB, dir string) core.Recorder {
	t.Helper()
	e, err := record.New(nil, record.Options{Root: dir, MinFreeDisk: 1})
	if err != nil {
		t.Fatalf("record.New: %v", err)
	}
	return bridge.Recorder(e, func() *core.Service { return nil })
}

// FinishedRecording stores a complete recording of room, started at started, and writes
// its files under dir (as FileRecorder reads them): one .webm file per entry of sizes, of
// that many bytes (a pattern, not playable media), and a manifest.json. Its size is the
// sum of the files', as the engine reports it.
func FinishedRecording(t testing.TB, st core.Store, dir string, room *core.Room, started time.Time, sizes ...int) *core.Recording {
	t.Helper()
	id := "t" + strconv.FormatInt(recSeq.Add(1), 10) + strconv.FormatInt(started.UnixNano()%1e9, 36)
	rec := &core.Recording{
		RecordingID: room.RoomID + "--" + id, RoomID: room.RoomID, RoomName: room.RoomName,
		Status: core.RecComplete, Layout: "speaker", StartDate: started.UnixMilli(),
		EndDate: started.Add(time.Minute).UnixMilli(), Duration: 60, StartedBy: "test",
		Dir: room.RoomID + "/" + id,
	}
	path := filepath.Join(dir, room.RoomID, id)
	if err := os.MkdirAll(path, 0o700); err != nil {
		t.Fatal(err)
	}
	for i, n := range sizes {
		name := "stream-" + strconv.Itoa(i) + ".webm"
		body := bytes.Repeat([]byte{byte('a' + i%26)}, n)
		if err := os.WriteFile(filepath.Join(path, name), body, 0o600); err != nil {
			t.Fatal(err)
		}
		rec.Streams = append(rec.Streams, core.RecordingStream{File: name, Identity: "p" + strconv.Itoa(i),
			Name: "P" + strconv.Itoa(i), Kind: "camera", Duration: 60, Size: int64(n)})
		rec.Size += int64(n)
	}
	if len(rec.Streams) > 0 {
		rec.Filename = rec.Streams[0].File
	}
	if err := os.WriteFile(filepath.Join(path, "manifest.json"), []byte(`{"test":true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateRecording(context.Background(), rec); err != nil {
		t.Fatalf("store recording: %v", err)
	}
	return rec
}
