package tui

import (
	"testing"
	"time"

	"conclave/core"
)

func TestParseAuditFilter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	q, err := parseAuditFilter("actor:alice action:room. target:room:x since:-2h until:2025-03-02", now, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if q.Actor != "user:alice" || q.Action != "room." || q.Target != "room:x" {
		t.Fatalf("q = %+v", q)
	}
	if q.Since != now.Add(-2*time.Hour).UnixMilli() || q.Until != time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC).UnixMilli() {
		t.Fatalf("times = %d %d", q.Since, q.Until)
	}
	if q, _ := parseAuditFilter("actor:apiKey:ci", now, time.UTC); q.Actor != "apiKey:ci" {
		t.Fatalf("actor = %q", q.Actor)
	}
	for _, bad := range []string{"who:alice", "alice", "since:yesterday", "until:"} {
		if _, err := parseAuditFilter(bad, now, time.UTC); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestAuditPage(t *testing.T) {
	f := newFakeBackend()
	f.addUser("carol_m", "Carol_m", core.RoleRoomManager, "real-pass")
	f.addRoom("Audited room", core.Grant{})
	h := newHarness(t, f, "admin")
	h.key("5")
	h.mustSee("Audit log", "room.create", "user.create", "user:admin")

	h.key("/")
	h.typeText("action:room.")
	h.key("enter")
	h.mustSee("filter: action:room.", "room.create")
	h.mustNotSee("user.create")

	h.key("/")
	h.key("ctrl+u")
	h.typeText("bogus:1")
	h.key("enter")
	h.mustSee("unknown filter \"bogus\"")
	h.key("esc")
	h.mustSee("filter: action:room.")

	// A change elsewhere shows at the top, live.
	f.addRoom("Second room", core.Grant{})
	h.pump()
	h.mustSee("1/2")

	h.key("enter")
	h.mustSee("Audit entry", "detail", "Second room")
	h.key("esc")
	h.key("esc")
	h.mustSee("user.create")
	h.mustNotSee("filter:")
}
