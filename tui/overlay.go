package tui

import (
	"slices"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"
)

// layer is an overlay's place in the stack. The order is one of urgency, not of arrival:
// an answer that comes late (meetings found live after the forced password screen
// appeared, a principal after the goodbye) must not cover something more pressing.
type layer int

const (
	layerPalette  layer = iota + 1 // the ":" command line
	layerHelp                      // the "?" full help
	layerMessage                   // a message to read before going on (where a password is kept)
	layerQuit                      // "meetings are live; quit?" in the local terminal
	layerPassword                  // the password change a user must make first
	layerNotice                    // the terminal is too small, or the user is not known yet
	layerGoodbye                   // the user was deleted; the control room closes
)

// overlay is something drawn over the pages that takes the keys while it is on top.
type overlay interface {
	layer() layer
	// update gets the keys while the overlay is on top, and every message that is not
	// typed input (a form's answer, say) wherever it is in the stack.
	update(msg tea.Msg) tea.Cmd
	// draw sets the parts of the screen the overlay covers.
	draw(s *screen)
	// keys is what the footer and the full help show while the overlay is on top; nil
	// means those of what it covers (the help overlay shows the help of the page).
	keys() help.KeyMap
	// done says the overlay closed itself; the app then takes it off the stack.
	done() bool
}

// paster is an overlay with a text field. A paste goes to the topmost of them, passing
// through overlays that have none, and reaches a capturing page when no overlay takes it.
type paster interface {
	paste(msg tea.PasteMsg) tea.Cmd
}

// overlayStack holds the overlays in layer order, the top last, at most one per layer.
type overlayStack []overlay

// push puts o in its place, replacing the overlay of its layer if there is one.
func (st *overlayStack) push(o overlay) {
	s := slices.DeleteFunc(*st, func(have overlay) bool { return have.layer() == o.layer() })
	i := len(s)
	for i > 0 && s[i-1].layer() > o.layer() {
		i--
	}
	*st = slices.Insert(s, i, o)
}

// drop takes the overlays of the given layers off the stack.
func (st *overlayStack) drop(ls ...layer) {
	*st = slices.DeleteFunc(*st, func(o overlay) bool { return slices.Contains(ls, o.layer()) })
}

// prune takes off the overlays that closed themselves.
func (st *overlayStack) prune() {
	*st = slices.DeleteFunc(*st, func(o overlay) bool { return o.done() })
}

func (st overlayStack) has(l layer) bool {
	return slices.ContainsFunc(st, func(o overlay) bool { return o.layer() == l })
}

// top is the overlay that takes the keys, nil when the page has them.
func (st overlayStack) top() overlay {
	if len(st) == 0 {
		return nil
	}
	return st[len(st)-1]
}

// keys is the key map of the topmost overlay that has keys of its own.
func (st overlayStack) keys() help.KeyMap {
	for i := len(st) - 1; i >= 0; i-- {
		if km := st[i].keys(); km != nil {
			return km
		}
	}
	return nil
}

// paste gives m to the topmost overlay with a text field; ok is false when none has one.
func (st overlayStack) paste(m tea.PasteMsg) (cmd tea.Cmd, ok bool) {
	for i := len(st) - 1; i >= 0; i-- {
		if p, isPaster := st[i].(paster); isPaster {
			return p.paste(m), true
		}
	}
	return nil, false
}

// update gives msg to every overlay. It works on a copy, so an overlay that pushes or
// drops another meanwhile does not disturb the loop.
func (st overlayStack) update(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for _, o := range slices.Clone(st) {
		cmds = append(cmds, o.update(msg))
	}
	return tea.Batch(cmds...)
}

// screen is one frame as the app composes it. The top overlay draws first and fills the
// parts it covers; the app draws the rest (the tab bar, the page, the footer), so a page
// hidden under an overlay is never drawn.
type screen struct {
	w, h  int
	bodyH int // the lines between the tab bar and the status bar
	// full, when set, is the whole frame: a notice instead of the control room.
	full   string
	top    string
	body   []string
	bottom string
	// focus is the key map the footer and the full help show.
	focus help.KeyMap
	// page draws the active page; called only when no overlay covers the body.
	page func() string
}

// setBody puts text in the body, cut and padded to its size.
func (s *screen) setBody(text string) { s.body = fitLines(text, s.w, s.bodyH) }

// pageBody is the body with the page drawn in it, for an overlay drawn over the page.
func (s *screen) pageBody() []string {
	if s.body == nil {
		s.setBody(s.page())
	}
	return s.body
}

// dialogOverlay shows a dialog in place of the page (the quit confirmation) until the
// dialog closes.
type dialogOverlay struct {
	at     layer
	d      dialog
	closed bool
}

func (o *dialogOverlay) layer() layer { return o.at }

func (o *dialogOverlay) update(msg tea.Msg) tea.Cmd {
	closed, cmd := o.d.update(msg)
	o.closed = o.closed || closed
	return cmd
}

func (o *dialogOverlay) draw(s *screen)    { s.setBody(o.d.view(s.w, s.bodyH)) }
func (o *dialogOverlay) keys() help.KeyMap { return o.d }
func (o *dialogOverlay) done() bool        { return o.closed }

// passwordScreen is the password change a user must make before anything else. It hides
// the tabs, and only a principal without the obligation takes it away (the form closing
// on success does not: the screen stays until core confirms).
type passwordScreen struct{ f *form }

func (o *passwordScreen) layer() layer { return layerPassword }

func (o *passwordScreen) update(msg tea.Msg) tea.Cmd {
	_, cmd := o.f.update(msg)
	return cmd
}

func (o *passwordScreen) paste(m tea.PasteMsg) tea.Cmd { return o.update(m) }

func (o *passwordScreen) draw(s *screen) {
	s.top = o.f.c.styles.brand.Render(" Conclave ")
	s.setBody(o.f.view(s.w, s.bodyH))
}

func (o *passwordScreen) keys() help.KeyMap { return o.f }
func (o *passwordScreen) done() bool        { return false }

// goodbye is the last thing shown when the user was deleted; any key quits.
type goodbye struct {
	c    *common
	text string
	quit func() tea.Cmd
}

func (o *goodbye) layer() layer { return layerGoodbye }

func (o *goodbye) update(msg tea.Msg) tea.Cmd {
	if _, ok := msg.(tea.KeyPressMsg); ok {
		return o.quit()
	}
	return nil
}

func (o *goodbye) draw(s *screen) {
	s.full = center(s.w, s.h, o.text+"\n\n"+o.c.styles.dim.Render("press any key"))
}

func (o *goodbye) keys() help.KeyMap { return nil }
func (o *goodbye) done() bool        { return false }

// notice stands in for the control room while the terminal is too small or the user is
// not known yet (signing in, or the lookup failed). Only q and r work then: q unless a
// field below takes it as text, r to retry the lookup.
type notice struct{ a *app }

func (o *notice) layer() layer { return layerNotice }

func (o *notice) update(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	a, g := o.a, o.a.c.global
	pg := a.page()
	typing := a.overlays.has(layerPassword) || (pg != nil && pg.capturing())
	switch {
	case keyIs(k, g.Quit) && !typing:
		return a.askQuit()
	case keyIs(k, g.Refresh) && a.c.principal == nil:
		return a.resolve()
	}
	return nil
}

func (o *notice) draw(s *screen) {
	a, st := o.a, o.a.c.styles
	switch {
	case a.tooSmall():
		s.full = tooSmall(s.w, s.h)
	case a.c.principal == nil && a.resolveErr != nil:
		s.full = center(s.w, s.h, st.errText.Render("Could not load your user: "+errorText(a.resolveErr))+"\n\n"+st.dim.Render("r retry · q quit"))
	case a.c.principal == nil:
		s.full = center(s.w, s.h, st.dim.Render("Signing in…"))
	}
}

func (o *notice) keys() help.KeyMap { return nil }
func (o *notice) done() bool        { return false }
