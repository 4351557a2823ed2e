package core_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"conclave/core"

	gossh "golang.org/x/crypto/ssh"
)

func newKey(t *testing.T) gossh.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSSHKeys(t *testing.T) {
	svc, _, _ := newService(t)
	ctx := context.Background()
	admin := signIn(t, svc, "admin", "admin")
	if _, err := svc.CreateUser(ctx, admin, core.NewUser{UserID: "alice_w", Name: "Alice", Role: "room_member", Password: "first1"}); err != nil {
		t.Fatal(err)
	}
	mine, other := newKey(t), newKey(t)
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(mine))) + " alice@laptop\x1b[31m"
	k, err := svc.AddSSHKey(ctx, admin, "alice_w", line)
	if err != nil {
		t.Fatal(err)
	}
	if k.Comment != "alice@laptop[31m" || k.Fingerprint != gossh.FingerprintSHA256(mine) || k.Type != "ssh-ed25519" {
		t.Fatalf("key %+v", k)
	}
	if _, err := svc.AddSSHKey(ctx, admin, "alice_w", line); core.KindOf(err) != core.KindConflict {
		t.Fatalf("same key twice: %v", err)
	}
	for _, bad := range []string{"", "ssh-ed25519 AAAA", "hello world", line + "\n" + line} {
		if _, err := svc.AddSSHKey(ctx, admin, "alice_w", bad); core.KindOf(err) != core.KindValidation {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
	meta := core.RequestMeta{Source: "127.0.0.1", Via: "ssh"}
	if u, err := svc.AuthenticatePublicKey(ctx, "alice_w", mine.Marshal(), meta); err != nil || u.UserID != "alice_w" {
		t.Fatalf("own key refused: %v", err)
	}
	if _, err := svc.AuthenticatePublicKey(ctx, "alice_w", other.Marshal(), meta); core.KindOf(err) != core.KindUnauthenticated {
		t.Fatalf("unknown key accepted: %v", err)
	}
	if _, err := svc.AuthenticatePublicKey(ctx, "admin", mine.Marshal(), meta); core.KindOf(err) != core.KindUnauthenticated {
		t.Fatalf("alice's key opened admin: %v", err)
	}
	// A user may not touch another user's keys; admins may.
	alice, err := svc.UserPrincipal(ctx, "alice_w", meta)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ListSSHKeys(ctx, alice, "alice_w"); core.KindOf(err) != core.KindForbidden {
		t.Fatalf("user with a pending password change listed keys: %v", err)
	}
	if _, err := svc.ChangePassword(ctx, alice, "first1", "second2"); err != nil {
		t.Fatal(err)
	}
	alice, _ = svc.UserPrincipal(ctx, "alice_w", meta)
	if _, err := svc.ListSSHKeys(ctx, alice, "admin"); core.KindOf(err) != core.KindForbidden {
		t.Fatalf("listed someone else's keys: %v", err)
	}
	keys, err := svc.ListSSHKeys(ctx, alice, "alice_w")
	if err != nil || len(keys) != 1 || !strings.HasPrefix(keys[0].AuthorizedKey(), "ssh-ed25519 ") {
		t.Fatalf("keys %+v %v", keys, err)
	}
	if err := svc.DeleteSSHKey(ctx, alice, "alice_w", k.Fingerprint); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AuthenticatePublicKey(ctx, "alice_w", mine.Marshal(), meta); err == nil {
		t.Fatal("deleted key still opens")
	}
	if err := svc.DeleteSSHKey(ctx, alice, "alice_w", k.ID); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("deleting twice: %v", err)
	}
}
