package tui

import (
	"strings"

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
	keys    struct{ run, complete, cancel key.Binding }
}

func newPalette(c *common, cmds []command) *palette {
	p := &palette{c: c, cmds: cmds}
	p.input = textinput.New()
	p.input.Prompt = ":"
	p.input.CharLimit = 64
	p.input.SetStyles(c.styles.input)
	p.input.Focus()
	p.keys.run = bind("run", "enter")
	p.keys.complete = bind("complete", "tab")
	p.keys.cancel = bind("close", "esc")
	p.filter()
	return p
}

func (p *palette) ShortHelp() []key.Binding {
	return []key.Binding{p.keys.run, p.keys.complete, p.c.nav.Up, p.c.nav.Down, p.keys.cancel}
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

// update handles a key; closed says the palette is done.
func (p *palette) update(msg tea.Msg) (bool, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		if _, paste := msg.(tea.PasteMsg); paste {
			p.input, _ = p.input.Update(msg)
			p.filter()
		}
		return false, nil
	}
	switch k.String() {
	case "esc":
		return true, nil
	case "enter":
		return true, p.run()
	case "tab":
		if len(p.matches) > 0 {
			p.input.SetValue(p.cmds[p.matches[p.sel]].name)
			p.input.CursorEnd()
			p.filter()
		}
		return false, nil
	case "up", "ctrl+p":
		p.sel = max(p.sel-1, 0)
		return false, nil
	case "down", "ctrl+n":
		p.sel = min(p.sel+1, max(len(p.matches)-1, 0))
		return false, nil
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(k)
	p.sel = 0
	p.filter()
	return false, cmd
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

// view draws the candidates (up to six) above the input line.
func (p *palette) view(w int) (list []string, input string) {
	st := p.c.styles
	for i, idx := range p.matches {
		if i >= 6 {
			break
		}
		cm := p.cmds[idx]
		line := ansi.Truncate(" "+cm.name+"  "+st.dim.Render(cm.desc), w-2, "…")
		if i == p.sel {
			line = st.selected.Render(line)
		}
		list = append(list, line)
	}
	p.input.SetWidth(max(w-3, 8))
	return list, ansi.Truncate(p.input.View(), w, "")
}
