package tui

import (
	"strconv"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// helpNote is extra text a component adds to the full help (the audit filter syntax).
type helpNote interface{ helpNote() []string }

// footer draws the short help of what has focus followed by the global keys, on one line.
func footer(c *common, focused help.KeyMap, global []key.Binding, w int) string {
	h := help.New()
	h.Styles = c.styles.help
	h.SetWidth(w)
	var bs []key.Binding
	if focused != nil {
		bs = append(bs, focused.ShortHelp()...)
	}
	bs = append(bs, global...)
	return ansi.Truncate(h.ShortHelpView(bs), w, "…")
}

// fullHelp is the ? overlay: every key of what has focus, grouped, then the global keys,
// then any note the component has.
func fullHelp(c *common, focused help.KeyMap, global []key.Binding, w, h int) string {
	hm := help.New()
	hm.Styles = c.styles.help
	hm.SetWidth(w - 2)
	var groups [][]key.Binding
	if focused != nil {
		groups = append(groups, focused.FullHelp()...)
	}
	groups = append(groups, global)
	lines := []string{c.styles.title.Render("Keys") + c.styles.dim.Render("   (? or esc closes this help)"), ""}
	lines = append(lines, helpColumns(hm, groups, w-2)...)
	if n, ok := focused.(helpNote); ok {
		lines = append(lines, "")
		lines = append(lines, n.helpNote()...)
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(" "+l, w, "…")
	}
	if len(lines) > h {
		lines = lines[:h]
	}
	return strings.Join(lines, "\n")
}

// tabKeys is the number keys of the tabs there are: "1-6 go to tab" for an admin, "1-3"
// for a room member.
func tabKeys(n int) key.Binding {
	n = min(max(n, 1), 9)
	keys := make([]string, n)
	for i := range keys {
		keys[i] = strconv.Itoa(i + 1)
	}
	label := "1"
	if n > 1 {
		label = "1-" + strconv.Itoa(n)
	}
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(label, "go to tab"))
}

// helpColumns lays the groups out side by side as far as they fit in w, then goes on
// below, so that a narrow terminal shows every key instead of cutting the last columns.
func helpColumns(hm help.Model, groups [][]key.Binding, w int) []string {
	var out []string
	var row []string
	used := 0
	flush := func() {
		if len(row) == 0 {
			return
		}
		if len(out) > 0 {
			out = append(out, "")
		}
		out = append(out, strings.Split(lipgloss.JoinHorizontal(lipgloss.Top, row...), "\n")...)
		row, used = nil, 0
	}
	for _, g := range groups {
		block := hm.FullHelpView([][]key.Binding{g})
		if block == "" {
			continue
		}
		bw := lipgloss.Width(block) + 4
		if used > 0 && used+bw > w {
			flush()
		}
		row = append(row, lipgloss.NewStyle().PaddingRight(4).Render(block))
		used += bw
	}
	flush()
	return out
}

// helpOverlay is the ? overlay. It has no keys of its own to show: the footer goes on
// showing those of what it covers, and its body lists them all.
type helpOverlay struct {
	c      *common
	closed bool
}

func newHelpOverlay(c *common) *helpOverlay { return &helpOverlay{c: c} }

func (o *helpOverlay) layer() layer { return layerHelp }

func (o *helpOverlay) update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		if s := k.String(); s == "esc" || s == "?" || s == "q" {
			o.closed = true
		}
	}
	return nil
}

func (o *helpOverlay) draw(s *screen) {
	g := o.c.global
	global := []key.Binding{g.NextTab, g.PrevTab, tabKeys(o.c.tabCount), g.Refresh, g.Palette, g.Help, g.Back, g.Quit, g.ForceQuit}
	s.setBody(fullHelp(o.c, s.focus, global, s.w, s.bodyH))
}

func (o *helpOverlay) keys() help.KeyMap { return nil }
func (o *helpOverlay) done() bool        { return o.closed }
