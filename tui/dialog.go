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

// dialog is a modal child of a page (a form, a confirmation, a choice). While one is open
// it gets every key, so typing in it never switches tabs or quits.
type dialog interface {
	help.KeyMap
	// update handles a message; closed says the dialog is done and the page drops it.
	update(msg tea.Msg) (closed bool, cmd tea.Cmd)
	// view draws the dialog's inside for at most w×h cells.
	view(w, h int) string
}

// box frames a dialog body and centres it in w×h.
func box(c *common, title, body string, w, h int) string {
	bw, _ := dialogSize(w, h)
	inner := lipgloss.JoinVertical(lipgloss.Left, c.styles.title.Render(ansi.Truncate(title, bw, "…")), "", body)
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, c.styles.dialog.Render(inner))
}

// dialogSize is the room a dialog body may use inside the frame.
func dialogSize(w, h int) (int, int) { return max(w-6, 10), max(h-5, 3) }

// choice is one item of a chooser.
type choice struct {
	label string
	value string
	hint  string
}

// chooser picks one of a few items: j/k and enter, or the item's number.
type chooser struct {
	c      *common
	title  string
	items  []choice
	cursor int
	onPick func(value string) tea.Cmd
	keys   struct{ pick, cancel key.Binding }
}

func newChooser(c *common, title string, items []choice, onPick func(string) tea.Cmd) *chooser {
	ch := &chooser{c: c, title: title, items: items, onPick: onPick}
	ch.keys.pick = bind("choose", "enter")
	ch.keys.cancel = bind("cancel", "esc")
	return ch
}

func (ch *chooser) ShortHelp() []key.Binding {
	return []key.Binding{ch.c.nav.Up, ch.c.nav.Down, ch.keys.pick, ch.keys.cancel}
}

func (ch *chooser) FullHelp() [][]key.Binding {
	return [][]key.Binding{ch.ShortHelp(), {key.NewBinding(key.WithKeys("1"), key.WithHelp("1-9", "choose by number"))}}
}

func (ch *chooser) update(msg tea.Msg) (bool, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return false, nil
	}
	switch {
	case keyIs(k, ch.keys.cancel):
		return true, nil
	case keyIs(k, ch.keys.pick):
		return true, ch.onPick(ch.items[ch.cursor].value)
	case keyIs(k, ch.c.nav.Up) || k.String() == "shift+tab":
		ch.cursor = (ch.cursor + len(ch.items) - 1) % len(ch.items)
	case keyIs(k, ch.c.nav.Down) || k.String() == "tab":
		ch.cursor = (ch.cursor + 1) % len(ch.items)
	default:
		if n, err := strconv.Atoi(k.String()); err == nil && n >= 1 && n <= len(ch.items) {
			return true, ch.onPick(ch.items[n-1].value)
		}
	}
	return false, nil
}

func (ch *chooser) view(w, h int) string {
	bw, _ := dialogSize(w, h)
	var b strings.Builder
	for i, it := range ch.items {
		if i > 0 {
			b.WriteByte('\n')
		}
		line := strconv.Itoa(i+1) + "  " + it.label
		if it.hint != "" {
			line += "  " + ch.c.styles.dim.Render(it.hint)
		}
		line = ansi.Truncate(line, bw-2, "…")
		if i == ch.cursor {
			b.WriteString(ch.c.styles.focused.Render("› " + line))
		} else {
			b.WriteString("  " + line)
		}
	}
	return box(ch.c, ch.title, b.String(), w, h)
}

// infoBox shows text until esc or enter (an audit entry's details, say).
type infoBox struct {
	c     *common
	title string
	lines []string
	top   int
	close key.Binding
}

func newInfoBox(c *common, title string, lines []string) *infoBox {
	return &infoBox{c: c, title: title, lines: lines, close: key.NewBinding(key.WithKeys("esc", "enter", "q"), key.WithHelp("esc", "close"))}
}

func (ib *infoBox) ShortHelp() []key.Binding {
	return []key.Binding{ib.c.nav.Up, ib.c.nav.Down, ib.close}
}
func (ib *infoBox) FullHelp() [][]key.Binding { return [][]key.Binding{ib.ShortHelp()} }

func (ib *infoBox) update(msg tea.Msg) (bool, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return false, nil
	}
	switch {
	case keyIs(k, ib.close):
		return true, nil
	case keyIs(k, ib.c.nav.Up):
		ib.top = max(ib.top-1, 0)
	case keyIs(k, ib.c.nav.Down):
		ib.top = min(ib.top+1, max(len(ib.lines)-1, 0))
	}
	return false, nil
}

func (ib *infoBox) view(w, h int) string {
	bw, bh := dialogSize(w, h)
	// Long values (an audit entry's JSON detail) wrap rather than lose their end.
	var wrapped []string
	for _, l := range ib.lines {
		wrapped = append(wrapped, strings.Split(ansi.Hardwrap(l, bw, true), "\n")...)
	}
	top := min(ib.top, max(len(wrapped)-bh, 0))
	end := min(top+bh, len(wrapped))
	return box(ib.c, ib.title, strings.Join(wrapped[top:end], "\n"), w, h)
}
