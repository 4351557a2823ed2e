package tui

import (
	"context"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// eventMsg is a bus event delivered to Update.
type eventMsg core.Event

// feedIdleMsg says the bus was quiet for a while; the app answers by waiting again.
type feedIdleMsg struct{}

// eventFeed turns the bus into messages. The bus never blocks its publisher (a slow
// subscriber gets EventResync instead), and the feed never blocks the program: one
// command at a time waits on the channel and the next is issued when its event arrived.
//
// A program can end without telling its model (an SSH connection drops and the program's
// context is cancelled). The feed then leaves the bus by itself, so that dead sessions
// do not pile up as subscribers: when Options.Context ends, or, without one, when a
// message the feed delivered is not followed by the next wait within a grace period.
type eventFeed struct {
	once   sync.Once
	sub    *core.Subscription
	stop   func() bool
	done   chan struct{}
	idle   time.Duration
	mu     sync.Mutex
	orphan *time.Timer // closes the feed unless wait is called again in time
}

// subscribe joins the bus; when ctx ends the subscription is closed, which also ends the
// command waiting on it.
func subscribe(ctx context.Context, bus *core.Bus) *eventFeed {
	f := &eventFeed{sub: bus.Subscribe(64), done: make(chan struct{}), idle: time.Minute}
	f.stop = context.AfterFunc(ctx, f.close)
	return f
}

// wait is the command that delivers the next event (or feedIdleMsg after a quiet
// minute); it returns nil once the feed closed.
func (f *eventFeed) wait() tea.Cmd {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	if f.orphan != nil {
		f.orphan.Stop()
		f.orphan = nil
	}
	f.mu.Unlock()
	c, idle := f.sub.C, f.idle
	return func() tea.Msg {
		t := time.NewTimer(idle)
		defer t.Stop()
		var msg tea.Msg = feedIdleMsg{}
		select {
		case e, ok := <-c:
			if !ok {
				return nil
			}
			msg = eventMsg(e)
		case <-t.C:
		}
		f.mu.Lock()
		f.orphan = time.AfterFunc(idle, f.close)
		f.mu.Unlock()
		return msg
	}
}

// close leaves the bus; safe to call more than once and from any goroutine.
func (f *eventFeed) close() {
	if f == nil {
		return
	}
	f.once.Do(func() {
		f.sub.Close()
		if f.stop != nil {
			f.stop()
		}
		close(f.done)
	})
}
