package tui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// Members table columns.
const (
	colMemberName = iota
	colMemberID
	colMemberType
	colMemberRole
	colMemberOverrides
	colMemberSince
	memberCols
)

type memberRow struct {
	m     core.Member
	cells [memberCols]string
}

// roomDetailMsg carries a room, the caller's grant in it, and its members when the caller
// manages it.
type roomDetailMsg struct {
	roomID  string
	seq     int
	room    *core.Room
	grant   core.Grant
	members []memberRow
	natural []int
	err     error
}

type roomDetailKeys struct {
	back, editRoom, regen, copy, add, editMember, delMember key.Binding
}

// roomDetail is a room drilled into from the Rooms tab: its settings, links and members.
type roomDetail struct {
	c *common
	modalHost
	roomID string
	name   string

	room    *core.Room
	grant   core.Grant
	members []memberRow
	table   table
	reload  loader
	// gone is set when the detail should close (esc, or the room went away).
	gone bool
	keys roomDetailKeys
}

func newRoomDetail(c *common, r core.Room) *roomDetail {
	d := &roomDetail{c: c, roomID: r.RoomID, name: sanitize(r.RoomName)}
	d.table = newTable(c, []column{
		{title: "NAME", max: 30, min: 8, flex: true},
		{title: "MEMBER ID", max: 24, min: 8, flex: true},
		{title: "TYPE", max: 8},
		{title: "ROLE", max: 9},
		{title: "OVERRIDES", max: 40, min: 9, flex: true},
		{title: "SINCE", max: 16},
	}, func(row, col int) string { return d.members[row].cells[col] })
	d.keys = roomDetailKeys{
		back:       bind("back to rooms", "esc"),
		editRoom:   bind("edit room", "e"),
		regen:      bind("new link", "R"),
		copy:       bind("copy link", "y"),
		add:        bind("add member", "a"),
		editMember: bind("edit member", "enter"),
		delMember:  bind("remove member", "d"),
	}
	return d
}

// manages reports whether the caller manages the room, from the grant core resolved.
func (d *roomDetail) manages() bool {
	switch d.grant.Source {
	case core.GrantAdmin, core.GrantOwner, core.GrantAPIKey:
		return true
	}
	return false
}

func (d *roomDetail) load() tea.Cmd { return d.reload.request(d.loadCmd) }

func (d *roomDetail) loadCmd(seq int) tea.Cmd {
	id, loc := d.roomID, d.c.loc
	return d.c.call(func(ctx context.Context, backend Backend, p *core.Principal) tea.Msg {
		r, g, err := backend.GetRoom(ctx, p, id)
		if err != nil {
			return roomDetailMsg{roomID: id, seq: seq, err: err}
		}
		msg := roomDetailMsg{roomID: id, seq: seq, room: r, grant: g, natural: make([]int, memberCols)}
		if g.Source != core.GrantAdmin && g.Source != core.GrantOwner && g.Source != core.GrantAPIKey {
			return msg
		}
		q := core.MemberQuery{RoomID: id, ListOptions: core.ListOptions{MaxItems: core.MaxMaxItems, SortField: "name"}}
		for {
			page, _, err := backend.ListMembers(ctx, p, q)
			if err != nil {
				msg.err = err
				return msg
			}
			for _, m := range page.Items {
				row := memberRow{m: m}
				row.cells[colMemberName] = sanitize(m.Name)
				row.cells[colMemberID] = sanitize(m.MemberID)
				row.cells[colMemberType] = "user"
				if m.Type == core.MemberTypeGuest {
					row.cells[colMemberType] = "external"
				}
				row.cells[colMemberRole] = sanitize(m.BaseRole)
				row.cells[colMemberOverrides] = overridesText(m.Custom)
				row.cells[colMemberSince] = timeIn(m.MembershipDate, loc)
				for c, s := range row.cells {
					msg.natural[c] = max(msg.natural[c], cellWidth(s))
				}
				msg.members = append(msg.members, row)
			}
			if page.Next == "" {
				return msg
			}
			q.PageToken = page.Next
		}
	})
}

func (d *roomDetail) event(e core.Event) tea.Cmd {
	if e.RoomID != d.roomID && e.Type != core.EventResync && e.Type != core.EventUserDeleted {
		return nil
	}
	if e.Type == core.EventRoomDeleted {
		d.gone = true
		return flash(levelWarn, "Room %s was deleted", d.name)
	}
	return d.load()
}

func (d *roomDetail) capturing() bool { return d.modal != nil }

func (d *roomDetail) selectedMember() *core.Member {
	if len(d.members) == 0 {
		return nil
	}
	return &d.members[d.table.cursor].m
}

func (d *roomDetail) update(msg tea.Msg) tea.Cmd {
	if m, ok := msg.(roomDetailMsg); ok {
		if m.roomID != d.roomID {
			return nil
		}
		// The room went away, or the user's access to it did; an answer from before the
		// principal changed says nothing of that.
		if k := core.KindOf(m.err); (k == core.KindNotFound || k == core.KindForbidden) && d.reload.current(m.seq) {
			d.gone = true
		}
		return d.reload.apply(m.seq, m.err, d.loadCmd, func() {
			d.room, d.grant, d.members = m.room, m.grant, m.members
			d.name = sanitize(m.room.RoomName)
			d.table.setRows(len(d.members), m.natural)
		})
	}
	if ok, cmd := d.updateModal(msg); ok || !isKey(msg) {
		return cmd
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	if keyIs(k, d.keys.back) {
		d.gone = true
		return nil
	}
	if d.table.update(k) || d.room == nil {
		return nil
	}
	switch {
	case keyIs(k, d.keys.copy):
		dl, cmd := copyLinkDialog(d.c, linkChoices(d.c.backend, d.room, d.grant))
		if dl != nil {
			d.open(dl)
		}
		return cmd
	case keyIs(k, d.keys.editRoom), keyIs(k, d.keys.regen), keyIs(k, d.keys.add),
		keyIs(k, d.keys.editMember), keyIs(k, d.keys.delMember):
		if !d.manages() {
			return flash(levelWarn, "Only the owner of %s and admins can do that", d.name)
		}
	default:
		return nil
	}
	switch {
	case keyIs(k, d.keys.editRoom):
		d.open(editRoomChooser(d.c, d.room, d.open))
	case keyIs(k, d.keys.regen):
		d.open(regenChooser(d.c, d.room, d.open))
	case keyIs(k, d.keys.add):
		f := newAddMemberForm(d.c, d.roomID)
		d.open(f)
		return f.setFocus(f.focus)
	case keyIs(k, d.keys.editMember):
		if m := d.selectedMember(); m != nil {
			f := newEditMemberForm(d.c, m)
			d.open(f)
		}
	case keyIs(k, d.keys.delMember):
		if m := d.selectedMember(); m != nil {
			d.open(deleteMemberConfirm(d.c, m))
		}
	}
	return nil
}

func (d *roomDetail) ShortHelp() []key.Binding {
	if d.modal != nil {
		return d.modal.ShortHelp()
	}
	bs := []key.Binding{d.keys.back}
	if d.room == nil {
		return bs
	}
	if d.manages() {
		bs = append(bs, d.keys.add)
		if len(d.members) > 0 {
			bs = append(bs, d.keys.editMember, d.keys.delMember)
		}
		bs = append(bs, d.keys.editRoom)
	}
	return append(bs, d.keys.copy)
}

func (d *roomDetail) FullHelp() [][]key.Binding {
	if d.modal != nil {
		return d.modal.FullHelp()
	}
	groups := [][]key.Binding{{d.keys.back, d.keys.copy}}
	if d.room != nil && d.manages() {
		groups = append(groups, []key.Binding{d.keys.editRoom, d.keys.regen},
			[]key.Binding{d.keys.add, d.keys.editMember, d.keys.delMember})
		groups = append(groups, d.c.nav.bindings())
	}
	return groups
}

func (d *roomDetail) view(w, h int) string {
	if d.modal != nil {
		return d.modal.view(w, h)
	}
	st := d.c.styles
	lines := []string{st.title.Render("Room "+d.name) + st.dim.Render("  "+sanitize(d.roomID)+"  (esc back)")}
	switch {
	case d.room == nil && d.reload.err != nil:
		return strings.Join(append(lines, st.errText.Render("  "+errorText(d.reload.err))), "\n")
	case d.room == nil:
		return strings.Join(append(lines, stateLine(d.c, "Loading room…")), "\n")
	}
	r := d.room
	lbl := func(s string) string { return st.label.Render(s) }
	auto := "never"
	if r.AutoDeletionDate != nil {
		auto = d.c.formatTime(*r.AutoDeletionDate) + " (" + r.AutoDeletionPolicy.WithMeeting + ", " + r.AutoDeletionPolicy.WithRecordings + ")"
	}
	lines = append(lines,
		lbl("owner ")+sanitize(r.Owner)+lbl(" · status ")+statusText(r.Status)+lbl(" · created ")+d.c.formatTime(r.CreationDate)+lbl(" · auto-delete ")+auto,
		lbl("config ")+configText(r.Config),
		lbl("roles ")+fmt.Sprintf("recording access %s · moderator %d/%d · speaker %d/%d permissions",
			core.RecordingAccessOf(r.Roles), countPerms(r.Roles.Moderator.Permissions), len(core.PermissionKeys),
			countPerms(r.Roles.Speaker.Permissions), len(core.PermissionKeys)),
		lbl("you   ")+grantText(d.grant),
	)
	lines = append(lines, d.linkLines(h-len(lines))...)
	if !d.manages() {
		lines = append(lines, st.dim.Render("Members are shown to the room's owner and admins."))
		return strings.Join(lines, "\n")
	}
	lines = append(lines, st.header.Render(fmt.Sprintf("Members (%d)", len(d.members))))
	if len(d.members) == 0 {
		lines = append(lines, stateLine(d.c, "No members yet — press a to add one"))
		return strings.Join(lines, "\n")
	}
	d.table.setSize(w, max(h-len(lines), 2))
	lines = append(lines, d.table.view())
	return strings.Join(lines, "\n")
}

// linkLines shows the access links with their urls, or on one line when the terminal is
// too short to leave room for the members table below them.
func (d *roomDetail) linkLines(room int) []string {
	st, r, backend := d.c.styles, d.room, d.c.backend
	share := d.grant.Permissions.RoomShareAccessLinks
	type link struct {
		name string
		on   bool
		url  string
	}
	var links []link
	if share {
		links = append(links,
			link{"moderator", r.Access.Moderator.Enabled, backend.AccessURL(r, core.BaseRoleModerator)},
			link{"speaker", r.Access.Speaker.Enabled, backend.AccessURL(r, core.BaseRoleSpeaker)},
			link{"recording", r.Access.Recording.Enabled, backend.AccessURL(r, "recording")})
	}
	links = append(links, link{"user", r.Access.UserEnabled, backend.RoomURL(r.RoomID)})
	full := 3 + len(links) // blank, heading, links, blank
	if !share {
		full++
	}
	if d.manages() && room-full < min(len(d.members), 5)+2 {
		parts := make([]string, len(links))
		for i, l := range links {
			parts[i] = l.name + " " + onOff(l.on)
		}
		return []string{st.label.Render("links ") + strings.Join(parts, " · ") + st.dim.Render("  (y copies)")}
	}
	out := []string{"", st.header.Render("Access links")}
	if !share {
		out = append(out, st.dim.Render("  anonymous links are shown to those allowed to share them"))
	}
	for _, l := range links {
		out = append(out, fmt.Sprintf("  %-10s %-4s %s", l.name, onOff(l.on), l.url))
	}
	return append(out, "")
}

func configText(c core.RoomConfig) string {
	rec := "recording off"
	if c.Recording.Enabled {
		keep := "kept for ever"
		if c.Recording.RetentionDays > 0 {
			keep = fmt.Sprintf("kept %d days", c.Recording.RetentionDays)
		}
		auto := "manual start"
		if c.Recording.AutoStart {
			auto = "starts with the meeting"
		}
		rec = "recording on (" + auto + ", " + sanitize(c.Recording.Layout) + ", " + keep + ")"
	}
	return "chat " + onOff(c.Chat.Enabled) + " · " + rec + " · virtual background " + onOff(c.VirtualBackground.Enabled)
}

func countPerms(p core.Permissions) int {
	n := 0
	for _, k := range core.PermissionKeys {
		if p.Get(k) {
			n++
		}
	}
	return n
}

// grantText says why the user may do what it may in the room.
func grantText(g core.Grant) string {
	switch g.Source {
	case core.GrantAdmin:
		return "admin — every permission"
	case core.GrantOwner:
		return "owner — every permission"
	case core.GrantAPIKey:
		return "API key — every permission"
	}
	var keys []string
	for _, k := range core.PermissionKeys {
		if g.Permissions.Get(k) {
			keys = append(keys, k)
		}
	}
	src := g.Source
	if g.Source == core.GrantMember {
		src = "member"
	} else if g.Source == core.GrantUserAccess {
		src = "signed-in user"
	}
	return src + " (" + g.Role + "): " + strings.Join(keys, ", ")
}
