package sshd_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"conclave/core"
	sshd "conclave/ssh"
)

type roomRow struct {
	RoomID       string `json:"roomId"`
	RoomName     string `json:"roomName"`
	Owner        string `json:"owner"`
	Status       string `json:"status"`
	CreationDate int64  `json:"creationDate"`
}

func createRoom(t *testing.T, svc *core.Service, owner, name string) *core.Room {
	t.Helper()
	r, err := svc.CreateRoom(context.Background(), principal(t, svc, owner), core.RoomOptions{RoomName: &name})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func roomIDs(t *testing.T, out string) []string {
	t.Helper()
	var rows []roomRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("rooms ls --json: %v in %q", err, out)
	}
	var ids []string
	for _, r := range rows {
		if r.RoomID == "" || r.Owner == "" || r.Status == "" || r.CreationDate == 0 {
			t.Errorf("incomplete room %+v", r)
		}
		ids = append(ids, r.RoomID)
	}
	slices.Sort(ids)
	return ids
}

func TestRoomsListJSON(t *testing.T) {
	st := start(t, sshd.Options{})
	pw := addUser(t, st.svc, "manager1", core.RoleRoomManager, true)
	var adminRooms, all []string
	// More than one page (100) of rooms: the command must read them all.
	for i := range 102 {
		adminRooms = append(adminRooms, createRoom(t, st.svc, "admin", fmt.Sprintf("Admin room %d", i)).RoomID)
	}
	mine := createRoom(t, st.svc, "manager1", "Manager room")
	all = append(append(all, adminRooms...), mine.RoomID)
	slices.Sort(all)

	out, errOut, code := run(t, mustDial(t, st.addr, "admin", "admin"), "rooms ls --json", "")
	if code != 0 {
		t.Fatalf("admin rooms ls: exit %d: %s", code, errOut)
	}
	if got := roomIDs(t, out); !slices.Equal(got, all) {
		t.Errorf("admin sees %d rooms, want all %d", len(got), len(all))
	}

	mc := mustDial(t, st.addr, "manager1", pw)
	out, errOut, code = run(t, mc, "rooms ls --json", "")
	if code != 0 {
		t.Fatalf("manager rooms ls: exit %d: %s", code, errOut)
	}
	if got := roomIDs(t, out); !slices.Equal(got, []string{mine.RoomID}) {
		t.Errorf("room_manager sees %v, want only its room %s", got, mine.RoomID)
	}

	out, _, code = run(t, mc, "rooms ls", "")
	if code != 0 || !strings.Contains(out, mine.RoomID) || !strings.Contains(out, "Manager room") || !strings.Contains(out, "ROOM ID") {
		t.Errorf("rooms ls (text): exit %d, %q", code, out)
	}
}

func TestRoomsShowLinksFollowPermission(t *testing.T) {
	st := start(t, sshd.Options{})
	mpw := addUser(t, st.svc, "manager1", core.RoleRoomManager, true)
	spw := addUser(t, st.svc, "speaker1", core.RoleRoomMember, true)
	r := createRoom(t, st.svc, "manager1", "Weekly")
	if _, _, err := st.svc.AddMember(context.Background(), principal(t, st.svc, "manager1"), r.RoomID,
		core.NewMember{UserID: "speaker1", BaseRole: core.BaseRoleSpeaker}); err != nil {
		t.Fatal(err)
	}
	secret := r.Access.Moderator.Secret

	out, errOut, code := run(t, mustDial(t, st.addr, "manager1", mpw), "rooms show "+r.RoomID, "")
	if code != 0 || !strings.Contains(out, secret) {
		t.Errorf("owner does not see the moderator link: exit %d %s %q", code, errOut, out)
	}
	sc := mustDial(t, st.addr, "speaker1", spw)
	out, errOut, code = run(t, sc, "rooms show --json "+r.RoomID, "")
	if code != 0 {
		t.Fatalf("speaker rooms show: exit %d %s", code, errOut)
	}
	if strings.Contains(out, secret) || strings.Contains(out, "accessLinks") {
		t.Errorf("a speaker without roomShareAccessLinks sees access links: %s", out)
	}
	var d struct{ RoomID, Access string }
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.RoomID != r.RoomID || d.Access != core.GrantMember {
		t.Errorf("rooms show --json = %+v (%v)", d, err)
	}
	// A member does not manage the room: its members are not its business.
	if _, errOut, code := run(t, sc, "members ls "+r.RoomID, ""); code != 1 || errOut == "" {
		t.Errorf("speaker members ls: exit %d %q", code, errOut)
	}
	guest, _, err := st.svc.AddMember(context.Background(), principal(t, st.svc, "manager1"), r.RoomID,
		core.NewMember{Name: "Guest Gina", BaseRole: core.BaseRoleSpeaker})
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code = run(t, mustDial(t, st.addr, "manager1", mpw), "members ls --json "+r.RoomID, "")
	if code != 0 || !strings.Contains(out, `"memberId": "speaker1"`) {
		t.Errorf("owner members ls: exit %d %s %q", code, errOut, out)
	}
	// The owner gets each member's own link: an external member's carries its secret.
	var members []struct{ MemberID, AccessURL string }
	if err := json.Unmarshal([]byte(out), &members); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{}
	for _, m := range members {
		links[m.MemberID] = m.AccessURL
	}
	if want := st.svc.RoomURL(r.RoomID) + "?secret=" + guest.MemberID; links[guest.MemberID] != want {
		t.Errorf("external member's accessUrl = %q, want %q", links[guest.MemberID], want)
	}
	if want := st.svc.RoomURL(r.RoomID); links["speaker1"] != want {
		t.Errorf("internal member's accessUrl = %q, want %q", links["speaker1"], want)
	}
	if _, errOut, code := run(t, sc, "rooms show no-such-room", ""); code != 1 || !strings.Contains(errOut, "does not exist") {
		t.Errorf("rooms show of a missing room: exit %d %q", code, errOut)
	}
}

func TestUsersListIsForAdmins(t *testing.T) {
	st := start(t, sshd.Options{})
	pw := addUser(t, st.svc, "manager1", core.RoleRoomManager, true)
	_, errOut, code := run(t, mustDial(t, st.addr, "manager1", pw), "users ls", "")
	if code != 1 || !strings.Contains(errOut, "Insufficient permissions") {
		t.Errorf("room_manager users ls: exit %d, stderr %q", code, errOut)
	}
	out, errOut, code := run(t, mustDial(t, st.addr, "admin", "admin"), "users ls --json", "")
	if code != 0 {
		t.Fatalf("admin users ls: exit %d %s", code, errOut)
	}
	var users []struct {
		UserID string `json:"userId"`
		Role   string `json:"role"`
	}
	if err := json.Unmarshal([]byte(out), &users); err != nil || len(users) != 2 {
		t.Fatalf("users ls --json = %q (%v)", out, err)
	}
}

func TestOtherCommandsAreRefused(t *testing.T) {
	st := start(t, sshd.Options{})
	c := mustDial(t, st.addr, "admin", "admin")
	for _, tc := range []struct {
		cmd  string
		code int
		says string
	}{
		{"bash", 2, "unknown command"},
		{"/bin/sh -c id", 2, "unknown command"},
		{"rooms frobnicate", 2, "unknown subcommand"},
		{"rooms", 2, "needs a subcommand"},
		{"rooms ls --yaml", 2, "unknown flag"},
		{"rooms ls extra", 2, "no arguments"},
		{"scp -t /tmp", 1, "no file transfer"},
	} {
		out, errOut, code := run(t, c, tc.cmd, "")
		if code != tc.code || !strings.Contains(errOut, tc.says) || out != "" {
			t.Errorf("%s: exit %d (want %d), stdout %q, stderr %q (want %q)", tc.cmd, code, tc.code, out, errOut, tc.says)
		}
	}
	out, _, code := run(t, c, "help", "")
	if code != 0 || !strings.Contains(out, "rooms ls") {
		t.Errorf("help: exit %d, %q", code, out)
	}
}

func TestKeysAddFromStdin(t *testing.T) {
	st := start(t, sshd.Options{})
	pw := addUser(t, st.svc, "dave_r", core.RoleRoomMember, true)
	c := mustDial(t, st.addr, "dave_r", pw)
	signer, line := newKey(t, "dave@desk")
	fp := gossh.FingerprintSHA256(signer.PublicKey())

	out, errOut, code := run(t, c, "keys add", line+"\n")
	if code != 0 || !strings.Contains(out, fp) {
		t.Fatalf("keys add: exit %d, %q %q", code, out, errOut)
	}
	out, _, code = run(t, c, "keys ls --json", "")
	var keys []struct {
		ID          string `json:"id"`
		Fingerprint string `json:"fingerprint"`
		Comment     string `json:"comment"`
	}
	if err := json.Unmarshal([]byte(out), &keys); err != nil || code != 0 || len(keys) != 1 || keys[0].Fingerprint != fp || keys[0].Comment != "dave@desk" {
		t.Fatalf("keys ls --json: exit %d, %q (%v)", code, out, err)
	}
	// The new key signs in.
	kc, err := dial(st.addr, "dave_r", gossh.PublicKeys(signer))
	if err != nil {
		t.Fatalf("sign-in with the added key: %v", err)
	}
	kc.Close()

	if _, errOut, code := run(t, c, "keys add", "not a key\n"); code != 1 || !strings.Contains(errOut, "not an SSH public key") {
		t.Errorf("keys add of garbage: exit %d, %q", code, errOut)
	}
	if _, errOut, code := run(t, c, "keys add", ""); code != 2 || !strings.Contains(errOut, "authorized_keys line") {
		t.Errorf("keys add of nothing: exit %d, %q", code, errOut)
	}
	if out, errOut, code := run(t, c, "keys rm "+fp, ""); code != 0 {
		t.Fatalf("keys rm: exit %d %q %q", code, out, errOut)
	}
	if kc, err := dial(st.addr, "dave_r", gossh.PublicKeys(signer)); err == nil {
		kc.Close()
		t.Fatal("a removed key still signs in")
	}
	if _, _, code := run(t, c, "keys rm "+keys[0].ID, ""); code != 1 {
		t.Errorf("keys rm of a removed key: exit %d", code)
	}
}

func TestForcedPasswordChange(t *testing.T) {
	st := start(t, sshd.Options{})
	pw := addUser(t, st.svc, "newbie", core.RoleRoomManager, false)
	c := mustDial(t, st.addr, "newbie", pw)

	_, errOut, code := run(t, c, "rooms ls", "")
	if code != 1 || !strings.Contains(errOut, "change your password") || !strings.Contains(errOut, "interactively") {
		t.Errorf("rooms ls before the password change: exit %d, %q", code, errOut)
	}
	if out, _, code := run(t, c, "help", ""); code != 0 || out == "" {
		t.Errorf("help before the password change: exit %d", code)
	}

	tm := openTerm(t, c, 100, 30)
	switch tm.out.waitFor(5*time.Second, "change your password", "press q to quit") {
	case "change your password":
	case "press q to quit":
		t.Skip("the control room is still the placeholder: it has no change-password screen yet")
	default:
		t.Fatalf("a user who must change its password is not shown that screen; screen: %q", tm.out.text())
	}
}

// With a terminal (ssh -t), commands run too, and keys add takes a pasted line.
func TestCommandsOnATerminal(t *testing.T) {
	st := start(t, sshd.Options{})
	c := mustDial(t, st.addr, "admin", "admin")
	tm := openTermWith(t, c, 80, 24, "rooms ls", nil)
	if code := tm.waitEnd(t, 5*time.Second); code != 0 || !strings.Contains(tm.out.text(), "norooms") {
		t.Errorf("rooms ls on a terminal: exit %d, %q", code, tm.out.text())
	}

	signer, line := newKey(t, "pasted")
	tm = openTermWith(t, c, 80, 24, "keys add", nil)
	if tm.out.waitFor(5*time.Second, "paste one public key") == "" {
		t.Fatalf("no prompt: %q", tm.out.text())
	}
	if _, err := tm.in.Write([]byte(line + "\r")); err != nil {
		t.Fatal(err)
	}
	fp := gossh.FingerprintSHA256(signer.PublicKey())
	if code := tm.waitEnd(t, 5*time.Second); code != 0 || !strings.Contains(tm.out.text(), normalize(fp)) {
		t.Errorf("keys add on a terminal: exit %d, %q", code, tm.out.text())
	}
}

// TestSignInIsAudited checks an SSH sign-in leaves the same trace as an HTTP one: once per
// connection, with the SSH client's version as the device.
func TestSignInIsAudited(t *testing.T) {
	st := start(t, sshd.Options{})
	c := mustDial(t, st.addr, "admin", "admin")
	for range 2 {
		if _, errOut, code := run(t, c, "rooms ls", ""); code != 0 {
			t.Fatalf("rooms ls: exit %d: %s", code, errOut)
		}
	}
	page, err := st.svc.ListAudit(context.Background(), principal(t, st.svc, "admin"), core.AuditQuery{Action: "auth.login"})
	if err != nil {
		t.Fatal(err)
	}
	var ssh []core.AuditEntry
	for _, e := range page.Items {
		if strings.HasPrefix(e.Device, "ssh ") {
			ssh = append(ssh, e)
		}
	}
	if len(ssh) != 1 || ssh[0].Actor != "user:admin" || !strings.Contains(ssh[0].Device, "SSH-2.0-") || ssh[0].Source != "127.0.0.1" {
		t.Fatalf("ssh sign-in audit entries: %+v", ssh)
	}
}
