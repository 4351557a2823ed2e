package tui

import (
	"testing"

	"conclave/core"
)

func TestAccountPage(t *testing.T) {
	f := newFakeBackend()
	f.addUser("dave_m", "Dave_m", core.RoleRoomManager, "real-pass")
	h := newHarness(t, f, "dave_m")
	h.key("4")
	h.mustSee("Account", "dave_m", "room manager", "No SSH keys")

	h.key("p")
	h.mustSee("Change your password")
	h.typeText("wrong-pass")
	h.key("tab")
	h.typeText("new-pass-1")
	h.key("tab")
	h.typeText("new-pass-2")
	h.key("enter")
	h.mustSee("does not match the new password")
	h.key("backspace")
	h.typeText("1")
	h.key("enter")
	h.mustSee("Invalid current password")
	// The error puts the focus on the current password.
	h.key("ctrl+u")
	h.typeText("real-pass")
	h.key("ctrl+s")
	h.mustSee("Password changed")
	if got := f.passwords["dave_m"]; got != "new-pass-1" {
		t.Fatalf("the password is %q, want new-pass-1", got)
	}

	h.key("a")
	h.send(pasteMsg(authorizedKey(t, "desk")))
	h.key("enter")
	h.mustSee("desk", "SHA256:")
	h.key("d")
	h.key("enter") // No is selected
	h.mustSee("desk")
	h.key("d")
	h.key("y")
	h.mustSee("No SSH keys")
	if len(f.keys["dave_m"]) != 0 {
		t.Fatalf("keys left: %v", f.keys["dave_m"])
	}
}
