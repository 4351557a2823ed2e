package core_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
	"conclave/db"
)

// accessCore is a core with a file recorder over a temporary recordings directory and a
// movable clock.
func accessCore(t *testing.T) (*core.Service, *db.DB, string, *conclavetest.Clock) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "recordings")
	clk := &conclavetest.Clock{}
	svc, store := conclavetest.Core(t, conclavetest.Config{Recorder: conclavetest.FileRecorder(t, dir), Now: clk.Now})
	return svc, store, dir, clk
}

func errCode(err error) string {
	var e *core.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestRecordingAccessTable(t *testing.T) {
	svc, store, dir, clk := accessCore(t)
	w := conclavetest.NewAccessWorld(t, svc, store, dir, clk)
	ctx := context.Background()
	if len(conclavetest.AccessTable) != len(w.Actors) {
		t.Fatalf("table has %d rows for %d actors", len(conclavetest.AccessTable), len(w.Actors))
	}
	for _, a := range w.Actors {
		t.Run(a.Name, func(t *testing.T) {
			row, ok := conclavetest.AccessTable[a.Name]
			if !ok {
				t.Fatalf("no row for %q", a.Name)
			}
			open, cells := conclavetest.SplitCells(row)
			if open != "" {
				if got := errCode(a.OpenErr); got != open {
					t.Fatalf("opening the link: %v (code %q), want code %q", a.OpenErr, got, open)
				}
			} else if a.OpenErr != nil {
				t.Fatalf("the link did not open: %v", a.OpenErr)
			}
			if len(cells) == 0 {
				if a.P != nil {
					t.Fatal("a link that does not open gave a principal")
				}
				return
			}
			for i, act := range conclavetest.AccessActs {
				want := cells[i]
				allowed, reason := want[0] == '+', want[1:]
				decisionAct := act
				if act == "zip" {
					decisionAct = core.RecActDownload
				}
				d, err := svc.RecordingDecisionFor(ctx, a.P, a.Rec.RecordingID, decisionAct)
				if err != nil {
					t.Fatalf("%s: %v", act, err)
				}
				if d.Allowed != allowed || d.Reason != reason {
					t.Errorf("%s: allowed=%v for %q (%v), want allowed=%v for %q", act, d.Allowed, d.Reason, d.Err, allowed, reason)
				}
				if d.Allowed != (d.Err == nil) {
					t.Errorf("%s: decision allowed=%v with error %v", act, d.Allowed, d.Err)
				}
				checkActDone(t, svc, store, dir, w, a, act, allowed)
			}
		})
	}
}

// checkActDone does the act through the service call a front end makes and checks that
// it succeeds exactly when the table allows it.
func checkActDone(t *testing.T, svc *core.Service, store *db.DB, dir string, w *conclavetest.AccessWorld, a *conclavetest.AccessActor, act string, allowed bool) {
	t.Helper()
	ctx := context.Background()
	id := a.Rec.RecordingID
	var err error
	switch act {
	case core.RecActList:
		page, lerr := svc.ListRecordings(ctx, a.P, core.RecordingQuery{RoomID: a.Rec.RoomID})
		err = lerr
		if lerr == nil && len(page.Items) == 0 {
			err = errors.New("listed nothing")
		}
	case core.RecActPlay, core.RecActDownload:
		var f core.RecordingFile
		_, f, err = svc.OpenRecordingLogged(ctx, a.P, id, -1, act, true)
		if err == nil {
			b, _ := io.ReadAll(f)
			f.Close()
			if len(b) == 0 {
				t.Errorf("%s: empty file", act)
			}
		}
	case "zip":
		var plan *core.ZipPlan
		plan, err = svc.PlanRecordingsZip(ctx, a.P, []string{id})
		if err == nil && (len(plan.Items) != 1 || plan.Items[0].RecordingID != id) {
			t.Errorf("zip plan holds %v", plan.Items)
		}
		if err != nil && errCode(err) != "recordings_zip_empty" && core.KindOf(err) != core.KindUnauthenticated {
			t.Errorf("zip refused with %v", err)
		}
	case core.RecActDelete:
		return // deleting is judged by the decision only; the trash has its own tests
	case core.RecActShare:
		_, err = svc.ListShareLinks(ctx, a.P, id, core.ListOptions{})
	case core.RecActRestore:
		// A recording of the actor's room, put in the trash by an admin, restored by it.
		room := w.Room
		if a.Rec.RoomID == w.Internal.RoomID {
			room = w.Internal
		}
		trashed := conclavetest.FakeRecording(t, store, dir, room, fmt.Sprintf("rs%d", time.Now().UnixNano()), 1,
			conclavetest.FakeFile{Name: "x.webm", Content: []byte("x")})
		if derr := svc.DeleteRecording(ctx, w.Actor(t, conclavetest.ActAdmin).P, trashed.RecordingID); derr != nil {
			t.Fatal(derr)
		}
		_, err = svc.RestoreRecording(ctx, a.P, trashed.RecordingID)
		if perr := svc.PurgeRecording(ctx, w.Actor(t, conclavetest.ActAdmin).P, trashed.RecordingID); perr != nil {
			t.Fatal(perr) // gone again, so that the room's listing stays as the other cells expect
		}
	}
	if (err == nil) != allowed {
		t.Errorf("%s done: err=%v, want allowed=%v", act, err, allowed)
	}
}

// TestRecordingRightsReadWhenActing: a member demoted after the meeting loses download
// at once, with the same sign-in; an anonymous recording link downloads only once the
// room lets speakers download.
func TestRecordingRightsReadWhenActing(t *testing.T) {
	svc, store, dir, clk := accessCore(t)
	w := conclavetest.NewAccessWorld(t, svc, store, dir, clk)
	ctx := context.Background()
	mod := w.Actor(t, conclavetest.ActMemberMod)
	id := w.Rec.RecordingID
	if d, _ := svc.RecordingDecisionFor(ctx, mod.P, id, core.RecActDownload); !d.Allowed {
		t.Fatalf("moderator may not download: %v", d.Err)
	}
	speaker := core.BaseRoleSpeaker
	if _, _, err := svc.UpdateMember(ctx, w.Owner.P, w.Room.RoomID, "moduser", core.MemberPatch{BaseRole: &speaker}); err != nil {
		t.Fatal(err)
	}
	if d, _ := svc.RecordingDecisionFor(ctx, mod.P, id, core.RecActDownload); d.Allowed || d.Reason != core.RecReasonNoPermission {
		t.Fatalf("demoted member: %+v", d)
	}
	if _, _, err := svc.OpenRecordingLogged(ctx, mod.P, id, -1, core.RecActDownload, true); core.KindOf(err) != core.KindForbidden {
		t.Fatalf("demoted member downloads: %v", err)
	}

	// The recording link follows the speakers' download right; its old token is refused
	// once the roles changed, and a new one downloads.
	if _, err := svc.UpdateRoomRoles(ctx, w.Owner.P, w.Room.RoomID, core.RolesPatch{Speaker: core.PermissionSet{"recordingDownload": true}}); err != nil {
		t.Fatal(err)
	}
	rec := w.Actor(t, conclavetest.ActAnonRec)
	if _, err := svc.AuthenticateMemberToken(ctx, rec.MemberToken, conclavetest.Meta); err == nil {
		t.Fatal("a recording-link token outlived a change of the room's roles")
	}
	room, _, _ := svc.GetRoom(ctx, w.Owner.P, w.Room.RoomID)
	tok, _, err := svc.IssueMemberToken(ctx, core.Anonymous(conclavetest.Meta), room.RoomID, core.MemberTokenRequest{Secret: room.Access.Recording.Secret})
	if err != nil {
		t.Fatal(err)
	}
	p := conclavetest.Member(t, svc, tok)
	if d, _ := svc.RecordingDecisionFor(ctx, p, id, core.RecActDownload); !d.Allowed || d.Source != core.GrantAnonymousRecording {
		t.Fatalf("recording link with speakers downloading: %+v", d)
	}
	// The internal-only switch, turned on, shuts out the same link at once.
	on := true
	if _, err := svc.UpdateRoomConfig(ctx, w.Owner.P, w.Room.RoomID, core.ConfigPatch{RecordingInternalOnly: &on}); err != nil {
		t.Fatal(err)
	}
	if d, _ := svc.RecordingDecisionFor(ctx, w.Actor(t, conclavetest.ActPublicLink).P, id, core.RecActPlay); d.Allowed || d.Reason != core.RecReasonInternalOnly {
		t.Fatalf("public link in an internal-only room: %+v", d)
	}
	if d, _ := svc.RecordingDecisionFor(ctx, w.Actor(t, conclavetest.ActPrivateIn).P, id, core.RecActPlay); !d.Allowed {
		t.Fatalf("private link in an internal-only room: %+v", d)
	}
	if _, _, err := svc.CreateShareLink(ctx, w.Owner.P, id, core.NewShareLink{}); core.KindOf(err) != core.KindForbidden {
		t.Fatalf("public link made in an internal-only room: %v", err)
	}
}

// TestZipContents: a zip of several recordings holds each one's files and manifest in its
// folder, and SKIPPED.txt names the recordings left out and why.
func TestZipContents(t *testing.T) {
	svc, store, dir, clk := accessCore(t)
	w := conclavetest.NewAccessWorld(t, svc, store, dir, clk)
	ctx := context.Background()
	spk := w.Actor(t, conclavetest.ActMemberMod)
	ids := []string{w.Rec.RecordingID, w.IntRec.RecordingID, w.Room.RoomID + "--nosuch"}
	plan, err := svc.PlanRecordingsZip(ctx, spk.P, ids)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := svc.WriteZip(ctx, plan, &buf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range zr.File {
		if f.Method != zip.Store {
			t.Errorf("%s is compressed (method %d)", f.Name, f.Method)
		}
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		got[f.Name] = string(b)
	}
	rid := w.Rec.RecordingID
	if got[rid+"/main.webm"] != "main file of the board meeting" || got[rid+"/alice.webm"] != "alice's camera" {
		t.Fatalf("zip files: %v", keys(got))
	}
	if !strings.Contains(got[rid+"/manifest.json"], `"alice.webm"`) {
		t.Fatalf("manifest: %s", got[rid+"/manifest.json"])
	}
	skipped := got[core.ZipSkippedName]
	if !strings.Contains(skipped, w.IntRec.RecordingID+"\tyou may not download it") || !strings.Contains(skipped, w.Room.RoomID+"--nosuch\tnot found") {
		t.Fatalf("SKIPPED.txt:\n%s", skipped)
	}
	if _, ok := got[w.IntRec.RecordingID+"/main.webm"]; ok {
		t.Fatal("a recording the caller may not download is in the zip")
	}
	// Logged once per recording zipped.
	page, err := svc.RecordingAccessLog(ctx, w.Owner.P, rid, core.AccessLogQuery{Action: core.AccessZip})
	if err != nil || len(page.Items) != 1 || page.Items[0].Actor != spk.P.Actor() {
		t.Fatalf("zip access log: %v %+v", err, page.Items)
	}
	// Too many ids: 400 before anything is read.
	many := make([]string, 10_000)
	for i := range many {
		many[i] = rid
	}
	if _, err := svc.PlanRecordingsZip(ctx, spk.P, many); core.KindOf(err) != core.KindBadRequest {
		t.Fatalf("10,000 ids: %v", err)
	}
}

func keys(m map[string]string) []string {
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestRecordingAccessPresets: the room's recording-access preset decides what its roles
// may do with recordings; the owner keeps everything whatever it says.
func TestRecordingAccessPresets(t *testing.T) {
	svc, store, dir, clk := accessCore(t)
	w := conclavetest.NewAccessWorld(t, svc, store, dir, clk)
	ctx := context.Background()
	mod, spk := w.Actor(t, conclavetest.ActMemberMod).P, w.Actor(t, conclavetest.ActMemberSpk).P
	id := w.Rec.RecordingID
	for _, c := range []struct {
		preset             string
		modList, modDL     bool
		spkList, spkPlay   bool
		presetNameReadBack string
	}{
		{core.RecordingAccessAdminModerator, true, true, false, false, core.RecordingAccessAdminModerator},
		{core.RecordingAccessAdmin, false, false, false, false, core.RecordingAccessAdmin},
		{core.RecordingAccessAdminModeratorSpeaker, true, true, true, true, core.RecordingAccessAdminModeratorSpeaker},
	} {
		room, err := svc.UpdateRoomRoles(ctx, w.Owner.P, w.Room.RoomID, core.RolesPatch{RecordingAccess: c.preset})
		if err != nil {
			t.Fatal(err)
		}
		if got := core.RecordingAccessOf(room.Roles); got != c.presetNameReadBack {
			t.Fatalf("%s reads back as %s", c.preset, got)
		}
		check := func(who string, p *core.Principal, act string, want bool) {
			t.Helper()
			d, err := svc.RecordingDecisionFor(ctx, p, id, act)
			if err != nil {
				t.Fatal(err)
			}
			reason := core.RecReasonPermission
			if !want {
				reason = core.RecReasonNoPermission
			}
			if d.Allowed != want || d.Reason != reason {
				t.Errorf("%s: %s %s: %+v, want allowed=%v", c.preset, who, act, d, want)
			}
		}
		check("moderator", mod, core.RecActList, c.modList)
		check("moderator", mod, core.RecActDownload, c.modDL)
		check("speaker", spk, core.RecActList, c.spkList)
		check("speaker", spk, core.RecActPlay, c.spkPlay)
		check("speaker", spk, core.RecActDownload, false)
		if d, _ := svc.RecordingDecisionFor(ctx, w.Owner.P, id, core.RecActDownload); !d.Allowed || d.Reason != core.RecReasonOwner {
			t.Errorf("%s: owner %+v", c.preset, d)
		}
	}
}
