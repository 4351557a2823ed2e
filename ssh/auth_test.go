package sshd_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"conclave/core"
	sshd "conclave/ssh"
)

func TestPasswordLoginOpensControlRoom(t *testing.T) {
	st := start(t, sshd.Options{})
	c := mustDial(t, st.addr, "admin", "admin")
	tm := openTerm(t, c, 100, 30)
	tm.waitControlRoom(t)
	if !strings.Contains(tm.out.text(), "admin") {
		t.Errorf("control room does not name the signed-in user; screen: %q", tm.out.text())
	}
}

func TestPublicKeyLogin(t *testing.T) {
	st := start(t, sshd.Options{})
	signer, line := newKey(t, "alice@laptop")
	if _, err := st.svc.AddSSHKey(context.Background(), principal(t, st.svc, "admin"), "admin", line); err != nil {
		t.Fatal(err)
	}
	c, err := dial(st.addr, "admin", gossh.PublicKeys(signer))
	if err != nil {
		t.Fatalf("sign-in with a registered key: %v", err)
	}
	defer c.Close()
	out, errOut, code := run(t, c, "keys ls --json", "")
	if code != 0 {
		t.Fatalf("keys ls: exit %d, %s", code, errOut)
	}
	var keys []struct{ Fingerprint, Comment string }
	if err := json.Unmarshal([]byte(out), &keys); err != nil {
		t.Fatalf("keys ls --json: %v in %q", err, out)
	}
	if len(keys) != 1 || keys[0].Fingerprint != gossh.FingerprintSHA256(signer.PublicKey()) || keys[0].Comment != "alice@laptop" {
		t.Errorf("keys = %+v", keys)
	}

	other, _ := newKey(t, "")
	if c, err := dial(st.addr, "admin", gossh.PublicKeys(other)); err == nil {
		c.Close()
		t.Fatal("an unregistered key signed in")
	}
	// The registered key is the admin's, not anyone's.
	addUser(t, st.svc, "bobby", core.RoleRoomManager, true)
	if c, err := dial(st.addr, "bobby", gossh.PublicKeys(signer)); err == nil {
		c.Close()
		t.Fatal("admin's key signed in as another user")
	}
}

func TestKeyboardInteractiveIsOff(t *testing.T) {
	st := start(t, sshd.Options{})
	asked := false
	ki := gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) {
		asked = true
		return []string{"admin"}, nil
	})
	if c, err := dial(st.addr, "admin", ki); err == nil {
		c.Close()
		t.Fatal("keyboard-interactive sign-in accepted")
	}
	if asked {
		t.Error("the server offered a keyboard-interactive challenge")
	}
}

func TestFailedPasswordsAreLimited(t *testing.T) {
	dir := t.TempDir()
	svc := newCore(t, dir, core.LoginLimits{PerUser: 3, PerAddress: 100, Window: time.Minute})
	st := startOn(t, svc, dir, sshd.Options{})

	_, errWrong := dial(st.addr, "admin", gossh.Password("wrong"))
	_, errUnknown := dial(st.addr, "nobody_here", gossh.Password("wrong"))
	if errWrong == nil || errUnknown == nil {
		t.Fatal("a wrong password or an unknown user signed in")
	}
	if errWrong.Error() != errUnknown.Error() {
		t.Errorf("unknown user and wrong password answer differently:\n%v\n%v", errUnknown, errWrong)
	}
	for range 2 {
		if _, err := dial(st.addr, "admin", gossh.Password("wrong")); err == nil {
			t.Fatal("a wrong password signed in")
		}
	}
	var banner string
	c, err := dial(st.addr, "admin", gossh.Password("admin"), dialOpts{banner: &banner})
	if err == nil {
		c.Close()
		t.Fatal("the right password was accepted after 3 failures with a limit of 3")
	}
	if !strings.Contains(banner, "too many failed sign-ins") {
		t.Errorf("a locked-out client is not told why: banner %q", banner)
	}
	// Other users are not locked out by admin's failures.
	pw := addUser(t, svc, "carol_m", core.RoleRoomManager, true)
	mustDial(t, st.addr, "carol_m", pw).Close()
}
