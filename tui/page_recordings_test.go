package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
)

// Bad input in the share-link form is refused beside its field and makes no link.
func TestShareLinkFormRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	svc, st := conclavetest.Core(t, conclavetest.Config{PublicURL: "http://meet.test", Recorder: conclavetest.FileRecorder(t, dir)})
	r := addRoom(t, svc, asAdmin(t, svc), "Retro")
	rec := conclavetest.FinishedRecording(t, st, dir, r, time.Now().Add(-time.Hour), 100)
	h := newHarness(t, svc, "admin")
	h.key("3")
	h.key("enter")
	h.mustSee("Recording " + rec.RecordingID)
	h.key("n")
	h.mustSee("New share link")
	noLinks := func() {
		t.Helper()
		page, err := svc.ListShareLinks(context.Background(), asAdmin(t, svc), rec.RecordingID, core.ListOptions{})
		if err != nil || len(page.Items) != 0 {
			t.Fatalf("links = %+v, %v", page.Items, err)
		}
	}
	// Local checks: an expiry that is no time, a number of uses that is no number.
	h.key("tab")
	h.key("tab")
	h.typeText("yesterday")
	h.key("tab")
	h.typeText("lots")
	h.key("ctrl+s")
	h.mustSee("New share link", "↳ use YYYY-MM-DD HH:MM", "↳ a whole number of uses")
	noLinks()
	// Core's checks land beside the fields they name: no uses, an expiry past. The
	// focus is on the first field in error.
	for range 9 {
		h.key("backspace")
	}
	h.typeText("2001-01-01")
	h.key("tab")
	for range 4 {
		h.key("backspace")
	}
	h.typeText("0")
	h.key("ctrl+s")
	h.mustSee("New share link", "↳ must be in the future", "↳ must be from 1 to")
	noLinks()
	// A password of more than bcrypt's 72 bytes cannot even be typed.
	h.key("shift+tab")
	h.typeText(strings.Repeat("p", 100))
	f := h.a.pages[tabRecordings].(*recordingsPage).detail.modal.(*form)
	if got := len(f.values().str("password")); got != core.MaxSharePasswordBytes {
		t.Fatalf("the password field holds %d bytes", got)
	}
	h.key("esc")
	h.mustSee("No share links yet")
	noLinks()
}

// A room manager sees its own rooms' recordings with every act core gives an owner (the
// storage of its rooms, the access log, share links, delete), and nothing of others'.
func TestRecordingsOwnerView(t *testing.T) {
	dir := t.TempDir()
	svc, st := conclavetest.Core(t, conclavetest.Config{PublicURL: "http://meet.test", Recorder: conclavetest.FileRecorder(t, dir)})
	owner := addUser(t, svc, "rita_m", "room_manager", false)
	mine := addRoom(t, svc, owner, "Rita's room")
	theirs := addRoom(t, svc, asAdmin(t, svc), "Admin's room")
	rec := conclavetest.FinishedRecording(t, st, dir, mine, time.Now().Add(-time.Hour), 2048)
	other := conclavetest.FinishedRecording(t, st, dir, theirs, time.Now().Add(-time.Hour), 4096)
	h := newHarness(t, svc, "rita_m")
	h.key("3")
	h.mustSee(rec.RecordingID, "d move to trash", "recordings 2.0 KiB · free ")
	h.mustNotSee(other.RecordingID, "purge now")
	if _, _, err := svc.CreateShareLink(context.Background(), owner, rec.RecordingID, core.NewShareLink{}); err != nil {
		t.Fatal(err)
	}
	h.pump()
	h.key("enter")
	h.mustSee("n new share link", "x revoke", "Share links (1)", "Access log (newest 1)", "share.create")
	h.mustNotSee("The access log is shown to")
	h.key("esc")
	h.key("d")
	h.key("y")
	h.mustSee("Recording moved to the trash")
	h.key("t")
	h.mustSee("Trash", rec.RecordingID, "u restore")
	h.mustNotSee("purge now")
	h.key("u")
	h.key("y")
	h.mustSee("Recording restored", "The trash is empty")
}

// A recording being made shows as live, offers no delete (core refuses it while it is
// made), and its status follows the bus without a key.
func TestRecordingsLiveFollowEvents(t *testing.T) {
	f := newFakeBackend()
	room := f.addRoom("Live room", core.Grant{Source: core.GrantAdmin})
	rec := f.addRecording(room, core.RecActive, f.now())
	h := newHarness(t, f, "admin")
	h.key("3")
	h.mustSee(rec.RecordingID, "active", "live")
	h.mustNotSee("move to trash", "purge now")
	h.key("d")
	h.mustSee("This recording is being made: stop it first")
	if _, err := f.StopRecording(context.Background(), nil, rec.RecordingID); err != nil {
		t.Fatal(err)
	}
	h.pump()
	h.mustSee(rec.RecordingID, "ending")
	h.mustNotSee("active")
}
