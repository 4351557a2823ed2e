package sshd_test

import (
	"testing"
	"time"

	sshd "conclave/ssh"

	"conclave/core"
)

// TestRoomCreatedInOneSessionAppearsInAnother: two people in the control room over SSH; a
// room one creates through the form shows in the other's Rooms page with no key pressed
// there.
func TestRoomCreatedInOneSessionAppearsInAnother(t *testing.T) {
	st := start(t, sshd.Options{})
	pw := addUser(t, st.svc, "watcher1", core.RoleAdmin, true)
	creator := openTerm(t, mustDial(t, st.addr, "admin", "admin"), 100, 30)
	watcher := openTerm(t, mustDial(t, st.addr, "watcher1", pw), 100, 30)
	creator.waitControlRoom(t)
	watcher.waitControlRoom(t)
	if watcher.out.waitFor(5*time.Second, "No rooms yet") == "" {
		t.Fatalf("watcher: empty rooms page not shown; screen: %q", watcher.out.text())
	}
	for _, keys := range []string{"n", "Quarterly planning", "\x13"} { // ctrl+s submits
		if _, err := creator.in.Write([]byte(keys)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	start := time.Now()
	if watcher.out.waitFor(5*time.Second, "Quarterly planning") == "" {
		t.Fatalf("room created in one session did not appear in the other; creator: %q\nwatcher: %q",
			creator.out.text(), watcher.out.text())
	}
	t.Logf("appeared in the other session %v after the form was submitted", time.Since(start).Round(time.Millisecond))
	if creator.out.waitFor(5*time.Second, "created") == "" {
		t.Errorf("creator was not told its room was created; screen: %q", creator.out.text())
	}
}
