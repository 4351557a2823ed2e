package tui

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"conclave/core"
)

// authorizedKey makes a fresh public key line.
func authorizedKey(t *testing.T, comment string) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " " + comment
}

func TestUsersPage(t *testing.T) {
	svc, _ := newService(t)
	h := newHarness(t, svc, "admin")
	h.key("4")
	h.mustSee("Users", "admin", "Administrator")

	// Create, with core's 422 details beside the fields.
	h.key("n")
	h.mustSee("New user", "Temporary password")
	h.typeText("Al")
	h.key("ctrl+s")
	h.mustSee("must be 5 to 20 characters", "Required", "must be at least 5 characters")
	h.key("backspace")
	h.key("backspace")
	h.typeText("alice_w")
	h.key("tab")
	h.typeText("Alice W")
	h.key("tab")
	h.key("right") // room_manager
	h.key("tab")
	h.typeText("first-pass")
	h.key("enter")
	h.mustSee("User alice_w created", "alice_w", "must change")
	u, err := svc.GetUser(context.Background(), asAdmin(t, svc), "alice_w")
	if err != nil || u.Role != core.RoleRoomManager || !u.MustChangePassword {
		t.Fatalf("user = %+v, %v", u, err)
	}

	// The new user is the newest: first row.
	h.key("g")
	h.key("o")
	h.mustSee("Role of alice_w")
	h.key("1") // room_member
	h.mustSee("alice_w is now room member")

	h.key("p")
	h.typeText("other-pass")
	h.key("enter")
	h.mustSee("Password of alice_w reset")

	// SSH keys of a user.
	h.key("enter")
	h.mustSee("User alice_w", "No SSH keys")
	h.key("a")
	h.send(pasteMsg("not a key"))
	h.key("enter")
	h.mustSee("not an SSH public key")
	h.key("ctrl+u")
	line := authorizedKey(t, "laptop")
	h.send(pasteMsg(line))
	h.key("enter")
	h.mustSee("laptop", "ssh-ed25519")
	keys, _ := svc.ListSSHKeys(context.Background(), asAdmin(t, svc), "alice_w")
	if len(keys) != 1 {
		t.Fatalf("keys = %v", keys)
	}
	h.key("d")
	h.mustSee("Delete SSH key? (y/N)")
	h.key("y")
	h.mustSee("No SSH keys")
	h.key("esc")

	// Delete, after confirmation; the root admin cannot be.
	h.key("d")
	h.mustSee("Delete user alice_w? (y/N)")
	h.key("y")
	h.mustSee("User alice_w deleted")
	h.mustSee("Users  1/1")
	h.key("g")
	h.key("d")
	h.key("y")
	h.mustSee("The root admin cannot be deleted")
}
