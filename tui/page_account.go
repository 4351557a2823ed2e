package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// accountPage is the Account tab: who you are, your password, your SSH keys.
type accountPage struct {
	c *common
	modalHost
	keysPanel *keysPanel
	password  key.Binding
}

func newAccountPage(c *common) *accountPage {
	return &accountPage{c: c, keysPanel: newKeysPanel(c, c.userID()), password: bind("change password", "p")}
}

func (p *accountPage) load() tea.Cmd    { return p.keysPanel.load() }
func (p *accountPage) refresh() tea.Cmd { return p.keysPanel.load() }

func (p *accountPage) event(e core.Event) tea.Cmd { return p.keysPanel.event(e) }

func (p *accountPage) capturing() bool { return p.modal != nil }

func (p *accountPage) update(msg tea.Msg) tea.Cmd {
	if !isKey(msg) {
		_, cmd := p.updateModal(msg)
		return tea.Batch(cmd, p.keysPanel.handle(msg))
	}
	if ok, cmd := p.updateModal(msg); ok {
		return cmd
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	if keyIs(k, p.password) {
		return p.openPassword()
	}
	return p.keysPanel.key(k, p.open)
}

// openPassword opens the change-password form (also the "password" command).
func (p *accountPage) openPassword() tea.Cmd {
	f := newPasswordForm(p.c, false)
	p.open(f)
	return f.setFocus(f.focus)
}

func (p *accountPage) ShortHelp() []key.Binding {
	if p.modal != nil {
		return p.modal.ShortHelp()
	}
	return append([]key.Binding{p.password}, p.keysPanel.bindings()...)
}

func (p *accountPage) FullHelp() [][]key.Binding {
	if p.modal != nil {
		return p.modal.FullHelp()
	}
	return [][]key.Binding{p.ShortHelp(), p.c.nav.bindings()}
}

func (p *accountPage) view(w, h int) string {
	if p.modal != nil {
		return p.modal.view(w, h)
	}
	st := p.c.styles
	lines := []string{st.title.Render("Account")}
	if u := p.c.user(); u != nil {
		lines = append(lines,
			st.label.Render("user   ")+sanitize(u.UserID)+st.label.Render(" · name ")+sanitize(u.Name),
			st.label.Render("role   ")+userRoleLabel(u.Role)+st.label.Render(" · registered ")+p.c.formatTime(u.RegistrationDate),
			st.label.Render("signed in ")+sanitize(strings.TrimSpace(p.c.id.Meta.Via+" "+p.c.id.Meta.Source)),
		)
	}
	lines = append(lines, "")
	lines = append(lines, p.keysPanel.view(w, h-len(lines)))
	return strings.Join(lines, "\n")
}
