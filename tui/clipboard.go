package tui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// The control room copies through the terminal (OSC 52): it is the only way that works
// over SSH, but not every terminal lets a program set the clipboard, and a terminal that
// does not says nothing. Where the copy may not arrive, y also shows the link whole and
// selected, so that the user can take it with the mouse.

// clipboardDoubt says why a copy through OSC 52 may not reach the clipboard, "" when it
// is expected to.
func clipboardDoubt(o Options) string {
	term := o.Term
	inTmux := o.Tmux || strings.HasPrefix(term, "tmux") || strings.HasPrefix(term, "screen")
	switch {
	case inTmux && o.TmuxClipboard == "on":
		return ""
	case o.Tmux || strings.HasPrefix(term, "tmux"):
		return "Inside tmux the copy reaches your clipboard only with `set -g set-clipboard on` in tmux's configuration."
	case strings.HasPrefix(term, "screen"):
		return "Inside tmux or screen (TERM=" + sanitize(term) + ") the copy may not reach your clipboard: tmux passes it on only with `set -g set-clipboard on`."
	}
	switch {
	case term == "dumb", term == "linux", term == "ansi", strings.HasPrefix(term, "vt"):
		return "This terminal (TERM=" + sanitize(term) + ") may not let programs set the clipboard (OSC 52)."
	}
	return ""
}

// showLinkMsg asks the app to show a link whole, selected, in the foreground.
type showLinkMsg struct {
	label string // "moderator link", "link of Guest Gina"
	title string
	lines []string // what the link is, before it
	url   string
	note  string // why it is shown (the copy may not have arrived), "" for a plain view
	// once says the text is shown this once (a new API key): y copies and it stays.
	once bool
}

// copyLink copies url through the terminal and, when the copy may not arrive, shows it
// whole to be selected by hand.
func copyLink(c *common, label, url string) tea.Cmd {
	cp := tea.SetClipboard(url)
	if why := clipboardDoubt(c.opts); why != "" {
		return tea.Batch(cp, func() tea.Msg {
			return showLinkMsg{label: label, title: "Copy the " + label, url: url, note: why + " Select the link below with the mouse."}
		})
	}
	return tea.Batch(cp, flash(levelInfo, "Copied the %s to the clipboard", label))
}

// linkView shows a link whole, wrapped to the width and highlighted, on lines of its own
// so that a mouse selection takes nothing else; y copies it (again).
type linkView struct {
	c     *common
	label string
	msg   showLinkMsg
	keys  struct{ copy, close key.Binding }
}

func newLinkView(c *common, m showLinkMsg) *linkView {
	v := &linkView{c: c, label: m.label, msg: m}
	v.keys.copy = bind("copy", "y")
	v.keys.close = key.NewBinding(key.WithKeys("esc", "enter", "q"), key.WithHelp("esc", "close"))
	return v
}

func (v *linkView) ShortHelp() []key.Binding  { return []key.Binding{v.keys.copy, v.keys.close} }
func (v *linkView) FullHelp() [][]key.Binding { return [][]key.Binding{v.ShortHelp()} }

func (v *linkView) update(msg tea.Msg) (bool, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return false, nil
	}
	switch {
	case keyIs(k, v.keys.close):
		return true, nil
	case keyIs(k, v.keys.copy):
		if v.msg.note != "" || v.msg.once {
			// Shown because the copy may not arrive: copy again, say so, stay.
			return false, tea.Batch(tea.SetClipboard(v.msg.url), flash(levelInfo, "Sent the %s to the terminal's clipboard", v.label))
		}
		return true, copyLink(v.c, v.label, v.msg.url)
	}
	return false, nil
}

func (v *linkView) view(w, h int) string {
	st := v.c.styles
	out := []string{st.title.Render(ansi.Truncate(v.msg.title, w, "…")), ""}
	wrap := func(s string) {
		out = append(out, strings.Split(ansi.Wrap(s, max(w-2, 10), ""), "\n")...)
	}
	for _, l := range v.msg.lines {
		wrap(l)
	}
	if v.msg.note != "" {
		wrap(st.flashWarn.Render(v.msg.note))
	}
	out = append(out, "")
	for _, l := range strings.Split(ansi.Hardwrap(v.msg.url, w, false), "\n") {
		out = append(out, st.selected.Render(l))
	}
	out = append(out, "", st.dim.Render("y copy · esc close"))
	if len(out) > h {
		// The link comes first: what cannot fit is the explanation.
		out = append(out[:1], out[len(out)-h+1:]...)
	}
	return strings.Join(out, "\n")
}

// linkOverlay is a linkView in front of everything, from wherever the copy was asked.
func linkOverlay(c *common, m showLinkMsg) overlay {
	return &dialogOverlay{at: layerMessage, d: newLinkView(c, m)}
}

var _ help.KeyMap = (*linkView)(nil)

// namedLink is one link of a room as the links view lists it.
type namedLink struct {
	name string
	on   bool
	url  string
}

// linksView lists a room's links whole, each wrapped to the width on lines of its own
// (the room detail shows them on one line when the terminal is short).
type linksView struct {
	c     *common
	title string
	links []namedLink
	top   int
	keys  struct{ close key.Binding }
}

func newLinksView(c *common, title string, links []namedLink) *linksView {
	v := &linksView{c: c, title: title, links: links}
	v.keys.close = key.NewBinding(key.WithKeys("esc", "enter", "q", "l"), key.WithHelp("esc", "close"))
	return v
}

func (v *linksView) ShortHelp() []key.Binding {
	return []key.Binding{v.c.nav.Up, v.c.nav.Down, v.keys.close}
}
func (v *linksView) FullHelp() [][]key.Binding { return [][]key.Binding{v.ShortHelp()} }

func (v *linksView) update(msg tea.Msg) (bool, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return false, nil
	}
	switch {
	case keyIs(k, v.keys.close):
		return true, nil
	case keyIs(k, v.c.nav.Up):
		v.top = max(v.top-1, 0)
	case keyIs(k, v.c.nav.Down):
		v.top++
	}
	return false, nil
}

func (v *linksView) view(w, h int) string {
	st := v.c.styles
	var body []string
	for _, l := range v.links {
		body = append(body, st.label.Render(l.name+" link")+" "+onOff(l.on))
		body = append(body, strings.Split(ansi.Hardwrap(l.url, w, false), "\n")...)
		body = append(body, "")
	}
	body = append(body, st.dim.Render("y in the room copies one · esc close"))
	room := max(h-2, 1)
	v.top = min(v.top, max(len(body)-room, 0))
	body = body[v.top:min(v.top+room, len(body))]
	return strings.Join(append([]string{st.title.Render(ansi.Truncate(v.title, w, "…")), ""}, body...), "\n")
}
