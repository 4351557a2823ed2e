package core

import (
	"strings"
	"testing"
	"time"
)

func TestPlanDeletion(t *testing.T) {
	cases := []struct {
		meeting, recordings  bool
		withMeeting, withRec string
		code                 string // success code or 409 error code
		scheduled            bool
	}{
		{false, false, "fail", "fail", DeletedRoom, false},
		{false, true, "fail", "force", DeletedRoomAndRecordings, false},
		{false, true, "fail", "close", ClosedRoom, false},
		{false, true, "fail", "fail", "room_has_recordings", false},
		{true, false, "force", "fail", DeletedRoomWithMeeting, false},
		{true, false, "when_meeting_ends", "fail", ScheduledRoomWithMeetingDeletion, true},
		{true, false, "fail", "fail", "room_has_active_meeting", false},
		{true, true, "force", "force", DeletedRoomWithMeetingAndRecordings, false},
		{true, true, "force", "close", ClosedRoomWithMeeting, false},
		{true, true, "force", "fail", "room_with_active_meeting_has_recordings", false},
		{true, true, "when_meeting_ends", "force", ScheduledRoomWithMeetingAndRecordingsDelet, true},
		{true, true, "when_meeting_ends", "close", ScheduledRoomWithMeetingClosing, true},
		{true, true, "when_meeting_ends", "fail", "room_with_active_meeting_has_recordings_cannot_schedule_deletion", false},
		{true, true, "fail", "force", "room_with_recordings_has_active_meeting", false},
	}
	for _, c := range cases {
		plan, err := PlanDeletion("r-1", c.meeting, c.recordings, c.withMeeting, c.withRec)
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.Kind != KindConflict || e.Code != c.code || !strings.Contains(e.Message, "r-1") {
				t.Errorf("%+v: error %v, want conflict %s", c, err, c.code)
			}
			continue
		}
		if plan.Code != c.code || plan.Scheduled != c.scheduled {
			t.Errorf("%+v: got %+v", c, plan)
		}
	}
	if _, err := PlanDeletion("r", false, false, "later", "fail"); KindOf(err) != KindValidation {
		t.Fatal("bad policy accepted")
	}
}

func TestRoomSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Daily Standup":       "daily_standup",
		"  ¡Hola!  ":          "hola",
		"a--b__c":             "a_b_c",
		"日本語":                 "room",
		"":                    "room",
		"../../etc/passwd":    "etc_passwd",
		"Room 42; DROP rooms": "room_42_drop_rooms",
	} {
		if got := roomSlug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
	id := NewRoomID("Daily Standup")
	if !strings.HasPrefix(id, "daily_standup-") || len(id) != len("daily_standup-")+15 {
		t.Fatalf("room id %q", id)
	}
	if a, b := NewRoomID("x"), NewRoomID("x"); a == b {
		t.Fatal("room ids repeat")
	}
}

func TestLoginLimiter(t *testing.T) {
	l := newLoginLimiter(LoginLimits{PerUser: 3, PerAddress: 5, Window: time.Minute})
	now := time.Unix(1000, 0)
	for i := range 3 {
		if b, _ := l.blocked("alice", "10.0.0.1", now); b {
			t.Fatalf("blocked after %d failures", i)
		}
		l.fail("alice", "10.0.0.1", now)
	}
	b, wait := l.blocked("alice", "10.0.0.2", now.Add(time.Second))
	if !b || wait <= 0 || wait > time.Minute {
		t.Fatalf("user not limited across addresses: %v %v", b, wait)
	}
	// Another user from the same address still has two tries before the address limit.
	l.fail("bob", "10.0.0.1", now)
	if b, _ := l.blocked("bob", "10.0.0.1", now); b {
		t.Fatal("bob blocked too early")
	}
	l.fail("carol", "10.0.0.1", now)
	if b, _ := l.blocked("dave", "10.0.0.1", now); !b {
		t.Fatal("address limit not applied")
	}
	if b, _ := l.blocked("alice", "10.0.0.9", now.Add(61*time.Second)); b {
		t.Fatal("limit outlived its window")
	}
}

func TestBusNeverBlocksAndResyncs(t *testing.T) {
	b := NewBus()
	slow := b.Subscribe(4)
	fast := b.Subscribe(100)
	for i := range 50 {
		b.Publish(Event{Type: EventRoomChanged, RoomID: string(rune('a' + i%26))})
	}
	if len(fast.C) != 50 {
		t.Fatalf("fast subscriber got %d events", len(fast.C))
	}
	var got []Event
	for len(slow.C) > 0 {
		got = append(got, <-slow.C)
	}
	if len(got) != 4 || got[3].Type != EventResync {
		t.Fatalf("slow subscriber: %+v", got)
	}
	b.Publish(Event{Type: EventRoomDeleted})
	if e := <-slow.C; e.Type != EventRoomDeleted {
		t.Fatalf("after catching up: %+v", e)
	}
	slow.Close()
	slow.Close() // idempotent
	b.Publish(Event{Type: EventRoomChanged})
	if _, ok := <-slow.C; ok {
		t.Fatal("closed subscription still receives")
	}
}

func TestClampMaxItems(t *testing.T) {
	for in, want := range map[int]int{0: 10, -1: 10, 1: 1, 100: 100, 101: 100, 1_000_000_000: 100} {
		if got := ClampMaxItems(in); got != want {
			t.Errorf("ClampMaxItems(%d) = %d", in, got)
		}
	}
}
