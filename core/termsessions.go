package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// Control-room sessions (SPEC 8): every control room, over SSH or in the local terminal,
// is one session with a start and an end in the audit log and, unless policy says
// otherwise, an asciicast v2 recording of what it showed. Only output is recorded: the
// recorder sits on the way to the terminal, so nothing typed reaches the disk, and the
// control room masks password fields, so no echo of one does either.

// SessionFiles keeps the recordings of control-room sessions on disk (package cast);
// core names them by session id, never by a path from a request.
type SessionFiles interface {
	// Create starts the recording of session id with its header.
	Create(id string, h CastHeader) (CastWriter, error)
	// Read parses a recording for replay, up to the first damage.
	Read(id string) (*Cast, error)
	// Open opens a recording's file as written, for export.
	Open(id string) (io.ReadCloser, int64, error)
	// Remove deletes a recording; a missing one is no error.
	Remove(id string) error
	// Usage is the bytes the recordings take on disk.
	Usage() (int64, error)
	// Check looks cheaply (header, last line, size) for damage to a finished recording
	// of size bytes: "" when none is seen, else what is wrong.
	Check(id string, size int64) string
}

// CastWriter records one session's output as it goes.
type CastWriter interface {
	// Output records what the terminal was sent; it never fails the session.
	Output(p []byte)
	// Resize records a new terminal size.
	Resize(width, height int)
	// Size is the bytes written so far.
	Size() int64
	// Close flushes and closes the file.
	Close() error
}

// CastHeader is an asciicast v2 header as Conclave writes it.
type CastHeader struct {
	Width, Height int
	Timestamp     int64 // Unix seconds
	Title         string
	Env           map[string]string
}

// CastEvent is one event of a recording: Kind 'o' (output) or 'r' (resize, "WxH").
type CastEvent struct {
	Time float64 // seconds since the start
	Kind byte
	Data string
}

// Cast is a recording read back for replay.
type Cast struct {
	Header CastHeader
	Events []CastEvent
	// Damage says why reading stopped before the end of the file ("" when it did not):
	// the events are those before the damage.
	Damage string
	Size   int64
	// Live says the session runs still: the recording is read as far as it reached disk.
	Live bool
}

// Duration is the time of the last event.
func (c *Cast) Duration() float64 {
	if len(c.Events) == 0 {
		return 0
	}
	return c.Events[len(c.Events)-1].Time
}

// TermSession is one control-room session as the sessions table keeps it.
type TermSession struct {
	ID        string
	UserID    string
	Role      string
	Source    string // the client's address, or "local"
	Client    string // the SSH client's version, or "terminal"
	Via       string // "ssh" or "local"
	Width     int
	Height    int
	StartDate int64 // ms
	EndDate   int64 // ms; 0 while it runs (or when a crash cut it)
	Recorded  bool
	Size      int64 // bytes of its recording, as of its end
	// Live is set by core when the session runs now (it is not stored).
	Live bool
	// Damage says what is wrong with its recording's file ("" when nothing is seen; set
	// by ListTermSessions, not stored).
	Damage string
}

// TermSessionStore keeps the control-room sessions.
type TermSessionStore interface {
	CreateTermSession(ctx context.Context, s *TermSession) error
	// FinishTermSession records a session's end and its recording's size.
	FinishTermSession(ctx context.Context, id string, end, size int64) error
	GetTermSession(ctx context.Context, id string) (*TermSession, error)
	// ListTermSessions lists up to limit sessions, newest first.
	ListTermSessions(ctx context.Context, limit int) ([]TermSession, error)
	// TermSessionsStartedBefore lists up to limit sessions that started before cutoff,
	// oldest first.
	TermSessionsStartedBefore(ctx context.Context, cutoff int64, limit int) ([]TermSession, error)
	DeleteTermSession(ctx context.Context, id string) error
	// OpenTermSessions lists the sessions without an end.
	OpenTermSessions(ctx context.Context) ([]TermSession, error)
}

// EventSessionsChanged: a control-room session started or ended, or one was purged.
const EventSessionsChanged = "sessionsChanged"

// DefaultSessionRetention is how long session recordings are kept.
const DefaultSessionRetention = 90 * 24 * time.Hour

// MaxSessionRecordingBytes caps one session's recording; output past it is not recorded
// (the session goes on). A control room writes a few hundred KiB a minute at most.
const MaxSessionRecordingBytes = 256 << 20

// maxTermSessionsListed bounds the Sessions tab and `sessions ls`.
const maxTermSessionsListed = 500

// settingRecordSessions is the per-role policy, "admin=on,room_manager=on,room_member=off".
const settingRecordSessions = "record_sessions"

// ErrSessionNotFound: no such session, or it has no recording.
var ErrSessionNotFound = &Error{Kind: KindNotFound, Title: "Session Error", Code: "session_not_found", Message: "session not found"}

// sessionRoles are the roles a policy names, in the order it is shown.
var sessionRoles = []Role{RoleAdmin, RoleRoomManager, RoleRoomMember}

// ParseRecordSessions reads a --record-sessions value: "role=on|off" pairs separated by
// commas; roles not named keep the default, on.
func ParseRecordSessions(v string) (map[Role]bool, error) {
	out := map[Role]bool{}
	for _, r := range sessionRoles {
		out[r] = true
	}
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		role, rok := ParseRole(strings.TrimSpace(name))
		val = strings.TrimSpace(val)
		if !ok || !rok || (val != "on" && val != "off") {
			return nil, fmt.Errorf("record-sessions: %q: want role=on or role=off with role admin, room_manager or room_member", part)
		}
		out[role] = val == "on"
	}
	return out, nil
}

func formatRecordSessions(m map[Role]bool) string {
	parts := make([]string, 0, len(sessionRoles))
	for _, r := range sessionRoles {
		parts = append(parts, string(r)+"="+onOff(m[r]))
	}
	return strings.Join(parts, ",")
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// SessionPolicy is whether each role's control-room sessions are recorded.
type SessionPolicy struct {
	Roles map[Role]bool
	// ServerSwitch is the recording server switch: off records nothing at all.
	ServerSwitch bool
}

// SessionRoles lists the roles of a policy in display order.
func SessionRoles() []Role { return append([]Role(nil), sessionRoles...) }

func (s *Service) recordSessionsPolicy(ctx context.Context, st Store) map[Role]bool {
	v, err := st.GetSetting(ctx, settingRecordSessions)
	if err != nil {
		v = s.cfg.RecordSessions
	}
	m, err := ParseRecordSessions(v)
	if err != nil {
		m, _ = ParseRecordSessions("")
	}
	return m
}

// SessionRecordingPolicy is the policy, for admins.
func (s *Service) SessionRecordingPolicy(ctx context.Context, p *Principal) (SessionPolicy, error) {
	if err := p.requireAdmin(); err != nil {
		return SessionPolicy{}, err
	}
	return SessionPolicy{Roles: s.recordSessionsPolicy(ctx, s.store), ServerSwitch: s.RecordingEnabled(ctx)}, nil
}

// SetSessionRecording turns the recording of one role's sessions on or off (admins); it is
// persisted, audited and applies to sessions that start after it.
func (s *Service) SetSessionRecording(ctx context.Context, p *Principal, role Role, on bool) error {
	if err := p.requireAdmin(); err != nil {
		return err
	}
	if _, ok := ParseRole(string(role)); !ok {
		var v validator
		v.add("role", "Must be admin, room_manager or room_member")
		return v.err()
	}
	err := s.store.InTx(ctx, func(tx Store) error {
		m := s.recordSessionsPolicy(ctx, tx) // read in the transaction: two changes never lose one
		m[role] = on
		v := formatRecordSessions(m)
		if err := tx.PutSetting(ctx, settingRecordSessions, v); err != nil {
			return internal("save session recording policy", err)
		}
		return s.auditAs(ctx, tx, p, "settings.record_sessions", "server", map[string]string{"role": string(role), "record": onOff(on)})
	})
	if err == nil {
		s.bus.Publish(Event{Type: EventSettingsChanged})
	}
	return err
}

// ApplyRecordSessionsFlag makes the --record-sessions flag, when given, the policy at start.
func (s *Service) ApplyRecordSessionsFlag(ctx context.Context, v string) error {
	if v == "" {
		return nil
	}
	m, err := ParseRecordSessions(v)
	if err != nil {
		return err
	}
	return s.store.PutSetting(ctx, settingRecordSessions, formatRecordSessions(m))
}

// termSessions are the control-room sessions running now; the zero value is ready.
type termSessions struct {
	mu   sync.Mutex
	live map[string]*LiveTermSession
}

// LiveTermSession is a control-room session while it runs. Its methods are safe on nil
// and from any goroutine.
type LiveTermSession struct {
	svc       *Service
	ID        string
	Recorded  bool
	principal *Principal
	start     time.Time

	mapNL bool

	mu     sync.Mutex
	w      CastWriter
	ended  bool
	capped bool
}

// TermSessionStart describes a control room that starts.
type TermSessionStart struct {
	UserID        string
	Meta          RequestMeta // Source, Device (the SSH client's version), Via
	Width, Height int
	Term          string
	// MapNewlines says the terminal is sent \r\n for each \n written (an emulated PTY,
	// as the SSH server's): the recording then holds what the terminal received.
	MapNewlines bool
}

// StartTermSession opens a control-room session: its start goes into the sessions table
// and the audit log, and its recording starts unless the server switch is off, the user's
// role opts out or the free disk is below MinFreeDisk. A recording that cannot start is
// logged; the session goes on.
func (s *Service) StartTermSession(ctx context.Context, in TermSessionStart) (*LiveTermSession, error) {
	u, err := s.store.GetUser(ctx, in.UserID)
	if err != nil {
		return nil, internal("load user", err)
	}
	now := s.now()
	ts := &TermSession{
		ID: now.UTC().Format("20060102-150405") + "-" + randomID(6), UserID: u.UserID, Role: string(u.Role),
		Source: truncate(in.Meta.Source, 100), Client: truncate(in.Meta.Device, 200), Via: truncate(in.Meta.Via, 20),
		Width: max(in.Width, 1), Height: max(in.Height, 1), StartDate: now.UnixMilli(),
	}
	live := &LiveTermSession{svc: s, ID: ts.ID, start: now, mapNL: in.MapNewlines,
		principal: &Principal{Kind: PrincipalUser, User: u, Meta: in.Meta}}
	record := s.cfg.SessionFiles != nil && s.RecordingEnabled(ctx) && s.recordSessionsPolicy(ctx, s.store)[u.Role]
	if record && s.cfg.Recorder != nil {
		// As meeting recordings: none starts with less free disk than --min-free-disk.
		if free, err := s.cfg.Recorder.FreeBytes(); err == nil && free < s.cfg.MinFreeDisk {
			s.log.Warn("session not recorded: free disk below --min-free-disk", "user", u.UserID, "free", free)
			record = false
		}
	}
	if record {
		env := map[string]string{"USER": u.UserID, "CONCLAVE_SOURCE": ts.Source, "CONCLAVE_VIA": ts.Via}
		if in.Term != "" {
			env["TERM"] = truncate(in.Term, 60)
		}
		if ts.Via == "ssh" {
			env["SSH_CLIENT_VERSION"] = ts.Client
		}
		w, err := s.cfg.SessionFiles.Create(ts.ID, CastHeader{Width: ts.Width, Height: ts.Height, Timestamp: now.Unix(),
			Title: fmt.Sprintf("%s@%s (%s)", u.UserID, ts.Source, ts.Client), Env: env})
		if err != nil {
			s.log.Error("session recording did not start", "user", u.UserID, "err", err)
		} else {
			live.w, live.Recorded, ts.Recorded = w, true, true
		}
	}
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.CreateTermSession(ctx, ts); err != nil {
			return internal("create session", err)
		}
		return s.auditAs(ctx, tx, live.principal, "session.start", "session:"+ts.ID,
			map[string]any{"recorded": ts.Recorded, "width": ts.Width, "height": ts.Height})
	})
	if err != nil {
		if live.w != nil {
			live.w.Close()
			s.cfg.SessionFiles.Remove(ts.ID)
		}
		return nil, err
	}
	s.terms.mu.Lock()
	if s.terms.live == nil {
		s.terms.live = map[string]*LiveTermSession{}
	}
	s.terms.live[ts.ID] = live
	s.terms.mu.Unlock()
	s.bus.Publish(Event{Type: EventSessionsChanged, UserID: u.UserID})
	return live, nil
}

// Output records what the session's terminal was sent.
func (l *LiveTermSession) Output(p []byte) {
	if l == nil || len(p) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w == nil || l.ended || l.capped {
		return
	}
	if l.w.Size() > MaxSessionRecordingBytes {
		l.capped = true
		l.svc.log.Warn("session recording reached its size limit; the rest is not recorded", "session", l.ID)
		return
	}
	p = redactOutput(p)
	if l.mapNL && bytes.IndexByte(p, '\n') >= 0 {
		// As the emulated PTY does it: every \n becomes \r\n, once.
		p = bytes.ReplaceAll(p, []byte{'\n'}, []byte{'\r', '\n'})
		p = bytes.ReplaceAll(p, []byte{'\r', '\r', '\n'}, []byte{'\r', '\n'})
	}
	l.w.Output(p)
}

// Resize records a new terminal size.
func (l *LiveTermSession) Resize(width, height int) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w != nil && !l.ended && !l.capped {
		l.w.Resize(width, height)
	}
}

var (
	// apiKeyShown is an API key as the control room shows it once, when it is made: the
	// recording keeps its id and masks its secret, which Conclave keeps nowhere else.
	apiKeyShown = regexp.MustCompile(APIKeyPrefix + `[a-z0-9]{12}_([A-Za-z0-9]+)`)
	// osc52 is a copy to the terminal's clipboard, with its terminator: what is copied (a
	// link, a key) is no part of what the screen showed, and a replay must not set anyone's
	// clipboard, so it is left out whole.
	osc52 = regexp.MustCompile("\x1b\\]52;[^\x07\x1b]*(?:\x07|\x1b\\\\)?")
)

// redactOutput masks in p what a recording must not keep although the terminal got it.
func redactOutput(p []byte) []byte {
	hasKey := bytes.Contains(p, []byte(APIKeyPrefix))
	hasCopy := bytes.Contains(p, []byte("\x1b]52;"))
	if !hasKey && !hasCopy {
		return p
	}
	out := append([]byte(nil), p...)
	if hasKey {
		for _, m := range apiKeyShown.FindAllSubmatchIndex(out, -1) {
			for i := m[2]; i < m[3]; i++ {
				out[i] = '*'
			}
		}
	}
	if hasCopy {
		out = osc52.ReplaceAll(out, nil)
	}
	return out
}

// Writer returns w with every write also recorded.
func (l *LiveTermSession) Writer(w io.Writer) io.Writer {
	if l == nil || !l.Recorded {
		return w
	}
	return &teeWriter{w: w, l: l}
}

type teeWriter struct {
	w io.Writer
	l *LiveTermSession
}

func (t *teeWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	t.l.Output(p[:n])
	return n, err
}

// End closes the session: its recording is finished and its end audited.
func (l *LiveTermSession) End(ctx context.Context) {
	if l == nil {
		return
	}
	// The session's context has usually ended by now: its end is recorded all the same.
	ctx = context.WithoutCancel(ctx)
	l.mu.Lock()
	if l.ended {
		l.mu.Unlock()
		return
	}
	l.ended = true
	var size int64
	if l.w != nil {
		size = l.w.Size()
		if err := l.w.Close(); err != nil {
			l.svc.log.Error("session recording did not close", "session", l.ID, "err", err)
		}
	}
	l.mu.Unlock()
	s := l.svc
	s.terms.mu.Lock()
	delete(s.terms.live, l.ID)
	s.terms.mu.Unlock()
	end := s.now()
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := tx.FinishTermSession(ctx, l.ID, end.UnixMilli(), size); err != nil {
			return internal("finish session", err)
		}
		return s.auditAs(ctx, tx, l.principal, "session.end", "session:"+l.ID,
			map[string]any{"recorded": l.Recorded, "durationMs": end.Sub(l.start).Milliseconds(), "size": size})
	})
	if err != nil {
		s.log.Error("session end not recorded", "session", l.ID, "err", err)
	}
	s.bus.Publish(Event{Type: EventSessionsChanged, UserID: l.principal.User.UserID})
}

// TermSessionList is the Sessions tab's content.
type TermSessionList struct {
	Sessions []TermSession
	// Bytes is what the recordings take on disk.
	Bytes int64
}

// ListTermSessions lists the latest control-room sessions, newest first (admins), each
// marked live when it runs now.
func (s *Service) ListTermSessions(ctx context.Context, p *Principal) (TermSessionList, error) {
	if err := p.requireAdmin(); err != nil {
		return TermSessionList{}, err
	}
	list, err := s.store.ListTermSessions(ctx, maxTermSessionsListed)
	if err != nil {
		return TermSessionList{}, internal("list sessions", err)
	}
	s.terms.mu.Lock()
	for i := range list {
		if l, ok := s.terms.live[list[i].ID]; ok {
			list[i].Live = true
			list[i].Size = l.size()
		}
	}
	s.terms.mu.Unlock()
	out := TermSessionList{Sessions: list}
	if s.cfg.SessionFiles != nil {
		out.Bytes, _ = s.cfg.SessionFiles.Usage()
		for i := range list {
			if list[i].Recorded && !list[i].Live {
				list[i].Damage = s.cfg.SessionFiles.Check(list[i].ID, list[i].Size)
			}
		}
	}
	return out, nil
}

// Size is the bytes its recording holds so far.
func (l *LiveTermSession) Size() int64 {
	if l == nil {
		return 0
	}
	return l.size()
}

func (l *LiveTermSession) size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w == nil {
		return 0
	}
	return l.w.Size()
}

func (s *Service) recordedSession(ctx context.Context, p *Principal, id string) (*TermSession, error) {
	if err := p.requireAdmin(); err != nil {
		return nil, err
	}
	ts, err := s.store.GetTermSession(ctx, id)
	if isNoRows(err) || (err == nil && !ts.Recorded) || s.cfg.SessionFiles == nil {
		return nil, recordingErr(ErrSessionNotFound, "session %q has no recording", id)
	} else if err != nil {
		return nil, internal("get session", err)
	}
	return ts, nil
}

// ReplayTermSession reads a session's recording for replay (admins); the replay is audited.
func (s *Service) ReplayTermSession(ctx context.Context, p *Principal, id string) (*Cast, error) {
	if _, err := s.recordedSession(ctx, p, id); err != nil {
		return nil, err
	}
	c, err := s.cfg.SessionFiles.Read(id)
	if errors.Is(err, ErrNoRows) {
		return nil, recordingErr(ErrSessionNotFound, "the recording of session %q is not on disk", id)
	} else if err != nil {
		return nil, internal("read session recording", err)
	}
	s.terms.mu.Lock()
	_, c.Live = s.terms.live[id]
	s.terms.mu.Unlock()
	if c.Live && strings.HasPrefix(c.Damage, "truncated") {
		c.Damage = "" // the line being written: not damage
	}
	if err := s.auditAs(ctx, s.store, p, "session.replay", "session:"+id, ""); err != nil {
		return nil, internal("audit", err)
	}
	return c, nil
}

// ExportTermSession opens a session's recording as written (admins); the export is audited.
func (s *Service) ExportTermSession(ctx context.Context, p *Principal, id string) (io.ReadCloser, int64, error) {
	if _, err := s.recordedSession(ctx, p, id); err != nil {
		return nil, 0, err
	}
	f, n, err := s.cfg.SessionFiles.Open(id)
	if errors.Is(err, ErrNoRows) {
		return nil, 0, recordingErr(ErrSessionNotFound, "the recording of session %q is not on disk", id)
	} else if err != nil {
		return nil, 0, internal("open session recording", err)
	}
	if err := s.auditAs(ctx, s.store, p, "session.export", "session:"+id, ""); err != nil {
		f.Close()
		return nil, 0, internal("audit", err)
	}
	return f, n, nil
}

// CloseInterruptedTermSessions ends, at start-up, the sessions a crash left open: their end
// is the start-up time, their size what is on disk.
func (s *Service) CloseInterruptedTermSessions(ctx context.Context) error {
	open, err := s.store.OpenTermSessions(ctx)
	if err != nil {
		return internal("open sessions", err)
	}
	for _, ts := range open {
		var size int64
		if ts.Recorded && s.cfg.SessionFiles != nil {
			if c, err := s.cfg.SessionFiles.Read(ts.ID); err == nil {
				size = c.Size
			}
		}
		p := System()
		err := s.store.InTx(ctx, func(tx Store) error {
			if err := tx.FinishTermSession(ctx, ts.ID, s.nowMS(), size); err != nil {
				return err
			}
			return s.auditAs(ctx, tx, p, "session.end", "session:"+ts.ID, map[string]any{"recorded": ts.Recorded, "interrupted": true, "size": size})
		})
		if err != nil {
			return internal("close interrupted session", err)
		}
	}
	return nil
}

// sweepTermSessions deletes the sessions (and recordings) older than the retention.
func (s *Service) sweepTermSessions(ctx context.Context) (int, error) {
	cutoff := s.now().Add(-s.cfg.SessionRetention).UnixMilli()
	old, err := s.store.TermSessionsStartedBefore(ctx, cutoff, 100)
	if err != nil {
		return 0, internal("list old sessions", err)
	}
	sort.Slice(old, func(i, j int) bool { return old[i].StartDate < old[j].StartDate })
	n := 0
	for _, ts := range old {
		if ts.EndDate == 0 {
			continue // still running
		}
		if ts.Recorded && s.cfg.SessionFiles != nil {
			if err := s.cfg.SessionFiles.Remove(ts.ID); err != nil {
				s.log.Warn("janitor: session recording not removed", "session", ts.ID, "err", err)
				continue
			}
		}
		err := s.store.InTx(ctx, func(tx Store) error {
			if err := tx.DeleteTermSession(ctx, ts.ID); err != nil {
				return err
			}
			return s.auditAs(ctx, tx, System(), "session.purge", "session:"+ts.ID, map[string]string{"reason": "retention"})
		})
		if err != nil {
			return n, internal("purge session", err)
		}
		n++
	}
	if n > 0 {
		s.bus.Publish(Event{Type: EventSessionsChanged})
	}
	return n, nil
}

// RecordCommand audits one non-interactive SSH command and its exit status: commands are
// audited, not recorded.
func (s *Service) RecordCommand(ctx context.Context, userID string, meta RequestMeta, command string, exit int) {
	p := &Principal{Kind: PrincipalUser, User: &User{UserID: userID}, Meta: meta}
	if err := s.auditAs(ctx, s.store, p, "ssh.command", "user:"+userID,
		map[string]any{"command": truncate(command, 200), "exit": exit}); err != nil {
		s.log.Error("audit append failed", "action", "ssh.command", "err", err)
	}
}
