package tui_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
)

// Flows of the Recordings tab on the real stack: core over SQLite with the recorder's
// real file side, recordings put in place as the engine leaves them (no media).

type recEnv struct {
	*env
	dir string
}

func newRecEnv(t *testing.T) *recEnv {
	t.Helper()
	dir := t.TempDir()
	svc, st := conclavetest.Core(t, conclavetest.Config{PublicURL: "http://meet.test", Recorder: conclavetest.FileRecorder(t, dir)})
	return &recEnv{env: &env{t: t, svc: svc, st: st}, dir: dir}
}

func (e *recEnv) finished(r *core.Room, started time.Time, sizes ...int) *core.Recording {
	return conclavetest.FinishedRecording(e.t, e.st, e.dir, r, started, sizes...)
}

// lineOf is the index of the first line of frame holding s, -1 when none does.
func lineOf(frame, s string) int {
	for i, l := range strings.Split(frame, "\n") {
		if strings.Contains(l, s) {
			return i
		}
	}
	return -1
}

func inOrder(t *testing.T, frame string, ids ...string) {
	t.Helper()
	last := -1
	for _, id := range ids {
		i := lineOf(frame, id)
		if i < 0 || i <= last {
			t.Fatalf("%v are not listed in this order:\n%s", ids, frame)
		}
		last = i
	}
}

func TestFlowRecordingsFilterAndSort(t *testing.T) {
	e := newRecEnv(t)
	alpha, beta := e.room("Alpha standup"), e.room("Beta review")
	t0 := time.Now().Add(-48 * time.Hour).Truncate(time.Minute)
	a1 := e.finished(alpha, t0, 100)
	a2 := e.finished(alpha, t0.Add(time.Hour), 5000)
	b1 := e.finished(beta, t0.Add(2*time.Hour), 300)
	// One that failed, to filter by status.
	failed := e.finished(beta, t0.Add(3*time.Hour), 10)
	failed.Status, failed.Error = core.RecFailed, "the disk broke"
	if err := e.st.UpdateRecording(context.Background(), failed); err != nil {
		t.Fatal(err)
	}
	tm := e.open("admin")
	waitFor(t, tm, "3 Recordings")
	press(tm, "3")
	frame := waitFor(t, tm, "sorted by date, newest first", a1.RecordingID, a2.RecordingID, b1.RecordingID, "ROOM", "STARTED", "STATUS", "DURATION", "SIZE")
	inOrder(t, frame, failed.RecordingID, b1.RecordingID, a2.RecordingID, a1.RecordingID)

	// Filter by room as you type, then by status, then by date.
	press(tm, "/", "beta")
	frame = waitFor(t, tm, "/beta", b1.RecordingID, "1/2")
	if strings.Contains(frame, a1.RecordingID) || strings.Contains(frame, a2.RecordingID) {
		t.Fatalf("the filter kept Alpha's recordings:\n%s", frame)
	}
	press(tm, " status:failed")
	frame = waitFor(t, tm, failed.RecordingID, "1/1")
	if strings.Contains(frame, b1.RecordingID) {
		t.Fatalf("status:failed kept a complete recording:\n%s", frame)
	}
	press(tm, "esc")
	waitFor(t, tm, a1.RecordingID, "/4 ·")
	press(tm, "/", "until:"+t0.Add(90*time.Minute).In(time.Local).Format("2006-01-02T15:04"), "enter")
	frame = waitFor(t, tm, "filter: until:", a1.RecordingID, a2.RecordingID, "1/2")
	if strings.Contains(frame, b1.RecordingID) {
		t.Fatalf("until: kept a later recording:\n%s", frame)
	}
	press(tm, "esc")
	waitFor(t, tm, "/4 ·")

	// Sort: s cycles through date, size and duration.
	press(tm, "s")
	frame = waitFor(t, tm, "sorted by date, oldest first")
	inOrder(t, frame, a1.RecordingID, a2.RecordingID, b1.RecordingID, failed.RecordingID)
	press(tm, "s")
	frame = waitFor(t, tm, "sorted by size, largest first")
	inOrder(t, frame, a2.RecordingID, b1.RecordingID, a1.RecordingID, failed.RecordingID)
	press(tm, "?")
	waitFor(t, tm, "sort: date, size, duration", "status:complete")
}

// The timeline of a recording whose manifest says who spoke when: one row per
// participant, ▁ where present, █ where speaking, with a time axis.
func TestFlowRecordingTimeline(t *testing.T) {
	e := newRecEnv(t)
	r := e.room("Design review")
	rec := e.finished(r, time.Now().Add(-time.Hour), 400, 300)
	manifest := `{"recordingId":"` + rec.RecordingID + `","roomId":"` + r.RoomID + `","layout":"speaker",
	 "participants":[
	  {"identity":"p0","name":"Ana","role":"moderator","speaking":[[0,15],[30,45]]},
	  {"identity":"p1","name":"Ben","role":"speaker","speaking":[[15,30]]}],
	 "files":[{"file":"stream-0.webm","identity":"p0","kind":"camera","offset":0,"duration":60,"codecs":["vp8","opus"]},
	          {"file":"stream-1.webm","identity":"p1","kind":"camera","offset":0,"duration":60,"codecs":["vp8","opus"]}]}`
	if err := os.WriteFile(filepath.Join(e.dir, filepath.FromSlash(rec.Dir), "manifest.json"), []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	tm := e.open("admin")
	waitFor(t, tm, "3 Recordings")
	press(tm, "3")
	waitFor(t, tm, rec.RecordingID)
	press(tm, "enter")
	frame := waitFor(t, tm, "Recording "+rec.RecordingID, "Participants (2)", "Ana", "Ben", "00:00", "01:00", "Streams (2)")
	ana, ben := timelineRow(t, frame, "Ana"), timelineRow(t, frame, "Ben")
	// 60 s across the bar: Ana speaks the first and third quarter, Ben the second;
	// neither speaks in the last, where both are present.
	n := len(ana)
	if n < 40 || len(ben) != n {
		t.Fatalf("bars of %d and %d cells:\n%s", n, len(ben), frame)
	}
	at := func(bar []rune, frac float64) rune { return bar[int(frac*float64(n))] }
	for _, c := range []struct {
		who  string
		bar  []rune
		frac float64
		want rune
	}{
		{"Ana", ana, 0.1, '█'}, {"Ana", ana, 0.35, '▁'}, {"Ana", ana, 0.6, '█'}, {"Ana", ana, 0.9, '▁'},
		{"Ben", ben, 0.1, '▁'}, {"Ben", ben, 0.35, '█'}, {"Ben", ben, 0.6, '▁'}, {"Ben", ben, 0.9, '▁'},
	} {
		if got := at(c.bar, c.frac); got != c.want {
			t.Errorf("%s at %.0f%% of the recording: %q, want %q\n%s", c.who, c.frac*100, got, c.want, frame)
		}
	}
}

// timelineRow is the bar drawn after name on its timeline row.
func timelineRow(t *testing.T, frame, name string) []rune {
	t.Helper()
	for _, l := range strings.Split(frame, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimLeft(l, " "), name+" ")
		if ok && strings.ContainsAny(rest, "▁█") {
			return []rune(strings.TrimLeft(rest, " "))
		}
	}
	t.Fatalf("no timeline row for %s:\n%s", name, frame)
	return nil
}
