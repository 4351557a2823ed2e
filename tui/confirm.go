package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// confirmOption is a setting chosen inside a confirmation (a deletion policy, say).
type confirmOption struct {
	label  string
	values []string
	labels []string // shown for each value, when not the value itself
	hint   string
	idx    int
}

// confirm asks "(y/N)" before a destructive act. No is selected when it opens, so an
// absent-minded enter never deletes anything; y confirms directly, n or esc cancels.
type confirm struct {
	c     *common
	title string
	body  string
	opts  []confirmOption
	focus int  // 0..len(opts)-1: an option row; len(opts): the buttons
	yes   bool // the selected button
	onYes func(values []string) tea.Cmd
	keys  struct{ yes, no, choose, move, change key.Binding }
}

func newConfirm(c *common, title, body string, opts []confirmOption, onYes func(values []string) tea.Cmd) *confirm {
	cf := &confirm{c: c, title: title, body: body, opts: opts, focus: len(opts), onYes: onYes}
	cf.keys.yes = bind("yes", "y")
	cf.keys.no = key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n/esc", "no"))
	cf.keys.choose = bind("press button", "enter")
	cf.keys.move = key.NewBinding(key.WithKeys("tab", "down", "j", "shift+tab", "up", "k"), key.WithHelp("tab/↑↓", "move"))
	cf.keys.change = key.NewBinding(key.WithKeys("left", "right", "h", "l"), key.WithHelp("←/→", "change"))
	return cf
}

func (cf *confirm) ShortHelp() []key.Binding {
	if len(cf.opts) > 0 {
		return []key.Binding{cf.keys.yes, cf.keys.no, cf.keys.choose, cf.keys.move, cf.keys.change}
	}
	return []key.Binding{cf.keys.yes, cf.keys.no, cf.keys.choose, cf.keys.change}
}

func (cf *confirm) FullHelp() [][]key.Binding { return [][]key.Binding{cf.ShortHelp()} }

func (cf *confirm) values() []string {
	v := make([]string, len(cf.opts))
	for i, o := range cf.opts {
		v[i] = o.values[o.idx]
	}
	return v
}

func (cf *confirm) update(msg tea.Msg) (bool, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return false, nil
	}
	switch k.String() {
	case "y", "Y":
		return true, cf.onYes(cf.values())
	case "n", "N", "esc":
		return true, nil
	case "enter":
		if cf.focus < len(cf.opts) {
			cf.focus++
			return false, nil
		}
		if cf.yes {
			return true, cf.onYes(cf.values())
		}
		return true, nil
	case "tab", "down", "j":
		cf.focus = (cf.focus + 1) % (len(cf.opts) + 1)
	case "shift+tab", "up", "k":
		cf.focus = (cf.focus + len(cf.opts)) % (len(cf.opts) + 1)
	case "left", "h", "right", "l":
		step := 1
		if s := k.String(); s == "left" || s == "h" {
			step = -1
		}
		if cf.focus == len(cf.opts) {
			cf.yes = !cf.yes
		} else {
			o := &cf.opts[cf.focus]
			o.idx = (o.idx + step + len(o.values)) % len(o.values)
		}
	}
	return false, nil
}

func (cf *confirm) view(w, h int) string {
	st := cf.c.styles
	bw, _ := dialogSize(w, h)
	var lines []string
	for _, l := range strings.Split(cf.body, "\n") {
		lines = append(lines, ansi.Truncate(l, bw, "…"))
	}
	if len(cf.opts) > 0 {
		lines = append(lines, "")
		lw := 0
		for _, o := range cf.opts {
			lw = max(lw, len(o.label))
		}
		for i, o := range cf.opts {
			shown := o.values[o.idx]
			if o.labels != nil {
				shown = o.labels[o.idx]
			}
			val := "‹ " + shown + " ›"
			line := o.label + strings.Repeat(" ", lw-len(o.label)) + "  " + val
			if o.hint != "" {
				line += "  " + st.dim.Render(o.hint)
			}
			line = ansi.Truncate(line, bw-2, "…")
			if i == cf.focus {
				lines = append(lines, st.focused.Render("› "+line))
			} else {
				lines = append(lines, "  "+line)
			}
		}
	}
	lines = append(lines, "", cf.buttons())
	return box(cf.c, cf.title+" (y/N)", strings.Join(lines, "\n"), w, h)
}

// buttons draws "[ Yes ]  [ No ]"; the selected one is framed with brackets (and
// highlighted) so it stays recognisable without colour.
func (cf *confirm) buttons() string {
	st := cf.c.styles
	render := func(label string, sel bool) string {
		if sel {
			s := "[ " + label + " ]"
			if cf.focus == len(cf.opts) {
				return st.buttonF.Render(s)
			}
			return st.focused.Render(s)
		}
		return st.button.Render("  " + label + "  ")
	}
	return render("Yes", cf.yes) + "  " + render("No", !cf.yes)
}
