package tui

import (
	"context"
	"strings"
	"testing"

	"conclave/core"
)

func recordingSwitch(t *testing.T, svc *core.Service) bool {
	t.Helper()
	on, err := svc.RecordingSwitch(context.Background(), asAdmin(t, svc))
	if err != nil {
		t.Fatal(err)
	}
	return on
}

func TestSettingsRecordingSwitch(t *testing.T) {
	svc, _ := newService(t)
	h := newHarness(t, svc, "admin")
	h.mustSee("5 Audit", "6 Settings", "7 Account")
	h.key("6")
	h.mustSee("Server settings", "Recording   on", "off refuses every new recording")
	if !strings.Contains(h.footerLine(), "enter toggle") {
		t.Fatalf("footer: %s", h.footerLine())
	}

	h.key("enter")
	h.mustSee("Turn recording off (y/N)", "[ No ]")
	h.key("enter") // No is selected
	h.mustNotSee("(y/N)")
	if !recordingSwitch(t, svc) {
		t.Fatal("enter on No turned recording off")
	}

	h.key("enter")
	h.key("y")
	if recordingSwitch(t, svc) {
		t.Fatal("y did not turn recording off")
	}
	h.mustSee("Recording   off", "Recording turned off")
	page, err := svc.ListAudit(context.Background(), asAdmin(t, svc), core.AuditQuery{Action: "settings.recording"})
	if err != nil || len(page.Items) != 1 || page.Items[0].Actor != "user:admin" {
		t.Fatalf("audit: %+v, %v", page.Items, err)
	}

	// Changed elsewhere (REST, another session): shown without a key press.
	if err := svc.SetRecordingEnabled(context.Background(), asAdmin(t, svc), true); err != nil {
		t.Fatal(err)
	}
	h.pump()
	h.mustSee("Recording   on")

	// space toggles too, and asks the other way round.
	h.key("space")
	h.mustSee("Turn recording off (y/N)")
	h.key("n")
	if !recordingSwitch(t, svc) {
		t.Fatal("n turned recording off")
	}
}

func TestSettingsAreForAdminsOnly(t *testing.T) {
	svc, _ := newService(t)
	addUser(t, svc, "rita_m", "room_manager", false)
	h := newHarness(t, svc, "rita_m")
	h.mustSee("1 Rooms", "2 Live", "3 Recordings", "4 Account", "No rooms yet")
	h.mustNotSee("Settings")
	for _, k := range []string{"6", "5"} { // an admin's Settings, and the key after Account
		h.key(k)
		h.mustSee("No rooms yet")
	}
	if _, ok := h.a.pages[tabSettings]; ok {
		t.Fatal("a room manager has a Settings page")
	}
	h.key("?")
	h.mustNotSee("toggle")
	h.key("esc")
	h.key(":")
	h.typeText("settings")
	h.key("enter")
	h.mustSee(`"settings" is not available to you`)
	if !recordingSwitch(t, svc) {
		t.Fatal("the switch changed")
	}

	// An admin demoted while on the tab loses it at once.
	addUser(t, svc, "ada_admin", "admin", false)
	a := newHarness(t, svc, "ada_admin")
	a.key("6")
	a.mustSee("Server settings")
	if _, err := svc.UpdateRole(context.Background(), asAdmin(t, svc), "ada_admin", "room_member"); err != nil {
		t.Fatal(err)
	}
	a.pump()
	a.mustSee("1 Rooms", "2 Live", "3 Recordings", "4 Account")
	a.mustNotSee("Settings", "toggle")
	a.key("enter")
	if !recordingSwitch(t, svc) {
		t.Fatal("the switch changed after the demotion")
	}
}
