package core_test

import (
	"context"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"conclave/cast"
	"conclave/conclavetest"
	"conclave/core"
)

func sessionStack(t *testing.T, dbPath string, clk *conclavetest.Clock) (*core.Service, string) {
	t.Helper()
	dir := filepath.Join(filepath.Dir(dbPath), "sessions")
	files, err := cast.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	svc, _ := conclavetest.Core(t, conclavetest.Config{DBPath: dbPath, Now: clk.Now, SessionFiles: files, SessionRetention: 48 * time.Hour})
	return svc, dir
}

var termMeta = core.RequestMeta{Source: "192.0.2.1", Device: "SSH-2.0-Test", Via: "ssh"}

// TestSessionRetentionPurgesOldRecordings: the janitor deletes the sessions, and their
// files, that started longer ago than the retention, audits each purge and keeps the
// newer ones.
func TestSessionRetentionPurgesOldRecordings(t *testing.T) {
	ctx := context.Background()
	clk := &conclavetest.Clock{}
	svc, dir := sessionStack(t, filepath.Join(t.TempDir(), "conclave.db"), clk)
	open := func() string {
		l, err := svc.StartTermSession(ctx, core.TermSessionStart{UserID: core.RootAdminID, Meta: termMeta, Width: 80, Height: 24})
		if err != nil || !l.Recorded {
			t.Fatalf("start: %v (recorded %v)", err, l != nil && l.Recorded)
		}
		l.Output([]byte("hello"))
		l.End(ctx)
		return l.ID
	}
	old := open()
	clk.Advance(47 * time.Hour)
	newer := open()
	clk.Advance(2 * time.Hour) // old is 49 h old, newer 2 h
	res, err := svc.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.TermSessionsPurged != 1 {
		t.Fatalf("purged %d, want 1", res.TermSessionsPurged)
	}
	if _, err := os.Stat(filepath.Join(dir, old+".cast")); !os.IsNotExist(err) {
		t.Errorf("old recording still on disk: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, newer+".cast")); err != nil {
		t.Errorf("newer recording gone: %v", err)
	}
	admin := conclavetest.Admin(t, svc)
	list, err := svc.ListTermSessions(ctx, admin)
	if err != nil || len(list.Sessions) != 1 || list.Sessions[0].ID != newer {
		t.Fatalf("sessions after the sweep: %+v, %v", list.Sessions, err)
	}
	page, err := svc.ListAudit(ctx, admin, core.AuditQuery{Action: "session.purge"})
	if err != nil || len(page.Items) != 1 || page.Items[0].Target != "session:"+old || page.Items[0].Actor != "system" {
		t.Fatalf("purge audit: %+v, %v", page.Items, err)
	}
}

// TestInterruptedSessionIsClosedAtStart: a session a crash left open is ended when the
// server starts again, with what its file holds, and replays what was flushed.
func TestInterruptedSessionIsClosedAtStart(t *testing.T) {
	ctx := context.Background()
	clk := &conclavetest.Clock{}
	dbPath := filepath.Join(t.TempDir(), "conclave.db")
	svc, _ := sessionStack(t, dbPath, clk)
	l, err := svc.StartTermSession(ctx, core.TermSessionStart{UserID: core.RootAdminID, Meta: termMeta, Width: 80, Height: 24})
	if err != nil {
		t.Fatal(err)
	}
	l.Output([]byte("before the crash"))
	time.Sleep(cast.FlushInterval + 300*time.Millisecond) // flushed by then, never closed

	svc2, _ := sessionStack(t, dbPath, clk) // the restart, on the same database and files
	if err := svc2.CloseInterruptedTermSessions(ctx); err != nil {
		t.Fatal(err)
	}
	admin := conclavetest.Admin(t, svc2)
	list, err := svc2.ListTermSessions(ctx, admin)
	if err != nil || len(list.Sessions) != 1 {
		t.Fatalf("sessions: %+v, %v", list.Sessions, err)
	}
	s := list.Sessions[0]
	if s.EndDate == 0 || s.Live || s.Size <= 0 || s.Damage != "" {
		t.Errorf("interrupted session after restart: %+v", s)
	}
	c, err := svc2.ReplayTermSession(ctx, admin, s.ID)
	if err != nil || len(c.Events) != 1 || c.Events[0].Data != "before the crash" {
		t.Fatalf("replay: %+v, %v", c, err)
	}
	page, err := svc2.ListAudit(ctx, admin, core.AuditQuery{Target: "session:" + s.ID, Action: "session.end"})
	if err != nil || len(page.Items) != 1 {
		t.Errorf("end of the interrupted session not audited: %+v, %v", page.Items, err)
	}
	l.End(ctx) // the first process's handle: its end finds the row ended and changes nothing
}

// TestRecordingMasksShownKeysAndClipboardCopies: an API key the control room shows once
// keeps its id but not its secret in the recording, and a copy to the clipboard (OSC 52)
// is left out whole; the rest of the frame is kept.
func TestRecordingMasksShownKeysAndClipboardCopies(t *testing.T) {
	ctx := context.Background()
	svc, dir := sessionStack(t, filepath.Join(t.TempDir(), "conclave.db"), &conclavetest.Clock{})
	admin := conclavetest.Admin(t, svc)
	key, err := svc.CreateAPIKey(ctx, admin, "ci")
	if err != nil {
		t.Fatal(err)
	}
	secret := key.Key[strings.LastIndex(key.Key, "_")+1:]
	l, err := svc.StartTermSession(ctx, core.TermSessionStart{UserID: core.RootAdminID, Meta: termMeta, Width: 80, Height: 24})
	if err != nil {
		t.Fatal(err)
	}
	copied := base64.StdEncoding.EncodeToString([]byte(key.Key))
	l.Writer(io.Discard).Write([]byte("API key ci: \x1b[7m" + key.Key + "\x1b[m\r\n\x1b]52;c;" + copied + "\x07Copy it now"))
	l.End(ctx)
	raw, err := os.ReadFile(filepath.Join(dir, l.ID+".cast"))
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{secret, copied, "]52;"} {
		if strings.Contains(string(raw), leak) {
			t.Errorf("the recording holds %q", leak)
		}
	}
	for _, kept := range []string{"API key ci", core.APIKeyPrefix + key.ID + "_" + strings.Repeat("*", len(secret)), "Copy it now"} {
		if !strings.Contains(string(raw), kept) {
			t.Errorf("the recording lacks %q:\n%s", kept, raw)
		}
	}
}

// TestLiveSessionReplaysSoFar: a session that runs is listed live and replays what reached
// the disk, marked live, not damaged.
func TestLiveSessionReplaysSoFar(t *testing.T) {
	ctx := context.Background()
	svc, _ := sessionStack(t, filepath.Join(t.TempDir(), "conclave.db"), &conclavetest.Clock{})
	admin := conclavetest.Admin(t, svc)
	l, err := svc.StartTermSession(ctx, core.TermSessionStart{UserID: core.RootAdminID, Meta: termMeta, Width: 80, Height: 24})
	if err != nil {
		t.Fatal(err)
	}
	defer l.End(ctx)
	l.Output([]byte("so far"))
	time.Sleep(cast.FlushInterval + 300*time.Millisecond)
	list, err := svc.ListTermSessions(ctx, admin)
	if err != nil || len(list.Sessions) != 1 || !list.Sessions[0].Live || list.Sessions[0].Size <= 0 {
		t.Fatalf("sessions: %+v, %v", list.Sessions, err)
	}
	c, err := svc.ReplayTermSession(ctx, admin, l.ID)
	if err != nil || !c.Live || c.Damage != "" || len(c.Events) != 1 || c.Events[0].Data != "so far" {
		t.Fatalf("live replay: %+v, %v", c, err)
	}
}

// TestSessionNotRecordedOnLowDisk: with less free disk than --min-free-disk, a session is
// opened and audited but not recorded, as a meeting recording would not start.
func TestSessionNotRecordedOnLowDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	files, err := cast.NewDir(filepath.Join(dir, "sessions"))
	if err != nil {
		t.Fatal(err)
	}
	svc, _ := conclavetest.Core(t, conclavetest.Config{SessionFiles: files, MinFreeDisk: 1 << 62,
		Recorder: conclavetest.FileRecorder(t, filepath.Join(dir, "recordings"))})
	l, err := svc.StartTermSession(ctx, core.TermSessionStart{UserID: core.RootAdminID, Meta: termMeta, Width: 80, Height: 24})
	if err != nil {
		t.Fatal(err)
	}
	l.Output([]byte("nothing kept"))
	l.End(ctx)
	if l.Recorded {
		t.Error("recorded with no disk to spare")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "sessions", "*")); len(m) != 0 {
		t.Errorf("files: %v", m)
	}
	page, err := svc.ListAudit(ctx, conclavetest.Admin(t, svc), core.AuditQuery{Target: "session:" + l.ID})
	if err != nil || len(page.Items) != 2 {
		t.Errorf("audit of the unrecorded session: %+v, %v", page.Items, err)
	}
}
