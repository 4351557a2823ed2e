package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Recorder writes a room's meeting to disk (package record); core decides when, keeps the
// recordings' records and tells everyone. Recordings are found by id through the store:
// the recorder is given the Recording, whose Dir core made, never a path from a request.
type Recorder interface {
	// Start begins recording r's room. ended is called once, from any goroutine, if the
	// recording ends on its own (a write error, the disk guard) rather than by Stop.
	Start(r Recording, ended func(RecordingOutcome)) (ActiveRecording, error)
	// Repair makes the files of a recording a crash left being made playable and seekable,
	// and reports what survived (Status RecAborted when nothing did).
	Repair(r Recording) (RecordingOutcome, error)
	// Remove deletes a recording's files.
	Remove(r Recording) error
	// Open opens one of a recording's files for reading: stream -1 is its main file.
	Open(r Recording, stream int) (RecordingFile, error)
	// FreeBytes is the free space where recordings are written.
	FreeBytes() (uint64, error)
	// Dirs lists the recording directories found on disk (as Recording.Dir names them).
	Dirs() ([]string, error)
	// Present reports whether a recording's main file is on disk.
	Present(r Recording) bool
	// Manifest returns a recording's manifest.json as written (at most MaxManifestBytes);
	// ErrNoRows when it has none.
	Manifest(r Recording) ([]byte, error)
}

// ActiveRecording is a recording being made.
type ActiveRecording interface {
	// Stop finishes its files (Duration, Cues, manifest) and reports the outcome.
	Stop() RecordingOutcome
}

// RecordingOutcome is how a recording ended, as the recorder saw it.
type RecordingOutcome struct {
	Status   string // RecComplete, RecFailed, RecAborted or RecLimitReached
	Error    string
	Details  string
	Filename string
	Duration float64
	Size     int64
	Streams  []RecordingStream
}

// RecordingFile is an open recording file.
type RecordingFile interface {
	io.ReadSeekCloser
	Name() string
	Size() int64
	ModTime() time.Time
}

// DefaultMinFreeDisk is the free space below which recordings do not start or stop as
// limit_reached (SPEC 7.1).
const DefaultMinFreeDisk = 1 << 30

// settingRecording is the server switch, "on" or "off", as admins last set it.
const settingRecording = "recording"

// Errors of recordings, for errors.Is (REST maps them by kind; signalling by sentinel).
var (
	ErrRecordingActive     = &Error{Kind: KindConflict, Title: "Recording Error", Code: "recording_active", Message: "already recording"}
	ErrRecordingNotActive  = &Error{Kind: KindConflict, Title: "Recording Error", Code: "recording_not_active", Message: "not recording"}
	ErrRecordingNoOne      = &Error{Kind: KindConflict, Title: "Recording Error", Code: "no_participants", Message: "no participants"}
	ErrRecordingDisabled   = &Error{Kind: KindForbidden, Title: "Recording Error", Code: "recording_disabled", Message: "recording disabled"}
	ErrRecordingNotFound   = &Error{Kind: KindNotFound, Title: "Recording Error", Code: "recording_not_found", Message: "recording not found"}
	ErrInsufficientStorage = &Error{Kind: KindInsufficientStorage, Title: "Recording Error", Code: "insufficient_storage", Message: "insufficient storage"}
)

func recordingErr(base *Error, format string, args ...any) error {
	e := *base
	e.Message = fmt.Sprintf(format, args...)
	return &e
}

// recordings is the recordings being made, by room; the zero value is ready.
type recordings struct {
	mu     sync.Mutex
	byRoom map[string]*liveRecording
}

type liveRecording struct {
	id     string
	handle ActiveRecording
	// stopAsked is set when a stop came before the recorder had started; the start then
	// stops it at once.
	stopAsked string
	done      chan struct{} // closed once its outcome is stored
}

// RecordingEnabled reports the server switch (SPEC 7.1).
func (s *Service) RecordingEnabled(ctx context.Context) bool {
	v, err := s.store.GetSetting(ctx, settingRecording)
	if err != nil {
		return s.cfg.Recording != "off"
	}
	return v != "off"
}

// RecordingSwitch is the server switch, for admins.
func (s *Service) RecordingSwitch(ctx context.Context, p *Principal) (bool, error) {
	if err := p.requireAdmin(); err != nil {
		return false, err
	}
	return s.RecordingEnabled(ctx), nil
}

// SetRecordingEnabled turns the server switch on or off (admins); it applies to new
// recordings, is persisted and audited.
func (s *Service) SetRecordingEnabled(ctx context.Context, p *Principal, on bool) error {
	if err := p.requireAdmin(); err != nil {
		return err
	}
	v := "off"
	if on {
		v = "on"
	}
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := tx.PutSetting(ctx, settingRecording, v); err != nil {
			return internal("save recording switch", err)
		}
		return s.auditAs(ctx, tx, p, "settings.recording", "server", map[string]string{"recording": v})
	})
	if err == nil {
		s.bus.Publish(Event{Type: EventSettingsChanged})
	}
	return err
}

// ApplyRecordingFlag makes the --recording flag, when given, the server switch at start.
func (s *Service) ApplyRecordingFlag(ctx context.Context, v string) error {
	if v == "" {
		return nil
	}
	return s.store.PutSetting(ctx, settingRecording, v)
}

// roomPerm checks that p holds perm in the room. Holders of room-member tokens are judged
// by what they hold in the meeting now (promotion counts), as moderation is.
func (s *Service) roomPerm(ctx context.Context, p *Principal, room *Room, perm string) error {
	if err := p.active(); err != nil {
		return err
	}
	g, err := s.roomAccessFor(ctx, s.store, p, room)
	if err != nil {
		return err
	}
	perms := g.Permissions
	if p.Kind == PrincipalMember {
		if p.Member.RoomID != room.RoomID {
			return forbidden("This room member token is for another room")
		}
		s.live.mu.Lock()
		if lr := s.live.room(room.RoomID); lr != nil && lr.parts[p.Member.Identity] != nil {
			perms = lr.parts[p.Member.Identity].Permissions(room)
		}
		s.live.mu.Unlock()
	}
	if g.Source == GrantNone {
		return forbidden("You have no access to room %q", room.RoomID)
	}
	if !perms.Get(perm) {
		return forbidden("You need %s in room %q", perm, room.RoomID)
	}
	return nil
}

// StartRecording starts recording a room's meeting (recordingControl). layout "" takes
// the room's. It refuses with 403 when the server or the room has recording off, 409 when
// the room is already being recorded or has nobody in it, 507 below the disk guard.
func (s *Service) StartRecording(ctx context.Context, p *Principal, roomID, layout string) (*Recording, error) {
	room, err := loadRoom(ctx, s.store, roomID)
	if err != nil {
		return nil, err
	}
	if err := s.roomPerm(ctx, p, room, "recordingControl"); err != nil {
		return nil, err
	}
	if layout != "" {
		var v validator
		checkEnum(&v, "config.layout", layout, "grid", "speaker", "single-speaker")
		if err := v.err(); err != nil {
			return nil, err
		}
	}
	return s.startRecording(ctx, p, room, layout)
}

func (s *Service) startRecording(ctx context.Context, p *Principal, room *Room, layout string) (*Recording, error) {
	switch {
	case s.cfg.Recorder == nil || !s.RecordingEnabled(ctx):
		return nil, recordingErr(ErrRecordingDisabled, "Recording is disabled on this server")
	case !room.Config.Recording.Enabled:
		return nil, recordingErr(ErrRecordingDisabled, "Recording is disabled for room %s", room.RoomID)
	}
	s.live.mu.Lock()
	lr := s.live.room(room.RoomID)
	nobody := lr == nil || len(lr.parts) == 0
	s.live.mu.Unlock()
	if nobody && room.Status == StatusClosed {
		return nil, recordingErr(ErrRecordingNoOne, "Room %q is closed and has no participants", room.RoomID)
	}
	if nobody {
		return nil, recordingErr(ErrRecordingNoOne, "Room %q has no participants", room.RoomID)
	}
	if free, err := s.cfg.Recorder.FreeBytes(); err != nil {
		return nil, internal("check free disk", err)
	} else if free < s.cfg.MinFreeDisk {
		return nil, recordingErr(ErrInsufficientStorage, "Only %d MiB of disk are free for recordings (at least %d MiB needed)", free>>20, s.cfg.MinFreeDisk>>20)
	}
	if layout == "" {
		layout = room.Config.Recording.Layout
	}
	id := randomID(12)
	rec := &Recording{
		RecordingID: room.RoomID + "--" + id, RoomID: room.RoomID, RoomName: room.RoomName,
		Status: RecStarting, Layout: layout, StartDate: s.nowMS(), StartedBy: p.Actor(),
		Dir: room.RoomID + "/" + id, Filename: room.RoomID + "--" + id + ".webm",
	}
	queued := false
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := tx.CreateRecording(ctx, rec); errors.Is(err, ErrDuplicate) {
			return recordingErr(ErrRecordingActive, "Room %q is already being recorded", room.RoomID)
		} else if err != nil {
			return internal("create recording", err)
		}
		queued = s.queueRecordingWebhook(ctx, tx, rec, true)
		return s.auditAs(ctx, tx, p, "recording.start", "recording:"+rec.RecordingID, map[string]string{"layout": layout})
	})
	s.webhooksQueued(queued, err)
	if err != nil {
		return nil, err
	}
	s.recordingChanged(rec)
	lrec := &liveRecording{id: rec.RecordingID, done: make(chan struct{})}
	s.rec.mu.Lock()
	if s.rec.byRoom == nil {
		s.rec.byRoom = map[string]*liveRecording{}
	}
	s.rec.byRoom[room.RoomID] = lrec
	s.rec.mu.Unlock()
	handle, err := s.cfg.Recorder.Start(*rec, func(o RecordingOutcome) { s.recordingEnded(rec.RoomID, lrec, o) })
	if err != nil {
		s.log.Error("recording did not start", "recording", rec.RecordingID, "err", err)
		s.finishRecording(rec.RoomID, lrec, RecordingOutcome{Status: RecFailed, Error: "The recorder could not start: " + err.Error()})
		out, gerr := s.store.GetRecording(ctx, rec.RecordingID)
		if gerr != nil {
			return nil, internal("load recording", gerr)
		}
		return out, nil
	}
	s.rec.mu.Lock()
	lrec.handle = handle
	stopAsked := lrec.stopAsked
	s.rec.mu.Unlock()
	if stopAsked != "" {
		go s.stopLive(rec.RoomID, lrec, stopAsked)
		return rec, nil
	}
	rec.Status = RecActive
	if err := s.updateRecording(ctx, rec); err != nil {
		s.log.Error("recording state not saved", "recording", rec.RecordingID, "err", err)
	}
	s.recordingChanged(rec)
	return rec, nil
}

// StopRecording stops a recording (recordingControl in its room): it answers at once with
// the recording `ending`; its files are finished in the background and it becomes
// `complete`. A recording not being made is 409.
func (s *Service) StopRecording(ctx context.Context, p *Principal, recordingID string) (*Recording, error) {
	rec, err := s.loadRecording(ctx, recordingID)
	if err != nil {
		return nil, err
	}
	room, err := loadRoom(ctx, s.store, rec.RoomID)
	if err != nil {
		return nil, err
	}
	if err := s.roomPerm(ctx, p, room, "recordingControl"); err != nil {
		return nil, err
	}
	if rec.Status != RecActive && rec.Status != RecStarting {
		return nil, recordingErr(ErrRecordingNotActive, "Recording %q is not active", recordingID)
	}
	lrec := s.liveRecordingOf(rec.RoomID, rec.RecordingID)
	if lrec == nil {
		return nil, recordingErr(ErrRecordingNotActive, "Recording %q is not active", recordingID)
	}
	rec.Status, rec.Details = RecEnding, "Stopped by "+p.Actor()
	queued := false
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.UpdateRecording(ctx, rec); err != nil {
			return internal("update recording", err)
		}
		queued = s.queueRecordingWebhook(ctx, tx, rec, false)
		return s.auditAs(ctx, tx, p, "recording.stop", "recording:"+rec.RecordingID, nil)
	})
	s.webhooksQueued(queued, err)
	if err != nil {
		return nil, err
	}
	s.recordingChanged(rec)
	go s.stopLive(rec.RoomID, lrec, rec.Details)
	return rec, nil
}

// loadRecording loads a recording not in the trash (trash.go): one in it is not found, as
// if it were gone.
func (s *Service) loadRecording(ctx context.Context, id string) (*Recording, error) {
	rec, err := s.store.GetRecording(ctx, id)
	if isNoRows(err) || (err == nil && rec.TrashedAt != 0) {
		return nil, recordingErr(ErrRecordingNotFound, "Recording %q not found", id)
	} else if err != nil {
		return nil, internal("load recording", err)
	}
	return rec, nil
}

func (s *Service) liveRecordingOf(roomID, id string) *liveRecording {
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	if lr := s.rec.byRoom[roomID]; lr != nil && (id == "" || lr.id == id) {
		return lr
	}
	return nil
}

// stopLive finishes a live recording's files and stores the outcome; it returns once the
// recording is stored as ended.
func (s *Service) stopLive(roomID string, lrec *liveRecording, details string) {
	s.rec.mu.Lock()
	h := lrec.handle
	if h == nil {
		lrec.stopAsked = details // the start, still under way, stops it
	}
	s.rec.mu.Unlock()
	if h == nil {
		<-lrec.done
		return
	}
	o := h.Stop()
	if o.Details == "" {
		o.Details = details
	} else if details != "" {
		o.Details = details + "; " + o.Details
	}
	s.finishRecording(roomID, lrec, o)
	<-lrec.done
}

// recordingEnded is the recorder telling core a recording ended on its own.
func (s *Service) recordingEnded(roomID string, lrec *liveRecording, o RecordingOutcome) {
	go s.finishRecording(roomID, lrec, o)
}

// finishRecording stores a recording's outcome once and tells everyone.
func (s *Service) finishRecording(roomID string, lrec *liveRecording, o RecordingOutcome) {
	s.rec.mu.Lock()
	if s.rec.byRoom[roomID] != lrec {
		s.rec.mu.Unlock()
		return // stored already
	}
	delete(s.rec.byRoom, roomID)
	s.rec.mu.Unlock()
	defer close(lrec.done)
	ctx := context.Background()
	rec, err := s.store.GetRecording(ctx, lrec.id)
	if err != nil {
		s.log.Error("ended recording not found", "recording", lrec.id, "err", err)
		return
	}
	applyOutcome(rec, o, s.nowMS())
	queued := false
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.UpdateRecording(ctx, rec); err != nil {
			return internal("update recording", err)
		}
		queued = s.queueRecordingWebhook(ctx, tx, rec, false)
		return s.auditAs(ctx, tx, System(), "recording.end", "recording:"+rec.RecordingID,
			map[string]any{"status": rec.Status, "error": rec.Error, "duration": rec.Duration, "size": rec.Size})
	})
	s.webhooksQueued(queued, err)
	if err != nil {
		s.log.Error("recording outcome not saved", "recording", rec.RecordingID, "err", err)
	}
	s.recordingChanged(rec)
}

func applyOutcome(rec *Recording, o RecordingOutcome, now int64) {
	rec.Status = o.Status
	if rec.Status == "" {
		rec.Status = RecComplete
	}
	rec.Error = o.Error
	if o.Details != "" {
		rec.Details = o.Details
	}
	if o.Filename != "" {
		rec.Filename = o.Filename
	}
	rec.Duration, rec.Size, rec.Streams = o.Duration, o.Size, o.Streams
	if rec.EndDate == 0 {
		rec.EndDate = now
	}
}

// stopRoomRecording stops the room's recording, if any, and waits for its files: the
// meeting ended (moderator, grace period, room deleted, shutdown).
func (s *Service) stopRoomRecording(roomID, details string) {
	lrec := s.liveRecordingOf(roomID, "")
	if lrec == nil {
		return
	}
	ctx := context.Background()
	if rec, err := s.store.GetRecording(ctx, lrec.id); err == nil && rec.Status != RecEnding {
		rec.Status, rec.Details = RecEnding, details
		if err := s.updateRecording(ctx, rec); err == nil {
			s.recordingChanged(rec)
		}
	}
	s.stopLive(roomID, lrec, details)
}

// recordingChanged tells watchers and the meeting's participants (their recording
// indicator) of a recording's new status.
func (s *Service) recordingChanged(rec *Recording) {
	active := liveStatus(rec.Status)
	s.live.mu.Lock()
	var cs []Client
	if lr := s.live.room(rec.RoomID); lr != nil {
		for _, pt := range lr.parts {
			if pt.client != nil {
				cs = append(cs, pt.client)
			}
		}
	}
	s.live.mu.Unlock()
	for _, c := range cs {
		c.RecordingChanged(active)
	}
	s.bus.Publish(Event{Type: EventRecordingChanged, RoomID: rec.RoomID, RecordingID: rec.RecordingID})
}

// Recording reports whether the room is being recorded now (the `joined` frame's state).
func (s *Service) Recording(roomID string) bool { return s.liveRecordingOf(roomID, "") != nil }

// ParticipantName is a live participant's display name and meeting role ("" when it is
// not there), for the recorder's manifest.
func (s *Service) ParticipantName(roomID, identity string) (name, role string) {
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	if lr := s.live.room(roomID); lr != nil && lr.parts[identity] != nil {
		return lr.parts[identity].Name, lr.parts[identity].MeetingRole
	}
	return "", ""
}

// RoomRecordingID is the id of the recording being made of the room, "" when none.
func (s *Service) RoomRecordingID(roomID string) string {
	if lr := s.liveRecordingOf(roomID, ""); lr != nil {
		return lr.id
	}
	return ""
}

// RecoverRecordings runs at start-up: recordings a crash left being made have their files
// repaired and become complete (or aborted when nothing survived), never lost.
func (s *Service) RecoverRecordings(ctx context.Context) (int, error) {
	left, err := s.store.RecordingsInStatus(ctx, RecStarting, RecActive, RecEnding)
	if err != nil {
		return 0, internal("list recordings left by a crash", err)
	}
	for i := range left {
		rec := &left[i]
		var o RecordingOutcome
		if s.cfg.Recorder == nil {
			o = RecordingOutcome{Status: RecAborted, Error: "The server stopped while recording and no recorder is configured to repair it"}
		} else if o, err = s.cfg.Recorder.Repair(*rec); err != nil {
			o = RecordingOutcome{Status: RecAborted, Error: "Repair after the server stopped failed: " + err.Error()}
		}
		if o.Details == "" {
			o.Details = "The server stopped while recording; the files were repaired"
		}
		applyOutcome(rec, o, s.nowMS())
		queued := false
		err := s.store.InTx(ctx, func(tx Store) error {
			if err := tx.UpdateRecording(ctx, rec); err != nil {
				return internal("update recording", err)
			}
			queued = s.queueRecordingWebhook(ctx, tx, rec, false)
			return s.auditAs(ctx, tx, System(), "recording.repair", "recording:"+rec.RecordingID,
				map[string]any{"status": rec.Status, "error": rec.Error, "duration": rec.Duration})
		})
		s.webhooksQueued(queued, err)
		if err != nil {
			return i, err
		}
		s.log.Warn("recording left by a crash repaired", "recording", rec.RecordingID, "status", rec.Status, "duration", rec.Duration, "error", rec.Error)
	}
	if s.cfg.Recorder != nil {
		if err := s.checkRecordingFiles(ctx); err != nil {
			return len(left), err
		}
	}
	return len(left), nil
}

// filesGone is the details a recording whose files vanished gets.
const filesGone = "Its files are gone from the recordings directory"

// checkRecordingFiles compares the recordings' rows with what is on disk: a directory
// with no row, or a row whose files are gone, is reported (in the log, and on the
// recording), never ignored and never deleted.
func (s *Service) checkRecordingFiles(ctx context.Context) error {
	dirs, err := s.cfg.Recorder.Dirs()
	if err != nil {
		s.log.Error("recordings directory not readable", "err", err)
		return nil
	}
	onDisk := map[string]bool{}
	for _, d := range dirs {
		onDisk[d] = true
	}
	q := RecordingQuery{Trash: TrashAll, ListOptions: ListOptions{MaxItems: MaxMaxItems, SortField: "startDate", Desc: true}}
	for {
		page, err := s.store.ListRecordings(ctx, q)
		if err != nil {
			return internal("list recordings", err)
		}
		for i := range page.Items {
			rec := &page.Items[i]
			delete(onDisk, rec.Dir)
			if rec.Status != RecComplete || rec.Filename == "" || s.cfg.Recorder.Present(*rec) || strings.Contains(rec.Details, filesGone) {
				continue
			}
			s.log.Warn("recording's files are gone", "recording", rec.RecordingID, "dir", rec.Dir)
			rec.Details = strings.TrimPrefix(rec.Details+"; "+filesGone, "; ")
			if err := s.store.UpdateRecording(ctx, rec); err != nil {
				return internal("update recording", err)
			}
		}
		if page.Next == "" {
			break
		}
		q.PageToken = page.Next
	}
	for d := range onDisk {
		s.log.Warn("recording files on disk with no recording in the database (kept)", "dir", d)
	}
	return nil
}

// GetRecording returns a recording to someone with recordingList in its room.
func (s *Service) GetRecording(ctx context.Context, p *Principal, id string) (*Recording, error) {
	rec, err := s.loadRecording(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.recordingPerm(ctx, p, rec, "recordingList"); err != nil {
		return nil, err
	}
	return rec, nil
}

// recordingPerm checks perm in a recording's room through RecordingRights; a recording
// whose room is gone is only for admins and API keys.
func (s *Service) recordingPerm(ctx context.Context, p *Principal, rec *Recording, perm string) error {
	return s.checkRight(ctx, p, rec, actOfPerm(perm))
}

// checkRecordingQuery checks a listing's caller, paging, sort field and filters.
func checkRecordingQuery(p *Principal, q RecordingQuery) (RecordingQuery, error) {
	if err := p.active(); err != nil {
		return q, err
	}
	var err error
	if q.ListOptions, err = checkList(q.ListOptions, "startDate", "roomName", "duration", "size"); err != nil {
		return q, err
	}
	if q.RoomName, err = checkText("roomName", q.RoomName); err != nil {
		return q, err
	}
	if q.Status != "" {
		var v validator
		checkEnum(&v, "status", q.Status, RecordingStatuses...)
		if err := v.err(); err != nil {
			return q, err
		}
	}
	return q, nil
}

// ListRecordings lists the recordings p may list (recordingList): all for admins and API
// keys, a room-member token its room's, others the rooms they can list in.
func (s *Service) ListRecordings(ctx context.Context, p *Principal, q RecordingQuery) (Page[Recording], error) {
	q, err := checkRecordingQuery(p, q)
	if err != nil {
		return Page[Recording]{}, err
	}
	if !p.isAdmin() {
		rooms, err := s.listableRooms(ctx, p, q.RoomID)
		if err != nil {
			return Page[Recording]{}, err
		}
		q.Rooms = rooms
	}
	page, err := s.store.ListRecordings(ctx, q)
	if err != nil {
		return page, listErr("recordings", err)
	}
	roomID := q.RoomID
	if roomID == "" && p.Kind == PrincipalMember {
		roomID = p.Member.RoomID
	}
	if err := s.logAccessAlone(ctx, p, AccessEntry{Action: AccessList, RoomID: roomID, Detail: map[string]any{"count": len(page.Items)}}); err != nil {
		return Page[Recording]{}, err
	}
	return page, nil
}

// listableRooms are the rooms whose recordings p may list (one when roomID is set).
func (s *Service) listableRooms(ctx context.Context, p *Principal, roomID string) ([]string, error) {
	var ids []string
	consider := func(r *Room) error {
		d, err := s.recordingRights(ctx, s.store, p, r.RoomID, r, "", RecActList)
		if err != nil {
			return err
		}
		if d.Allowed {
			ids = append(ids, r.RoomID)
		}
		return nil
	}
	if p.Kind == PrincipalMember && roomID == "" {
		roomID = p.Member.RoomID
	}
	if roomID != "" {
		r, err := s.store.GetRoom(ctx, roomID)
		if isNoRows(err) {
			return []string{}, nil
		} else if err != nil {
			return nil, internal("load room", err)
		}
		if err := consider(r); err != nil {
			return nil, err
		}
		if ids == nil {
			ids = []string{}
		}
		return ids, nil
	}
	q := RoomQuery{ListOptions: ListOptions{MaxItems: MaxMaxItems, SortField: "creationDate", Desc: true}}
	if p.Kind == PrincipalUser {
		q.VisibleTo, q.IncludeUserAccess = p.User.UserID, true
	}
	ids = []string{}
	for {
		page, err := s.store.ListRooms(ctx, q)
		if err != nil {
			return nil, internal("list rooms", err)
		}
		for i := range page.Items {
			if err := consider(&page.Items[i]); err != nil {
				return nil, err
			}
		}
		if page.Next == "" {
			return ids, nil
		}
		q.PageToken = page.Next
	}
}

// OpenRecording opens one of a recording's files for someone with perm (recordingPlay to
// watch, recordingDownload to download): stream -1 is the main file. A recording being
// made is 409. It logs nothing: OpenRecordingLogged is what serves a viewing or download.
func (s *Service) OpenRecording(ctx context.Context, p *Principal, id string, stream int, perm string) (*Recording, RecordingFile, error) {
	return s.OpenRecordingLogged(ctx, p, id, stream, actOfPerm(perm), false)
}

// OpenRecordingLogged opens one of a recording's files for act (RecActPlay or
// RecActDownload) as RecordingRights allows, and when log is set records the access in
// the access log before anything is served (a viewing's first request, a download).
func (s *Service) OpenRecordingLogged(ctx context.Context, p *Principal, id string, stream int, act string, log bool) (*Recording, RecordingFile, error) {
	if act != RecActPlay && act != RecActDownload {
		return nil, nil, invalid("act", "must be play or download")
	}
	rec, err := s.loadRecording(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if err := s.checkRight(ctx, p, rec, act); err != nil {
		return nil, nil, err
	}
	f, err := s.openRecordingFile(rec, stream)
	if err != nil {
		return nil, nil, err
	}
	if log {
		action := AccessPlay
		if act == RecActDownload {
			action = AccessDownload
		}
		var detail any
		if stream >= 0 {
			detail = map[string]any{"stream": stream}
		}
		if err := s.logAccessAlone(ctx, p, AccessEntry{Action: action, RecordingID: rec.RecordingID, RoomID: rec.RoomID, Detail: detail}); err != nil {
			f.Close()
			return nil, nil, err
		}
	}
	return rec, f, nil
}

// openRecordingFile opens a file of a recording whose rights were checked.
func (s *Service) openRecordingFile(rec *Recording, stream int) (RecordingFile, error) {
	id := rec.RecordingID
	if liveStatus(rec.Status) {
		return nil, recordingErr(ErrRecordingActive, "Recording %q is still being made", id)
	}
	if stream < -1 || stream >= len(rec.Streams) {
		return nil, invalid("stream", "must be from 0 to %d", len(rec.Streams)-1)
	}
	if s.cfg.Recorder == nil {
		return nil, recordingErr(ErrRecordingNotFound, "The files of recording %q are not available", id)
	}
	f, err := s.cfg.Recorder.Open(*rec, stream)
	if errors.Is(err, ErrNoRows) {
		return nil, recordingErr(ErrRecordingNotFound, "The files of recording %q are gone", id)
	} else if err != nil {
		return nil, internal("open recording", err)
	}
	return f, nil
}

// updateRecording stores a recording's new status with the webhook announcing it.
func (s *Service) updateRecording(ctx context.Context, rec *Recording) error {
	queued := false
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := tx.UpdateRecording(ctx, rec); err != nil {
			return err
		}
		queued = s.queueRecordingWebhook(ctx, tx, rec, false)
		return nil
	})
	s.webhooksQueued(queued, err)
	return err
}

// queueRecordingWebhook queues the event rec's status announces (created: it started).
func (s *Service) queueRecordingWebhook(ctx context.Context, tx Store, rec *Recording, created bool) bool {
	return s.queueWebhook(ctx, tx, WebhookEvent{Event: recordingWebhook(rec, created), Recording: copyRecording(rec)})
}
