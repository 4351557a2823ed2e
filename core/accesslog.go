package core

import (
	"context"
	"encoding/json"
)

// Recording access log actions (SPEC 7.3): what was done with a recording.
const (
	AccessList           = "list"     // a listing of recordings (RecordingID empty)
	AccessPlay           = "play"     // a viewing started: the first request of one, see AccessOptions.NewViewing
	AccessDownload       = "download" // one file as an attachment
	AccessZip            = "zip"      // a recording's files went into a zip
	AccessShareCreate    = "share.create"
	AccessShareUse       = "share.use"
	AccessSharePassword  = "share.passwordFailed"
	AccessShareRevoke    = "share.revoke"
	AccessDelete         = "delete"  // for the trash's callers
	AccessRestore        = "restore" // for the trash's callers
	AccessPurge          = "purge"   // removed for good: from the trash, by force, by retention
	AccessURL            = "url"     // GET …/recordings/{id}/url made a link
	accessActorUser      = "user"
	accessActorMember    = "member"
	accessActorAnonymous = "anonymousLink"
	accessActorShare     = "shareLink"
	accessActorAPIKey    = "apiKey"
	accessActorSystem    = "system"
)

// AccessLogEntry is one line of the recording access log: who did what to which
// recording, when, from where and with what device.
type AccessLogEntry struct {
	ID          int64
	Time        int64 // epoch ms
	RecordingID string
	RoomID      string
	Action      string
	Actor       string // as the audit log names actors ("user:alice", "shareLink:…")
	ActorKind   string // user | member | anonymousLink | shareLink | apiKey | system
	LinkID      string // the share link used or acted on
	Outcome     string // success | failure
	Source      string
	Device      string // user agent, or "ssh SSH-2.0-…"
	Detail      string
}

// AccessLogQuery filters the access log, newest first.
type AccessLogQuery struct {
	ListOptions
	RecordingID string
	RoomID      string
	Actor       string
	Action      string
	Since       int64 // epoch ms, inclusive; 0 = no bound
	Until       int64 // epoch ms, exclusive; 0 = no bound
	// Rooms, when non-nil, keeps only entries of these rooms (an owner's view).
	Rooms []string
}

// AccessLogStore keeps the recording access log, which is append-only.
type AccessLogStore interface {
	AppendAccessLog(ctx context.Context, e *AccessLogEntry) error
	ListAccessLog(ctx context.Context, q AccessLogQuery) (Page[AccessLogEntry], error)
}

// AccessEntry is what a caller of logRecordingAccess says of an access.
type AccessEntry struct {
	Action      string
	RecordingID string
	RoomID      string
	LinkID      string
	Failed      bool
	Detail      any // a string, or anything JSON-encodable
}

// logRecordingAccess appends an access of p to the access log through st: a transaction
// when the access changes something (a share link used, created or revoked; a recording
// deleted or restored), so that the change and its record commit together, else the
// store. Callers outside this file (delete and restore in the trash) use it the same way.
func (s *Service) logRecordingAccess(ctx context.Context, st Store, p *Principal, e AccessEntry) error {
	entry := &AccessLogEntry{
		Time: s.nowMS(), RecordingID: e.RecordingID, RoomID: e.RoomID, Action: e.Action,
		Actor: p.Actor(), ActorKind: accessActorKind(p), LinkID: e.LinkID, Outcome: OutcomeSuccess,
		Source: p.Meta.Source, Device: truncate(deviceOf(p.Meta), 200),
	}
	if p.Kind == PrincipalShareLink && entry.LinkID == "" {
		entry.LinkID = p.Share.LinkID
	}
	if e.Failed {
		entry.Outcome = OutcomeFailure
	}
	switch d := e.Detail.(type) {
	case nil:
	case string:
		entry.Detail = truncate(d, 1000)
	default:
		if b, err := json.Marshal(d); err == nil {
			entry.Detail = truncate(string(b), 1000)
		}
	}
	if err := st.AppendAccessLog(ctx, entry); err != nil {
		return internal("append access log", err)
	}
	return nil
}

// logAccessAlone appends an access that changes nothing else (a play, a download, a
// listing); a failure to write it refuses the access, so that nothing is served unlogged.
func (s *Service) logAccessAlone(ctx context.Context, p *Principal, e AccessEntry) error {
	err := s.logRecordingAccess(ctx, s.store, p, e)
	if err != nil {
		s.log.Error("access log append failed", "action", e.Action, "recording", e.RecordingID, "err", err)
	}
	return err
}

func accessActorKind(p *Principal) string {
	switch p.Kind {
	case PrincipalUser:
		return accessActorUser
	case PrincipalAPIKey:
		return accessActorAPIKey
	case PrincipalSystem:
		return accessActorSystem
	case PrincipalShareLink:
		return accessActorShare
	case PrincipalMember:
		if p.Member.SubjectKind == SubjectAnonymous {
			return accessActorAnonymous
		}
		return accessActorMember
	}
	return "anonymous"
}

// maxLogTime bounds access-log time filters: nothing is older than the epoch or later
// than year 9999.
const maxLogTime = 253402300799999

// ListAccessLog lists the recording access log: admins (and API keys) all of it, room
// owners their rooms' entries, nobody else anything (403).
func (s *Service) ListAccessLog(ctx context.Context, p *Principal, q AccessLogQuery) (Page[AccessLogEntry], error) {
	if err := p.active(); err != nil {
		return Page[AccessLogEntry]{}, err
	}
	var err error
	if q.ListOptions, err = checkList(q.ListOptions, "time"); err != nil {
		return Page[AccessLogEntry]{}, err
	}
	var v validator
	checkLogTime(&v, "since", q.Since)
	checkLogTime(&v, "until", q.Until)
	if q.Since != 0 && q.Until != 0 && q.Until <= q.Since {
		v.add("until", "must be after since")
	}
	for _, f := range []struct{ name, val string }{{"recordingId", q.RecordingID}, {"roomId", q.RoomID}, {"actor", q.Actor}, {"action", q.Action}} {
		if len(f.val) > 200 {
			v.add(f.name, "must be at most 200 characters")
		}
	}
	if err := v.err(); err != nil {
		return Page[AccessLogEntry]{}, err
	}
	q.Rooms = nil
	if !p.isAdmin() {
		if p.Kind != PrincipalUser {
			return Page[AccessLogEntry]{}, forbidden("Only admins and room owners may read the access log")
		}
		rooms, err := s.ownedRooms(ctx, p)
		if err != nil {
			return Page[AccessLogEntry]{}, err
		}
		if len(rooms) == 0 {
			return Page[AccessLogEntry]{}, forbidden("Only admins and room owners may read the access log")
		}
		q.Rooms = rooms
	}
	page, err := s.store.ListAccessLog(ctx, q)
	return page, listErr("access log", err)
}

// RecordingAccessLog lists one recording's access log: its room's owner and admins.
func (s *Service) RecordingAccessLog(ctx context.Context, p *Principal, recordingID string, q AccessLogQuery) (Page[AccessLogEntry], error) {
	if err := p.active(); err != nil {
		return Page[AccessLogEntry]{}, err
	}
	rec, err := s.loadRecording(ctx, recordingID)
	if err != nil {
		return Page[AccessLogEntry]{}, err
	}
	if !p.isAdmin() {
		room, err := s.store.GetRoom(ctx, rec.RoomID)
		if err != nil && !isNoRows(err) {
			return Page[AccessLogEntry]{}, internal("load room", err)
		}
		if room == nil || p.Kind != PrincipalUser || room.Owner != p.User.UserID {
			return Page[AccessLogEntry]{}, forbidden("Only admins and the owner of room %q may read its access log", rec.RoomID)
		}
	}
	q.RecordingID = recordingID
	return s.ListAccessLog(ctx, p, q)
}

func checkLogTime(v *validator, field string, t int64) {
	if t < 0 || t > maxLogTime {
		v.add(field, "must be a time in epoch milliseconds from 0 to %d", int64(maxLogTime))
	}
}
