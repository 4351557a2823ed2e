package tui_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"conclave/cast"
	"conclave/conclavetest"
	"conclave/core"
	"conclave/tui"
)

// recordedEnv is a real core whose control-room sessions are recorded under dir.
func recordedEnv(t *testing.T) (*env, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sessions")
	files, err := cast.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	svc, st := conclavetest.Core(t, conclavetest.Config{PublicURL: "http://meet.test", SessionFiles: files})
	return &env{t: t, svc: svc, st: st}, dir
}

// recordSession runs userID's control room as a real program at 80×24, recorded as SSH
// sessions are, creates a room named roomName through its form, and quits.
func recordSession(t *testing.T, e *env, userID, roomName string) core.TermSession {
	t.Helper()
	ctx := context.Background()
	meta := core.RequestMeta{Source: "192.0.2.7", Device: "SSH-2.0-OpenSSH_9.2", Via: "ssh"}
	rec, err := e.svc.StartTermSession(ctx, core.TermSessionStart{UserID: userID, Meta: meta, Width: 80, Height: 24, Term: "xterm-256color",
		MapNewlines: true}) // as the SSH server's emulated terminal
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Recorded {
		t.Fatal("session not recorded")
	}
	in, typeIn := io.Pipe()
	m := tui.New(e.svc, tui.Identity{UserID: userID, Meta: meta}, tui.Options{HTTPAddr: ":8080", SSHAddr: ":2222", BaseURL: "http://meet.test/meet", NoColor: true})
	p := tea.NewProgram(m, tea.WithInput(in), tea.WithOutput(rec.Writer(io.Discard)), tea.WithWindowSize(80, 24),
		tea.WithoutSignalHandler(), tea.WithEnvironment([]string{"TERM=xterm-256color"}))
	done := make(chan error, 1)
	go func() { _, err := p.Run(); done <- err }()
	keys := func(s string) {
		if _, err := typeIn.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	keys("n")
	keys(roomName)
	keys("\x13")
	deadline := time.Now().Add(5 * time.Second)
	for len(e.rooms()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the room was not created")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // the frame that shows it
	keys("q")
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the control room did not quit")
	}
	typeIn.Close()
	rec.End(ctx)
	list, err := e.svc.ListTermSessions(ctx, e.admin())
	if err != nil || len(list.Sessions) == 0 {
		t.Fatalf("sessions %+v, %v", list, err)
	}
	return list.Sessions[0]
}

// TestFlowReplaySession: an admin opens the Sessions tab, sees another user's session of
// earlier (who, from where, with which client, its size), replays it at 8× to the end and
// sees what that session showed; then the file is cut short on disk, is listed as
// truncated and replays up to the cut.
func TestFlowReplaySession(t *testing.T) {
	e, dir := recordedEnv(t)
	e.user("carol", string(core.RoleRoomManager), false)
	ts := recordSession(t, e, "carol", "Quarterly planning")
	if ts.UserID != "carol" || !ts.Recorded || ts.EndDate == 0 || ts.Size <= 0 {
		t.Fatalf("session %+v", ts)
	}

	tm := e.openWith("admin", 120, 36, nil)
	waitFor(t, tm, "Sessions")
	press(tm, ":", "sessions", "enter") // by name: the tab's number depends on the tabs before it
	waitFor(t, tm, "Control-room sessions", "carol", "192.0.2.7", "SSH-2.0-OpenSSH_9.2", "recorded", "of recordings on disk")
	press(tm, "enter")
	waitFor(t, tm, "Replay carol@192.0.2.7", "80×24")
	press(tm, "+", "+", "+")
	frame := waitFor(t, tm, "×8", "■ end", "Quarterly planning")
	if !strings.Contains(frame, "Rooms  1/1") {
		t.Errorf("the replayed screen lacks carol's Rooms page with her room:\n%s", frame)
	}
	// Back to the start: the screen is the recorded one at its beginning.
	press(tm, "g")
	waitFor(t, tm, "00:00 /")
	press(tm, "esc")
	waitFor(t, tm, "Control-room sessions")

	// The replay is audited.
	page, err := e.svc.ListAudit(context.Background(), e.admin(), core.AuditQuery{Target: "session:" + ts.ID, Action: "session.replay"})
	if err != nil || len(page.Items) != 1 || page.Items[0].Actor != "user:admin" {
		t.Fatalf("replay audit: %+v, %v", page.Items, err)
	}

	// Cut the file in the middle of an event: listed as truncated, replays up to there.
	f := filepath.Join(dir, ts.ID+".cast")
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, b[:len(b)*2/3], 0o600); err != nil {
		t.Fatal(err)
	}
	press(tm, "r")
	waitFor(t, tm, "truncated")
	press(tm, "enter")
	press(tm, "+", "+", "+")
	waitFor(t, tm, "Damaged recording: truncated at line", "■ end")
}

// TestFlowSettingsSessionRecordingPerRole: an admin turns off the recording of room
// members' sessions from the Settings tab; core has the change, it is audited, and a room
// member's next session is listed as not recorded, with no file.
func TestFlowSettingsSessionRecordingPerRole(t *testing.T) {
	e, dir := recordedEnv(t)
	e.user("dora_m", string(core.RoleRoomMember), false)
	tm := e.openWith("admin", 120, 36, nil)
	waitFor(t, tm, "Settings")
	press(tm, ":", "settings", "enter")
	waitFor(t, tm, "Record admin sessions", "Record room member sessions")
	press(tm, "j", "j", "j", "enter") // Recording, admin, room manager, room member
	waitFor(t, tm, "Stop recording room member sessions")
	press(tm, "y")
	waitFor(t, tm, "Sessions of room members: recording off")
	ctx := context.Background()
	pol, err := e.svc.SessionRecordingPolicy(ctx, e.admin())
	if err != nil || pol.Roles[core.RoleRoomMember] || !pol.Roles[core.RoleAdmin] || !pol.Roles[core.RoleRoomManager] {
		t.Fatalf("policy %+v, %v", pol, err)
	}
	page, err := e.svc.ListAudit(ctx, e.admin(), core.AuditQuery{Action: "settings.record_sessions"})
	if err != nil || len(page.Items) != 1 || !strings.Contains(page.Items[0].Detail, `"record":"off"`) {
		t.Fatalf("audit %+v, %v", page.Items, err)
	}
	l, err := e.svc.StartTermSession(ctx, core.TermSessionStart{UserID: "dora_m", Meta: core.RequestMeta{Via: "ssh", Source: "192.0.2.9"}, Width: 80, Height: 24})
	if err != nil {
		t.Fatal(err)
	}
	l.End(ctx)
	if files, _ := filepath.Glob(filepath.Join(dir, "*.cast")); l.Recorded || len(files) != 0 {
		t.Fatalf("room member recorded: %v %v", l.Recorded, files)
	}
	press(tm, ":", "sessions", "enter")
	waitFor(t, tm, "dora_m", "not recorded")
}
