package tui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"conclave/core"
)

// settingsLoadedMsg carries the server's settings as core has them now.
type settingsLoadedMsg struct {
	seq       int
	recording bool
	policy    core.SessionPolicy
	keys      []core.APIKey
	webhooks  *webhookState
	err       error
}

// apiKeyCreatedMsg carries a key just made, to be shown once.
type apiKeyCreatedMsg struct{ key *core.NewAPIKey }

// setting is one server setting as the Settings tab lists it: its value and a line that
// says what it does. More settings join the list as they come to work.
type setting struct {
	name  string
	value string
	help  string
	// change asks for the new value (a confirmation) and makes the change.
	change func() tea.Cmd
	// group lines settings up together: aligned among themselves, with no blank line
	// between them, and the help of the last one said once for all.
	group string
}

type settingsKeys struct {
	toggle, newKey, revoke key.Binding
}

// settingsPage is the Settings tab (admins): the server's own settings, as core holds
// them; changes are core's (persisted, audited) and apply to every session at once.
type settingsPage struct {
	c *common
	modalHost
	reload loader
	// usage is the usage analytics line (settings_usage.go), as of its last load.
	usage *core.Analytics
	// recording is the server recording switch (SPEC 7.1).
	recording bool
	// policy is which roles' control-room sessions are recorded (SPEC 8).
	policy core.SessionPolicy
	// apiKeys are the REST API's keys, oldest first (secrets are never read back).
	apiKeys []core.APIKey
	// webhooks is the Webhooks section (page_settings_webhooks.go), nil without it.
	webhooks *webhookState
	// cursor runs over the settings, then the API keys: one selection on the page.
	cursor int
	keys   settingsKeys
}

func newSettingsPage(c *common) *settingsPage {
	return &settingsPage{c: c, keys: settingsKeys{
		toggle: bind("toggle", "enter", "space"),
		newKey: bind("new API key", "n"),
		revoke: bind("revoke API key", "d"),
	}}
}

func (p *settingsPage) load() tea.Cmd    { return tea.Batch(p.reload.restart(p.loadCmd), p.usageCmd()) }
func (p *settingsPage) refresh() tea.Cmd { return tea.Batch(p.reload.request(p.loadCmd), p.usageCmd()) }

func (p *settingsPage) loadCmd(seq int) tea.Cmd {
	return p.c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
		on, err := backend.RecordingSwitch(ctx, pr)
		if err != nil {
			return settingsLoadedMsg{seq: seq, err: err}
		}
		policy, err := backend.SessionRecordingPolicy(ctx, pr)
		if err != nil {
			return settingsLoadedMsg{seq: seq, err: err}
		}
		keys, err := backend.ListAPIKeys(ctx, pr)
		if err != nil {
			return settingsLoadedMsg{seq: seq, err: err}
		}
		hooks, err := loadWebhooks(ctx, backend, pr)
		return settingsLoadedMsg{seq: seq, recording: on, policy: policy, keys: keys, webhooks: hooks, err: err}
	})
}

func (p *settingsPage) event(e core.Event) tea.Cmd {
	if usageEvent(e) {
		return p.usageCmd()
	}

	switch e.Type {
	case core.EventSettingsChanged, core.EventAPIKeyChanged, core.EventWebhooks, core.EventResync:
		return p.reload.request(p.loadCmd)
	}
	return nil
}

// settings lists what the tab shows, once core's values have arrived.
func (p *settingsPage) settings() []setting {
	if !p.reload.loaded {
		return nil
	}
	out := []setting{{
		name:  "Recording",
		value: onOff(p.recording),
		help: "The server switch: off refuses every new recording, in every room, and records no control-room " +
			"session; recordings being made go on until they stop. When on, a room records only if its own recording is on.",
		change: p.toggleRecording,
	}}
	roles := core.SessionRoles()
	for i, role := range roles {
		on := p.policy.Roles[role]
		value := onOff(on)
		if on && !p.recording {
			value = "on, but the server switch is off"
		}
		st := setting{
			name:   "Record " + userRoleLabel(role) + " sessions",
			value:  value,
			group:  "sessions",
			change: func() tea.Cmd { return p.toggleSessionRecording(role, !on) },
		}
		if i == len(roles)-1 {
			st.help = "Per role: whether control-room sessions (over SSH and local) are recorded for the Sessions " +
				"tab. Only what the screen showed is kept, never keystrokes."
		}
		out = append(out, st)
	}
	return out
}

func (p *settingsPage) toggleSessionRecording(role core.Role, on bool) tea.Cmd {
	title := "Stop recording " + userRoleLabel(role) + " sessions"
	body := "Sessions of " + userRoleLabel(role) + "s that start from now on are not recorded.\nRecordings already made are kept."
	if on {
		title = "Record " + userRoleLabel(role) + " sessions"
		body = "Sessions of " + userRoleLabel(role) + "s that start from now on are recorded."
	}
	p.open(newConfirm(p.c, title, body, nil, func([]string) tea.Cmd {
		return p.c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
			if err := backend.SetSessionRecording(ctx, pr, role, on); err != nil {
				return doneMsg{err: err}
			}
			return doneMsg{ok: "Sessions of " + userRoleLabel(role) + "s: recording " + onOff(on)}
		})
	}))
	return nil
}

// rows is how many rows the cursor runs over: the settings, then the API keys.
func (p *settingsPage) rows() int {
	if !p.reload.loaded {
		return 0
	}
	return len(p.settings()) + len(p.apiKeys)
}

// selected is the setting under the cursor, nil before the values arrived or when the
// cursor is on an API key.
func (p *settingsPage) selected() *setting {
	s := p.settings()
	if p.cursor >= len(s) {
		return nil
	}
	return &s[p.cursor]
}

// selectedKey is the API key under the cursor, nil when it is on a setting.
func (p *settingsPage) selectedKey() *core.APIKey {
	i := p.cursor - len(p.settings())
	if !p.reload.loaded || i < 0 || i >= len(p.apiKeys) {
		return nil
	}
	return &p.apiKeys[i]
}

// newKeyForm asks for the new key's name; the key is then shown once.
func (p *settingsPage) newKeyForm() *form {
	f := newForm(p.c, "New API key", "Create", []*field{
		textField("name", "Name", "", "what uses it, e.g. ci"),
		noteField("The key is shown once, when it is made: Conclave keeps only its hash."),
	})
	// The key is read in the command and handed on by onSuccess, which runs on the UI
	// goroutine after the command's answer arrived.
	var made *core.NewAPIKey
	f.build = func(v formValues) submitFunc {
		name := strings.TrimSpace(v.str("name"))
		return func(ctx context.Context, backend Backend, pr *core.Principal) (string, error) {
			k, err := backend.CreateAPIKey(ctx, pr, name)
			if err != nil {
				return "", err
			}
			made = k
			return "API key " + sanitize(k.Name) + " created", nil
		}
	}
	f.onSuccess = func() tea.Cmd {
		k := made
		return func() tea.Msg { return apiKeyCreatedMsg{key: k} }
	}
	return f
}

// showNewKey shows a key just made, whole and selected, with y to copy it.
func (p *settingsPage) showNewKey(k *core.NewAPIKey) {
	p.open(newLinkView(p.c, showLinkMsg{
		label: "API key " + sanitize(k.Name),
		title: "API key " + sanitize(k.Name),
		lines: []string{"Send it as the X-API-KEY header of REST requests. Copy it now: it is shown only this once."},
		url:   k.Key,
		once:  true,
	}))
}

func (p *settingsPage) revokeConfirm(k *core.APIKey) *confirm {
	id, name := k.ID, sanitize(k.Name)
	return newConfirm(p.c, "Revoke API key "+name+"?",
		"Requests with key "+name+" ("+sanitize(id)+") are refused from now on.", nil,
		func([]string) tea.Cmd {
			return p.c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
				return doneMsg{ok: "API key " + name + " revoked", err: backend.DeleteAPIKey(ctx, pr, id)}
			})
		})
}

func (p *settingsPage) toggleRecording() tea.Cmd {
	on := !p.recording
	title, body, ok := "Turn recording off", "Refuse every new recording on this server?\nRecordings being made go on until they stop.", "Recording turned off: new recordings are refused"
	if on {
		title, body, ok = "Turn recording on", "Allow recordings on this server again?\nRooms record only where their own recording is on.", "Recording turned on for this server"
	}
	p.open(newConfirm(p.c, title, body, nil, func([]string) tea.Cmd {
		return p.c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
			if err := backend.SetRecordingEnabled(ctx, pr, on); err != nil {
				return doneMsg{err: err}
			}
			return doneMsg{ok: ok}
		})
	}))
	return nil
}

func (p *settingsPage) capturing() bool { return p.modal != nil }

func (p *settingsPage) update(msg tea.Msg) tea.Cmd {
	switch m := msg.(type) {
	case settingsLoadedMsg:
		return p.reload.apply(m.seq, m.err, p.loadCmd, func() {
			p.recording, p.policy, p.apiKeys, p.webhooks = m.recording, m.policy, m.keys, m.webhooks
			p.cursor = min(p.cursor, max(p.rows()-1, 0))
		})
	case apiKeyCreatedMsg:
		if m.key != nil {
			p.showNewKey(m.key)
		}
		return nil
	case usageLoadedMsg:
		p.usage = m.usage
		return nil
	}
	if ok, cmd := p.updateModal(msg); ok {
		return cmd
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	n := p.rows()
	nav := p.c.nav
	switch {
	case n == 0:
	case keyIs(k, p.keys.newKey):
		f := p.newKeyForm()
		p.open(f)
		return f.setFocus(f.focus)
	case keyIs(k, p.keys.revoke):
		if key := p.selectedKey(); key != nil {
			p.open(p.revokeConfirm(key))
		}
	case keyIs(k, nav.Up):
		p.cursor = max(p.cursor-1, 0)
	case keyIs(k, nav.Down):
		p.cursor = min(p.cursor+1, n-1)
	case keyIs(k, nav.Top):
		p.cursor = 0
	case keyIs(k, nav.Bottom):
		p.cursor = n - 1
	case keyIs(k, p.keys.toggle):
		if s := p.selected(); s != nil && s.change != nil {
			return s.change()
		}
	}
	return nil
}

func (p *settingsPage) ShortHelp() []key.Binding {
	if p.modal != nil {
		return p.modal.ShortHelp()
	}
	var bs []key.Binding
	if s := p.selected(); s != nil && s.change != nil {
		bs = append(bs, p.keys.toggle)
	}
	if p.reload.loaded {
		bs = append(bs, p.keys.newKey)
	}
	if p.selectedKey() != nil {
		bs = append(bs, p.keys.revoke)
	}
	return bs
}

func (p *settingsPage) FullHelp() [][]key.Binding {
	if p.modal != nil {
		return p.modal.FullHelp()
	}
	return [][]key.Binding{{p.c.nav.Up, p.c.nav.Down, p.c.nav.Top, p.c.nav.Bottom}, {p.keys.toggle, p.keys.newKey, p.keys.revoke}}
}

func (p *settingsPage) view(w, h int) string {
	if p.modal != nil {
		return p.modal.view(w, h)
	}
	st := p.c.styles
	lines := []string{st.title.Render("Server settings") + st.dim.Render("  changes apply at once, to every session, and are audited"), ""}
	if line, ok := p.reload.placeholder(p.c, "settings"); ok {
		return strings.Join(append(lines, line), "\n")
	}
	items := p.settings()
	nw := map[string]int{}
	for _, s := range items {
		nw[s.group] = max(nw[s.group], ansi.StringWidth(s.name))
	}
	for i, s := range items {
		row := s.name + strings.Repeat(" ", nw[s.group]-ansi.StringWidth(s.name)) + "   " + s.value
		if i == p.cursor {
			lines = append(lines, st.selected.Render("› "+row))
		} else {
			lines = append(lines, "  "+row)
		}
		if s.group != "" && s.help == "" {
			continue // the group's help comes after its last setting
		}
		for _, l := range strings.Split(ansi.Wordwrap(s.help, max(w-4, 10), " "), "\n") {
			lines = append(lines, "    "+st.dim.Render(l))
		}
		lines = append(lines, "")
	}
	// Where every link points: --public-url, or the HTTP address when it is not given.
	lines = append(lines, "  "+st.label.Render("Public URL")+"   "+sanitize(p.c.opts.BaseURL))
	lines = append(lines, "    "+st.dim.Render(ansi.Truncate("Every link the server hands out starts here (--public-url, else the --http address).", max(w-4, 10), "…")), "")
	if u := p.usage; u != nil {
		lines = append(lines, "  "+st.label.Render("Usage")+"   "+usageText(u), "")
	}
	lines = append(lines, p.apiKeyLines(w, len(items))...)
	// Last, in what room is left: the API keys above stay on a short terminal.
	lines = append(lines, p.webhookLines(w, h-len(lines))...)
	return strings.Join(lines, "\n")
}

// apiKeyLines is the API keys section: one row per key, on the page's one cursor.
func (p *settingsPage) apiKeyLines(w, first int) []string {
	st := p.c.styles
	out := []string{st.header.Render(fmt.Sprintf("API keys (%d)", len(p.apiKeys))) + st.dim.Render("  for the REST API (X-API-KEY); n new, d revoke")}
	if len(p.apiKeys) == 0 {
		return append(out, stateLine(p.c, "No API keys — press n to create one"))
	}
	nw := len("NAME")
	for _, k := range p.apiKeys {
		nw = max(nw, min(cellWidth(sanitize(k.Name)), 30))
	}
	row := func(name, id, created, used string) string {
		var b strings.Builder
		writeCell(&b, name, nw)
		b.WriteString("  ")
		writeCell(&b, id, 14)
		b.WriteString("  ")
		writeCell(&b, created, 16)
		b.WriteString("  ")
		b.WriteString(used)
		return ansi.Truncate(b.String(), max(w-2, 10), "…")
	}
	out = append(out, "  "+st.header.Render(row("NAME", "ID", "CREATED", "LAST USED")))
	for i, k := range p.apiKeys {
		line := row(sanitize(k.Name), sanitize(k.ID), p.c.formatTime(k.CreationDate), p.c.formatTime(k.LastUsed))
		if first+i == p.cursor {
			out = append(out, st.selected.Render("› "+line))
		} else {
			out = append(out, "  "+line)
		}
	}
	return out
}
