package sshd_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
	"conclave/db"
	sshd "conclave/ssh"
)

// recStack is an SSH server over a core with the recorder's real file side.
type recStack struct {
	*stack
	st     *db.DB
	recDir string
}

func startWithRecordings(t *testing.T) *recStack {
	t.Helper()
	dir := t.TempDir()
	recDir := filepath.Join(dir, "recordings")
	svc, st := conclavetest.Core(t, conclavetest.Config{DBPath: filepath.Join(dir, "conclave.db"),
		PublicURL: "https://meet.example.com", Logger: testLogger(), Recorder: conclavetest.FileRecorder(t, recDir)})
	return &recStack{stack: startOn(t, svc, dir, sshd.Options{}), st: st, recDir: recDir}
}

type recJSON struct {
	RecordingID string   `json:"recordingId"`
	RoomID      string   `json:"roomId"`
	RoomName    string   `json:"roomName"`
	Status      string   `json:"status"`
	StartDate   int64    `json:"startDate"`
	EndDate     *int64   `json:"endDate"`
	Duration    *float64 `json:"duration"`
	Size        *int64   `json:"size"`
	Streams     []struct {
		File, Identity string
	} `json:"streams"`
	Timeline *struct {
		SpeakingKnown bool `json:"speakingKnown"`
		Participants  []struct {
			Identity string       `json:"identity"`
			Name     string       `json:"name"`
			Present  [][2]float64 `json:"present"`
			Speaking [][2]float64 `json:"speaking"`
		} `json:"participants"`
	} `json:"timeline"`
	ShareLinks []struct {
		LinkID string `json:"linkId"`
		State  string `json:"state"`
		Uses   int64  `json:"uses"`
	} `json:"shareLinks"`
	Rights map[string]bool `json:"rights"`
}

func recIDs(t *testing.T, out string) []string {
	t.Helper()
	var recs []recJSON
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatalf("recordings ls --json: %v in %q", err, out)
	}
	ids := []string{}
	for _, r := range recs {
		if r.RoomID == "" || r.Status == "" || r.StartDate == 0 || r.Size == nil || r.Duration == nil {
			t.Errorf("incomplete recording %+v", r)
		}
		ids = append(ids, r.RecordingID)
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func TestRecordingsCommands(t *testing.T) {
	s := startWithRecordings(t)
	ctx := context.Background()
	mpw := addUser(t, s.svc, "manager1", core.RoleRoomManager, true)
	mine := createRoom(t, s.svc, "manager1", "Manager room")
	other := createRoom(t, s.svc, "admin", "Admin room")
	started := time.Now().Add(-time.Hour)
	m1 := conclavetest.FinishedRecording(t, s.st, s.recDir, mine, started, 400, 300)
	m2 := conclavetest.FinishedRecording(t, s.st, s.recDir, mine, started.Add(time.Minute), 10)
	a1 := conclavetest.FinishedRecording(t, s.st, s.recDir, other, started, 50)
	manifest := `{"participants":[{"identity":"p0","name":"Ana","speaking":[[1,5],[10,20]]},{"identity":"p1","name":"Ben"}]}`
	if err := os.WriteFile(filepath.Join(s.recDir, filepath.FromSlash(m1.Dir), "manifest.json"), []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	admin := mustDial(t, s.addr, "admin", "admin")
	manager := mustDial(t, s.addr, "manager1", mpw)

	// ls: core decides what each may list; --room and --status narrow it.
	out, errOut, code := run(t, admin, "recordings ls --json", "")
	if code != 0 {
		t.Fatalf("admin recordings ls: exit %d %s", code, errOut)
	}
	if got := recIDs(t, out); !slices.Equal(got, sorted(m1.RecordingID, m2.RecordingID, a1.RecordingID)) {
		t.Errorf("admin lists %v", got)
	}
	out, _, _ = run(t, manager, "recordings ls --json", "")
	if got := recIDs(t, out); !slices.Equal(got, sorted(m1.RecordingID, m2.RecordingID)) {
		t.Errorf("the room manager lists %v, want its room's only", got)
	}
	out, _, _ = run(t, admin, "recordings ls --room="+other.RoomID+" --json", "")
	if got := recIDs(t, out); !slices.Equal(got, []string{a1.RecordingID}) {
		t.Errorf("--room lists %v", got)
	}
	out, _, code = run(t, admin, "recordings ls --status failed --json", "")
	if got := recIDs(t, out); code != 0 || len(got) != 0 {
		t.Errorf("--status failed: exit %d, %v", code, got)
	}
	out, _, code = run(t, manager, "recordings ls", "")
	if code != 0 || !strings.Contains(out, "RECORDING ID") || !strings.Contains(out, m1.RecordingID) || strings.Contains(out, a1.RecordingID) {
		t.Errorf("recordings ls (text): exit %d %q", code, out)
	}
	if _, errOut, code := run(t, admin, "recordings ls --status nonsense", ""); code != 1 || !strings.Contains(errOut, "status") {
		t.Errorf("a bad status: exit %d %q", code, errOut)
	}
	for _, bad := range []string{"recordings ls --bogus", "recordings ls --room", "recordings show", "recordings rm", "recordings ls extra", "recordings rm x --json"} {
		if _, errOut, code := run(t, admin, bad, ""); code != 2 || errOut == "" {
			t.Errorf("%s: exit %d %q, want a usage error", bad, code, errOut)
		}
	}

	// The listing is in the access log with the SSH client as device.
	logs, err := s.svc.ListAccessLog(ctx, principal(t, s.svc, "admin"), core.AccessLogQuery{Actor: "user:manager1", Action: core.AccessList})
	if err != nil || len(logs.Items) == 0 {
		t.Fatalf("no list entry for the manager: %+v %v", logs.Items, err)
	}
	if e := logs.Items[0]; !strings.HasPrefix(e.Device, "ssh SSH-2.0-") || e.Source != "127.0.0.1" {
		t.Errorf("the listing is logged with device %q from %q, want the SSH client", e.Device, e.Source)
	}

	// show: the streams, who was present and spoke, share links, what the caller may do.
	if _, _, err := s.svc.CreateShareLink(ctx, principal(t, s.svc, "manager1"), m1.RecordingID, core.NewShareLink{}); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = run(t, manager, "recordings show "+m1.RecordingID+" --json", "")
	if code != 0 {
		t.Fatalf("show: exit %d %s", code, errOut)
	}
	var shown recJSON
	if err := json.Unmarshal([]byte(out), &shown); err != nil {
		t.Fatalf("show --json: %v in %q", err, out)
	}
	if shown.RecordingID != m1.RecordingID || len(shown.Streams) != 2 || shown.Timeline == nil || !shown.Timeline.SpeakingKnown ||
		len(shown.Timeline.Participants) != 2 || len(shown.ShareLinks) != 1 || shown.ShareLinks[0].State != "active" ||
		!shown.Rights["delete"] || !shown.Rights["share"] {
		t.Fatalf("show --json = %s", out)
	}
	ana := shown.Timeline.Participants[0]
	if ana.Name != "Ana" || !slices.Equal(ana.Speaking, [][2]float64{{1, 5}, {10, 20}}) || !slices.Equal(ana.Present, [][2]float64{{0, 60}}) {
		t.Errorf("Ana's timeline = %+v", ana)
	}
	if ben := shown.Timeline.Participants[1]; ben.Name != "Ben" || len(ben.Speaking) != 0 {
		t.Errorf("Ben's timeline = %+v", ben)
	}
	out, _, code = run(t, manager, "recordings show "+m1.RecordingID, "")
	if code != 0 || !strings.Contains(out, "Ana (p0): present 01:00, spoke 00:14 in 2 turns") || !strings.Contains(out, "Share link") {
		t.Errorf("show (text): exit %d %q", code, out)
	}
	if _, errOut, code := run(t, manager, "recordings show "+a1.RecordingID, ""); code != 1 || errOut == "" {
		t.Errorf("the manager shows another's recording: exit %d %q", code, errOut)
	}

	// rm: to the trash for those with recordingDelete, purge with --force for admins.
	if _, errOut, code := run(t, manager, "recordings rm "+a1.RecordingID, ""); code != 1 || errOut == "" {
		t.Errorf("the manager deletes another's recording: exit %d %q", code, errOut)
	}
	out, errOut, code = run(t, manager, "recordings rm "+m1.RecordingID, "")
	if code != 0 || !strings.Contains(out, "moved to the trash") {
		t.Fatalf("rm: exit %d %q %q", code, out, errOut)
	}
	trash, err := s.svc.ListTrash(ctx, principal(t, s.svc, "manager1"), core.RecordingQuery{})
	if err != nil || len(trash.Items) != 1 || trash.Items[0].RecordingID != m1.RecordingID {
		t.Fatalf("trash = %+v %v", trash.Items, err)
	}
	logs, err = s.svc.ListAccessLog(ctx, principal(t, s.svc, "admin"), core.AccessLogQuery{RecordingID: m1.RecordingID, Action: core.AccessDelete})
	if err != nil || len(logs.Items) != 1 || !strings.HasPrefix(logs.Items[0].Device, "ssh SSH-2.0-") {
		t.Errorf("the delete is logged as %+v (%v)", logs.Items, err)
	}
	if _, errOut, code := run(t, manager, "recordings rm "+m2.RecordingID+" --force", ""); code != 1 || !strings.Contains(errOut, "Only admins") {
		t.Errorf("the manager purges: exit %d %q", code, errOut)
	}
	out, errOut, code = run(t, admin, "recordings rm --force "+m2.RecordingID, "")
	if code != 0 || !strings.Contains(out, "purged") {
		t.Fatalf("admin rm --force: exit %d %q %q", code, out, errOut)
	}
	if _, err := s.svc.GetRecording(ctx, principal(t, s.svc, "admin"), m2.RecordingID); core.KindOf(err) != core.KindNotFound {
		t.Errorf("the purged recording is still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.recDir, filepath.FromSlash(m2.Dir))); !os.IsNotExist(err) {
		t.Errorf("the purged recording's files are still on disk: %v", err)
	}
	out, _, _ = run(t, manager, "recordings ls --json", "")
	if got := recIDs(t, out); len(got) != 0 {
		t.Errorf("after rm the manager still lists %v", got)
	}
}
