package signal_test

import (
	"context"
	"testing"
	"time"

	"conclave/conclavetest"
)

// TestRecordingIndicatorReachesEveryone: a recording's start and end reach every
// participant's socket within a second (the indicator no setting hides), a latecomer
// learns of it from joined, and recording control over signalling follows the rights.
func TestRecordingIndicatorReachesEveryone(t *testing.T) {
	s := newSigStackFrom(t, conclavetest.HTTPConfig{Record: true})
	alice := s.connect("Alice")
	mod := s.connectWith("Mo", conclavetest.JoinToken(t, s.Svc, s.roomID, s.moderator, "Mo"))
	if rec, _ := alice.joined["recording"].(map[string]any); rec["active"] != false {
		t.Fatalf("joined before any recording: %v", alice.joined["recording"])
	}
	within := func(c *sigClient, active bool, start time.Time) {
		t.Helper()
		f := c.next("recording frame", func(m map[string]any) bool { return m["type"] == "recording" })
		if f["active"] != active {
			t.Fatalf("%s: recording frame %v, want active %v", c.Name, f, active)
		}
		if took := time.Since(start); took > time.Second {
			t.Fatalf("%s told after %v", c.Name, took)
		}
	}
	start := time.Now()
	rec, err := s.Svc.StartRecording(context.Background(), s.admin, s.roomID, "")
	if err != nil {
		t.Fatal(err)
	}
	within(alice, true, start)
	within(mod, true, start)
	late := s.connect("Late")
	if r, _ := late.joined["recording"].(map[string]any); r["active"] != true {
		t.Fatalf("a latecomer's joined says %v", late.joined["recording"])
	}

	// A speaker may not control recordings; the moderator may stop it.
	alice.send(map[string]any{"type": "stopRecording", "ref": "a1"})
	if f := alice.expectCode("forbidden"); f["ref"] != "a1" {
		t.Fatalf("speaker's stop answered %v", f)
	}
	start = time.Now()
	mod.send(map[string]any{"type": "stopRecording", "ref": "m1"})
	mod.next("result m1", func(m map[string]any) bool { return m["type"] == "result" && m["ref"] == "m1" })
	within(alice, false, start)
	within(late, false, start)
	mod.send(map[string]any{"type": "stopRecording", "ref": "m2"})
	mod.expectCode("recording_not_active")
	got, err := s.Svc.GetRecording(context.Background(), s.admin, rec.RecordingID)
	if err != nil || got.EndDate == 0 {
		t.Fatalf("recording after stop: %+v %v", got, err)
	}
}
