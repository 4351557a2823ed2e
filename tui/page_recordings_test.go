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
