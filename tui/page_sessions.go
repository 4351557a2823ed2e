package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// Sessions table columns.
const (
	colSessUser = iota
	colSessSource
	colSessClient
	colSessStart
	colSessDuration
	colSessSize
	colSessState
	sessCols
)

type sessionRow struct {
	s     core.TermSession
	cells [sessCols]string
}

type sessionsLoadedMsg struct {
	seq     int
	rows    []sessionRow
	bytes   int64
	natural []int
	err     error
}

// replayLoadedMsg carries a recording read for replay.
type replayLoadedMsg struct {
	id, title string
	cast      *core.Cast
	err       error
}

type sessionsKeys struct {
	replay key.Binding
}

// sessionsPage is the Sessions tab (admins): the control-room sessions, newest first,
// over SSH and in the local terminal, each replayable here when it was recorded (SPEC 8).
type sessionsPage struct {
	c       *common
	rows    []sessionRow
	natural []int
	bytes   int64
	table   table
	reload  loader
	replay  *replay
	keys    sessionsKeys
}

func newSessionsPage(c *common) *sessionsPage {
	p := &sessionsPage{c: c, natural: make([]int, sessCols), keys: sessionsKeys{replay: bind("replay", "enter")}}
	p.table = newTable(c, []column{
		{title: "USER", max: 20, min: 6, flex: true},
		{title: "SOURCE", max: 40, min: 6, flex: true},
		{title: "CLIENT", max: 30, min: 6, flex: true},
		{title: "START", max: 19},
		{title: "DURATION", max: 11},
		{title: "SIZE", max: 12},
		{title: "RECORDING", max: 40, min: 8, flex: true},
	}, func(row, col int) string { return p.rows[row].cells[col] })
	return p
}

func (p *sessionsPage) load() tea.Cmd    { return p.reload.restart(p.loadCmd) }
func (p *sessionsPage) refresh() tea.Cmd { return p.reload.request(p.loadCmd) }

func sessionRows(list []core.TermSession, loc *time.Location, now time.Time, natural []int) []sessionRow {
	rows := make([]sessionRow, 0, len(list))
	for _, s := range list {
		r := sessionRow{s: s}
		r.cells[colSessUser] = sanitize(s.UserID)
		r.cells[colSessSource] = sanitize(s.Source)
		r.cells[colSessClient] = sanitize(s.Client)
		r.cells[colSessStart] = timeIn(s.StartDate, loc)
		end := s.EndDate
		if s.Live {
			end = now.UnixMilli()
		}
		if end > 0 {
			r.cells[colSessDuration] = clockText(time.Duration(end-s.StartDate) * time.Millisecond)
		} else {
			r.cells[colSessDuration] = "?"
		}
		if s.Recorded {
			r.cells[colSessSize] = humanBytes(s.Size)
		} else {
			r.cells[colSessSize] = "—"
		}
		var state []string
		switch {
		case s.Live:
			state = append(state, "● live")
		case s.EndDate == 0:
			state = append(state, "interrupted")
		}
		switch {
		case !s.Recorded:
			state = append(state, "not recorded")
		case s.Damage != "":
			state = append(state, sanitize(s.Damage))
		case !s.Live:
			state = append(state, "recorded")
		}
		r.cells[colSessState] = strings.Join(state, ", ")
		for c, v := range r.cells {
			natural[c] = max(natural[c], cellWidth(v))
		}
		rows = append(rows, r)
	}
	return rows
}

func (p *sessionsPage) loadCmd(seq int) tea.Cmd {
	loc, now := p.c.loc, p.c.now()
	return p.c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
		list, err := backend.ListTermSessions(ctx, pr)
		nat := make([]int, sessCols)
		return sessionsLoadedMsg{seq: seq, rows: sessionRows(list.Sessions, loc, now, nat), bytes: list.Bytes, natural: nat, err: err}
	})
}

func (p *sessionsPage) event(e core.Event) tea.Cmd {
	switch e.Type {
	case core.EventSessionsChanged, core.EventResync:
		return p.reload.request(p.loadCmd)
	}
	return nil
}

func (p *sessionsPage) capturing() bool { return p.replay != nil }

func (p *sessionsPage) openReplay(s core.TermSession) tea.Cmd {
	id := s.ID
	title := fmt.Sprintf("%s@%s, %s", s.UserID, s.Source, timeIn(s.StartDate, p.c.loc))
	return p.c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
		c, err := backend.ReplayTermSession(ctx, pr, id)
		return replayLoadedMsg{id: id, title: title, cast: c, err: err}
	})
}

func (p *sessionsPage) update(msg tea.Msg) tea.Cmd {
	switch m := msg.(type) {
	case sessionsLoadedMsg:
		return p.reload.apply(m.seq, m.err, p.loadCmd, func() {
			p.rows, p.bytes = m.rows, m.bytes
			p.natural = m.natural
			p.table.setRows(len(p.rows), p.natural)
		})
	case replayLoadedMsg:
		if m.err != nil {
			return errorFlash(m.err)
		}
		if len(m.cast.Events) == 0 {
			return flash(levelWarn, "The recording of this session holds nothing to replay")
		}
		p.replay = newReplay(p.c, m.id, m.title, m.cast)
		return p.replay.play()
	case replayTickMsg:
		if p.replay != nil {
			_, cmd := p.replay.update(msg)
			return cmd
		}
		return nil
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	if p.replay != nil {
		closed, cmd := p.replay.update(k)
		if closed {
			p.replay = nil
		}
		return cmd
	}
	if p.table.update(k) {
		return nil
	}
	if keyIs(k, p.keys.replay) && len(p.rows) > 0 {
		s := p.rows[p.table.cursor].s
		if !s.Recorded {
			return flash(levelWarn, "This session was not recorded (its role opted out, or recording was off)")
		}
		return p.openReplay(s)
	}
	return nil
}

func (p *sessionsPage) ShortHelp() []key.Binding {
	if p.replay != nil {
		return p.replay.ShortHelp()
	}
	if len(p.rows) > 0 {
		return []key.Binding{p.keys.replay}
	}
	return nil
}

func (p *sessionsPage) FullHelp() [][]key.Binding {
	if p.replay != nil {
		return p.replay.FullHelp()
	}
	return [][]key.Binding{{p.c.nav.Up, p.c.nav.Down, p.c.nav.Top, p.c.nav.Bottom}, {p.keys.replay}}
}

func (p *sessionsPage) view(w, h int) string {
	if p.replay != nil {
		return p.replay.view(w, h)
	}
	st := p.c.styles
	head := st.title.Render("Control-room sessions") +
		st.dim.Render(fmt.Sprintf("  %s of recordings on disk · enter replays · export: ssh … sessions export ID", humanBytes(p.bytes)))
	if line, ok := p.reload.placeholder(p.c, "sessions"); ok {
		return head + "\n\n" + line
	}
	if len(p.rows) == 0 {
		return head + "\n\n" + stateLine(p.c, "No control-room sessions yet")
	}
	p.table.setSize(w, max(h-2, 2))
	return head + "\n\n" + p.table.view()
}
