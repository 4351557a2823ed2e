package tui

import (
	"context"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"conclave/core"
)

// settingsLoadedMsg carries the server's settings as core has them now.
type settingsLoadedMsg struct {
	seq       int
	recording bool
	err       error
}

// setting is one server setting as the Settings tab lists it: its value and a line that
// says what it does. More settings join the list as they come to work.
type setting struct {
	name  string
	value string
	help  string
	// change asks for the new value (a confirmation) and makes the change.
	change func() tea.Cmd
}

type settingsKeys struct {
	toggle key.Binding
}

// settingsPage is the Settings tab (admins): the server's own settings, as core holds
// them; changes are core's (persisted, audited) and apply to every session at once.
type settingsPage struct {
	c *common
	modalHost
	reload loader
	// recording is the server recording switch (SPEC 7.1).
	recording bool
	cursor    int
	keys      settingsKeys
}

func newSettingsPage(c *common) *settingsPage {
	return &settingsPage{c: c, keys: settingsKeys{toggle: bind("toggle", "enter", "space")}}
}

func (p *settingsPage) load() tea.Cmd    { return p.reload.restart(p.loadCmd) }
func (p *settingsPage) refresh() tea.Cmd { return p.reload.request(p.loadCmd) }

func (p *settingsPage) loadCmd(seq int) tea.Cmd {
	return p.c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
		on, err := backend.RecordingSwitch(ctx, pr)
		return settingsLoadedMsg{seq: seq, recording: on, err: err}
	})
}

func (p *settingsPage) event(e core.Event) tea.Cmd {
	switch e.Type {
	case core.EventSettingsChanged, core.EventResync:
		return p.reload.request(p.loadCmd)
	}
	return nil
}

// settings lists what the tab shows, once core's values have arrived.
func (p *settingsPage) settings() []setting {
	if !p.reload.loaded {
		return nil
	}
	return []setting{{
		name:  "Recording",
		value: onOff(p.recording),
		help: "The server switch: off refuses every new recording, in every room; recordings being " +
			"made go on until they stop. When on, a room records only if its own recording is on.",
		change: p.toggleRecording,
	}}
}

// selected is the setting under the cursor, nil before the values arrived.
func (p *settingsPage) selected() *setting {
	s := p.settings()
	if len(s) == 0 {
		return nil
	}
	return &s[min(p.cursor, len(s)-1)]
}

func (p *settingsPage) toggleRecording() tea.Cmd {
	on := !p.recording
	title, body, ok := "Turn recording off", "Refuse every new recording on this server?\nRecordings being made go on until they stop.", "Recording turned off: new recordings are refused"
	if on {
		title, body, ok = "Turn recording on", "Allow recordings on this server again?\nRooms record only where their own recording is on.", "Recording turned on for this server"
	}
	p.open(newConfirm(p.c, title, body, nil, func([]string) tea.Cmd {
		return p.c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
			if err := backend.SetRecordingEnabled(ctx, pr, on); err != nil {
				return doneMsg{err: err}
			}
			return doneMsg{ok: ok}
		})
	}))
	return nil
}

func (p *settingsPage) capturing() bool { return p.modal != nil }

func (p *settingsPage) update(msg tea.Msg) tea.Cmd {
	if m, ok := msg.(settingsLoadedMsg); ok {
		return p.reload.apply(m.seq, m.err, p.loadCmd, func() { p.recording = m.recording })
	}
	if ok, cmd := p.updateModal(msg); ok {
		return cmd
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	n := len(p.settings())
	nav := p.c.nav
	switch {
	case n == 0:
	case keyIs(k, nav.Up):
		p.cursor = max(p.cursor-1, 0)
	case keyIs(k, nav.Down):
		p.cursor = min(p.cursor+1, n-1)
	case keyIs(k, nav.Top):
		p.cursor = 0
	case keyIs(k, nav.Bottom):
		p.cursor = n - 1
	case keyIs(k, p.keys.toggle):
		if s := p.selected(); s != nil && s.change != nil {
			return s.change()
		}
	}
	return nil
}

func (p *settingsPage) ShortHelp() []key.Binding {
	if p.modal != nil {
		return p.modal.ShortHelp()
	}
	if s := p.selected(); s != nil && s.change != nil {
		return []key.Binding{p.keys.toggle}
	}
	return nil
}

func (p *settingsPage) FullHelp() [][]key.Binding {
	if p.modal != nil {
		return p.modal.FullHelp()
	}
	return [][]key.Binding{{p.c.nav.Up, p.c.nav.Down, p.c.nav.Top, p.c.nav.Bottom}, {p.keys.toggle}}
}

func (p *settingsPage) view(w, h int) string {
	if p.modal != nil {
		return p.modal.view(w, h)
	}
	st := p.c.styles
	lines := []string{st.title.Render("Server settings") + st.dim.Render("  changes apply at once, to every session, and are audited"), ""}
	if line, ok := p.reload.placeholder(p.c, "settings"); ok {
		return strings.Join(append(lines, line), "\n")
	}
	items := p.settings()
	nw := 0
	for _, s := range items {
		nw = max(nw, ansi.StringWidth(s.name))
	}
	for i, s := range items {
		row := s.name + strings.Repeat(" ", nw-ansi.StringWidth(s.name)) + "   " + s.value
		if i == min(p.cursor, len(items)-1) {
			lines = append(lines, st.selected.Render("› "+row))
		} else {
			lines = append(lines, "  "+row)
		}
		for _, l := range strings.Split(ansi.Wordwrap(s.help, max(w-4, 10), " "), "\n") {
			lines = append(lines, "    "+st.dim.Render(l))
		}
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}
