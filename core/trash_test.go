package core_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
	"conclave/db"
)

// trashStack is core over a real database with the recorder's real file side, on a clock
// the test moves.
type trashStack struct {
	t   *testing.T
	svc *core.Service
	db  *db.DB
	dir string
	clk *conclavetest.Clock
	adm *core.Principal
}

func newTrashStack(t *testing.T, trash time.Duration) *trashStack {
	t.Helper()
	ts := &trashStack{t: t, dir: filepath.Join(t.TempDir(), "recordings"), clk: &conclavetest.Clock{}}
	ts.svc, ts.db = conclavetest.Core(t, conclavetest.Config{Now: ts.clk.Now, RecordingTrash: trash,
		Recorder: conclavetest.FileRecorder(t, ts.dir)})
	ts.adm = conclavetest.Admin(t, ts.svc)
	return ts
}

// room creates a room owned by p.
func (ts *trashStack) room(p *core.Principal, name string) *core.Room {
	ts.t.Helper()
	r, err := ts.svc.CreateRoom(context.Background(), p, core.RoomOptions{RoomName: &name})
	if err != nil {
		ts.t.Fatal(err)
	}
	return r
}

func (ts *trashStack) rec(room *core.Room, sizes ...int) *core.Recording {
	ts.t.Helper()
	return conclavetest.FinishedRecording(ts.t, ts.db, ts.dir, room, ts.clk.Now(), sizes...)
}

// media reads a recording's main file as a viewer would.
func (ts *trashStack) media(p *core.Principal, id string) ([]byte, error) {
	_, f, err := ts.svc.OpenRecording(context.Background(), p, id, -1, "recordingPlay")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func (ts *trashStack) listed(p *core.Principal, trash bool) map[string]core.Recording {
	ts.t.Helper()
	q := core.RecordingQuery{ListOptions: core.ListOptions{MaxItems: 100}}
	list := ts.svc.ListRecordings
	if trash {
		list = ts.svc.ListTrash
	}
	page, err := list(context.Background(), p, q)
	if err != nil {
		ts.t.Fatal(err)
	}
	out := map[string]core.Recording{}
	for _, r := range page.Items {
		out[r.RecordingID] = r
	}
	return out
}

// audit returns the audit entries of action on recording id.
func (ts *trashStack) audit(action, id string) []core.AuditEntry {
	ts.t.Helper()
	page, err := ts.svc.ListAudit(context.Background(), ts.adm, core.AuditQuery{Action: action, Target: "recording:" + id,
		ListOptions: core.ListOptions{MaxItems: 100}})
	if err != nil {
		ts.t.Fatal(err)
	}
	return page.Items
}

func (ts *trashStack) filesOf(rec *core.Recording) bool {
	_, err := os.Stat(filepath.Join(ts.dir, filepath.FromSlash(rec.Dir), rec.Filename))
	return err == nil
}

func wantKind(t *testing.T, err error, k core.Kind, what string) {
	t.Helper()
	if err == nil || core.KindOf(err) != k {
		t.Fatalf("%s: got %v, want kind %v", what, err, k)
	}
}

func TestTrashAndRestore(t *testing.T) {
	ts := newTrashStack(t, 0)
	ctx := context.Background()
	sub := ts.svc.Bus().Subscribe(64)
	defer sub.Close()
	room := ts.room(ts.adm, "Board")
	rec := ts.rec(room, 3000, 500)
	before, err := ts.media(ts.adm, rec.RecordingID)
	if err != nil || len(before) != 3000 {
		t.Fatalf("media before delete: %d bytes, %v", len(before), err)
	}

	if err := ts.svc.DeleteRecording(ctx, ts.adm, rec.RecordingID); err != nil {
		t.Fatal(err)
	}
	// Gone for every ordinary look-up, as if deleted; the files stay on disk.
	_, err = ts.svc.GetRecording(ctx, ts.adm, rec.RecordingID)
	wantKind(t, err, core.KindNotFound, "get of a trashed recording")
	_, err = ts.media(ts.adm, rec.RecordingID)
	wantKind(t, err, core.KindNotFound, "media of a trashed recording")
	if _, ok := ts.listed(ts.adm, false)[rec.RecordingID]; ok {
		t.Fatal("trashed recording still listed")
	}
	wantKind(t, ts.svc.DeleteRecording(ctx, ts.adm, rec.RecordingID), core.KindNotFound, "second delete")
	if !ts.filesOf(rec) {
		t.Fatal("files removed at delete: they stay until the purge")
	}
	inTrash, ok := ts.listed(ts.adm, true)[rec.RecordingID]
	if !ok {
		t.Fatal("not in the trash listing")
	}
	if want := inTrash.TrashedAt + (7 * 24 * time.Hour).Milliseconds(); inTrash.PurgeAt != want || inTrash.TrashedBy != "user:admin" {
		t.Fatalf("trash: purge at %d (want %d, 7 days on), by %q", inTrash.PurgeAt, want, inTrash.TrashedBy)
	}
	if n := len(ts.audit("recording.delete", rec.RecordingID)); n != 1 {
		t.Fatalf("%d recording.delete audit entries", n)
	}

	// Undo: listed and served again, with the same bytes.
	back, err := ts.svc.RestoreRecording(ctx, ts.adm, rec.RecordingID)
	if err != nil {
		t.Fatal(err)
	}
	if back.TrashedAt != 0 || back.PurgeAt != 0 {
		t.Fatalf("restored recording still marked: %+v", back)
	}
	got, err := ts.svc.GetRecording(ctx, ts.adm, rec.RecordingID)
	if err != nil || got.Size != 3500 || len(got.Streams) != 2 {
		t.Fatalf("restored recording: %+v, %v", got, err)
	}
	after, err := ts.media(ts.adm, rec.RecordingID)
	if err != nil || string(after) != string(before) {
		t.Fatalf("media after restore: %d bytes (was %d), %v", len(after), len(before), err)
	}
	if _, ok := ts.listed(ts.adm, false)[rec.RecordingID]; !ok {
		t.Fatal("restored recording not listed")
	}
	if len(ts.listed(ts.adm, true)) != 0 {
		t.Fatal("restored recording still in the trash listing")
	}
	if n := len(ts.audit("recording.restore", rec.RecordingID)); n != 1 {
		t.Fatalf("%d recording.restore audit entries", n)
	}
	// Restoring what is not in the trash: 409, nothing changed.
	_, err = ts.svc.RestoreRecording(ctx, ts.adm, rec.RecordingID)
	if !errors.Is(err, core.ErrRecordingNotTrashed) {
		t.Fatalf("restore of a recording not in the trash: %v", err)
	}
	// Each change was published: delete and restore.
	seen := 0
	for len(sub.C) > 0 {
		if e := <-sub.C; e.Type == core.EventRecordingChanged && e.RecordingID == rec.RecordingID {
			seen++
		}
	}
	if seen != 2 {
		t.Fatalf("%d recordingChanged events, want 2 (delete, restore)", seen)
	}
	// The recording's access log has the delete and the restore, by the admin.
	log, err := ts.svc.ListAccessLog(ctx, ts.adm, core.AccessLogQuery{RecordingID: rec.RecordingID,
		ListOptions: core.ListOptions{MaxItems: 100}})
	if err != nil {
		t.Fatal(err)
	}
	acts := map[string]string{}
	for _, e := range log.Items {
		acts[e.Action] = e.Actor
	}
	if acts[core.AccessDelete] != "user:admin" || acts[core.AccessRestore] != "user:admin" {
		t.Fatalf("access log of the recording: %+v", log.Items)
	}
}

func TestTrashPurgedWhenItsTimeRunsOut(t *testing.T) {
	ts := newTrashStack(t, time.Hour)
	ctx := context.Background()
	room := ts.room(ts.adm, "Weekly")
	rec := ts.rec(room, 2000)
	kept := ts.rec(room, 1000)
	if err := ts.svc.DeleteRecording(ctx, ts.adm, rec.RecordingID); err != nil {
		t.Fatal(err)
	}
	ts.clk.Advance(59 * time.Minute)
	if res, err := ts.svc.Sweep(ctx); err != nil || res.RecordingsPurged != 0 {
		t.Fatalf("sweep before the trash time: %+v, %v", res, err)
	}
	if !ts.filesOf(rec) || len(ts.listed(ts.adm, true)) != 1 {
		t.Fatal("purged before its trash time")
	}
	ts.clk.Advance(2 * time.Minute)
	res, err := ts.svc.Sweep(ctx)
	if err != nil || res.RecordingsPurged != 1 {
		t.Fatalf("sweep after the trash time: %+v, %v", res, err)
	}
	if ts.filesOf(rec) {
		t.Fatal("files of a purged recording still on disk")
	}
	if _, err := os.Stat(filepath.Join(ts.dir, filepath.FromSlash(rec.Dir))); !os.IsNotExist(err) {
		t.Fatalf("directory of a purged recording: %v", err)
	}
	if len(ts.listed(ts.adm, true)) != 0 {
		t.Fatal("purged recording still in the trash")
	}
	_, err = ts.svc.RestoreRecording(ctx, ts.adm, rec.RecordingID)
	wantKind(t, err, core.KindNotFound, "restore after purge")
	purge := ts.audit("recording.purge", rec.RecordingID)
	if len(purge) != 1 || purge[0].Actor != "system" || !strings.Contains(purge[0].Detail, `"reason":"trash"`) ||
		!strings.Contains(purge[0].Detail, `"size":2000`) {
		t.Fatalf("purge audit: %+v", purge)
	}
	// The other recording is untouched.
	if _, err := ts.svc.GetRecording(ctx, ts.adm, kept.RecordingID); err != nil || !ts.filesOf(kept) {
		t.Fatalf("a recording not deleted was touched: %v", err)
	}
	// A recording restored before its purge time is not purged later.
	if err := ts.svc.DeleteRecording(ctx, ts.adm, kept.RecordingID); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.svc.RestoreRecording(ctx, ts.adm, kept.RecordingID); err != nil {
		t.Fatal(err)
	}
	ts.clk.Advance(2 * time.Hour)
	if res, err := ts.svc.Sweep(ctx); err != nil || res.RecordingsPurged != 0 || !ts.filesOf(kept) {
		t.Fatalf("restored recording purged: %+v, %v", res, err)
	}
}

func TestForcePurgeIsForAdmins(t *testing.T) {
	ts := newTrashStack(t, 0)
	ctx := context.Background()
	owner := conclavetest.User(t, ts.svc, "olga_owner", string(core.RoleRoomManager))
	room := ts.room(owner, "Olga's")
	rec := ts.rec(room, 1200)
	other := ts.rec(room, 800)

	// The owner may delete into the trash but not purge at once: 403, nothing changed.
	err := ts.svc.PurgeRecording(ctx, owner, rec.RecordingID)
	wantKind(t, err, core.KindForbidden, "owner's force purge")
	if _, err := ts.svc.GetRecording(ctx, owner, rec.RecordingID); err != nil || !ts.filesOf(rec) {
		t.Fatalf("refused purge changed the recording: %v", err)
	}
	_, err = ts.svc.BulkPurgeRecordings(ctx, owner, []string{rec.RecordingID, other.RecordingID})
	wantKind(t, err, core.KindForbidden, "owner's bulk force purge")
	if len(ts.listed(owner, false)) != 2 {
		t.Fatal("refused bulk purge changed something")
	}

	// An admin purges at once, whether in the trash or not; then it is gone for good.
	if err := ts.svc.PurgeRecording(ctx, ts.adm, rec.RecordingID); err != nil {
		t.Fatal(err)
	}
	if ts.filesOf(rec) || len(ts.listed(ts.adm, true)) != 0 {
		t.Fatal("force purge left files or a trash entry")
	}
	wantKind(t, ts.svc.PurgeRecording(ctx, ts.adm, rec.RecordingID), core.KindNotFound, "second purge")
	if err := ts.svc.DeleteRecording(ctx, owner, other.RecordingID); err != nil {
		t.Fatal(err)
	}
	res, err := ts.svc.BulkPurgeRecordings(ctx, ts.adm, []string{other.RecordingID, room.RoomID + "--nope"})
	if err != nil || len(res.Deleted) != 1 || len(res.Failed) != 1 || res.Failed[0].ID != room.RoomID+"--nope" {
		t.Fatalf("bulk purge: %+v, %v", res, err)
	}
	if ts.filesOf(other) {
		t.Fatal("bulk purge left files")
	}
	for _, id := range []string{rec.RecordingID, other.RecordingID} {
		if p := ts.audit("recording.purge", id); len(p) != 1 || !strings.Contains(p[0].Detail, `"reason":"force"`) {
			t.Fatalf("force purge audit of %s: %+v", id, p)
		}
	}
	// Bulk input has a limit.
	many := make([]string, 1001)
	for i := range many {
		many[i] = room.RoomID + "--x"
	}
	_, err = ts.svc.BulkDeleteRecordings(ctx, ts.adm, many)
	wantKind(t, err, core.KindValidation, "1001 ids")
}

func TestRestoreRights(t *testing.T) {
	ts := newTrashStack(t, 0)
	ctx := context.Background()
	owner := conclavetest.User(t, ts.svc, "otto_owner", string(core.RoleRoomManager))
	stranger := conclavetest.User(t, ts.svc, "sara_owner", string(core.RoleRoomManager))
	room := ts.room(owner, "Otto's")
	rec := ts.rec(room, 700)
	strangerRoom := ts.room(stranger, "Sara's")
	strangerRec := ts.rec(strangerRoom, 900)
	mod := conclavetest.Member(t, ts.svc, conclavetest.JoinToken(t, ts.svc, room.RoomID, room.Access.Moderator.Secret, "Mo"))

	// A moderator (recordingDelete) deletes; it may neither see the trash nor restore.
	if err := ts.svc.DeleteRecording(ctx, mod, rec.RecordingID); err != nil {
		t.Fatal(err)
	}
	if len(ts.listed(mod, true)) != 0 {
		t.Fatal("a moderator sees the trash")
	}
	_, err := ts.svc.RestoreRecording(ctx, mod, rec.RecordingID)
	wantKind(t, err, core.KindForbidden, "moderator's restore")
	// Another room's owner: not its trash, not its restore.
	if len(ts.listed(stranger, true)) != 0 {
		t.Fatal("another owner sees the trash of a room not theirs")
	}
	_, err = ts.svc.RestoreRecording(ctx, stranger, rec.RecordingID)
	wantKind(t, err, core.KindForbidden, "another owner's restore")
	if len(ts.listed(owner, true)) != 1 {
		t.Fatal("refused restores changed the trash")
	}
	// Unknown and malformed ids: 404.
	for _, bad := range []string{room.RoomID + "--nope", "", "../../conclave.db", strings.Repeat("x", 5000)} {
		_, err = ts.svc.RestoreRecording(ctx, owner, bad)
		wantKind(t, err, core.KindNotFound, "restore of "+bad[:min(len(bad), 20)])
	}
	// Not in the trash: 409 for the owner of that room, 403 for others.
	if err := ts.svc.DeleteRecording(ctx, stranger, strangerRec.RecordingID); err != nil {
		t.Fatal(err)
	}
	_, err = ts.svc.RestoreRecording(ctx, owner, strangerRec.RecordingID)
	wantKind(t, err, core.KindForbidden, "restore of another room's recording")
	// The owner restores; the trash of each owner holds only its rooms'.
	if _, err := ts.svc.RestoreRecording(ctx, owner, rec.RecordingID); err != nil {
		t.Fatal(err)
	}
	if tr := ts.listed(stranger, true); len(tr) != 1 || tr[strangerRec.RecordingID].RecordingID == "" {
		t.Fatalf("stranger's trash: %v", tr)
	}
	if len(ts.listed(ts.adm, true)) != 1 {
		t.Fatal("admin's trash should hold every room's")
	}
	_, err = ts.svc.RestoreRecording(ctx, owner, rec.RecordingID)
	if !errors.Is(err, core.ErrRecordingNotTrashed) {
		t.Fatalf("restore twice: %v", err)
	}
}

func TestRetentionPurge(t *testing.T) {
	ts := newTrashStack(t, 30*24*time.Hour)
	ctx := context.Background()
	short := ts.room(ts.adm, "Short")
	days := 2
	if _, err := ts.svc.UpdateRoomConfig(ctx, ts.adm, short.RoomID, core.ConfigPatch{RecordingRetentionDays: &days}); err != nil {
		t.Fatal(err)
	}
	forever := ts.room(ts.adm, "Forever")
	old := ts.rec(short, 1000)
	oldTrashed := ts.rec(short, 400)
	keep := ts.rec(forever, 600)
	if err := ts.svc.DeleteRecording(ctx, ts.adm, oldTrashed.RecordingID); err != nil {
		t.Fatal(err)
	}
	ts.clk.Advance(24 * time.Hour)
	young := ts.rec(short, 300)
	ts.clk.Advance(24*time.Hour + time.Minute) // old ones now 2 days and a minute old
	res, err := ts.svc.Sweep(ctx)
	if err != nil || res.RecordingsPurged != 2 {
		t.Fatalf("retention sweep: %+v, %v", res, err)
	}
	for _, r := range []*core.Recording{old, oldTrashed} {
		if ts.filesOf(r) {
			t.Fatalf("%s past retention still on disk", r.RecordingID)
		}
		if a := ts.audit("recording.purge", r.RecordingID); len(a) != 1 || !strings.Contains(a[0].Detail, `"reason":"retention"`) {
			t.Fatalf("retention purge audit of %s: %+v", r.RecordingID, a)
		}
	}
	list := ts.listed(ts.adm, false)
	if _, ok := list[young.RecordingID]; !ok || !ts.filesOf(young) {
		t.Fatal("a recording younger than the retention was purged")
	}
	if _, ok := list[keep.RecordingID]; !ok || !ts.filesOf(keep) {
		t.Fatal("a recording of a room keeping them for ever was purged")
	}
	if len(list) != 2 || len(ts.listed(ts.adm, true)) != 0 {
		t.Fatalf("after retention: %d listed, trash %v", len(list), ts.listed(ts.adm, true))
	}
}

func TestRoomDeletionAndTheTrash(t *testing.T) {
	ts := newTrashStack(t, 0)
	ctx := context.Background()
	// A room whose only recording is in the trash is deleted with the default policy
	// (fail), and the trashed recording is purged with it.
	a := ts.room(ts.adm, "Only trash")
	ra := ts.rec(a, 100)
	if err := ts.svc.DeleteRecording(ctx, ts.adm, ra.RecordingID); err != nil {
		t.Fatal(err)
	}
	res, err := ts.svc.DeleteRoom(ctx, ts.adm, a.RoomID, "", "")
	if err != nil || res.Code != core.DeletedRoom {
		t.Fatalf("delete of a room with only trash: %+v, %v", res, err)
	}
	if ts.filesOf(ra) || len(ts.listed(ts.adm, true)) != 0 {
		t.Fatal("trash of a deleted room kept")
	}
	if p := ts.audit("recording.purge", ra.RecordingID); len(p) != 1 || !strings.Contains(p[0].Detail, `"reason":"roomDeleted"`) {
		t.Fatalf("purge audit: %+v", p)
	}
	// withRecordings=force purges both kinds.
	b := ts.room(ts.adm, "Both")
	rb1, rb2 := ts.rec(b, 100), ts.rec(b, 200)
	if err := ts.svc.DeleteRecording(ctx, ts.adm, rb1.RecordingID); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.svc.DeleteRoom(ctx, ts.adm, b.RoomID, "", "fail"); core.KindOf(err) != core.KindConflict {
		t.Fatalf("fail policy with a recording left: %v", err)
	}
	if res, err := ts.svc.DeleteRoom(ctx, ts.adm, b.RoomID, "", "force"); err != nil || res.Code != core.DeletedRoomAndRecordings {
		t.Fatalf("force: %+v, %v", res, err)
	}
	if ts.filesOf(rb1) || ts.filesOf(rb2) {
		t.Fatal("recordings of a room deleted with force kept")
	}
	// A room closed for its recordings keeps its trash until the purge time, and the
	// janitor does not delete it while the trash may still be restored.
	c := ts.room(ts.adm, "Closed")
	rc := ts.rec(c, 300)
	if res, err := ts.svc.DeleteRoom(ctx, ts.adm, c.RoomID, "", "close"); err != nil || res.Code != core.ClosedRoom {
		t.Fatalf("close: %+v, %v", res, err)
	}
	if err := ts.svc.DeleteRecording(ctx, ts.adm, rc.RecordingID); err != nil {
		t.Fatal(err)
	}
	if !ts.filesOf(rc) {
		t.Fatal("trash of a closed room purged early")
	}
	if _, err := ts.svc.RestoreRecording(ctx, ts.adm, rc.RecordingID); err != nil {
		t.Fatalf("restore in a closed room: %v", err)
	}
}

func TestRecordingStorage(t *testing.T) {
	ts := newTrashStack(t, 0)
	ctx := context.Background()
	owner := conclavetest.User(t, ts.svc, "uma_owner", string(core.RoleRoomManager))
	mine := ts.room(owner, "Uma's")
	theirs := ts.room(ts.adm, "Admin's")
	r1 := ts.rec(mine, 1000, 24)
	r2 := ts.rec(mine, 500)
	r3 := ts.rec(theirs, 2048)
	failed := ts.rec(theirs, 10)
	failed.Status = core.RecFailed
	if err := ts.db.UpdateRecording(ctx, failed); err != nil {
		t.Fatal(err)
	}
	if err := ts.svc.DeleteRecording(ctx, owner, r2.RecordingID); err != nil {
		t.Fatal(err)
	}

	// The figures match the files on disk, room by room.
	onDisk := map[string]int64{}
	err := filepath.Walk(ts.dir, func(path string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(path, ".webm") {
			rel, _ := filepath.Rel(ts.dir, path)
			onDisk[strings.Split(rel, string(filepath.Separator))[0]] += fi.Size()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := ts.svc.RecordingStorage(ctx, ts.adm)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total.Bytes != onDisk[mine.RoomID]+onDisk[theirs.RoomID] || st.Total.Bytes != 1024+500+2048+10 {
		t.Fatalf("total %d bytes; on disk %v", st.Total.Bytes, onDisk)
	}
	if st.Total.TrashBytes != 500 || st.Total.Trash != 1 || st.Total.Recordings[core.RecComplete] != 2 || st.Total.Recordings[core.RecFailed] != 1 {
		t.Fatalf("total figures %+v", st.Total)
	}
	if len(st.Rooms) != 2 {
		t.Fatalf("rooms %+v", st.Rooms)
	}
	for _, rs := range st.Rooms {
		if rs.Bytes != onDisk[rs.RoomID] {
			t.Fatalf("room %s: %d bytes, %d on disk", rs.RoomID, rs.Bytes, onDisk[rs.RoomID])
		}
	}
	if !st.FreeKnown || st.FreeBytes == 0 {
		t.Fatalf("free space %d (known %v)", st.FreeBytes, st.FreeKnown)
	}
	// The owner sees its room only; a member token none.
	own, err := ts.svc.RecordingStorage(ctx, owner)
	if err != nil || len(own.Rooms) != 1 || own.Rooms[0].RoomID != mine.RoomID || own.Total.Bytes != 1524 || own.Rooms[0].RoomName != "Uma's" {
		t.Fatalf("owner's storage %+v, %v", own, err)
	}
	mem := conclavetest.Member(t, ts.svc, conclavetest.JoinToken(t, ts.svc, mine.RoomID, mine.Access.Moderator.Secret, "M"))
	_, err = ts.svc.RecordingStorage(ctx, mem)
	wantKind(t, err, core.KindForbidden, "member's storage")
	// A purge frees its bytes.
	if err := ts.svc.PurgeRecording(ctx, ts.adm, r1.RecordingID); err != nil {
		t.Fatal(err)
	}
	st, err = ts.svc.RecordingStorage(ctx, ts.adm)
	if err != nil || st.Total.Bytes != 500+2048+10 {
		t.Fatalf("after purge %+v, %v", st.Total, err)
	}
	_ = r3
}

func TestRecordingTrashBounds(t *testing.T) {
	for _, d := range []time.Duration{-time.Hour, time.Second, 3651 * 24 * time.Hour} {
		store, err := db.Open(filepath.Join(t.TempDir(), "c.db"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = core.New(store, core.Config{BcryptCost: 4, RecordingTrash: d})
		store.Close()
		if err == nil || !strings.Contains(err.Error(), "trash") {
			t.Errorf("trash time %v: %v", d, err)
		}
	}
}

// TestTrashedFilesAreNotStrays: at start-up, the files of a recording in the trash belong
// to it; they are not reported as files with no recording.
func TestTrashedFilesAreNotStrays(t *testing.T) {
	var logs syncLog
	clk := &conclavetest.Clock{}
	dir := filepath.Join(t.TempDir(), "recordings")
	svc, st := conclavetest.Core(t, conclavetest.Config{Now: clk.Now, Recorder: conclavetest.FileRecorder(t, dir),
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	adm := conclavetest.Admin(t, svc)
	name := "Strays"
	room, err := svc.CreateRoom(context.Background(), adm, core.RoomOptions{RoomName: &name})
	if err != nil {
		t.Fatal(err)
	}
	rec := conclavetest.FinishedRecording(t, st, dir, room, clk.Now(), 100)
	if err := svc.DeleteRecording(context.Background(), adm, rec.RecordingID); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, room.RoomID, "stray"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RecoverRecordings(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, room.RoomID+"/stray") {
		t.Fatalf("the stray directory was not reported:\n%s", out)
	}
	if strings.Contains(out, rec.Dir+" ") || strings.Contains(out, rec.Dir+"\n") {
		t.Fatalf("the trashed recording's files were reported as strays:\n%s", out)
	}
}

type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestActiveRecordingIsNotDeleted: a recording being made is 409 for delete, force and
// bulk delete, and stays as it is.
func TestActiveRecordingIsNotDeleted(t *testing.T) {
	ts := newTrashStack(t, 0)
	ctx := context.Background()
	room := ts.room(ts.adm, "Live")
	rec := ts.rec(room, 100)
	rec.Status, rec.EndDate = core.RecActive, 0
	if err := ts.db.UpdateRecording(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := ts.svc.DeleteRecording(ctx, ts.adm, rec.RecordingID); !errors.Is(err, core.ErrRecordingActive) {
		t.Fatalf("delete of an active recording: %v", err)
	}
	if err := ts.svc.PurgeRecording(ctx, ts.adm, rec.RecordingID); !errors.Is(err, core.ErrRecordingActive) {
		t.Fatalf("force purge of an active recording: %v", err)
	}
	for _, bulk := range []func(context.Context, *core.Principal, []string) (core.BulkResult, error){ts.svc.BulkDeleteRecordings, ts.svc.BulkPurgeRecordings} {
		res, err := bulk(ctx, ts.adm, []string{rec.RecordingID})
		if err != nil || len(res.Deleted) != 0 || len(res.Failed) != 1 {
			t.Fatalf("bulk delete of an active recording: %+v, %v", res, err)
		}
	}
	got, err := ts.svc.GetRecording(ctx, ts.adm, rec.RecordingID)
	if err != nil || got.Status != core.RecActive || got.TrashedAt != 0 || !ts.filesOf(rec) {
		t.Fatalf("active recording after refused deletes: %+v, %v", got, err)
	}
}
