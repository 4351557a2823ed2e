package tui

import (
	"context"
	"testing"
	"time"

	"conclave/core"
)

func TestFeedLeavesTheBus(t *testing.T) {
	svc, _ := newService(t)
	bus := svc.Bus()

	// With a context: when it ends.
	ctx, cancel := context.WithCancel(context.Background())
	f := subscribe(ctx, bus)
	cmd := f.wait()
	bus.Publish(core.Event{Type: core.EventRoomChanged, RoomID: "r"})
	if msg, ok := cmd().(eventMsg); !ok || msg.RoomID != "r" {
		t.Fatalf("got %#v", msg)
	}
	cmd = f.wait()
	cancel()
	waitClosed(t, f)
	if cmd() != nil {
		t.Fatal("the waiting command did not end with the feed")
	}

	// Without one: when the program stops asking for events.
	f = subscribe(context.Background(), bus)
	f.idle = time.Millisecond
	if _, ok := f.wait()().(feedIdleMsg); !ok {
		t.Fatal("no idle message")
	}
	waitClosed(t, f) // nobody called wait again
}

func waitClosed(t *testing.T, f *eventFeed) {
	t.Helper()
	select {
	case <-f.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the feed did not leave the bus")
	}
	if _, ok := <-f.sub.C; ok {
		t.Fatal("the subscription is still open")
	}
}
