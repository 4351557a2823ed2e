package tui

import (
	"context"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

func TestTabs(t *testing.T) {
	svc, _ := newService(t)
	h := newHarness(t, svc, "admin")
	h.mustSee("1 Rooms", "2 Live", "3 Recordings", "4 Users", "5 Audit", "6 Settings", "7 Account")
	h.key("tab")
	h.mustSee("No meeting is live")
	h.key("tab")
	h.mustSee("No recordings you may list yet")
	h.key("tab")
	h.mustSee("USER ID")
	h.key("tab")
	h.mustSee("Audit log")
	h.key("shift+tab")
	h.mustSee("USER ID")
	h.key("7")
	h.mustSee("SSH keys")
	h.key("9") // no such tab: nothing happens
	h.mustSee("SSH keys")
	h.key("1")
	h.mustSee("No rooms yet")
}

func TestQuitKeys(t *testing.T) {
	svc, _ := newService(t)
	h := newHarness(t, svc, "admin")
	h.key("n")
	h.typeText("q")
	if h.quit {
		t.Fatal("q typed in a form quit")
	}
	h.key("esc")
	h.key("esc")
	if h.quit {
		t.Fatal("esc quit")
	}
	h.key("n")
	h.key("ctrl+c")
	if !h.quit {
		t.Fatal("ctrl+c did not quit from a form")
	}
	h2 := newHarness(t, svc, "admin")
	h2.key("q")
	if !h2.quit {
		t.Fatal("q did not quit")
	}
}

func TestHelpOverlay(t *testing.T) {
	svc, _ := newService(t)
	addRoom(t, svc, asAdmin(t, svc), "Helpful")
	h := newHarness(t, svc, "admin")
	h.key("?")
	h.mustSee("Keys", "new room", "new link", "sort", "page down", "command")
	h.key("?")
	h.mustNotSee("(? or esc closes this help)")
	h.key("5")
	h.key("?")
	h.mustSee("Audit filter (press /)", "actor:alice")
	h.key("esc")
	h.mustSee("Audit log")
}

func TestPalette(t *testing.T) {
	svc, _ := newService(t)
	h := newHarness(t, svc, "admin")
	h.key(":")
	h.mustSee(":", "rooms", "users", "new room")
	h.typeText("au")
	h.key("tab")
	h.mustSee(":audit")
	h.key("enter")
	h.mustSee("Audit log")
	h.key(":")
	h.typeText("new room")
	h.key("enter")
	h.mustSee("New room")
	h.key("esc")
	h.key(":")
	h.typeText("frobnicate")
	h.key("enter")
	h.mustSee("Unknown command \"frobnicate\"")
	h.key(":")
	h.typeText("quit")
	h.key("enter")
	if !h.quit {
		t.Fatal(":quit did not quit")
	}

	addUser(t, svc, "mia_member", "room_member", false)
	m := newHarness(t, svc, "mia_member")
	m.key(":")
	m.mustNotSee("users", "audit", "new room")
	m.typeText("users")
	m.key("enter")
	m.mustSee("\"users\" is not available to you")
	m.mustNotSee("USER ID")
}

func TestTooSmall(t *testing.T) {
	svc, _ := newService(t)
	h := newHarness(t, svc, "admin")
	h.send(tea.WindowSizeMsg{Width: 20, Height: 5})
	h.mustSee("Terminal too small")
	for _, l := range strings.Split(h.view(), "\n") {
		if len([]rune(l)) > 20 {
			t.Fatalf("line wider than the terminal: %q", l)
		}
	}
	h.key("n") // keys do nothing while too small
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.mustSee("No rooms yet")
	h.mustNotSee("New room")
}

func TestForcedPasswordChange(t *testing.T) {
	svc, _ := newService(t)
	addUser(t, svc, "nina_new", "room_manager", true)
	h := newHarness(t, svc, "nina_new")
	h.mustSee("You must change your password before you continue", "Current password")
	h.mustNotSee("1 Rooms")
	// Nothing else is reachable: tab moves between fields, esc does not cancel, q is text.
	h.key("esc")
	h.key("2")
	h.key("q")
	h.mustSee("You must change your password")
	if h.quit {
		t.Fatal("q quit the password screen")
	}
	h.changePassword("temp-pass", "fresh-pass")
	h.mustSee("1 Rooms", "2 Live", "3 Recordings", "4 Account", "Password changed")
	h.mustNotSee("You must change")
	if h.a.c.principal.User.MustChangePassword {
		t.Fatal("principal not re-resolved")
	}
}

func TestRoleChangeAndDeletionFollowLive(t *testing.T) {
	svc, _ := newService(t)
	addUser(t, svc, "olga_admin", "admin", false)
	h := newHarness(t, svc, "olga_admin")
	h.key("4")
	h.mustSee("4 Users", "USER ID")
	ctx := context.Background()
	if _, err := svc.UpdateRole(ctx, asAdmin(t, svc), "olga_admin", "room_member"); err != nil {
		t.Fatal(err)
	}
	h.pump()
	h.mustSee("1 Rooms", "2 Live", "3 Recordings", "4 Account")
	h.mustNotSee("Users", "Audit")
	if h.a.c.isAdmin() {
		t.Fatal("still admin")
	}
	// An admin resetting the password sends the user to the password screen.
	if err := svc.ResetPassword(ctx, asAdmin(t, svc), "olga_admin", "again-pass"); err != nil {
		t.Fatal(err)
	}
	h.pump()
	h.mustSee("You must change your password")
	if err := svc.DeleteUser(ctx, asAdmin(t, svc), "olga_admin"); err != nil {
		t.Fatal(err)
	}
	h.pump()
	h.mustSee("Your user was deleted")
	h.key("x")
	if !h.quit {
		t.Fatal("did not quit after the user was deleted")
	}
}

func TestResyncReloads(t *testing.T) {
	svc, st := newService(t)
	h := newHarness(t, svc, "admin")
	r := addRoom(t, svc, asAdmin(t, svc), "Quiet change")
	h.pump()
	// A change written without an event (a missed one) appears after a resync.
	r.RoomName = "Loud change"
	if err := st.UpdateRoom(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	h.send(eventMsg(core.Event{Type: core.EventResync}))
	h.mustSee("Loud change")
}

func TestStatusBar(t *testing.T) {
	svc, _ := newService(t)
	h := newHarness(t, svc, "admin")
	h.mustSee("admin · admin · via test", "http :8080", "ssh :2222", "http://meet.test/meet")
	h.send(flashMsg{level: levelError, text: "boom\x1b[2J"})
	h.mustSee("boom␛[2J")
	seq := h.a.status.seq
	h.send(flashExpiredMsg{seq: seq})
	h.mustNotSee("boom")
}

func TestNoColor(t *testing.T) {
	svc, _ := newService(t)
	addRoom(t, svc, asAdmin(t, svc), "Plain")
	h := newHarness(t, svc, "admin")
	raw := h.a.View().Content
	for _, sgr := range []string{"38;5;", "48;5;", "38;2;", "48;2;"} {
		if strings.Contains(raw, sgr) {
			t.Fatalf("colour %q drawn with NoColor", sgr)
		}
	}
	coloured := newApp(svc, Identity{UserID: "admin"}, Options{DarkBackground: true})
	coloured.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	coloured.Update(principalMsg{p: asAdmin(t, svc)})
	if raw := coloured.View().Content; !strings.Contains(raw, "38;5;") {
		t.Fatal("no ANSI256 colour without NoColor")
	}
	// With colour the theme follows the background colour when the terminal reports it.
	c := newApp(svc, Identity{UserID: "admin"}, Options{DarkBackground: true})
	if !c.c.dark {
		t.Fatal("dark option ignored")
	}
	c.Update(tea.BackgroundColorMsg{Color: lightGrey{}})
	if c.c.dark {
		t.Fatal("a light background kept the dark theme")
	}
}

type lightGrey struct{}

func (lightGrey) RGBA() (r, g, b, a uint32) { return 0xeeee, 0xeeee, 0xeeee, 0xffff }

// TestFirstScreenNamesInitialPasswordFile: production's first start generated the root
// admin's password; the control room's first screen says which file keeps it, and the
// message goes at a key, leaving the Rooms tab.
func TestFirstScreenNamesInitialPasswordFile(t *testing.T) {
	svc, _ := newService(t)
	file := "/srv/conclave/data/initial-admin-password"
	h := newHarnessWith(t, svc, core.RootAdminID, Options{NoColor: true, BaseURL: "http://meet.test/meet", InitialPasswordFile: file})
	h.mustSee("Your password", file, "until you change it")
	h.key("enter")
	h.mustNotSee(file)
	h.mustSee("1 Rooms")

	// Another admin, or a start without a generated password, sees no such message.
	addUser(t, svc, "other_admin", "admin", false)
	h = newHarnessWith(t, svc, "other_admin", Options{NoColor: true, InitialPasswordFile: file})
	h.mustNotSee(file)
	h = newHarness(t, svc, core.RootAdminID)
	h.mustNotSee("Your password")
}
