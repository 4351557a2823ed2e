package tui

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"conclave/conclavetest"
	"conclave/core"
)

// joinMeeting joins a room's meeting through an anonymous access link, as a browser would
// (without a connection: these tests look at the control room's side).
func joinMeeting(t *testing.T, svc *core.Service, room *core.Room, secret, name string) *core.Participant {
	t.Helper()
	p := conclavetest.Member(t, svc, conclavetest.JoinToken(t, svc, room.RoomID, secret, name))
	pt, err := svc.JoinMeeting(context.Background(), p, nil)
	if err != nil {
		t.Fatalf("join %s: %v", name, err)
	}
	return pt
}

// selectParticipant moves the participants' cursor to name (join order within the same
// millisecond is not fixed).
func selectParticipant(t *testing.T, h *harness, name string) {
	t.Helper()
	pg := h.a.pages[tabLive].(*livePage)
	h.key("g")
	for range pg.current().parts {
		if pg.participant().name == name {
			return
		}
		h.key("down")
	}
	t.Fatalf("no participant %q", name)
}

func liveCount(t *testing.T, svc *core.Service) (meetings, participants int) {
	t.Helper()
	live, err := svc.LiveMeetings(context.Background(), asAdmin(t, svc))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range live {
		participants += len(m.Participants)
	}
	return len(live), participants
}

func TestLiveShowsMeetingsByEvents(t *testing.T) {
	svc, _ := newService(t)
	room := addRoom(t, svc, asAdmin(t, svc), "Daily standup")
	h := newHarness(t, svc, "admin")
	h.key("2")
	h.mustSee("Live meetings", "No meeting is live")

	joinMeeting(t, svc, room, room.Access.Speaker.Secret, "Sam Speaker")
	mod := joinMeeting(t, svc, room, room.Access.Moderator.Secret, "Mia Moderator")
	h.pump() // no key: the events alone bring the meeting in
	h.mustSee("Daily standup", room.RoomID, "Sam Speaker", "Mia Moderator", "speaker", "moderator")
	h.mustNotSee("No meeting is live")
	if !strings.Contains(h.view(), " 2 ") {
		t.Fatalf("participant count missing:\n%s", h.view())
	}

	svc.TrackPublished(room.RoomID, mod.Identity, core.TrackStat{TrackID: "TR_a", Kind: "audio", Source: "microphone", Bitrate: 48000})
	svc.TrackPublished(room.RoomID, mod.Identity, core.TrackStat{TrackID: "TR_v", Kind: "video", Source: "camera", Bitrate: 1200000, Packets: 90, PacketsLost: 10})
	h.pump()
	h.mustSee("cam mic", "1.2 Mb/s", "10.0%")

	// Statistics reload at most once a second; with the clock moved on, they show.
	svc.TrackStats(room.RoomID, mod.Identity, core.TrackStat{TrackID: "TR_v", Kind: "video", Source: "camera", Bitrate: 2500000})
	h.a.c.now = func() time.Time { return time.Now().Add(time.Hour) }
	h.pump()
	h.mustSee("2.5 Mb/s")

	// p promotes a speaker for this meeting and demotes it again.
	h.key("enter")
	selectParticipant(t, h, "Sam Speaker")
	h.key("p")
	h.mustSee("moderator (promoted)", "Promoted")
	h.key("p")
	h.mustNotSee("(promoted)")
	h.mustSee("Demoted")
}

func TestLiveKickAndEnd(t *testing.T) {
	svc, _ := newService(t)
	room := addRoom(t, svc, asAdmin(t, svc), "Board meeting")
	h := newHarness(t, svc, "admin")
	h.key("2")
	joinMeeting(t, svc, room, room.Access.Speaker.Secret, "Victor Victim")
	joinMeeting(t, svc, room, room.Access.Moderator.Secret, "Olga Other")
	h.pump()
	h.mustSee("Victor Victim")

	h.key("enter") // to the participants
	selectParticipant(t, h, "Victor Victim")
	h.key("K")
	h.mustSee("Kick Victor Victim", "[ No ]")
	h.key("enter") // No is selected
	h.mustSee("Victor Victim")
	if _, n := liveCount(t, svc); n != 2 {
		t.Fatalf("%d participants after enter on the dialog, want 2", n)
	}

	h.key("K")
	h.key("y")
	if _, n := liveCount(t, svc); n != 1 {
		t.Fatalf("%d participants after kick, want 1", n)
	}
	h.mustSee("Removed \"Victor Victim\"", "Olga Other")
	if parts := h.a.pages[tabLive].(*livePage).current().parts; len(parts) != 1 {
		t.Fatalf("table shows %d participants, want 1", len(parts))
	}

	// Promoting the moderator is refused by core (409), shown as a flash.
	h.send(tea.WindowSizeMsg{Width: 240, Height: 30})
	h.key("p")
	h.mustSee("already are one")

	h.key("m")
	h.mustSee("Mute Olga Other", "Audio")
	h.key("esc")

	h.key("E")
	h.mustSee("End the meeting", "[ No ]")
	h.key("y")
	if m, _ := liveCount(t, svc); m != 0 {
		t.Fatalf("%d meetings after end, want 0", m)
	}
	h.mustSee("No meeting is live")
}

func TestLiveSpeakerMemberHasNoModerationKeys(t *testing.T) {
	f := newFakeBackend()
	f.addUser("sam_member", "Sam_member", core.RoleRoomMember, "real-pass")
	room := f.addRoom("Lecture", speakerGrant())
	f.live = []core.LiveMeeting{liveMeeting(room, f.now(), "Pat Participant")}
	h := newHarness(t, f, "sam_member")
	h.mustSee("2 Live")
	h.key("2")
	h.mustSee("Lecture", "Pat Participant")
	for _, k := range []string{"K kick", "m mute", "p promote", "E end meeting"} {
		if strings.Contains(h.footerLine(), k) {
			t.Fatalf("footer offers %q: %s", k, h.footerLine())
		}
	}
	h.key("?")
	h.mustNotSee("kick", "promote/demote", "end meeting")
	h.key("?")

	h.key("enter")
	for _, k := range []string{"K", "m", "p", "E"} {
		h.key(k)
		h.mustSee("You may not")
		if h.a.page().capturing() {
			t.Fatalf("%s opened a dialog for a speaker", k)
		}
	}
	// The fake provides no moderation call: reaching one would have failed the test.
	if n := f.participants(); n != 1 {
		t.Fatalf("%d participants, want 1", n)
	}
}

func TestLocalQuitAsksWhileMeetingsAreLive(t *testing.T) {
	f := newFakeBackend()
	room := f.addRoom("Town hall", core.Grant{})
	f.live = []core.LiveMeeting{liveMeeting(room, f.now(), "Lou")}

	h := newHarness(t, f, "admin")
	h.a.c.id.Meta.Via = "local"
	h.key("q")
	h.mustSee("Meetings are live; quit and end them?", "[ No ]")
	if h.quit {
		t.Fatal("q quit with a live meeting")
	}
	h.key("enter")
	if h.quit {
		t.Fatal("enter on the quit dialog quit")
	}
	h.mustNotSee("Meetings are live")
	h.key("q")
	h.key("y")
	if !h.quit {
		t.Fatal("y did not quit")
	}

	// ctrl+c quits at once.
	h2 := newHarness(t, f, "admin")
	h2.a.c.id.Meta.Via = "local"
	h2.key("ctrl+c")
	if !h2.quit {
		t.Fatal("ctrl+c did not quit")
	}

	// Over SSH q quits even with a live meeting.
	h3 := newHarness(t, f, "admin")
	h3.a.c.id.Meta.Via = "ssh"
	h3.key("q")
	if !h3.quit {
		t.Fatal("q over SSH did not quit")
	}

	// Without a live meeting, q quits in the local terminal too.
	f.live = nil
	h4 := newHarness(t, f, "admin")
	h4.a.c.id.Meta.Via = "local"
	h4.key("q")
	if !h4.quit {
		t.Fatal("q without a live meeting did not quit")
	}
}

// recordingFixture is a fake with two live meetings: "Keynote", where the admin has
// every permission and which is being recorded since start, and "Lecture", where every
// caller is a speaker. sam_member is a room member.
func recordingFixture(start int64) (f *fakeBackend, keynote, lecture *core.Room, rec *core.Recording) {
	f = newFakeBackend()
	f.addUser("sam_member", "Sam_member", core.RoleRoomMember, "real-pass")
	keynote = f.addRoom("Keynote", adminGrant())
	lecture = f.addRoom("Lecture", speakerGrant())
	f.live = []core.LiveMeeting{liveMeeting(keynote, start, "Kim Keynoter"), liveMeeting(lecture, start, "Pat Participant")}
	rec = f.addRecording(keynote, core.RecActive, start)
	return f, keynote, lecture, rec
}

func TestLiveShowsRecordingState(t *testing.T) {
	start := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	f, _, _, _ := recordingFixture(start.UnixMilli())
	h := newHarness(t, f, "admin")
	now := start.Add(2*time.Minute + 13*time.Second)
	h.a.c.now = func() time.Time { return now }
	h.key("2")
	h.mustSee("RECORDING", "● REC 02:13")
	// Only the recorded meeting carries the marker.
	for _, l := range strings.Split(h.view(), "\n") {
		if strings.Contains(l, "Lecture") && strings.Contains(l, "REC") {
			t.Fatalf("Lecture shows a recording: %q", l)
		}
	}
	// The clock reads the time when drawn: a tick needs no reload.
	now = now.Add(time.Hour + 5*time.Second)
	h.send(liveClockMsg{})
	h.mustSee("● REC 1:02:18")

	// A recording that ends elsewhere leaves the row without a key press.
	f.recordings[0].Status = core.RecComplete
	f.bus.Publish(core.Event{Type: core.EventRecordingChanged, RoomID: f.recordings[0].RoomID, RecordingID: f.recordings[0].RecordingID})
	h.pump()
	h.mustNotSee("● REC")
}

func TestLiveRecordingKeyFollowsTheRight(t *testing.T) {
	f, _, lecture, _ := recordingFixture(time.Now().UnixMilli())
	// A room member who is a speaker in both rooms: no recording key anywhere.
	f.rooms[0].grant = speakerGrant()
	h := newHarness(t, f, "sam_member")
	h.key("2")
	h.mustSee("Keynote", "● REC")
	for range 2 {
		if strings.Contains(h.footerLine(), "recording") {
			t.Fatalf("a speaker is offered %q", h.footerLine())
		}
		h.key("?")
		h.mustNotSee("start recording", "stop recording")
		h.key("?")
		h.key("R")
		h.mustSee("You may not control recordings in this room")
		if h.a.page().capturing() {
			t.Fatal("R opened a dialog for a speaker")
		}
		h.key("j") // on to Lecture
	}
	if len(f.recordingCalls) != 0 {
		t.Fatalf("a speaker's R reached core: %v", f.recordingCalls)
	}

	// An admin gets the key where it has the right, named for what it does.
	f.rooms[0].grant, f.rooms[1].grant = adminGrant(), adminGrant()
	a := newHarness(t, f, "admin")
	a.key("2")
	if !strings.Contains(a.footerLine(), "R stop recording") {
		t.Fatalf("footer on the recorded meeting: %s", a.footerLine())
	}
	a.key("j")
	if !strings.Contains(a.footerLine(), "R start recording") {
		t.Fatalf("footer on the meeting not recorded: %s", a.footerLine())
	}
	a.key("?")
	a.mustSee("start recording")
	a.key("?")

	// Core's refusal is shown as it words it.
	refusal := *core.ErrRecordingDisabled
	refusal.Message = "Recording is disabled on this server"
	f.startErr = &refusal
	a.key("R")
	a.mustSee("Recording is disabled on this server")
	if want := []string{"start " + lecture.RoomID}; !slices.Equal(f.recordingCalls, want) {
		t.Fatalf("calls %v, want %v", f.recordingCalls, want)
	}
	a.mustNotSee("Lecture  ● REC")

	// Accepted, the recording shows by the event it raises.
	f.startErr = nil
	a.key("R")
	a.mustSee("Recording the meeting in \"Lecture\"")
	if n := strings.Count(a.view(), "● REC"); n < 2 {
		t.Fatalf("%d recording markers, want both meetings:\n%s", n, a.view())
	}
	if !strings.Contains(a.footerLine(), "R stop recording") {
		t.Fatalf("footer after the start: %s", a.footerLine())
	}
}

func TestLiveStopRecordingAsksFirst(t *testing.T) {
	f, _, _, rec := recordingFixture(time.Now().UnixMilli())
	id := rec.RecordingID
	h := newHarness(t, f, "admin")
	h.key("2")
	h.mustSee("● REC")
	h.key("R")
	h.mustSee("Stop recording (y/N)", "Stop recording the meeting in \"Keynote\"?", "[ No ]")
	h.key("enter") // No is selected
	h.mustNotSee("(y/N)")
	if len(f.recordingCalls) != 0 {
		t.Fatalf("enter on No stopped the recording: %v", f.recordingCalls)
	}
	h.key("R")
	h.key("y")
	if want := []string{"stop " + id}; !slices.Equal(f.recordingCalls, want) {
		t.Fatalf("calls %v, want %v", f.recordingCalls, want)
	}
	h.mustSee("Stopped recording the meeting in \"Keynote\"", "● REC stopping…")
	// While its files are finished, R says so rather than asking again.
	h.key("R")
	h.mustSee("is stopping already")
	if h.a.page().capturing() {
		t.Fatal("R on a stopping recording opened a dialog")
	}
}

func TestLiveStartRecordingRefusedByCore(t *testing.T) {
	svc, _ := newService(t)
	room := addRoom(t, svc, asAdmin(t, svc), "Unrecorded")
	joinMeeting(t, svc, room, room.Access.Speaker.Secret, "Sue Speaker")
	h := newHarness(t, svc, "admin")
	h.key("2")
	h.mustSee("Sue Speaker", "R start recording")
	h.key("R")
	// No recorder is wired in this stack: core refuses, and says why.
	h.mustSee("Recording is disabled on this server")
	h.mustNotSee("● REC")
}

// TestLiveClockTicksOnlyWhileShown checks that the recordings' clock asks for a tick
// while the Live tab is on screen and a meeting is recorded, and for none otherwise.
func TestLiveClockTicksOnlyWhileShown(t *testing.T) {
	f, _, _, _ := recordingFixture(time.Now().UnixMilli())
	h := newHarness(t, f, "admin")
	ticks := 0
	h.a.c.tick = func(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
		if _, ok := fn(time.Now()).(liveClockMsg); ok {
			if d <= 0 || d > time.Second {
				t.Errorf("clock tick in %v", d)
			}
			ticks++
		}
		return nil
	}
	if ticks != 0 {
		t.Fatalf("%d clock ticks before the Live tab was shown", ticks)
	}
	h.key("2")
	if ticks != 1 {
		t.Fatalf("%d clock ticks once shown, want 1", ticks)
	}
	h.send(liveClockMsg{})
	if ticks != 2 {
		t.Fatalf("%d clock ticks after a tick, want 2", ticks)
	}
	h.key("1")
	h.send(liveClockMsg{}) // the tick in flight lands off screen: no next one
	h.pump()
	if ticks != 2 {
		t.Fatalf("%d clock ticks off screen, want 2", ticks)
	}
	h.key("2")
	if ticks != 3 {
		t.Fatalf("%d clock ticks back on the tab, want 3", ticks)
	}
	// Nothing recorded: nothing ticks.
	f.recordings = nil
	f.bus.Publish(core.Event{Type: core.EventRecordingChanged, RoomID: f.rooms[0].room.RoomID})
	h.pump()
	h.send(liveClockMsg{})
	if ticks != 3 {
		t.Fatalf("%d clock ticks without a recording, want 3", ticks)
	}
}

// clockFrames wraps the control room and notes every recording clock it draws.
type clockFrames struct {
	inner tea.Model
	mu    sync.Mutex
	seen  map[string]bool
}

func (c *clockFrames) Init() tea.Cmd { return c.inner.Init() }

func (c *clockFrames) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := c.inner.Update(msg)
	c.inner = m
	return c, cmd
}

func (c *clockFrames) View() tea.View {
	v := c.inner.View()
	c.mu.Lock()
	for _, s := range clockRE.FindAllString(ansi.Strip(v.Content), -1) {
		c.seen[s] = true
	}
	c.mu.Unlock()
	return v
}

var clockRE = regexp.MustCompile(`● REC \d\d:\d\d`)

// TestLiveClockRunsInAProgram runs the control room as a Bubble Tea program: the
// recording's clock moves on by itself, without events or keys.
func TestLiveClockRunsInAProgram(t *testing.T) {
	f, _, _, _ := recordingFixture(time.Now().Add(-5 * time.Second).UnixMilli())
	frames := &clockFrames{inner: New(f, Identity{UserID: "admin", Meta: core.RequestMeta{Via: "ssh"}}, Options{NoColor: true}), seen: map[string]bool{}}
	tm := teatest.NewTestModel(t, frames, teatest.WithInitialTermSize(100, 30))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), "Live") },
		teatest.WithDuration(5*time.Second))
	tm.Type("2")
	deadline := time.Now().Add(10 * time.Second)
	for {
		frames.mu.Lock()
		n := len(frames.seen)
		frames.mu.Unlock()
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the clock drew only %v in 10 s", frames.seen)
		}
		time.Sleep(50 * time.Millisecond)
	}
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

// TestLiveMuteShowsMuted: a participant muted from the control room shows as muted there,
// and unmuting itself (as its connection reports) shows it speaking again.
func TestLiveMuteShowsMuted(t *testing.T) {
	svc, _ := newService(t)
	room := addRoom(t, svc, asAdmin(t, svc), "Town hall")
	h := newHarness(t, svc, "admin")
	h.send(tea.WindowSizeMsg{Width: 160, Height: 30})
	h.key("2")
	pt := joinMeeting(t, svc, room, room.Access.Speaker.Secret, "Loud Larry")
	// The SFU reports the track it forwards.
	svc.TrackPublished(room.RoomID, pt.Identity, core.TrackStat{TrackID: "mic-1", Kind: "audio", Source: "microphone"})
	h.pump()
	// Of the two tables, only the one the keys move shows its selected row.
	selected := func(text string) bool {
		for _, l := range strings.Split(h.a.View().Content, "\n") {
			if strings.Contains(ansi.Strip(l), text) {
				return strings.Contains(l, "\x1b[7m")
			}
		}
		t.Fatalf("no line with %q:\n%s", text, h.view())
		return false
	}
	if !selected("Town hall") || selected("Loud Larry") {
		t.Fatal("with the meetings in focus, the participant is shown selected (or the meeting is not)")
	}
	h.key("enter")
	h.mustSee("Loud Larry", "mic")
	h.mustNotSee("(muted)")
	if selected("Town hall") || !selected("Loud Larry") {
		t.Fatal("with the participants in focus, the meeting is shown selected (or the participant is not)")
	}
	h.key("m")
	h.key("1") // Audio
	h.pump()
	h.mustSee("mic (muted)")
	svc.SourceMuted(room.RoomID, pt.Identity, "microphone", false)
	h.pump()
	h.mustNotSee("(muted)")
}
