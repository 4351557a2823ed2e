package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/charmbracelet/x/ansi"
)

// boxHeight is the height of the dialog frame on screen.
func boxHeight(t *testing.T, h *harness) int {
	t.Helper()
	top, bottom := -1, -1
	for i, l := range strings.Split(h.view(), "\n") {
		if strings.Contains(l, "╭") {
			top = i
		}
		if strings.Contains(l, "╰") {
			bottom = i
		}
	}
	if top < 0 || bottom < top {
		t.Fatalf("no dialog on screen:\n%s", h.view())
	}
	return bottom - top + 1
}

// boxWidth is the width of the dialog frame on screen (its top border).
func boxWidth(t *testing.T, h *harness) int {
	t.Helper()
	for _, l := range strings.Split(h.view(), "\n") {
		if i := strings.Index(l, "╭"); i >= 0 {
			return ansi.StringWidth(strings.TrimSpace(l))
		}
	}
	t.Fatalf("no dialog on screen:\n%s", h.view())
	return 0
}

// TestDialogsDoNotGrowWhileTyping: a form keeps its size as text is typed into it.
func TestDialogsDoNotGrowWhileTyping(t *testing.T) {
	svc, _ := newService(t)
	addRoom(t, svc, asAdmin(t, svc), "Typing room")
	h := newHarness(t, svc, "admin")
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	for _, open := range []func(){
		func() { h.key("n") },                 // new room
		func() { h.key("4"); h.key("n") },     // new user
		func() { h.key("7"); h.key("p") },     // change password
		func() { h.key("enter"); h.key("a") }, // add a member
		func() { h.key("7"); h.key("a") },     // add an SSH key
	} {
		open()
		before := boxWidth(t, h)
		h.typeText(strings.Repeat("w", 45))
		h.send(pasteMsg(strings.Repeat("ssh-ed25519 AAAA", 20)))
		if after := boxWidth(t, h); after != before {
			t.Errorf("the dialog grew from %d to %d columns while typing:\n%s", before, after, h.view())
		}
		h.key("esc")
		h.key("esc")
		h.key("1")
	}

	// Typing a deletion date brings the deletion policies into the new-room form: the
	// form keeps its size.
	h.send(tea.WindowSizeMsg{Width: 100, Height: 40})
	h.key("n")
	w, hh := boxWidth(t, h), boxHeight(t, h)
	for range 10 { // to "Delete at"
		h.key("tab")
	}
	h.typeText("+2h")
	h.mustSee("If a meeting is live")
	if boxWidth(t, h) != w || boxHeight(t, h) != hh {
		t.Fatalf("the form went from %d×%d to %d×%d as a date was typed:\n%s", w, hh, boxWidth(t, h), boxHeight(t, h), h.view())
	}
}

// TestFlashGoesWithItsScreen: a flash about a room's detail goes when the detail closes;
// one shown on the list stays on the list.
func TestFlashGoesWithItsScreen(t *testing.T) {
	svc, _ := newService(t)
	addRoom(t, svc, asAdmin(t, svc), "Flash room")
	h := newHarness(t, svc, "admin")
	h.key("enter")
	h.mustSee("Room Flash room")
	h.send(flashMsg{level: levelWarn, text: "About this room"})
	h.mustSee("About this room")
	h.key("esc")
	h.mustSee("Flash room", "sorted by")
	h.mustNotSee("About this room")

	h.send(flashMsg{level: levelInfo, text: "About the list"})
	h.key("j")
	h.mustSee("About the list")
	h.key("2")
	h.mustNotSee("About the list")
}

// TestRefusalsComeBeforeTheConfirmation: deleting the root admin (or oneself) is refused
// at once, not after a (y/N) that could only fail.
func TestRefusalsComeBeforeTheConfirmation(t *testing.T) {
	svc, _ := newService(t)
	h := newHarness(t, svc, "admin")
	h.key("4")
	h.mustSee("Administrator")
	h.key("d")
	h.mustSee("The root admin cannot be deleted")
	h.mustNotSee("(y/N)")
	h.key("o")
	h.mustSee("The root admin's role cannot be changed")
	h.mustNotSee("Role of")
}

// TestPaletteNewAPIKey: ": new api key" opens the form on the Settings tab; a room
// member has no such command.
func TestPaletteNewAPIKey(t *testing.T) {
	svc, _ := newService(t)
	h := newHarness(t, svc, "admin")
	h.key(":")
	h.typeText("new api key")
	h.key("enter")
	h.mustSee("New API key", "shown once")
	h.typeText("deploy")
	h.key("enter")
	h.mustSee("API key deploy", "Copy it now")

	addUser(t, svc, "mo_member", "room_member", false)
	m := newHarness(t, svc, "mo_member")
	m.key(":")
	m.typeText("new api key")
	m.key("enter")
	m.mustSee(`"new api key" is not available to you`)
}
