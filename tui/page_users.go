package tui

import (
	"context"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// Users table columns.
const (
	colUserID = iota
	colUserName
	colUserRole
	colUserPassword
	colUserRegistered
	userCols
)

type userRow struct {
	u     core.User
	cells [userCols]string
}

type usersLoadedMsg struct {
	seq     int
	rows    []userRow
	natural []int
	err     error
}

type usersKeys struct {
	open, create, del, reset, role, back key.Binding
}

// usersPage is the Users tab (admins): users, their roles and passwords, their SSH keys.
type usersPage struct {
	c *common
	modalHost
	rows   []userRow
	table  table
	reload loader
	// keysOf is the user drilled into (enter): its SSH keys.
	keysOf *keysPanel
	who    *core.User
	keys   usersKeys
}

// location is the user whose SSH keys are open, "" for the list.
func (p *usersPage) location() string {
	if p.who != nil {
		return p.who.UserID
	}
	return ""
}

func newUsersPage(c *common) *usersPage {
	p := &usersPage{c: c}
	p.table = newTable(c, []column{
		{title: "USER ID", max: 20},
		{title: "NAME", max: 40, min: 8, flex: true},
		{title: "ROLE", max: 12},
		{title: "PASSWORD", max: 12},
		{title: "REGISTERED", max: 16},
	}, func(row, col int) string { return p.rows[row].cells[col] })
	p.keys = usersKeys{
		open:   bind("SSH keys", "enter"),
		create: bind("new user", "n"),
		del:    bind("delete user", "d"),
		reset:  bind("reset password", "p"),
		role:   bind("change role", "o"),
		back:   bind("back to users", "esc"),
	}
	return p
}

func (p *usersPage) load() tea.Cmd { return p.reload.restart(p.loadCmd) }

func (p *usersPage) refresh() tea.Cmd {
	if p.keysOf != nil {
		return tea.Batch(p.keysOf.load(), p.reload.request(p.loadCmd))
	}
	return p.reload.request(p.loadCmd)
}

func (p *usersPage) loadCmd(seq int) tea.Cmd {
	loc := p.c.loc
	return p.c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
		msg := usersLoadedMsg{seq: seq, natural: make([]int, userCols)}
		q := core.UserQuery{ListOptions: core.ListOptions{MaxItems: core.MaxMaxItems}}
		for {
			page, err := backend.ListUsers(ctx, pr, q)
			if err != nil {
				msg.err = err
				return msg
			}
			for _, u := range page.Items {
				row := userRow{u: u}
				row.cells[colUserID] = sanitize(u.UserID)
				row.cells[colUserName] = sanitize(u.Name)
				row.cells[colUserRole] = userRoleLabel(u.Role)
				if u.MustChangePassword {
					row.cells[colUserPassword] = "must change"
				} else {
					row.cells[colUserPassword] = "set"
				}
				row.cells[colUserRegistered] = timeIn(u.RegistrationDate, loc)
				for c, s := range row.cells {
					msg.natural[c] = max(msg.natural[c], cellWidth(s))
				}
				msg.rows = append(msg.rows, row)
			}
			if page.Next == "" {
				return msg
			}
			q.PageToken = page.Next
		}
	})
}

func (p *usersPage) selected() *core.User {
	if len(p.rows) == 0 {
		return nil
	}
	return &p.rows[p.table.cursor].u
}

func (p *usersPage) event(e core.Event) tea.Cmd {
	var cmds []tea.Cmd
	switch e.Type {
	case core.EventUserChanged, core.EventUserDeleted, core.EventResync:
		cmds = append(cmds, p.reload.request(p.loadCmd))
	}
	if p.keysOf != nil {
		if e.Type == core.EventUserDeleted && e.UserID == p.keysOf.userID {
			p.keysOf, p.who = nil, nil
			cmds = append(cmds, flash(levelWarn, "User %s was deleted", sanitize(e.UserID)))
		} else {
			cmds = append(cmds, p.keysOf.event(e))
		}
	}
	return tea.Batch(cmds...)
}

func (p *usersPage) capturing() bool { return p.modal != nil }

// setRows replaces the list, keeping the selection on the same user and the drilled-in
// user's heading current.
func (p *usersPage) setRows(m usersLoadedMsg) {
	keep := ""
	if u := p.selected(); u != nil {
		keep = u.UserID
	}
	p.rows = m.rows
	p.table.setRows(len(p.rows), m.natural)
	for i, r := range p.rows {
		if r.u.UserID == keep {
			p.table.setCursor(i)
		}
		if p.who != nil && r.u.UserID == p.who.UserID {
			u := r.u
			p.who = &u
		}
	}
}

func (p *usersPage) update(msg tea.Msg) tea.Cmd {
	if m, ok := msg.(usersLoadedMsg); ok {
		return p.reload.apply(m.seq, m.err, p.loadCmd, func() { p.setRows(m) })
	}
	if !isKey(msg) {
		_, cmd := p.updateModal(msg)
		if p.keysOf != nil {
			cmd = tea.Batch(cmd, p.keysOf.handle(msg))
		}
		return cmd
	}
	if ok, cmd := p.updateModal(msg); ok {
		return cmd
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	if p.keysOf != nil {
		if keyIs(k, p.keys.back) {
			p.keysOf, p.who = nil, nil
			return nil
		}
		return p.keysOf.key(k, p.open)
	}
	if p.table.update(k) {
		return nil
	}
	if keyIs(k, p.keys.create) {
		f := newCreateUserForm(p.c)
		p.open(f)
		return f.setFocus(f.focus)
	}
	u := p.selected()
	if u == nil {
		return nil
	}
	// What core refuses whatever the answer (the root admin, oneself) is said at once,
	// not after a confirmation or a form that could only fail.
	if why := refusedBeforeAsking(p.c, k, p.keys, u); why != "" {
		return flash(levelWarn, "%s", why)
	}
	switch {
	case keyIs(k, p.keys.open):
		uu := *u
		p.who = &uu
		p.keysOf = newKeysPanel(p.c, u.UserID)
		return p.keysOf.load()
	case keyIs(k, p.keys.del):
		p.open(deleteUserConfirm(p.c, u))
	case keyIs(k, p.keys.reset):
		f := newResetPasswordForm(p.c, u)
		p.open(f)
		return f.setFocus(f.focus)
	case keyIs(k, p.keys.role):
		p.open(roleChooser(p.c, u))
	}
	return nil
}

func (p *usersPage) ShortHelp() []key.Binding {
	switch {
	case p.modal != nil:
		return p.modal.ShortHelp()
	case p.keysOf != nil:
		return append([]key.Binding{p.keys.back}, p.keysOf.bindings()...)
	}
	bs := []key.Binding{p.keys.create}
	if p.selected() != nil {
		bs = append(bs, p.keys.open, p.keys.reset, p.keys.role, p.keys.del)
	}
	return bs
}

func (p *usersPage) FullHelp() [][]key.Binding {
	switch {
	case p.modal != nil:
		return p.modal.FullHelp()
	case p.keysOf != nil:
		return [][]key.Binding{append([]key.Binding{p.keys.back}, p.keysOf.bindings()...), p.c.nav.bindings()}
	}
	return [][]key.Binding{p.c.nav.bindings(), p.ShortHelp()}
}

func (p *usersPage) view(w, h int) string {
	if p.modal != nil {
		return p.modal.view(w, h)
	}
	st := p.c.styles
	if p.keysOf != nil && p.who != nil {
		u := p.who
		lines := []string{
			st.title.Render("User "+sanitize(u.UserID)) + st.dim.Render("  (esc back)"),
			st.label.Render("name ") + sanitize(u.Name) + st.label.Render(" · role ") + userRoleLabel(u.Role) +
				st.label.Render(" · registered ") + p.c.formatTime(u.RegistrationDate),
			"",
		}
		lines = append(lines, p.keysOf.view(w, h-len(lines)))
		return strings.Join(lines, "\n")
	}
	lines := []string{st.title.Render("Users") + st.dim.Render("  "+p.table.position())}
	if line, ok := p.reload.placeholder(p.c, "users"); ok {
		lines = append(lines, line)
	} else {
		p.table.setSize(w, h-1)
		lines = append(lines, p.table.view())
	}
	return strings.Join(lines, "\n")
}

var roles = []string{string(core.RoleRoomMember), string(core.RoleRoomManager), string(core.RoleAdmin)}

// newCreateUserForm creates a user with a temporary password it must change.
func newCreateUserForm(c *common) *form {
	f := newForm(c, "New user", "Create", []*field{
		textField("userId", "User ID", "", "5–20 of a-z 0-9 _"),
		textField("name", "Name", "", ""),
		hinted(labelled(selectField("role", "Role", roles, string(core.RoleRoomMember)), labelsOf(roles, userRoleLabelOf)), "role"),
		secretField("password", "Temporary password"),
		noteField("They must change it when they first sign in."),
	})
	f.build = func(v formValues) submitFunc {
		in := core.NewUser{UserID: strings.TrimSpace(v.str("userId")), Name: v.str("name"), Role: v.str("role"), Password: v.str("password")}
		return func(ctx context.Context, backend Backend, p *core.Principal) (string, error) {
			u, err := backend.CreateUser(ctx, p, in)
			if err != nil {
				return "", err
			}
			return "User " + u.UserID + " created", nil
		}
	}
	return f
}

func newResetPasswordForm(c *common, u *core.User) *form {
	id := u.UserID
	f := newForm(c, "Reset the password of "+sanitize(id), "Reset", []*field{
		secretField("newPassword", "Temporary password"),
		noteField("Their sessions end; they must change it at next sign-in."),
	})
	f.build = func(v formValues) submitFunc {
		pw := v.str("newPassword")
		return func(ctx context.Context, backend Backend, p *core.Principal) (string, error) {
			if err := backend.ResetPassword(ctx, p, id, pw); err != nil {
				return "", err
			}
			return "Password of " + id + " reset", nil
		}
	}
	return f
}

// refusedBeforeAsking is core's refusal of a user action that does not depend on what
// would be asked (core.DeleteUser, ResetPassword, UpdateRole), "" when it may go on.
func refusedBeforeAsking(c *common, k tea.KeyPressMsg, keys usersKeys, u *core.User) string {
	self := u.UserID == c.userID()
	root := u.UserID == core.RootAdminID
	switch {
	case keyIs(k, keys.del) && root:
		return "The root admin cannot be deleted"
	case keyIs(k, keys.del) && self:
		return "You cannot delete your own user"
	case keyIs(k, keys.reset) && self:
		return "Change your own password in the Account tab"
	case keyIs(k, keys.reset) && root:
		return "The root admin's password can be changed only by the root admin, in its Account tab"
	case keyIs(k, keys.role) && root:
		return "The root admin's role cannot be changed"
	case keyIs(k, keys.role) && self:
		return "You cannot change your own role"
	}
	return ""
}

func roleChooser(c *common, u *core.User) *chooser {
	id := u.UserID
	items := make([]choice, 0, len(roles))
	for _, r := range roles {
		hint := r
		if r == string(u.Role) {
			hint += " · current"
		}
		items = append(items, choice{label: userRoleLabelOf(r), value: r, hint: hint})
	}
	return newChooser(c, "Role of "+sanitize(id), items, func(role string) tea.Cmd {
		return c.call(func(ctx context.Context, backend Backend, p *core.Principal) tea.Msg {
			_, err := backend.UpdateRole(ctx, p, id, role)
			return doneMsg{ok: id + " is now " + userRoleLabelOf(role), err: err}
		})
	})
}

func deleteUserConfirm(c *common, u *core.User) *confirm {
	id := u.UserID
	return newConfirm(c, "Delete user "+sanitize(id)+"?",
		"Their memberships go, their rooms pass to the root admin,\nand they leave any live meeting at once.", nil,
		func([]string) tea.Cmd {
			return c.call(func(ctx context.Context, backend Backend, p *core.Principal) tea.Msg {
				return doneMsg{ok: "User " + id + " deleted", err: backend.DeleteUser(ctx, p, id)}
			})
		})
}
