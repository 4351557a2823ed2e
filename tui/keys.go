package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// bind makes a binding whose help shows its first key, written as a user would read it
// (↑ rather than "up").
func bind(desc string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(keyLabel(keys[0]), desc))
}

func keyLabel(k string) string {
	switch k {
	case "up":
		return "↑"
	case "down":
		return "↓"
	case "pgup":
		return "pgup"
	case "pgdown":
		return "pgdn"
	}
	return k
}

// globalKeys are the keys every screen shares (k9s and lazygit habits).
type globalKeys struct {
	Quit      key.Binding
	ForceQuit key.Binding
	Help      key.Binding
	Palette   key.Binding
	NextTab   key.Binding
	PrevTab   key.Binding
	Tabs      key.Binding
	Refresh   key.Binding
	Back      key.Binding
}

func newGlobalKeys() globalKeys {
	return globalKeys{
		Quit:      bind("quit", "q"),
		ForceQuit: bind("quit", "ctrl+c"),
		Help:      bind("help", "?"),
		Palette:   bind("command", ":"),
		NextTab:   bind("next tab", "tab"),
		PrevTab:   bind("previous tab", "shift+tab"),
		Tabs:      key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7", "8", "9"), key.WithHelp("1-9", "go to tab")),
		Refresh:   bind("refresh", "r"),
		Back:      bind("back", "esc"),
	}
}

// navKeys move through a list.
type navKeys struct {
	Up       key.Binding
	Down     key.Binding
	Top      key.Binding
	Bottom   key.Binding
	PageUp   key.Binding
	PageDown key.Binding
}

func newNavKeys() navKeys {
	return navKeys{
		Up:       key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "up")),
		Down:     key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "down")),
		Top:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		Bottom:   key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
	}
}

func (n navKeys) bindings() []key.Binding {
	return []key.Binding{n.Up, n.Down, n.Top, n.Bottom, n.PageUp, n.PageDown}
}

// keyIs reports whether msg is one of the keys of b.
func keyIs(msg tea.KeyPressMsg, b key.Binding) bool { return key.Matches(msg, b) }
