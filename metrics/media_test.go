package metrics_test

import (
	"context"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
)

// TestMetricsMoveWithMediaAndRecording runs a meeting with two publishers (each
// subscribed to the other) over the real SFU, records it with the real engine, and reads
// the media and recording counters move. It needs the loopback-only namespace (skipped
// without it, failed under CONCLAVE_E2E=1).
func TestMetricsMoveWithMediaAndRecording(t *testing.T) {
	conclavetest.NeedFFmpeg(t)
	s := newMStack(t, conclavetest.HTTPConfig{Media: true, Record: true})
	svc := s.st.Svc
	room := conclavetest.Room(t, svc, "Media")
	stop := make(chan struct{})
	defer close(stop)
	ivf, ogg := conclavetest.Sources(t, 8)
	for _, name := range []string{"Alice", "Bob"} {
		p := conclavetest.Member(t, svc, conclavetest.JoinToken(t, svc, room.RoomID, room.Access.Speaker.Secret, name))
		pt, err := svc.JoinMeeting(context.Background(), p, nil)
		if err != nil {
			t.Fatal(err)
		}
		conclavetest.Publish(t, s.st.SFU, room.RoomID, pt.Identity, ivf, ogg, stop)
	}
	before := s.scrape()
	before.must(t, "conclave_recording_written_bytes_total", 0)

	// Wait until both publish and each forwards to the other.
	deadline := time.Now().Add(10 * time.Second)
	for {
		f := s.scrape()
		if f.value("conclave_published_tracks") == 4 && f.value("conclave_media_forwarded_packets_total") > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no media after 10 s: tracks %v, forwarded %v", f.value("conclave_published_tracks"), f.value("conclave_media_forwarded_packets_total"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	rec, err := svc.StartRecording(context.Background(), conclavetest.Admin(t, svc), room.RoomID, "")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond)
	mid := s.scrape()
	mid.must(t, "conclave_recordings_in_progress", 1)
	mid.must(t, "conclave_recordings", 1, "status=active")
	if w := mid.value("conclave_recording_written_bytes_total"); w <= 0 {
		t.Errorf("recording bytes written %v while recording for 2.5 s (flushed every second)", w)
	}
	if _, err := svc.StopRecording(context.Background(), conclavetest.Admin(t, svc), rec.RecordingID); err != nil {
		t.Fatal(err)
	}
	var done *core.Recording
	for deadline := time.Now().Add(10 * time.Second); ; {
		done, err = svc.GetRecording(context.Background(), conclavetest.Admin(t, svc), rec.RecordingID)
		if err != nil {
			t.Fatal(err)
		}
		if done.Status == core.RecComplete {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("recording is %s after 10 s", done.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	after := s.scrape()
	after.must(t, "conclave_recordings", 1, "status=complete")
	after.must(t, "conclave_recordings_in_progress", 0)
	after.must(t, "conclave_storage_used_bytes", float64(done.Size))
	// Every byte of the files went through the writers (later patches of sizes and cues
	// rewrite bytes already counted, so the files are no larger than what was written).
	if w := after.value("conclave_recording_written_bytes_total"); w < float64(done.Size) || done.Size == 0 {
		t.Errorf("recording bytes written %v, the recording holds %d", w, done.Size)
	}
	in, out := after.value("conclave_media_received_bytes_total"), after.value("conclave_media_forwarded_bytes_total")
	if in <= 0 || out <= 0 || after.value("conclave_media_received_packets_total") < mid.value("conclave_media_received_packets_total") {
		t.Errorf("media counters: received %v bytes, forwarded %v bytes", in, out)
	}
	after.must(t, "conclave_media_rooms", 1)
	after.must(t, "conclave_media_peers", 2)
	if after.value("conclave_media_egress_datagrams_total") < 0 {
		t.Error("egress figures missing")
	}
}
