package tui

import (
	"context"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// SSH keys table columns.
const (
	colKeyType = iota
	colKeyFingerprint
	colKeyComment
	colKeyAdded
	colKeyUsed
	keyCols
)

// keysLoadedMsg carries one user's SSH keys to the panel that asked.
type keysLoadedMsg struct {
	panel   int
	seq     int
	keys    []core.SSHKey
	rows    [][keyCols]string
	natural []int
	err     error
}

// keysPanel lists a user's SSH keys and adds or deletes them: the Account tab shows the
// user's own, the Users tab any user's (admins).
type keysPanel struct {
	c      *common
	id     int
	userID string
	keys   []core.SSHKey
	rows   [][keyCols]string
	table  table
	reload loader
	add    key.Binding
	del    key.Binding
}

func newKeysPanel(c *common, userID string) *keysPanel {
	c.seq++
	kp := &keysPanel{c: c, id: c.seq, userID: userID}
	kp.table = newTable(c, []column{
		{title: "TYPE", max: 20},
		{title: "FINGERPRINT", max: 50, min: 16, flex: true},
		{title: "COMMENT", max: 30, min: 7, flex: true},
		{title: "ADDED", max: 16},
		{title: "LAST USED", max: 16},
	}, func(row, col int) string { return kp.rows[row][col] })
	kp.add = bind("add SSH key", "a")
	kp.del = bind("delete SSH key", "d")
	return kp
}

func (kp *keysPanel) load() tea.Cmd { return kp.reload.request(kp.loadCmd) }

func (kp *keysPanel) loadCmd(seq int) tea.Cmd {
	id, user, loc := kp.id, kp.userID, kp.c.loc
	return kp.c.call(func(ctx context.Context, backend Backend, p *core.Principal) tea.Msg {
		keys, err := backend.ListSSHKeys(ctx, p, user)
		msg := keysLoadedMsg{panel: id, seq: seq, keys: keys, err: err, natural: make([]int, keyCols)}
		for _, k := range keys {
			row := [keyCols]string{sanitize(k.Type), sanitize(k.Fingerprint), sanitize(k.Comment), timeIn(k.Added, loc), timeIn(k.LastUsed, loc)}
			for c, s := range row {
				msg.natural[c] = max(msg.natural[c], cellWidth(s))
			}
			msg.rows = append(msg.rows, row)
		}
		return msg
	})
}

// handle takes the panel's own messages.
func (kp *keysPanel) handle(msg tea.Msg) tea.Cmd {
	m, ok := msg.(keysLoadedMsg)
	if !ok || m.panel != kp.id {
		return nil
	}
	return kp.reload.apply(m.seq, m.err, kp.loadCmd, func() {
		kp.keys, kp.rows = m.keys, m.rows
		kp.table.setRows(len(kp.rows), m.natural)
	})
}

func (kp *keysPanel) event(e core.Event) tea.Cmd {
	if e.Type == core.EventResync || (e.Type == core.EventUserChanged && e.UserID == kp.userID) {
		return kp.load()
	}
	return nil
}

// key handles navigation, a and d; open installs the dialog a key opens.
func (kp *keysPanel) key(k tea.KeyPressMsg, open func(dialog)) tea.Cmd {
	if kp.table.update(k) {
		return nil
	}
	switch {
	case keyIs(k, kp.add):
		f := newAddKeyForm(kp.c, kp.userID)
		open(f)
		return f.setFocus(f.focus)
	case keyIs(k, kp.del):
		if len(kp.keys) == 0 {
			return nil
		}
		open(deleteKeyConfirm(kp.c, kp.userID, kp.keys[kp.table.cursor]))
	}
	return nil
}

func (kp *keysPanel) bindings() []key.Binding {
	if len(kp.keys) == 0 {
		return []key.Binding{kp.add}
	}
	return []key.Binding{kp.add, kp.del}
}

func (kp *keysPanel) view(w, h int) string {
	st := kp.c.styles
	lines := []string{st.header.Render("SSH keys")}
	switch {
	case !kp.reload.loaded && kp.reload.err != nil:
		lines = append(lines, st.errText.Render("  "+errorText(kp.reload.err)))
	case !kp.reload.loaded:
		lines = append(lines, stateLine(kp.c, "Loading SSH keys…"))
	case len(kp.keys) == 0:
		lines = append(lines, stateLine(kp.c, "No SSH keys — press a and paste a public key to sign in with it"))
	default:
		kp.table.setSize(w, max(h-1, 2))
		lines = append(lines, kp.table.view())
	}
	return strings.Join(lines, "\n")
}

// newAddKeyForm takes one authorized_keys line, typed or pasted.
func newAddKeyForm(c *common, userID string) *form {
	fl := textField("key", "Public key", "", "")
	fl.input.CharLimit = 16 * 1024
	fl.input.Placeholder = "ssh-ed25519 AAAA… comment"
	f := newForm(c, "Add an SSH key for "+sanitize(userID), "Add", []*field{
		fl,
		noteField("Paste one line of an authorized_keys or .pub file."),
	})
	f.build = func(v formValues) submitFunc {
		line := strings.TrimSpace(v.str("key"))
		return func(ctx context.Context, backend Backend, p *core.Principal) (string, error) {
			k, err := backend.AddSSHKey(ctx, p, userID, line)
			if err != nil {
				return "", err
			}
			return "Key " + k.Fingerprint + " added", nil
		}
	}
	return f
}

func deleteKeyConfirm(c *common, userID string, k core.SSHKey) *confirm {
	id, fp := k.ID, sanitize(k.Fingerprint)
	what := fp
	if k.Comment != "" {
		what += " (" + sanitize(k.Comment) + ")"
	}
	return newConfirm(c, "Delete SSH key?", "Key "+what+" of "+sanitize(userID)+"\nwill no longer sign in.", nil,
		func([]string) tea.Cmd {
			return c.call(func(ctx context.Context, backend Backend, p *core.Principal) tea.Msg {
				return doneMsg{ok: "Key " + fp + " deleted", err: backend.DeleteSSHKey(ctx, p, userID, id)}
			})
		})
}
