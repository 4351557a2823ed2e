package tui

import (
	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// app is a placeholder shell until the control room lands: it shows who is signed in and
// quits on q or ctrl+c.
type app struct {
	svc  *core.Service
	id   Identity
	opts Options
}

func newApp(svc *core.Service, id Identity, opts Options) *app {
	return &app{svc: svc, id: id, opts: opts}
}

func (a *app) Init() tea.Cmd { return nil }

func (a *app) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok && (k.String() == "q" || k.String() == "ctrl+c") {
		return a, tea.Quit
	}
	return a, nil
}

func (a *app) View() tea.View {
	v := tea.NewView("Conclave control room: " + a.id.UserID + " (press q to quit)")
	v.AltScreen = true
	return v
}
