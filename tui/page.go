package tui

import (
	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// page is a tab's content. Pages mutate in place (pointer receivers); the app routes keys
// to the active page and every other message to all pages, which ignore what is not
// theirs.
type page interface {
	help.KeyMap
	// load (re)reads everything the page shows, replacing a load in flight.
	load() tea.Cmd
	// refresh is the r key: reload what is on screen.
	refresh() tea.Cmd
	update(msg tea.Msg) tea.Cmd
	view(w, h int) string
	// capturing reports that keys belong to the page (a field, a dialog): q types a q
	// there and number keys do not switch tabs.
	capturing() bool
	// event reacts to a bus event, typically by reloading what it concerns.
	event(e core.Event) tea.Cmd
}

// modalHost holds a page's open dialog.
type modalHost struct{ modal dialog }

func (m *modalHost) open(d dialog) { m.modal = d }

// updateModal gives msg to the open dialog; ok is false when there is none.
func (m *modalHost) updateModal(msg tea.Msg) (ok bool, cmd tea.Cmd) {
	if m.modal == nil {
		return false, nil
	}
	d := m.modal
	closed, cmd := d.update(msg)
	// A dialog may open its successor (a chooser opens a form) before it closes.
	if closed && m.modal == d {
		m.modal = nil
	}
	return true, cmd
}

// isKey reports whether msg is typed input (a key or a paste).
func isKey(msg tea.Msg) bool {
	switch msg.(type) {
	case tea.KeyPressMsg, tea.PasteMsg:
		return true
	}
	return false
}

// stateLine says in words why a table is not there (loading, empty, filtered out), so a
// page is never just blank.
func stateLine(c *common, text string) string { return c.styles.dim.Render("  " + text) }
