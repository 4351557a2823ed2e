package tui

import tea "charm.land/bubbletea/v2"

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

// current reports whether an answer to the load numbered seq would be current.
func (r *reloader) current(seq int) bool { return seq == r.seq }

// loader is a page's loading state: the coalesced reloads, whether data ever arrived,
// and the last error. Every page that lists something answers its loads the same way
// (drop a stale answer, keep and flash an error while the rows already shown stay, show
// fresh rows), so the rule lives here once.
type loader struct {
	reloader
	loaded bool
	err    error
}

// apply takes the answer to the load numbered seq: show installs its data when it is
// current and succeeded. It returns the error flash, if any, and the follow-up load when
// requests came in while this one ran.
func (l *loader) apply(seq int, err error, load func(seq int) tea.Cmd, show func()) tea.Cmd {
	current, next := l.done(seq, load)
	switch {
	case !current:
		return nil
	case err != nil:
		l.err = err
		return tea.Batch(next, errorFlash(err))
	}
	l.loaded, l.err = true, nil
	show()
	return next
}

// placeholder is the line a page shows instead of its table until the first load
// succeeded: the error and how to retry, or that it is loading. ok is false once data
// has arrived.
func (l *loader) placeholder(c *common, what string) (line string, ok bool) {
	switch {
	case l.loaded:
		return "", false
	case l.err != nil:
		return c.styles.errText.Render("  Could not load " + what + ": " + errorText(l.err) + " — press r to retry"), true
	}
	return stateLine(c, "Loading "+what+"…"), true
}
