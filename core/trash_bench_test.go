package core_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
)

// benchRecordings makes 100 rooms keeping recordings 30 days and 10,000 finished
// recordings among them, a tenth of them in the trash (rows only: these benchmarks read the
// database).
func benchRecordings(b *testing.B) (*core.Service, *core.Principal) {
	b.Helper()
	ctx := context.Background()
	svc, st := conclavetest.Core(b, conclavetest.Config{Recorder: conclavetest.FileRecorder(b, filepath.Join(b.TempDir(), "rec"))})
	adm := conclavetest.Admin(b, svc)
	days := 30
	now := time.Now()
	var rooms []*core.Room
	for r := 0; r < 100; r++ {
		name := fmt.Sprintf("Room %d", r)
		room, err := svc.CreateRoom(ctx, adm, core.RoomOptions{RoomName: &name, Config: &core.ConfigPatch{RecordingRetentionDays: &days}})
		if err != nil {
			b.Fatal(err)
		}
		rooms = append(rooms, room)
	}
	err := st.InTx(ctx, func(tx core.Store) error {
		for _, room := range rooms {
			name := room.RoomName
			for i := 0; i < 100; i++ {
				start := now.Add(-time.Duration(i) * time.Hour)
				rec := &core.Recording{RecordingID: fmt.Sprintf("%s--r%03d", room.RoomID, i), RoomID: room.RoomID, RoomName: name,
					Status: core.RecComplete, Layout: "speaker", Filename: "a.webm", StartDate: start.UnixMilli(),
					EndDate: start.Add(time.Minute).UnixMilli(), Duration: 60, Size: int64(1000 + i), Dir: room.RoomID + fmt.Sprintf("/r%03d", i)}
				if i%10 == 0 {
					rec.TrashedAt, rec.PurgeAt = now.UnixMilli(), now.Add(7*24*time.Hour).UnixMilli()
				}
				if err := tx.CreateRecording(ctx, rec); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return svc, adm
}

// BenchmarkRecordingStorage10k: the storage figures of 10,000 recordings in 100 rooms, as
// the control room's status line asks them.
func BenchmarkRecordingStorage10k(b *testing.B) {
	svc, adm := benchRecordings(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st, err := svc.RecordingStorage(ctx, adm)
		if err != nil || st.Total.Trash != 1000 || len(st.Rooms) != 100 {
			b.Fatalf("%+v, %v", st.Total, err)
		}
	}
}

// BenchmarkSweepRecordings10k: one janitor pass over 10,000 recordings of rooms with a
// retention, none due: what the janitor costs every minute.
func BenchmarkSweepRecordings10k(b *testing.B) {
	svc, _ := benchRecordings(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := svc.Sweep(ctx)
		if err != nil || res.RecordingsPurged != 0 {
			b.Fatalf("%+v, %v", res, err)
		}
	}
}
