package tui

import (
	"strings"
	"testing"
	"time"

	"conclave/core"
)

func TestRoomDetailListsRecordings(t *testing.T) {
	f := newFakeBackend()
	other := f.addRoom("Elsewhere", speakerGrant())
	room := f.addRoom("Archive", speakerGrant())
	base := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC).UnixMilli()
	f.addRecording(other, core.RecComplete, base).Error = "not this room's"
	done := f.addRecording(room, core.RecComplete, base)
	done.Duration, done.Size = 133.4, 12*1024*1024+300*1024
	failed := f.addRecording(room, core.RecFailed, base+time.Hour.Milliseconds())
	failed.Duration, failed.Size, failed.Error, failed.Details = 4, 800, "Disk full", "Stopped by user:admin"
	limited := f.addRecording(room, core.RecLimitReached, base-time.Hour.Milliseconds())
	limited.Duration, limited.Size, limited.Error = 3725, 3*1024*1024*1024, "Free disk fell below 1024 MiB"

	h := newHarness(t, f, "admin")
	h.mustSee("Archive", "Elsewhere")
	h.key("enter") // the newest room: Archive
	h.mustSee("Room Archive", "Recordings (3)", "STATUS", "STARTED", "DURATION", "SIZE",
		"complete", "2025-03-01 09:00", "02:13", "12.3 MiB",
		"failed", "00:04", "800 B", "↳ Disk full; Stopped by user:admin",
		"limit_reached", "1:02:05", "3.0 GiB", "↳ Free disk fell below 1024 MiB")
	h.mustNotSee("not this room's")
	// Newest first.
	v := h.view()
	if i, j, k := strings.Index(v, "failed"), strings.Index(v, "complete"), strings.Index(v, "limit_reached"); !(i < j && j < k) {
		t.Fatalf("recordings not newest first:\n%s", v)
	}
	// A complete recording has no problem line.
	if n := strings.Count(v, "↳"); n != 2 {
		t.Fatalf("%d problem lines, want 2:\n%s", n, v)
	}

	// A recording started elsewhere shows without a key press.
	f.addRecording(room, core.RecActive, base+2*time.Hour.Milliseconds())
	f.bus.Publish(core.Event{Type: core.EventRecordingChanged, RoomID: room.RoomID})
	h.pump()
	h.mustSee("Recordings (4)", "active")

	// Without recordingList the section says so rather than listing.
	f.rooms[1].grant.Permissions.RecordingList = false
	f.bus.Publish(core.Event{Type: core.EventRoomChanged, RoomID: room.RoomID})
	h.pump()
	h.mustSee("Recordings are shown to those with recordingList in this room")
	h.mustNotSee("12.3 MiB")
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB",
		12*1024*1024 + 300*1024: "12.3 MiB", 1<<20 - 1: "1.0 MiB", 5 << 40: "5.0 TiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
