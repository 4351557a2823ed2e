package tui_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"conclave/conclavetest"
	"conclave/core"
	"conclave/tui"
)

// The sizes every flow below runs at: the smallest usual terminal and a roomy one.
var flowSizes = []struct{ w, h int }{{80, 24}, {120, 36}}

// openWith starts the control room for userID at w×h with options changed by set.
func (e *env) openWith(userID string, w, h int, set func(*tui.Options)) *session {
	opts := tui.Options{HTTPAddr: ":8080", SSHAddr: ":2222", BaseURL: "http://meet.test/meet", NoColor: true, Term: "xterm-256color"}
	if set != nil {
		set(&opts)
	}
	m := tui.New(e.svc, tui.Identity{UserID: userID, Meta: core.RequestMeta{Via: "ssh", Source: "192.0.2.7"}}, opts)
	sc := &screen{inner: m}
	tm := teatest.NewTestModel(e.t, sc, teatest.WithInitialTermSize(w, h))
	e.t.Cleanup(func() {
		tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
		tm.WaitFinished(e.t, teatest.WithFinalTimeout(5*time.Second))
	})
	return &session{TestModel: tm, screen: sc}
}

// unwrap joins the lines of a frame, dropping the indent of continued lines, so that a
// link wrapped over several lines reads as one string.
func unwrap(frame string) string {
	var b strings.Builder
	for _, l := range strings.Split(frame, "\n") {
		if l = strings.TrimSpace(l); l == "" {
			l = " " // a blank line ends what came before
		}
		b.WriteString(l)
	}
	return b.String()
}

// waitOSC52 waits until the program has sent text to the terminal's clipboard.
func waitOSC52(t *testing.T, tm *session, text string) {
	t.Helper()
	want := base64.StdEncoding.EncodeToString([]byte(text))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return strings.Contains(string(b), "52;c;"+want)
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

func (e *env) guest(roomID, name string) *core.Member {
	m, _, err := e.svc.AddMember(context.Background(), e.admin(), roomID, core.NewMember{Name: name, BaseRole: core.BaseRoleSpeaker})
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// TestFlowMemberLinkWholeAndCopied: an external member's own link is in its detail,
// whole at 80 columns, and y copies it; it is also in the room's copy menu.
func TestFlowMemberLinkWholeAndCopied(t *testing.T) {
	for _, sz := range flowSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			e := newEnv(t)
			r := e.room("Team sync")
			m := e.guest(r.RoomID, "Guest Gina")
			link := e.svc.MemberURL(m)
			tm := e.openWith("admin", sz.w, sz.h, nil)
			waitFor(t, tm, "Team sync")
			press(tm, "enter")
			waitFor(t, tm, "Members (1)", "Guest Gina")
			press(tm, "i")
			frame := waitFor(t, tm, "Member Guest Gina", "external")
			if !strings.Contains(unwrap(frame), link) {
				t.Fatalf("the member's link %s is not shown whole:\n%s", link, frame)
			}
			press(tm, "y")
			waitOSC52(t, tm, link)
			waitFor(t, tm, "Copied the link of Guest Gina")

			// The copy menu of the room offers it beside the room's links.
			press(tm, "y")
			waitFor(t, tm, "Copy which link?", "link of Guest Gina")
			press(tm, "k", "enter") // the member's link is the last
			waitFor(t, tm, "Copied the link of Guest Gina")
		})
	}
}

// TestFlowRoomLinksWholeAtAnyWidth: the room detail's access links are never cut.
func TestFlowRoomLinksWholeAtAnyWidth(t *testing.T) {
	for _, sz := range flowSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			e := newEnv(t)
			r := e.room("A room with a rather long name for its id")
			tm := e.openWith("admin", sz.w, sz.h, nil)
			waitFor(t, tm, "A room with")
			press(tm, "enter")
			// "Recordings" alone is also a tab's name: the detail's heading has a count or
			// says there are none.
			frame := waitFor(t, tm, "Room A room", "owner admin", "No recordings")
			if strings.Contains(frame, "(l shows, y copies)") {
				// A short terminal keeps the links on one line; l shows them whole.
				press(tm, "l")
				frame = waitFor(t, tm, "Links of A room")
			}
			for _, role := range []string{core.BaseRoleModerator, core.BaseRoleSpeaker} {
				if l := e.svc.AccessURL(r, role); !strings.Contains(unwrap(frame), l) {
					t.Errorf("the %s link %s is cut:\n%s", role, l, frame)
				}
			}
			for _, l := range strings.Split(frame, "\n") {
				if ansi.StringWidth(l) > sz.w {
					t.Errorf("line wider than %d: %q", sz.w, l)
				}
			}
		})
	}
}

// TestFlowCopyFallbackDialog: inside tmux without set-clipboard on, y still sends the
// link to the terminal but also shows it whole and selected, saying why.
func TestFlowCopyFallbackDialog(t *testing.T) {
	for _, sz := range flowSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			e := newEnv(t)
			r := e.room("Standup")
			link := e.svc.RoomURL(r.RoomID)
			// A room whose anonymous links are off has one link to copy: y copies at once.
			off := false
			if _, err := e.svc.UpdateRoomAccess(context.Background(), e.admin(), r.RoomID, core.AccessPatch{
				Moderator: &off, Speaker: &off, Recording: &off}); err != nil {
				t.Fatal(err)
			}
			tm := e.openWith("admin", sz.w, sz.h, func(o *tui.Options) { o.Term, o.Tmux = "tmux-256color", true })
			waitFor(t, tm, "Standup")
			press(tm, "y")
			frame := waitFor(t, tm, "Copy the user link", "set-clipboard", "with the mouse")
			if !strings.Contains(unwrap(frame), link) {
				t.Fatalf("the link is not shown whole:\n%s", frame)
			}
			waitOSC52(t, tm, link)
			press(tm, "esc")
			waitFor(t, tm, "sorted by")

			// With set-clipboard on, tmux passes the copy on: no dialog.
			tm2 := e.openWith("admin", sz.w, sz.h, func(o *tui.Options) { o.Term, o.Tmux, o.TmuxClipboard = "tmux-256color", true, "on" })
			waitFor(t, tm2, "Standup")
			press(tm2, "y")
			waitFor(t, tm2, "Copied the user link")
			if v := finalView(t, tm2); strings.Contains(v, "set-clipboard") {
				t.Fatalf("the fallback shows with set-clipboard on:\n%s", v)
			}
		})
	}
}

// TestFlowLabelsNotWireNames: the control room says "when the meeting ends", "Moderators
// and speakers", "Start and stop recordings", "room manager", never the API's names for
// them, and offers no setting that does nothing yet (virtual background).
func TestFlowLabelsNotWireNames(t *testing.T) {
	// (A form shows a permission's wire name as a dim hint after its label, for those
	// who script the API.)
	wire := []string{"when_meeting_ends", "admin_moderator_speaker", "identified_guest", "room_manager",
		"−chatWrite", "irtual background"}
	noWire := func(t *testing.T, frame string) {
		t.Helper()
		for _, w := range wire {
			if strings.Contains(frame, w) {
				t.Fatalf("the screen shows %q:\n%s", w, frame)
			}
		}
	}
	for _, sz := range flowSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			e := newEnv(t)
			e.user("rita_manager", "room_manager", false)
			r := e.room("Board")
			m := e.guest(r.RoomID, "Guest Gina")
			deny := false
			if _, _, err := e.svc.UpdateMember(context.Background(), e.admin(), r.RoomID, m.MemberID,
				core.MemberPatch{Custom: &core.PermissionSet{"chatWrite": deny}}); err != nil {
				t.Fatal(err)
			}
			tm := e.openWith("admin", sz.w, sz.h, nil)
			waitFor(t, tm, "Board")
			press(tm, "enter")
			noWire(t, waitFor(t, tm, "recordings: Moderators and speakers", "external", "speaker"))

			press(tm, "e", "3") // the speaker permissions
			noWire(t, waitFor(t, tm, "Speaker permissions of Board", "Start and stop recordings"))
			press(tm, "esc", "e", "1") // the configuration
			noWire(t, waitFor(t, tm, "Configuration of Board", "Chat"))
			press(tm, "esc", "esc")

			press(tm, "d", "k", "k", "l", "l") // withMeeting, two steps on
			noWire(t, waitFor(t, tm, "If a meeting is live", "‹ when the meeting ends ›", "If it has recordings"))
			press(tm, "n")
			press(tm, "4") // Users
			noWire(t, waitFor(t, tm, "rita_manager", "room manager"))
		})
	}
}

// TestFlowPaletteScrollsToLastCommand: every command of the palette can be reached; the
// list scrolls so that the selection stays in sight, down to the last.
func TestFlowPaletteScrollsToLastCommand(t *testing.T) {
	for _, sz := range flowSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			e := newEnv(t)
			tm := e.openWith("admin", sz.w, sz.h, nil)
			waitFor(t, tm, "No rooms yet")
			press(tm, ":")
			frame := waitFor(t, tm, "rooms", "↓")
			if strings.Contains(frame, "leave the control room") {
				t.Fatalf("the last command is on screen before scrolling; the test proves nothing:\n%s", frame)
			}
			for range 30 {
				tm.Send(tea.KeyPressMsg{Code: tea.KeyDown})
			}
			frame = waitFor(t, tm, "leave the control room", "↓ 0 more")
			if !strings.Contains(frame, "quit") {
				t.Fatalf("the last command is not shown:\n%s", frame)
			}
			press(tm, "enter")
			tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second)) // quit ran: over SSH it just quits
		})
	}
}

// TestFlowHelpNamesOnlyTheTabsThereAre: a room member has four tabs, and the help says
// 1-4, not 1-9.
func TestFlowHelpNamesOnlyTheTabsThereAre(t *testing.T) {
	e := newEnv(t)
	e.user("mo_member", "room_member", false)
	tm := e.openWith("mo_member", 80, 24, nil)
	waitFor(t, tm, "4 Account")
	press(tm, "?")
	frame := waitFor(t, tm, "Keys", "go to tab")
	if !strings.Contains(frame, "1-4") || strings.Contains(frame, "1-9") {
		t.Fatalf("the help does not name tabs 1-4:\n%s", frame)
	}
}

// TestFlowRenameRoomAndMemberCount: e then Name renames a room (its id stays), and the
// Rooms table counts each room's members, following changes made elsewhere.
func TestFlowRenameRoomAndMemberCount(t *testing.T) {
	for _, sz := range flowSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			e := newEnv(t)
			r := e.room("Board")
			e.guest(r.RoomID, "Guest One")
			e.guest(r.RoomID, "Guest Two")
			tm := e.openWith("admin", sz.w, sz.h, nil)
			if v := waitFor(t, tm, "MEMBERS", "Board"); !regexp.MustCompile(`Board .* 2 *\n`).MatchString(v) {
				t.Fatalf("the member count is not shown:\n%s", v)
			}
			press(tm, "e", "5")
			waitFor(t, tm, "Rename Board", "and every link stay")
			tm.Send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
			press(tm, "Quarterly board", "ctrl+s")
			waitFor(t, tm, `Room renamed "Quarterly board"`)
			rooms := e.rooms()
			if len(rooms) != 1 || rooms[0].RoomName != "Quarterly board" || rooms[0].RoomID != r.RoomID {
				t.Fatalf("rooms = %+v", rooms)
			}
			waitFor(t, tm, "Quarterly board")
			e.guest(r.RoomID, "Guest Three")
			teatest.WaitFor(t, tm.screen, func(b []byte) bool {
				return regexp.MustCompile(`Quarterly board .* 3 *\n`).Match(b)
			}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
		})
	}
}

// TestFlowSettingsAPIKeys: an admin makes an API key on the Settings tab (shown once,
// whole), it works against core, and revoking it ends it.
func TestFlowSettingsAPIKeys(t *testing.T) {
	for _, sz := range flowSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			e := newEnv(t)
			tm := e.openWith("admin", sz.w, sz.h, nil)
			waitFor(t, tm, "6 Settings")
			press(tm, "6")
			waitFor(t, tm, "Server settings", "Public URL", "http://meet.test/meet", "No API keys")
			press(tm, "n")
			waitFor(t, tm, "New API key", "shown once")
			press(tm, "ci-bot", "enter")
			frame := waitFor(t, tm, "API key ci-bot", "Copy it now")
			keys, err := e.svc.ListAPIKeys(context.Background(), e.admin())
			if err != nil || len(keys) != 1 || keys[0].Name != "ci-bot" {
				t.Fatalf("keys = %+v, %v", keys, err)
			}
			secret := ""
			for _, f := range strings.Fields(unwrap(frame)) {
				if i := strings.Index(f, core.APIKeyPrefix); i >= 0 {
					secret = f[i:]
				}
			}
			if _, err := e.svc.AuthenticateAPIKey(context.Background(), secret, core.RequestMeta{}); err != nil {
				t.Fatalf("the key shown (%q) does not work: %v\n%s", secret, err, frame)
			}
			press(tm, "y")
			waitOSC52(t, tm, secret)
			press(tm, "esc")
			waitFor(t, tm, "API keys (1)", "ci-bot")
			press(tm, "G", "d") // the last row: the settings come first
			waitFor(t, tm, "Revoke API key ci-bot?")
			press(tm, "y")
			waitFor(t, tm, "API key ci-bot revoked", "No API keys")
			if _, err := e.svc.AuthenticateAPIKey(context.Background(), secret, core.RequestMeta{}); err == nil {
				t.Fatal("the revoked key still works")
			}
		})
	}
}

// TestFlowMeetingHistory: after two participants joined and left, the room's detail
// shows the meeting, and h shows who attended, from when to when and from which device.
func TestFlowMeetingHistory(t *testing.T) {
	for _, sz := range flowSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			e := newEnv(t)
			r := e.room("Retro")
			ctx := context.Background()
			var ids []string
			for _, name := range []string{"Ann Archer", "Bob Baker"} {
				p := conclavetest.Member(t, e.svc, conclavetest.JoinToken(t, e.svc, r.RoomID, r.Access.Speaker.Secret, name))
				p.Meta.Device, p.Meta.Source = "Firefox/140", "198.51.100.4"
				pt, err := e.svc.JoinMeeting(ctx, p, nil)
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, pt.Identity)
			}
			for _, id := range ids {
				e.svc.LeaveMeeting(r.RoomID, id, nil)
			}
			// Nobody is left: rather than wait out its grace period, the meeting is ended.
			if err := e.svc.EndMeeting(ctx, e.admin(), r.RoomID); err != nil {
				t.Fatal(err)
			}
			tm := e.openWith("admin", sz.w, sz.h, nil)
			waitFor(t, tm, "Retro")
			press(tm, "enter")
			waitFor(t, tm, "Meetings (1)", "2 people: Ann Archer, Bob Baker")
			press(tm, "h")
			frame := waitFor(t, tm, "Meetings of Retro", "Ann Archer (speaker)", "Bob Baker (speaker)", "from 198.51.100.4", "Firefox/140")
			if strings.Contains(frame, "still in") || strings.Contains(frame, "live") {
				t.Fatalf("a participant who left is shown as still in:\n%s", frame)
			}
			// The audit log names who joined and left beside their identities (at 80
			// columns the actor column is cut; enter on an entry shows it whole).
			press(tm, "esc", "5")
			if sz.w >= 120 {
				waitFor(t, tm, "meeting.join", "meeting.leave", "Ann Archer (member:")
			} else {
				waitFor(t, tm, "Audit log", "Ann Arc", "Bob Bak")
			}
		})
	}
}
