package tui

import (
	"context"
	"testing"
)

func TestAccountPage(t *testing.T) {
	svc, _ := newService(t)
	addUser(t, svc, "dave_m", "room_manager", false)
	h := newHarness(t, svc, "dave_m")
	h.key("3")
	h.mustSee("Account", "dave_m", "room_manager", "No SSH keys")

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
	if _, err := svc.CheckPassword(context.Background(), "dave_m", "new-pass-1", h.a.c.id.Meta); err != nil {
		t.Fatal("the password did not change:", err)
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
}
