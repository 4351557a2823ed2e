package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

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
