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
	frame := waitNow(t, tm, "sorted by date, newest first", a1.RecordingID, a2.RecordingID, b1.RecordingID, "ROOM", "STARTED", "STATUS", "DURATION", "SIZE")
	inOrder(t, frame, failed.RecordingID, b1.RecordingID, a2.RecordingID, a1.RecordingID)

	// Filter by room as you type, then by status, then by date.
	press(tm, "/", "beta")
	frame = waitNow(t, tm, "/beta", b1.RecordingID, "1/2")
	if strings.Contains(frame, a1.RecordingID) || strings.Contains(frame, a2.RecordingID) {
		t.Fatalf("the filter kept Alpha's recordings:\n%s", frame)
	}
	press(tm, " status:failed")
	frame = waitNow(t, tm, failed.RecordingID, "1/1")
	if strings.Contains(frame, b1.RecordingID) {
		t.Fatalf("status:failed kept a complete recording:\n%s", frame)
	}
	press(tm, "esc")
	waitFor(t, tm, a1.RecordingID, "/4 ·")
	press(tm, "/", "until:"+t0.Add(90*time.Minute).In(time.Local).Format("2006-01-02T15:04"), "enter")
	frame = waitNow(t, tm, "filter: until:", a1.RecordingID, a2.RecordingID, "1/2")
	if strings.Contains(frame, b1.RecordingID) {
		t.Fatalf("until: kept a later recording:\n%s", frame)
	}
	press(tm, "esc")
	waitFor(t, tm, "/4 ·")

	// f steps through the statuses, in the same filter line.
	press(tm, "f")
	waitFor(t, tm, "filter: status:live", "No recordings match")
	press(tm, "f")
	waitFor(t, tm, "filter: status:complete", "/3 ·")
	if frame := lastFrame(tm); strings.Contains(frame, failed.RecordingID) {
		t.Fatalf("status:complete kept the failed one:\n%s", frame)
	}
	press(tm, "f")
	waitFor(t, tm, "filter: status:failed", failed.RecordingID, "1/1")
	press(tm, "esc")
	waitFor(t, tm, "/4 ·")

	// Sort: s cycles through date, size and duration.
	press(tm, "s")
	waitFor(t, tm, "sorted by date, oldest first")
	inOrder(t, lastFrame(tm), a1.RecordingID, a2.RecordingID, b1.RecordingID, failed.RecordingID)
	press(tm, "s")
	waitFor(t, tm, "sorted by size, largest first")
	inOrder(t, lastFrame(tm), a2.RecordingID, b1.RecordingID, a1.RecordingID, failed.RecordingID)
	press(tm, "?")
	waitFor(t, tm, "sort: date, size, duration", "status:complete", "storage per room")
	press(tm, "esc", "S")
	// 100+5000 bytes in Alpha, 300+10 in Beta; the status line has the total.
	waitFor(t, tm, "Recording storage", "Total    5.3 KiB", "complete 3, failed 1", "Alpha standup", "5.0 KiB  complete 2", "Beta review", "310 B  complete 1, failed 1", "recordings 5.3 KiB · free ")
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
	frame := waitNow(t, tm, "Recording "+rec.RecordingID, "Participants (2)", "Ana", "Ben", "00:00", "01:00", "Streams (2)")
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

func TestFlowRecordingDeleteRestore(t *testing.T) {
	e := newRecEnv(t)
	r := e.room("Board meeting")
	rec := e.finished(r, time.Now().Add(-time.Hour), 1000)
	ctx := context.Background()
	listed := func() bool {
		_, err := e.svc.GetRecording(ctx, e.admin(), rec.RecordingID)
		return err == nil
	}
	tm := e.open("admin")
	waitFor(t, tm, "3 Recordings")
	press(tm, "3")
	waitFor(t, tm, rec.RecordingID, "d move to trash")
	press(tm, "d")
	waitFor(t, tm, "Delete recording (y/N)", "[ No ]", "to the trash?")
	press(tm, "enter")
	waitFor(t, tm, "sorted by", rec.RecordingID)
	if !listed() {
		t.Fatal("enter on the confirmation (No selected) deleted the recording")
	}
	press(tm, "d")
	waitFor(t, tm, "(y/N)")
	press(tm, "y")
	waitFor(t, tm, "Recording moved to the trash", "No recordings you may list yet")
	if listed() {
		t.Fatal("y did not move the recording to the trash")
	}
	trash, err := e.svc.ListTrash(ctx, e.admin(), core.RecordingQuery{})
	if err != nil || len(trash.Items) != 1 || trash.Items[0].RecordingID != rec.RecordingID {
		t.Fatalf("trash = %+v, %v", trash.Items, err)
	}

	press(tm, "t")
	waitFor(t, tm, "Trash", rec.RecordingID, "trash", "u restore")
	press(tm, "u")
	waitFor(t, tm, "Restore recording (y/N)", "[ No ]")
	press(tm, "n")
	waitFor(t, tm, "Trash", rec.RecordingID)
	if listed() {
		t.Fatal("n restored the recording")
	}
	press(tm, "u")
	waitFor(t, tm, "(y/N)")
	press(tm, "y")
	waitFor(t, tm, "Recording restored", "The trash is empty")
	if !listed() {
		t.Fatal("y did not restore the recording")
	}
	press(tm, "t")
	waitFor(t, tm, "Recordings", rec.RecordingID, "complete")

	// An admin purges from the trash, also with (y/N) and No selected.
	if err := e.svc.DeleteRecording(ctx, e.admin(), rec.RecordingID); err != nil {
		t.Fatal(err)
	}
	press(tm, "t")
	waitFor(t, tm, "Trash", rec.RecordingID, "P purge now")
	press(tm, "P")
	waitFor(t, tm, "Purge recording (y/N)", "[ No ]", "cannot be undone")
	press(tm, "enter")
	waitFor(t, tm, "Trash", rec.RecordingID)
	inTrash := func() int {
		page, err := e.svc.ListTrash(ctx, e.admin(), core.RecordingQuery{})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Items)
	}
	if inTrash() != 1 {
		t.Fatal("enter on the purge confirmation purged the recording")
	}
	press(tm, "P", "y")
	waitFor(t, tm, "Recording purged", "The trash is empty")
	if inTrash() != 0 {
		t.Fatal("y did not purge the recording")
	}
	if _, err := os.Stat(filepath.Join(e.dir, filepath.FromSlash(rec.Dir))); !os.IsNotExist(err) {
		t.Fatalf("the purged recording's files are still there: %v", err)
	}
}

func TestFlowShareLinkCreateAndRevoke(t *testing.T) {
	e := newRecEnv(t)
	r := e.room("All hands")
	rec := e.finished(r, time.Now().Add(-time.Hour), 1000)
	ctx := context.Background()
	tm := e.open("admin")
	waitFor(t, tm, "3 Recordings")
	press(tm, "3")
	waitFor(t, tm, rec.RecordingID)
	press(tm, "enter")
	waitFor(t, tm, "No share links yet — press n to make one", "n new share link")
	press(tm, "n")
	waitFor(t, tm, "New share link", "Password", "Expires", "Max uses", "Allow download")
	press(tm, "tab", "link-pass-1", "tab", "+7d", "tab", "3", "tab", "x", "ctrl+s")
	waitFor(t, tm, "Share link created", "This is the only time the link is shown", "y copy")
	frame := lastFrame(tm)
	links, err := e.svc.ListShareLinks(ctx, e.admin(), rec.RecordingID, core.ListOptions{})
	if err != nil || len(links.Items) != 1 {
		t.Fatalf("links = %+v, %v", links.Items, err)
	}
	l := links.Items[0]
	if l.Access != core.ShareAccessPublic || l.PasswordHash == "" || !l.AllowDownload || l.MaxUses != 3 ||
		l.ExpiresAt < time.Now().Add(6*24*time.Hour).UnixMilli() || l.ExpiresAt > time.Now().Add(8*24*time.Hour).UnixMilli() {
		t.Fatalf("the link made is not what the form said: %+v", l)
	}
	// The secret is on screen whole (wrapped inside the box, never cut).
	var text strings.Builder
	for _, line := range strings.Split(frame, "\n") {
		line = strings.Trim(line, " │╭╮╰╯─")
		if strings.HasPrefix(line, "http://") || text.Len() > 0 && !strings.Contains(line, " ") && line != "" {
			text.WriteString(line)
		} else if text.Len() > 0 {
			break
		}
	}
	shown := text.String()
	if !strings.HasPrefix(shown, "http://meet.test/meet/recording/"+rec.RecordingID+"?share="+l.LinkID+"&secret=") || len(shown) < 100 {
		t.Fatalf("the link shown is %q:\n%s", shown, frame)
	}
	secret := strings.SplitN(shown, "&secret=", 2)[1]
	if _, err := e.svc.OpenShareLink(ctx, nil, l.LinkID, secret, "link-pass-1"); err != nil {
		t.Fatalf("the link shown does not open: %v", err)
	}
	press(tm, "y")
	waitFor(t, tm, "Sent the share link to the terminal's clipboard")
	press(tm, "esc")
	waitFor(t, tm, "Share links (1)", l.LinkID)
	if frame := lastFrame(tm); strings.Contains(frame, secret) {
		t.Fatalf("the secret is still shown after the dialog closed:\n%s", frame)
	}
	// The use the test made is counted when the detail is read again.
	press(tm, "r")
	frame = waitNow(t, tm, l.LinkID+" public  active  1/3       yes yes")
	if !strings.Contains(frame, "share.use") || !strings.Contains(frame, "share.create") {
		t.Fatalf("the access log does not show the link's creation and use:\n%s", frame)
	}

	press(tm, "x")
	waitFor(t, tm, "Revoke which share link?", l.LinkID)
	press(tm, "enter")
	waitFor(t, tm, "Revoke share link (y/N)", "[ No ]")
	press(tm, "enter")
	waitFor(t, tm, "Share links (1)", "active")
	if st := e.svc.ShareLinkState(mustLink(t, e, rec.RecordingID)); st != "active" {
		t.Fatalf("No revoked the link: %s", st)
	}
	press(tm, "x", "enter")
	waitFor(t, tm, "(y/N)")
	press(tm, "y")
	waitFor(t, tm, "Share link revoked", l.LinkID+" public  revoked", "share.revoke")
	if st := e.svc.ShareLinkState(mustLink(t, e, rec.RecordingID)); st != "revoked" {
		t.Fatalf("the link is %s after y", st)
	}
	// Nothing is left to revoke: the key is no longer offered.
	if frame := lastFrame(tm); strings.Contains(frame, "revoke a share link") {
		t.Fatalf("revoke is offered with no link in force:\n%s", frame)
	}
}

// waitNow waits as waitFor does and returns the frame on screen then: waitFor's answer
// holds every frame drawn since the last wait, and what an earlier one showed (a filter
// half typed) is not what a check of the screen means.
func waitNow(t *testing.T, tm *session, want ...string) string {
	t.Helper()
	waitFor(t, tm, want...)
	return lastFrame(tm)
}

// lastFrame is the frame on screen now.
func lastFrame(tm *session) string {
	tm.screen.mu.Lock()
	defer tm.screen.mu.Unlock()
	return tm.screen.last
}

func mustLink(t *testing.T, e *recEnv, recordingID string) *core.ShareLink {
	t.Helper()
	links, err := e.svc.ListShareLinks(context.Background(), e.admin(), recordingID, core.ListOptions{})
	if err != nil || len(links.Items) != 1 {
		t.Fatalf("links = %+v, %v", links.Items, err)
	}
	return &links.Items[0]
}

// A speaker lists and watches but may not delete or share: the keys are not offered,
// pressing them says why, and the detail says what it keeps from the speaker.
func TestFlowRecordingsSpeakerSeesNoActs(t *testing.T) {
	e := newRecEnv(t)
	e.user("sam_speaker", "room_member", false)
	r := e.room("Lecture hall")
	hidden := e.room("Board room")
	if _, _, err := e.svc.AddMember(context.Background(), e.admin(), r.RoomID, core.NewMember{UserID: "sam_speaker", BaseRole: "speaker"}); err != nil {
		t.Fatal(err)
	}
	rec := e.finished(r, time.Now().Add(-time.Hour), 100)
	secret := e.finished(hidden, time.Now().Add(-time.Hour), 100)
	tm := e.open("sam_speaker")
	waitFor(t, tm, "3 Recordings", "4 Account")
	press(tm, "3")
	frame := waitNow(t, tm, rec.RecordingID, "enter details")
	if strings.Contains(frame, secret.RecordingID) || strings.Contains(frame, "move to trash") || strings.Contains(frame, "purge") {
		t.Fatalf("a speaker sees another room's recording or acts it may not do:\n%s", frame)
	}
	if strings.Contains(frame, "free ") {
		t.Fatalf("storage figures are shown to a speaker:\n%s", frame)
	}
	press(tm, "d")
	waitFor(t, tm, "You need recordingDelete")
	press(tm, "enter")
	frame = waitNow(t, tm, "Participants (1)", "Share links are shown to those with recordingShare", "The access log is shown to the room's owner and admins")
	if strings.Contains(frame, "new share link") {
		t.Fatalf("a speaker is offered a share link:\n%s", frame)
	}
	press(tm, "n")
	waitFor(t, tm, "You need recordingShare")
	if _, err := e.svc.GetRecording(context.Background(), e.admin(), rec.RecordingID); err != nil {
		t.Fatalf("the recording is gone: %v", err)
	}
}

// What happens elsewhere (REST, another session) shows without a key: the bus's
// recordingChanged reloads the list.
func TestFlowRecordingsFollowEvents(t *testing.T) {
	e := newRecEnv(t)
	r := e.room("Town hall")
	rec := e.finished(r, time.Now().Add(-time.Hour), 100)
	tm := e.open("admin")
	waitFor(t, tm, "3 Recordings")
	press(tm, "3")
	waitFor(t, tm, rec.RecordingID)
	if err := e.svc.DeleteRecording(context.Background(), e.admin(), rec.RecordingID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, tm, "No recordings you may list yet")
	if _, err := e.svc.RestoreRecording(context.Background(), e.admin(), rec.RecordingID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, tm, rec.RecordingID, "1/1")
}
