package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"conclave/core"
)

// fakeBackend serves canned data to the page tests that gain nothing from core over
// SQLite: what they check is how a page shows data and reacts to events, not what core
// stores. Its fields are the data; tests set them directly.
//
// Backend is embedded unset: a call the fake does not provide panics, the control room
// turns the panic into an "Internal error" flash, and the harness fails the test on it.
// Calls that change something publish the event core would, so pages follow as they do
// in production.
type fakeBackend struct {
	Backend
	bus *core.Bus
	// clock stamps what the fake creates; it only ever moves on.
	clock int64

	users     []core.User
	passwords map[string]string
	rooms     []fakeRoom
	live      []core.LiveMeeting
	audit     []core.AuditEntry // oldest first, as appended
	keys      map[string][]core.SSHKey

	recordings []core.Recording // in any order; ListRecordings sorts
	// recordingCalls logs the recording calls that change something: "start <roomId>",
	// "stop <recordingId>", "switch on|off".
	recordingCalls []string
	termSessions   []core.TermSession
	// sessionsOff are the roles whose control-room sessions are not recorded.
	sessionsOff map[core.Role]bool
	// startErr, when set, is StartRecording's answer (core's refusal).
	startErr     error
	recordingOff bool // the server switch
}

// fakeRoom is a room and the grant every caller has in it.
type fakeRoom struct {
	room  core.Room
	grant core.Grant
}

func newFakeBackend() *fakeBackend {
	f := &fakeBackend{
		bus:       core.NewBus(),
		clock:     time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC).UnixMilli(),
		passwords: map[string]string{},
		keys:      map[string][]core.SSHKey{},
	}
	f.addUser(core.RootAdminID, "Administrator", core.RoleAdmin, "admin-pass")
	return f
}

func (f *fakeBackend) now() int64 {
	f.clock += 1000
	return f.clock
}

// addUser adds a user who need not change its password.
func (f *fakeBackend) addUser(id, name string, role core.Role, password string) {
	f.users = append(f.users, core.User{UserID: id, Name: name, Role: role, RegistrationDate: f.now()})
	f.passwords[id] = password
	f.appendAudit("user:"+core.RootAdminID, "user.create", "user:"+id, "")
}

// addRoom adds a room in which every caller has grant, as if made through the REST API:
// it is audited and announced.
func (f *fakeBackend) addRoom(name string, grant core.Grant) *core.Room {
	r := core.Room{RoomID: core.NewRoomID(name), RoomName: name, Owner: core.RootAdminID, CreationDate: f.now(), Status: core.StatusOpen}
	f.rooms = append(f.rooms, fakeRoom{room: r, grant: grant})
	f.appendAudit("user:"+core.RootAdminID, "room.create", "room:"+r.RoomID, fmt.Sprintf(`{"roomName":%q}`, name))
	f.bus.Publish(core.Event{Type: core.EventRoomChanged, RoomID: r.RoomID})
	return &r
}

func (f *fakeBackend) appendAudit(actor, action, target, detail string) {
	f.audit = append(f.audit, core.AuditEntry{
		ID: int64(len(f.audit) + 1), Time: f.now(), Actor: actor, Action: action, Target: target,
		Outcome: core.OutcomeSuccess, Source: "127.0.0.1", Device: "test", Detail: detail,
	})
}

// participants counts the participants of every live meeting.
func (f *fakeBackend) participants() int {
	n := 0
	for _, m := range f.live {
		n += len(m.Participants)
	}
	return n
}

func (f *fakeBackend) Bus() *core.Bus { return f.bus }

func (f *fakeBackend) user(id string) *core.User {
	for i := range f.users {
		if f.users[i].UserID == id {
			return &f.users[i]
		}
	}
	return nil
}

func (f *fakeBackend) UserPrincipal(_ context.Context, userID string, meta core.RequestMeta) (*core.Principal, error) {
	u := f.user(userID)
	if u == nil {
		return nil, core.ErrUnauthenticated
	}
	cp := *u
	return &core.Principal{Kind: core.PrincipalUser, User: &cp, Meta: meta}, nil
}

func (f *fakeBackend) ListRooms(context.Context, *core.Principal, core.RoomQuery) (core.Page[core.Room], error) {
	var page core.Page[core.Room]
	for _, r := range f.rooms {
		page.Items = append(page.Items, r.room)
	}
	return page, nil
}

func (f *fakeBackend) GetRoom(_ context.Context, _ *core.Principal, roomID string) (*core.Room, core.Grant, error) {
	for _, r := range f.rooms {
		if r.room.RoomID == roomID {
			room := r.room
			return &room, r.grant, nil
		}
	}
	return nil, core.Grant{}, core.ErrNotFound
}

func (f *fakeBackend) RoomURL(roomID string) string { return "http://meet.test/meet/room/" + roomID }

func (f *fakeBackend) AccessURL(r *core.Room, role string) string {
	return "http://meet.test/meet/room/" + r.RoomID + "?role=" + role
}

func (f *fakeBackend) LiveMeetings(context.Context, *core.Principal) ([]core.LiveMeeting, error) {
	return slices.Clone(f.live), nil
}

func (f *fakeBackend) ListUsers(context.Context, *core.Principal, core.UserQuery) (core.Page[core.User], error) {
	return core.Page[core.User]{Items: slices.Clone(f.users)}, nil
}

// ListAudit filters as core documents AuditQuery (actor and target exact, action a
// prefix, since inclusive, until exclusive) and lists newest first, all on one page.
func (f *fakeBackend) ListAudit(_ context.Context, _ *core.Principal, q core.AuditQuery) (core.Page[core.AuditEntry], error) {
	var page core.Page[core.AuditEntry]
	for _, e := range slices.Backward(f.audit) {
		switch {
		case q.Actor != "" && e.Actor != q.Actor,
			q.Target != "" && e.Target != q.Target,
			!strings.HasPrefix(e.Action, q.Action),
			q.Since != 0 && e.Time < q.Since,
			q.Until != 0 && e.Time >= q.Until:
			continue
		}
		page.Items = append(page.Items, e)
	}
	return page, nil
}

// ChangePassword refuses a wrong current password with core's own error, which the form
// places beside the field.
func (f *fakeBackend) ChangePassword(_ context.Context, p *core.Principal, current, next string) (*core.LoginResult, error) {
	id := p.User.UserID
	if f.passwords[id] != current {
		return nil, &core.Error{Kind: core.KindBadRequest, Title: "Change Password Error", Message: "Invalid current password"}
	}
	f.passwords[id] = next
	u := f.user(id)
	u.MustChangePassword = false
	f.bus.Publish(core.Event{Type: core.EventUserChanged, UserID: id})
	return &core.LoginResult{User: u}, nil
}

func (f *fakeBackend) ListSSHKeys(_ context.Context, _ *core.Principal, userID string) ([]core.SSHKey, error) {
	return slices.Clone(f.keys[userID]), nil
}

func (f *fakeBackend) AddSSHKey(_ context.Context, _ *core.Principal, userID, line string) (*core.SSHKey, error) {
	pub, comment, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return nil, &core.Error{Kind: core.KindValidation, Message: "not an SSH public key",
			Details: []core.FieldError{{Field: "key", Message: "not an SSH public key"}}}
	}
	k := core.SSHKey{
		ID: fmt.Sprintf("key%d", f.now()), UserID: userID, Fingerprint: ssh.FingerprintSHA256(pub),
		Type: pub.Type(), Comment: comment, PublicKey: pub.Marshal(), Added: f.now(),
	}
	f.keys[userID] = append(f.keys[userID], k)
	f.bus.Publish(core.Event{Type: core.EventUserChanged, UserID: userID})
	return &k, nil
}

func (f *fakeBackend) DeleteSSHKey(_ context.Context, _ *core.Principal, userID, idOrFingerprint string) error {
	n := len(f.keys[userID])
	f.keys[userID] = slices.DeleteFunc(f.keys[userID], func(k core.SSHKey) bool {
		return k.ID == idOrFingerprint || k.Fingerprint == idOrFingerprint
	})
	if len(f.keys[userID]) == n {
		return core.ErrNotFound
	}
	f.bus.Publish(core.Event{Type: core.EventUserChanged, UserID: userID})
	return nil
}

func (f *fakeBackend) recording(id string) *core.Recording {
	for i := range f.recordings {
		if f.recordings[i].RecordingID == id {
			return &f.recordings[i]
		}
	}
	return nil
}

// addRecording adds a recording of room, started at start (epoch ms), in status.
func (f *fakeBackend) addRecording(room *core.Room, status string, start int64) *core.Recording {
	f.recordings = append(f.recordings, core.Recording{
		RecordingID: fmt.Sprintf("%s--rec%d", room.RoomID, len(f.recordings)+1), RoomID: room.RoomID, RoomName: room.RoomName,
		Status: status, StartDate: start, StartedBy: "user:admin",
	})
	return &f.recordings[len(f.recordings)-1]
}

func (f *fakeBackend) RoomRecordingID(roomID string) string {
	for _, r := range f.recordings {
		if r.RoomID == roomID && (r.Status == core.RecStarting || r.Status == core.RecActive || r.Status == core.RecEnding) {
			return r.RecordingID
		}
	}
	return ""
}

func (f *fakeBackend) GetRecording(_ context.Context, _ *core.Principal, id string) (*core.Recording, error) {
	if r := f.recording(id); r != nil {
		cp := *r
		return &cp, nil
	}
	return nil, core.ErrRecordingNotFound
}

func (f *fakeBackend) StartRecording(_ context.Context, _ *core.Principal, roomID, _ string) (*core.Recording, error) {
	f.recordingCalls = append(f.recordingCalls, "start "+roomID)
	if f.startErr != nil {
		return nil, f.startErr
	}
	if f.RoomRecordingID(roomID) != "" {
		return nil, core.ErrRecordingActive
	}
	room, _, err := f.GetRoom(context.Background(), nil, roomID)
	if err != nil {
		return nil, err
	}
	r := *f.addRecording(room, core.RecActive, f.now())
	f.bus.Publish(core.Event{Type: core.EventRecordingChanged, RoomID: roomID, RecordingID: r.RecordingID})
	return &r, nil
}

func (f *fakeBackend) StopRecording(_ context.Context, _ *core.Principal, id string) (*core.Recording, error) {
	f.recordingCalls = append(f.recordingCalls, "stop "+id)
	r := f.recording(id)
	if r == nil {
		return nil, core.ErrRecordingNotFound
	}
	if r.Status != core.RecActive && r.Status != core.RecStarting {
		return nil, core.ErrRecordingNotActive
	}
	r.Status = core.RecEnding
	f.bus.Publish(core.Event{Type: core.EventRecordingChanged, RoomID: r.RoomID, RecordingID: id})
	cp := *r
	return &cp, nil
}

// ListRecordings filters by room and lists newest first, one page of MaxItems.
func (f *fakeBackend) ListRecordings(_ context.Context, _ *core.Principal, q core.RecordingQuery) (core.Page[core.Recording], error) {
	var page core.Page[core.Recording]
	for _, r := range f.recordings {
		if q.RoomID == "" || r.RoomID == q.RoomID {
			page.Items = append(page.Items, r)
		}
	}
	slices.SortFunc(page.Items, func(a, b core.Recording) int { return int(b.StartDate - a.StartDate) })
	if q.MaxItems > 0 && len(page.Items) > q.MaxItems {
		page.Items, page.Next = page.Items[:q.MaxItems], "more"
	}
	return page, nil
}

func (f *fakeBackend) RecordingSwitch(context.Context, *core.Principal) (bool, error) {
	return !f.recordingOff, nil
}

func (f *fakeBackend) SetRecordingEnabled(_ context.Context, _ *core.Principal, on bool) error {
	f.recordingCalls = append(f.recordingCalls, "switch "+map[bool]string{true: "on", false: "off"}[on])
	f.recordingOff = !on
	f.bus.Publish(core.Event{Type: core.EventSettingsChanged})
	return nil
}

// ListTermSessions answers termSessions as they are.
func (f *fakeBackend) ListTermSessions(context.Context, *core.Principal) (core.TermSessionList, error) {
	return core.TermSessionList{Sessions: f.termSessions}, nil
}

// SessionRecordingPolicy answers every role recorded but those in sessionsOff.
func (f *fakeBackend) SessionRecordingPolicy(context.Context, *core.Principal) (core.SessionPolicy, error) {
	m := map[core.Role]bool{}
	for _, r := range core.SessionRoles() {
		m[r] = !f.sessionsOff[r]
	}
	return core.SessionPolicy{Roles: m, ServerSwitch: !f.recordingOff}, nil
}

func (f *fakeBackend) SetSessionRecording(_ context.Context, _ *core.Principal, role core.Role, on bool) error {
	if f.sessionsOff == nil {
		f.sessionsOff = map[core.Role]bool{}
	}
	f.sessionsOff[role] = !on
	f.bus.Publish(core.Event{Type: core.EventSettingsChanged})
	return nil
}

// speakerGrant is what a member with the speaker role may do in a room.
func speakerGrant() core.Grant {
	return core.Grant{Permissions: core.DefaultSpeaker(), Source: core.GrantMember, Role: core.BaseRoleSpeaker}
}

// adminGrant is what an admin may do in any room.
func adminGrant() core.Grant {
	return core.Grant{Permissions: core.AllPermissions(), Source: core.GrantAdmin, Role: core.BaseRoleModerator}
}

// liveMeeting is a meeting in room with one participant per name, speakers all.
func liveMeeting(room *core.Room, started int64, names ...string) core.LiveMeeting {
	m := core.LiveMeeting{Room: *room, Started: started}
	for i, n := range names {
		m.Participants = append(m.Participants, core.Participant{
			RoomID: room.RoomID, Identity: fmt.Sprintf("PA_%d", i+1), Name: n,
			Role: core.BaseRoleSpeaker, MeetingRole: core.BaseRoleSpeaker, Own: core.DefaultSpeaker(), JoinedAt: started,
		})
	}
	return m
}

// TestFakeBackendFiltersAuditAsCoreDoes keeps the fake honest where a page relies on it:
// the audit page hands the filter to the backend and shows what comes back.
func TestFakeBackendFiltersAuditAsCoreDoes(t *testing.T) {
	svc, _ := newService(t)
	f := newFakeBackend()
	for _, b := range []Backend{svc, f} {
		admin, err := b.UserPrincipal(context.Background(), core.RootAdminID, core.RequestMeta{Via: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if _, isFake := b.(*fakeBackend); isFake {
			f.addRoom("Audited", core.Grant{})
		} else {
			addRoom(t, svc, admin, "Audited")
		}
		page, err := b.ListAudit(context.Background(), admin, core.AuditQuery{Action: "room."})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || page.Items[0].Action != "room.create" || !strings.Contains(page.Items[0].Detail, "Audited") {
			t.Fatalf("%T: room. lists %+v", b, page.Items)
		}
	}
}

// MemberCounts counts nothing: the fake keeps no members.
func (f *fakeBackend) MemberCounts(_ context.Context, _ *core.Principal, rooms []core.Room) (map[string]int, error) {
	return map[string]int{}, nil
}

// ListAPIKeys lists none: the fake keeps no API keys.
func (f *fakeBackend) ListAPIKeys(context.Context, *core.Principal) ([]core.APIKey, error) {
	return nil, nil
}

// RoomMeetings lists none: the fake keeps no history.
func (f *fakeBackend) RoomMeetings(context.Context, *core.Principal, string, core.ListOptions) (core.Page[core.Meeting], error) {
	return core.Page[core.Meeting]{}, nil
}
