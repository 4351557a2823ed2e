package conclavetest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"conclave/core"
	"conclave/db"
)

// FakeFile is one file of a FakeRecording.
type FakeFile struct {
	Name    string // a .webm file name
	Content []byte
}

// FakeRecording stores a complete recording of room made of files (the first is its main
// file, each is also one stream), written under dir as the recorder lays them out. The
// bytes need not be WebM: access and downloads serve them as they are.
func FakeRecording(t testing.TB, store *db.DB, dir string, room *core.Room, id string, start int64, files ...FakeFile) *core.Recording {
	t.Helper()
	rec := &core.Recording{
		RecordingID: room.RoomID + "--" + id, RoomID: room.RoomID, RoomName: room.RoomName,
		Status: core.RecComplete, Layout: "speaker", StartDate: start, EndDate: start + 60_000,
		Duration: 60, StartedBy: "user:admin", Dir: room.RoomID + "/" + id,
	}
	path := filepath.Join(dir, room.RoomID, id)
	if err := os.MkdirAll(path, 0o700); err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		if err := os.WriteFile(filepath.Join(path, f.Name), f.Content, 0o600); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			rec.Filename = f.Name
		}
		rec.Size += int64(len(f.Content))
		rec.Streams = append(rec.Streams, core.RecordingStream{File: f.Name, Identity: "p" + f.Name, Name: "Person " + f.Name,
			Kind: "camera", Duration: 60, Size: int64(len(f.Content))})
	}
	if err := store.CreateRecording(context.Background(), rec); err != nil {
		t.Fatalf("create recording: %v", err)
	}
	return rec
}
