package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// command is one entry of the command palette.
type command struct {
	name string
	desc string
	// allowed hides commands the user may not run (admin pages for non-admins).
	allowed func() bool
	run     func() tea.Cmd
}

// palette is the ":" command line (k9s): type a command, tab completes, enter runs.
type palette struct {
	c       *common
	input   textinput.Model
	cmds    []command
	matches []int
	sel     int
	top     int // the first match on screen: the list scrolls to keep sel in sight
	closed  bool
	bind    struct{ run, complete, cancel key.Binding }
}

func newPalette(c *common, cmds []command) *palette {
	p := &palette{c: c, cmds: cmds}
	p.input = textinput.New()
	p.input.Prompt = ":"
	p.input.CharLimit = 64
	p.input.SetStyles(c.styles.input)
	p.input.Focus()
	p.bind.run = bind("run", "enter")
	p.bind.complete = bind("complete", "tab")
	p.bind.cancel = bind("close", "esc")
	p.filter()
	return p
}

func (p *palette) ShortHelp() []key.Binding {
	return []key.Binding{p.bind.run, p.bind.complete, p.c.nav.Up, p.c.nav.Down, p.bind.cancel}
}

func (p *palette) FullHelp() [][]key.Binding { return [][]key.Binding{p.ShortHelp()} }

// filter lists the allowed commands matching the input: prefix matches first, then
// commands containing it.
func (p *palette) filter() {
	q := strings.ToLower(strings.TrimSpace(p.input.Value()))
	p.matches = p.matches[:0]
	var contains []int
	for i, cm := range p.cmds {
		if cm.allowed != nil && !cm.allowed() {
			continue
		}
		switch {
		case strings.HasPrefix(cm.name, q):
			p.matches = append(p.matches, i)
		case strings.Contains(cm.name, q):
			contains = append(contains, i)
		}
	}
	p.matches = append(p.matches, contains...)
	p.sel = min(p.sel, max(len(p.matches)-1, 0))
}

func (p *palette) layer() layer      { return layerPalette }
func (p *palette) keys() help.KeyMap { return p }
func (p *palette) done() bool        { return p.closed }

func (p *palette) paste(m tea.PasteMsg) tea.Cmd {
	p.input, _ = p.input.Update(m)
	p.filter()
	return nil
}

// update handles a key: esc closes the palette, enter runs a command and closes it.
func (p *palette) update(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	switch k.String() {
	case "esc":
		p.closed = true
		return nil
	case "enter":
		cmd := p.run()
		p.closed = true
		return cmd
	case "tab":
		if len(p.matches) > 0 {
			p.input.SetValue(p.cmds[p.matches[p.sel]].name)
			p.input.CursorEnd()
			p.filter()
		}
		return nil
	case "up", "ctrl+p":
		p.sel = max(p.sel-1, 0)
		return nil
	case "down", "ctrl+n":
		p.sel = min(p.sel+1, max(len(p.matches)-1, 0))
		return nil
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(k)
	p.sel = 0
	p.filter()
	return cmd
}

// run runs the exact command typed, else the selected match; a command the user may not
// run is refused with a flash rather than silently ignored.
func (p *palette) run() tea.Cmd {
	q := strings.ToLower(strings.TrimSpace(p.input.Value()))
	for _, cm := range p.cmds {
		if cm.name == q {
			if cm.allowed != nil && !cm.allowed() {
				return flash(levelWarn, "%q is not available to you", cm.name)
			}
			return cm.run()
		}
	}
	if len(p.matches) > 0 {
		return p.cmds[p.matches[p.sel]].run()
	}
	return flash(levelError, "Unknown command %q (press : then tab to see the commands)", sanitize(q))
}

// paletteRows is how many candidates the palette shows at most; more scroll.
const paletteRows = 8

// draw shows the candidates over the bottom of the page and the input line in place of
// the footer, so the page stays in sight while a command is typed. The list scrolls with
// the selection, and says how many more there are above and below.
func (p *palette) draw(s *screen) {
	st := p.c.styles
	rows := min(len(p.matches), paletteRows, max(s.bodyH-2, 1))
	p.top = min(max(p.top, p.sel-rows+1), p.sel)
	p.top = max(min(p.top, len(p.matches)-rows), 0)
	var list []string
	for i := p.top; i < p.top+rows; i++ {
		cm := p.cmds[p.matches[i]]
		line := ansi.Truncate(" "+cm.name+"  "+st.dim.Render(cm.desc), s.w-2, "…")
		if i == p.sel {
			line = st.selected.Render(line)
		}
		list = append(list, line)
	}
	if above, below := p.top, len(p.matches)-p.top-rows; above > 0 || below > 0 {
		list = append(list, st.dim.Render(fmt.Sprintf(" %d commands · ↑ %d more · ↓ %d more", len(p.matches), above, below)))
	}
	lines := s.pageBody()
	for i, l := range list {
		if at := len(lines) - len(list) + i; at >= 0 {
			lines[at] = l
		}
	}
	p.input.SetWidth(max(s.w-3, 8))
	s.bottom = ansi.Truncate(p.input.View(), s.w, "")
}
