package tui

import (
	"context"
	"sync"

	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// eventMsg is a bus event delivered to Update.
type eventMsg core.Event

// eventFeed turns the bus into messages. The bus never blocks its publisher (a slow
// subscriber gets EventResync instead), and the feed never blocks the program: one
// command at a time waits on the channel and the next is issued when its event arrived.
type eventFeed struct {
	once sync.Once
	sub  *core.Subscription
	stop func() bool
}

// subscribe joins the bus; when ctx ends the subscription is closed, which also ends the
// command waiting on it.
func subscribe(ctx context.Context, bus *core.Bus) *eventFeed {
	f := &eventFeed{sub: bus.Subscribe(64)}
	f.stop = context.AfterFunc(ctx, f.close)
	return f
}

// wait is the command that delivers the next event; it returns nil once the feed closed.
func (f *eventFeed) wait() tea.Cmd {
	if f == nil {
		return nil
	}
	c := f.sub.C
	return func() tea.Msg {
		e, ok := <-c
		if !ok {
			return nil
		}
		return eventMsg(e)
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
	})
}

// reloader coalesces reloads: at most one load runs at a time, and requests that arrive
// meanwhile make one more load when it ends. A burst of events (a script creating a
// hundred rooms through the REST API) thus costs two loads, not a hundred, and what is
// shown is never older than the last event.
type reloader struct {
	inFlight bool
	again    bool
	seq      int
}

// request starts load unless one is running.
func (r *reloader) request(load func(seq int) tea.Cmd) tea.Cmd {
	if r.inFlight {
		r.again = true
		return nil
	}
	r.inFlight = true
	r.seq++
	return load(r.seq)
}

// restart forgets the running load (its answer will be ignored) and starts a new one: the
// principal changed, so what the running load reads may no longer be what the user may see.
func (r *reloader) restart(load func(seq int) tea.Cmd) tea.Cmd {
	r.inFlight, r.again = false, false
	return r.request(load)
}

// done records that the load numbered seq answered. It reports whether that answer is
// current, and returns the follow-up load when requests came in meanwhile.
func (r *reloader) done(seq int, load func(seq int) tea.Cmd) (current bool, next tea.Cmd) {
	if seq != r.seq {
		return false, nil
	}
	r.inFlight = false
	if r.again {
		r.again = false
		return true, r.request(load)
	}
	return true, nil
}
