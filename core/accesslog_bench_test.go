package core_test

import (
	"context"
	"testing"

	"conclave/conclavetest"
	"conclave/core"
)

// BenchmarkPlayAccessLog measures what the access log adds to a viewing's first request:
// opening a recording's media for a member with the rights check, without and with its
// access-log line (a synchronous SQLite insert, synchronous=FULL). The goal is under 1 ms
// added per play.
func BenchmarkPlayAccessLog(b *testing.B) {
	dir := b.TempDir()
	clk := &conclavetest.Clock{}
	svc, store := conclavetest.Core(b, conclavetest.Config{Recorder: conclavetest.FileRecorder(b, dir), Now: clk.Now})
	w := conclavetest.NewAccessWorld(b, svc, store, dir, clk)
	p := w.Actor(b, conclavetest.ActMemberSpk).P
	ctx := context.Background()
	for _, logged := range []bool{false, true} {
		name := "unlogged"
		if logged {
			name = "logged"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				_, f, err := svc.OpenRecordingLogged(ctx, p, w.Rec.RecordingID, -1, core.RecActPlay, logged)
				if err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
	}
}
