package core

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// The recordings' trash, purge and retention (SPEC 7.3). A deleted recording keeps its
// row and its files for the trash time, hidden from every ordinary listing and lookup
// (loadRecording answers 404 for it), and the room's owner or an admin may restore it
// meanwhile. Then the janitor purges it: its row goes (in the same transaction as the
// audit entry that keeps its trail), then its files. An admin may purge at once (force).
// A room's config.recording.retentionDays makes the janitor purge its recordings that
// many days after they started, trashed or not.
//
// Deleting a room purges its trashed recordings with it (and, with withRecordings=force,
// its other recordings too); a room closed and kept for its recordings keeps its trash
// until each purge time, and the janitor does not delete such a room while it has any.

// Trash time bounds (--recording-trash).
const (
	DefaultRecordingTrash = 7 * 24 * time.Hour
	MinRecordingTrash     = time.Minute
	MaxRecordingTrash     = 3650 * 24 * time.Hour
)

// CheckRecordingTrash reports whether d is an acceptable trash time.
func CheckRecordingTrash(d time.Duration) error {
	if d < MinRecordingTrash || d > MaxRecordingTrash {
		return fmt.Errorf("recording trash time %v: want from %v to %v (3650 days)", d, MinRecordingTrash, MaxRecordingTrash)
	}
	return nil
}

// Why a recording was purged (the purge audit entry's reason).
const (
	PurgeTrash       = "trash"       // its trash time ran out
	PurgeForce       = "force"       // an admin purged it at once
	PurgeRetention   = "retention"   // older than its room's retentionDays
	PurgeRoomDeleted = "roomDeleted" // its room was deleted
)

// Audit actions of the trash.
const (
	auditRecordingDelete  = "recording.delete" // moved to the trash
	auditRecordingRestore = "recording.restore"
	auditRecordingPurge   = "recording.purge"
)

// Refusals of the trash.
var (
	ErrRecordingNotTrashed = &Error{Kind: KindConflict, Title: "Recording Error", Code: "recording_not_in_trash", Message: "recording not in the trash"}
)

// sweepBatch bounds how many recordings one janitor pass purges per kind.
const sweepBatch = 100

// recordingTrashAct is the one place every trash state change (delete into the trash,
// restore, purge) is recorded, inside the transaction that makes it: the audit entry
// here, and the recordings access log's entry beside it.
func (s *Service) recordingTrashAct(ctx context.Context, tx Store, p *Principal, action string, rec *Recording, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	detail["roomId"] = rec.RoomID
	if err := s.auditAs(ctx, tx, p, action, "recording:"+rec.RecordingID, detail); err != nil {
		return err
	}
	// The recordings' access log has every delete and restore too, in the same
	// transaction, so that a recording's history reads whole in one place.
	access := map[string]string{auditRecordingDelete: AccessDelete, auditRecordingRestore: AccessRestore,
		auditRecordingPurge: AccessPurge}[action]
	if access == "" {
		return nil
	}
	return s.logRecordingAccess(ctx, tx, p, AccessEntry{Action: access, RecordingID: rec.RecordingID,
		RoomID: rec.RoomID, Detail: detail})
}

// loadAnyRecording loads a recording whether or not it is in the trash.
func (s *Service) loadAnyRecording(ctx context.Context, st Store, id string) (*Recording, error) {
	rec, err := st.GetRecording(ctx, id)
	if isNoRows(err) {
		return nil, recordingErr(ErrRecordingNotFound, "Recording %q not found", id)
	} else if err != nil {
		return nil, internal("load recording", err)
	}
	return rec, nil
}

// trashTime is how long a deleted recording stays in the trash.
func (s *Service) trashTime() time.Duration {
	if s.cfg.RecordingTrash <= 0 {
		return DefaultRecordingTrash
	}
	return s.cfg.RecordingTrash
}

// DeleteRecording moves a recording to the trash (recordingDelete), from which its room's
// owner or an admin may restore it until it is purged; one being made is 409, one already
// in the trash 404.
func (s *Service) DeleteRecording(ctx context.Context, p *Principal, id string) error {
	rec, err := s.loadRecording(ctx, id)
	if err != nil {
		return err
	}
	if err := s.recordingPerm(ctx, p, rec, "recordingDelete"); err != nil {
		return err
	}
	return s.deleteRecording(ctx, p, rec)
}

// deleteRecording moves rec to the trash.
func (s *Service) deleteRecording(ctx context.Context, p *Principal, rec *Recording) error {
	var cur *Recording
	err := s.store.InTx(ctx, func(tx Store) error {
		var err error
		if cur, err = s.loadAnyRecording(ctx, tx, rec.RecordingID); err != nil {
			return err
		}
		if cur.TrashedAt != 0 {
			return recordingErr(ErrRecordingNotFound, "Recording %q not found", rec.RecordingID)
		}
		if liveStatus(cur.Status) {
			return recordingErr(ErrRecordingActive, "Recording %q is being made: stop it first", rec.RecordingID)
		}
		now := s.now()
		cur.TrashedAt, cur.TrashedBy = now.UnixMilli(), p.Actor()
		cur.PurgeAt = now.Add(s.trashTime()).UnixMilli()
		if err := tx.UpdateRecording(ctx, cur); err != nil {
			return internal("move recording to the trash", err)
		}
		return s.recordingTrashAct(ctx, tx, p, auditRecordingDelete, cur, map[string]any{"trash": true, "purgeAt": cur.PurgeAt})
	})
	if err != nil {
		return err
	}
	s.log.Info("recording moved to the trash", "recording", cur.RecordingID, "by", p.Actor(), "purgeAt", time.UnixMilli(cur.PurgeAt).UTC())
	s.bus.Publish(Event{Type: EventRecordingChanged, RoomID: cur.RoomID, RecordingID: cur.RecordingID})
	return nil
}

// BulkDeleteRecordings moves each recording in ids to the trash, reporting per id.
func (s *Service) BulkDeleteRecordings(ctx context.Context, p *Principal, ids []string) (BulkResult, error) {
	return s.bulkRecordings(ctx, p, ids, s.DeleteRecording)
}

// BulkPurgeRecordings purges each recording in ids at once (admins), reporting per id.
func (s *Service) BulkPurgeRecordings(ctx context.Context, p *Principal, ids []string) (BulkResult, error) {
	if err := p.requireAdmin(); err != nil {
		return BulkResult{}, forbidden("Only admins may purge recordings at once (force)")
	}
	return s.bulkRecordings(ctx, p, ids, s.PurgeRecording)
}

func (s *Service) bulkRecordings(ctx context.Context, p *Principal, ids []string, act func(context.Context, *Principal, string) error) (BulkResult, error) {
	if err := p.active(); err != nil {
		return BulkResult{}, err
	}
	if err := checkBulkIDs("recordingIds", ids); err != nil {
		return BulkResult{}, err
	}
	res := BulkResult{Deleted: []string{}, Failed: []BulkFailure{}}
	for _, id := range ids {
		if err := act(ctx, p, strings.TrimSpace(id)); err != nil {
			if KindOf(err) == KindInternal {
				return res, err
			}
			res.Failed = append(res.Failed, BulkFailure{ID: id, Error: err.Error()})
			continue
		}
		res.Deleted = append(res.Deleted, id)
	}
	return res, nil
}

// PurgeRecording purges a recording at once, in the trash or not (admins: DELETE …?force=
// true): its row and its files go. One being made is 409.
func (s *Service) PurgeRecording(ctx context.Context, p *Principal, id string) error {
	if err := p.requireAdmin(); err != nil {
		if KindOf(err) == KindForbidden {
			return forbidden("Only admins may purge a recording at once (force)")
		}
		return err
	}
	_, err := s.purgeRecording(ctx, p, id, PurgeForce, nil)
	return err
}

// purgeRecording deletes a recording's row (with its audit entry) and then its files.
// check, when set, is asked inside the transaction whether the recording still qualifies
// (a restore may have come first): false leaves it and reports purged false.
func (s *Service) purgeRecording(ctx context.Context, p *Principal, id, reason string, check func(*Recording) bool) (bool, error) {
	var cur *Recording
	skipped := false
	err := s.store.InTx(ctx, func(tx Store) error {
		var err error
		if cur, err = s.loadAnyRecording(ctx, tx, id); err != nil {
			return err
		}
		if check != nil && !check(cur) {
			skipped = true
			return nil
		}
		if liveStatus(cur.Status) {
			return recordingErr(ErrRecordingActive, "Recording %q is being made: stop it first", id)
		}
		if err := tx.DeleteRecording(ctx, id); isNoRows(err) {
			return recordingErr(ErrRecordingNotFound, "Recording %q not found", id)
		} else if err != nil {
			return internal("purge recording", err)
		}
		return s.recordingTrashAct(ctx, tx, p, auditRecordingPurge, cur, map[string]any{
			"reason": reason, "roomName": cur.RoomName, "startDate": cur.StartDate, "size": cur.Size,
			"status": cur.Status, "trashedAt": cur.TrashedAt, "trashedBy": cur.TrashedBy,
		})
	})
	if err != nil || skipped {
		return false, err
	}
	// The row is gone first: files without a row are reported at start-up, a row without
	// files would answer 404 to whoever follows its link.
	if s.cfg.Recorder != nil {
		if err := s.cfg.Recorder.Remove(*cur); err != nil {
			s.log.Error("files of a purged recording not removed", "recording", cur.RecordingID, "dir", cur.Dir, "err", err)
		}
	}
	s.log.Info("recording purged", "recording", cur.RecordingID, "reason", reason, "by", p.Actor(), "size", cur.Size)
	s.bus.Publish(Event{Type: EventRecordingChanged, RoomID: cur.RoomID, RecordingID: cur.RecordingID})
	return true, nil
}

// RestoreRecording takes a recording out of the trash (its room's owner or an admin): it
// is listed and served again as before its deletion. A recording not in the trash is 409.
func (s *Service) RestoreRecording(ctx context.Context, p *Principal, id string) (*Recording, error) {
	if err := p.active(); err != nil {
		return nil, err
	}
	var cur *Recording
	err := s.store.InTx(ctx, func(tx Store) error {
		var err error
		if cur, err = s.loadAnyRecording(ctx, tx, id); err != nil {
			return err
		}
		if err := s.canRestore(ctx, tx, p, cur); err != nil {
			return err
		}
		if cur.TrashedAt == 0 {
			return recordingErr(ErrRecordingNotTrashed, "Recording %q is not in the trash", id)
		}
		detail := map[string]any{"trashedAt": cur.TrashedAt, "trashedBy": cur.TrashedBy}
		cur.TrashedAt, cur.TrashedBy, cur.PurgeAt = 0, "", 0
		if err := tx.UpdateRecording(ctx, cur); err != nil {
			return internal("restore recording", err)
		}
		return s.recordingTrashAct(ctx, tx, p, auditRecordingRestore, cur, detail)
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("recording restored from the trash", "recording", cur.RecordingID, "by", p.Actor())
	s.bus.Publish(Event{Type: EventRecordingChanged, RoomID: cur.RoomID, RecordingID: cur.RecordingID})
	return cur, nil
}

// canRestore allows the room's owner and admins; a recording whose room is gone, admins
// only.
func (s *Service) canRestore(ctx context.Context, st Store, p *Principal, rec *Recording) error {
	room, err := st.GetRoom(ctx, rec.RoomID)
	if isNoRows(err) {
		room = nil // only admins (and API keys) reach the recordings of a room gone
	} else if err != nil {
		return internal("load room", err)
	}
	d, err := s.recordingRights(ctx, st, p, rec.RoomID, room, rec.RecordingID, RecActRestore)
	if err != nil {
		return err
	}
	if !d.Allowed {
		return d.Err
	}
	return nil
}

// ListTrash lists the recordings in the trash that p may restore: every one for admins,
// those of the rooms it owns for others. Filters and paging are ListRecordings'.
func (s *Service) ListTrash(ctx context.Context, p *Principal, q RecordingQuery) (Page[Recording], error) {
	q, err := checkRecordingQuery(p, q)
	if err != nil {
		return Page[Recording]{}, err
	}
	q.Trash = TrashOnly
	if !p.isAdmin() {
		if q.Rooms, err = s.ownedRooms(ctx, p); err != nil {
			return Page[Recording]{}, err
		}
	}
	page, err := s.store.ListRecordings(ctx, q)
	return page, listErr("recordings", err)
}

// ownedRooms are the ids of the rooms p owns (none unless p is a user).
func (s *Service) ownedRooms(ctx context.Context, p *Principal) ([]string, error) {
	ids := []string{}
	if p.Kind != PrincipalUser {
		return ids, nil
	}
	q := RoomQuery{Owner: p.User.UserID, ListOptions: ListOptions{MaxItems: MaxMaxItems, SortField: "creationDate", Desc: true}}
	for {
		page, err := s.store.ListRooms(ctx, q)
		if err != nil {
			return nil, internal("list rooms", err)
		}
		for i := range page.Items {
			ids = append(ids, page.Items[i].RoomID)
		}
		if page.Next == "" {
			return ids, nil
		}
		q.PageToken = page.Next
	}
}

// purgeRoomRecordings purges the recordings of a deleted room: those in the trash, and
// with all every other one too (withRecordings=force; its meeting, and so its recording,
// has ended first).
func (s *Service) purgeRoomRecordings(ctx context.Context, p *Principal, roomID string, all bool) {
	trash := TrashOnly
	if all {
		trash = TrashAll
	}
	q := RecordingQuery{RoomID: roomID, Trash: trash, ListOptions: ListOptions{MaxItems: MaxMaxItems, SortField: "startDate", Desc: true}}
	for {
		// Each page is read afresh from the start: the previous one's rows are gone.
		page, err := s.store.ListRecordings(ctx, q)
		if err != nil {
			s.log.Error("recordings of a deleted room not listed", "room", roomID, "err", err)
			return
		}
		purged := 0
		for i := range page.Items {
			if _, err := s.purgeRecording(ctx, p, page.Items[i].RecordingID, PurgeRoomDeleted, nil); err != nil {
				s.log.Error("recording of a deleted room not purged", "recording", page.Items[i].RecordingID, "err", err)
				continue
			}
			purged++
		}
		if page.Next == "" || purged == 0 {
			return
		}
	}
}

// sweepRecordings is the janitor's part for recordings: the trash whose time ran out and
// the recordings older than their room's retentionDays are purged.
func (s *Service) sweepRecordings(ctx context.Context) (int, error) {
	now := s.nowMS()
	n := 0
	due, err := s.store.RecordingsDueForPurge(ctx, now, sweepBatch)
	if err != nil {
		return n, internal("list recordings due for purge", err)
	}
	for i := range due {
		ok, err := s.purgeRecording(ctx, System(), due[i].RecordingID, PurgeTrash, func(r *Recording) bool {
			return r.TrashedAt != 0 && r.PurgeAt <= now // not restored meanwhile
		})
		if err != nil {
			s.log.Warn("janitor: trashed recording not purged", "recording", due[i].RecordingID, "err", err)
			continue
		}
		if ok {
			n++
		}
	}
	old, err := s.store.RecordingsPastRetention(ctx, now, sweepBatch)
	if err != nil {
		return n, internal("list recordings past retention", err)
	}
	for i := range old {
		start := old[i].StartDate
		ok, err := s.purgeRecording(ctx, System(), old[i].RecordingID, PurgeRetention, func(r *Recording) bool {
			return r.StartDate == start
		})
		if err != nil {
			s.log.Warn("janitor: recording past retention not purged", "recording", old[i].RecordingID, "err", err)
			continue
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// StorageFigures are what a set of recordings holds on disk.
type StorageFigures struct {
	// Bytes is the size of every recording's files, those in the trash included (they
	// stay on disk until purged); TrashBytes the part of it in the trash.
	Bytes      int64
	TrashBytes int64
	// Recordings counts the recordings not in the trash by status; Trash those in it.
	Recordings map[string]int
	Trash      int
}

func (f *StorageFigures) add(u RecordingUsage) {
	if f.Recordings == nil {
		f.Recordings = map[string]int{}
	}
	f.Bytes += u.Bytes
	if u.Trashed {
		f.TrashBytes += u.Bytes
		f.Trash += u.Count
		return
	}
	f.Recordings[u.Status] += u.Count
}

// RoomStorage is one room's figures.
type RoomStorage struct {
	RoomID   string
	RoomName string // "" when the room is gone
	StorageFigures
}

// RecordingStorage is the storage the recordings use, per room and in total, and the free
// space left where they are written.
type RecordingStorage struct {
	Rooms []RoomStorage // by room id
	Total StorageFigures
	// FreeBytes is the free space left for recordings; FreeKnown is false when there is no
	// recorder or it could not tell.
	FreeBytes uint64
	FreeKnown bool
	// MinFreeDisk is the free space below which recordings do not start.
	MinFreeDisk uint64
}

// RecordingStorage reports the storage of the recordings p may see the figures of: every
// room's for admins, its own rooms' for a room owner (none for other users); room-member
// tokens may not. A recording being made counts no bytes until it ends.
func (s *Service) RecordingStorage(ctx context.Context, p *Principal) (*RecordingStorage, error) {
	if err := p.active(); err != nil {
		return nil, err
	}
	var rooms []string
	if !p.isAdmin() {
		if p.Kind != PrincipalUser {
			return nil, forbidden("Storage figures are for admins and room owners")
		}
		var err error
		if rooms, err = s.ownedRooms(ctx, p); err != nil {
			return nil, err
		}
	}
	usage, err := s.store.RecordingUsage(ctx, rooms)
	if err != nil {
		return nil, internal("sum recordings", err)
	}
	out := &RecordingStorage{Total: StorageFigures{Recordings: map[string]int{}}, MinFreeDisk: s.cfg.MinFreeDisk}
	byRoom := map[string]*RoomStorage{}
	for _, u := range usage {
		rs := byRoom[u.RoomID]
		if rs == nil {
			rs = &RoomStorage{RoomID: u.RoomID, RoomName: u.RoomName, StorageFigures: StorageFigures{Recordings: map[string]int{}}}
			byRoom[u.RoomID] = rs
		}
		rs.add(u)
		out.Total.add(u)
	}
	for _, rs := range byRoom {
		out.Rooms = append(out.Rooms, *rs)
	}
	sort.Slice(out.Rooms, func(i, j int) bool { return out.Rooms[i].RoomID < out.Rooms[j].RoomID })
	if s.cfg.Recorder != nil {
		if free, err := s.cfg.Recorder.FreeBytes(); err == nil {
			out.FreeBytes, out.FreeKnown = free, true
		} else {
			s.log.Warn("free space for recordings unknown", "err", err)
		}
	}
	return out, nil
}
