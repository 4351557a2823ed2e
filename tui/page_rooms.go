package tui

import (
	"context"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// roomsLoadedMsg carries every room the user may see, rows already built.
type roomsLoadedMsg struct {
	seq  int
	rows []roomRow
	err  error
}

// roomRefreshedMsg carries one room re-read after an event; gone when the user may no
// longer see it.
type roomRefreshedMsg struct {
	id   string
	row  roomRow
	gone bool
	err  error
}

type roomsKeys struct {
	open, filter, sort, create, edit, regen, copy, del, clear key.Binding
	filterDone, filterClear                                   key.Binding
}

// location is the room whose detail is open, "" for the list.
func (p *roomsPage) location() string {
	if p.detail != nil {
		return p.detail.roomID
	}
	return ""
}

// roomsPage is the Rooms tab: the rooms the user may see, and a room's detail on enter.
type roomsPage struct {
	c *common
	modalHost

	rows    []roomRow
	index   map[string]int // room id → rows index
	sorted  []int          // rows in the current order
	shown   []int          // sorted, filtered
	natural []int
	sortIdx int

	filter    textinput.Model
	filtering bool

	table  table
	reload loader

	detail *roomDetail
	keys   roomsKeys
}

func newRoomsPage(c *common) *roomsPage {
	p := &roomsPage{c: c, index: map[string]int{}}
	p.table = newTable(c, []column{
		{title: "NAME", max: 40, min: 10, flex: true},
		{title: "ID", max: 40, min: 12, flex: true},
		{title: "OWNER", max: 20, min: 6, flex: true},
		{title: "STATUS", max: 10},
		{title: "CREATED", max: 16},
		// Whether signed-in users may enter is in the room's detail (links): the
		// table keeps its width for what tells rooms apart.
		{title: "MEMBERS"},
	}, p.cell)
	p.filter = textinput.New()
	p.filter.Prompt = "/"
	p.filter.CharLimit = 100
	p.filter.SetStyles(c.styles.input)
	p.keys = roomsKeys{
		open:        bind("open room", "enter"),
		filter:      bind("filter", "/"),
		sort:        bind("sort", "s"),
		create:      bind("new room", "n"),
		edit:        bind("edit room", "e"),
		regen:       bind("new link", "R"),
		copy:        bind("copy link", "y"),
		del:         bind("delete room", "d"),
		clear:       bind("clear filter", "esc"),
		filterDone:  bind("keep filter", "enter"),
		filterClear: bind("clear filter", "esc"),
	}
	return p
}

func (p *roomsPage) cell(row, col int) string { return p.rows[p.shown[row]].cells[col] }

// selected is the room under the cursor, nil when the table is empty.
func (p *roomsPage) selected() *roomRow {
	if len(p.shown) == 0 {
		return nil
	}
	return &p.rows[p.shown[p.table.cursor]]
}

func (p *roomsPage) load() tea.Cmd {
	cmd := p.reload.restart(p.loadCmd)
	if p.detail != nil {
		// The grant shown in the detail depends on the principal, which just changed.
		cmd = tea.Batch(cmd, p.detail.reload.restart(p.detail.loadCmd))
	}
	return cmd
}

func (p *roomsPage) refresh() tea.Cmd {
	if p.detail != nil {
		return p.detail.load()
	}
	return p.reload.request(p.loadCmd)
}

// loadCmd reads every page of the listing. The list is small for a meeting server (and
// 10,000 rooms is 100 queries of a local database), so the page holds all rooms and
// filters and sorts them itself, as you type.
func (p *roomsPage) loadCmd(seq int) tea.Cmd {
	loc := p.c.loc
	return p.c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
		var rows []roomRow
		q := core.RoomQuery{ListOptions: core.ListOptions{MaxItems: core.MaxMaxItems}}
		for {
			page, err := backend.ListRooms(ctx, pr, q)
			if err != nil {
				return roomsLoadedMsg{seq: seq, err: err}
			}
			counts, err := backend.MemberCounts(ctx, pr, page.Items)
			if err != nil {
				return roomsLoadedMsg{seq: seq, err: err}
			}
			for _, r := range page.Items {
				rows = append(rows, makeRoomRow(r, countOf(counts, r.RoomID), loc))
			}
			if page.Next == "" {
				return roomsLoadedMsg{seq: seq, rows: rows}
			}
			q.PageToken = page.Next
		}
	})
}

// setRows replaces the data, keeping the selection on the same room when it is still there.
func (p *roomsPage) setRows(rows []roomRow) {
	keep := ""
	if r := p.selected(); r != nil {
		keep = r.room.RoomID
	}
	p.rows = rows
	p.index = make(map[string]int, len(rows))
	p.natural = make([]int, roomCols)
	for i := range rows {
		p.index[rows[i].room.RoomID] = i
		p.widen(&rows[i])
	}
	p.resort(keep)
}

func (p *roomsPage) widen(r *roomRow) {
	for c, s := range r.cells {
		if w := cellWidth(s); w > p.natural[c] {
			p.natural[c] = w
		}
	}
}

// resort orders the rows, then filters them, then puts the cursor back on keep.
func (p *roomsPage) resort(keep string) {
	p.sorted = p.sorted[:0]
	for i := range p.rows {
		p.sorted = append(p.sorted, i)
	}
	less := roomSorts[p.sortIdx].cmp
	slices.SortFunc(p.sorted, func(a, b int) int { return less(&p.rows[a], &p.rows[b]) })
	p.refilter(keep)
}

// refilter applies the filter: a substring of name, id or owner, case-insensitive.
func (p *roomsPage) refilter(keep string) {
	q := strings.ToLower(strings.TrimSpace(p.filter.Value()))
	p.shown = p.shown[:0]
	for _, i := range p.sorted {
		if q == "" || strings.Contains(p.rows[i].key, q) {
			p.shown = append(p.shown, i)
		}
	}
	p.table.setRows(len(p.shown), p.natural)
	if keep != "" {
		for pos, i := range p.shown {
			if p.rows[i].room.RoomID == keep {
				p.table.setCursor(pos)
				return
			}
		}
	}
	p.table.clamp()
}

// upsert puts one re-read room in place (or removes it) without reloading the list.
func (p *roomsPage) upsert(m roomRefreshedMsg) {
	keep := ""
	if r := p.selected(); r != nil {
		keep = r.room.RoomID
	}
	i, ok := p.index[m.id]
	switch {
	case m.gone && ok:
		p.rows = slices.Delete(p.rows, i, i+1)
		p.index = make(map[string]int, len(p.rows))
		for j := range p.rows {
			p.index[p.rows[j].room.RoomID] = j
		}
	case m.gone:
		return
	case ok:
		p.rows[i] = m.row
		p.widen(&p.rows[i])
	default:
		p.rows = append(p.rows, m.row)
		p.index[m.id] = len(p.rows) - 1
		p.widen(&p.rows[len(p.rows)-1])
	}
	p.resort(keep)
}

func (p *roomsPage) refreshRoom(id string) tea.Cmd {
	loc := p.c.loc
	return p.c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
		r, _, err := backend.GetRoom(ctx, pr, id)
		switch k := core.KindOf(err); {
		case err == nil:
			counts, err := backend.MemberCounts(ctx, pr, []core.Room{*r})
			if err != nil {
				return roomRefreshedMsg{id: id, err: err}
			}
			return roomRefreshedMsg{id: id, row: makeRoomRow(*r, countOf(counts, id), loc)}
		case k == core.KindNotFound || k == core.KindForbidden:
			return roomRefreshedMsg{id: id, gone: true}
		default:
			return roomRefreshedMsg{id: id, err: err}
		}
	})
}

// countOf is a room's member count from MemberCounts, -1 when it was not counted.
func countOf(counts map[string]int, roomID string) int {
	if n, ok := counts[roomID]; ok {
		return n
	}
	return -1
}

func (p *roomsPage) event(e core.Event) tea.Cmd {
	var cmds []tea.Cmd
	if p.detail != nil {
		cmds = append(cmds, p.detail.event(e))
		if p.detail.gone {
			p.detail = nil
		}
	}
	switch e.Type {
	case core.EventRoomChanged:
		cmds = append(cmds, p.refreshRoom(e.RoomID))
	case core.EventRoomDeleted:
		cmds = append(cmds, func() tea.Msg { return roomRefreshedMsg{id: e.RoomID, gone: true} })
	case core.EventMemberChanged, core.EventMemberDeleted:
		// Membership decides which rooms a non-admin sees; the count is in the row.
		if !p.c.isAdmin() {
			cmds = append(cmds, p.reload.request(p.loadCmd))
		} else {
			cmds = append(cmds, p.refreshRoom(e.RoomID))
		}
	case core.EventUserDeleted, core.EventResync:
		// A deleted user's rooms pass to the root admin.
		cmds = append(cmds, p.reload.request(p.loadCmd))
	}
	return tea.Batch(cmds...)
}

func (p *roomsPage) capturing() bool {
	return p.modal != nil || p.filtering || (p.detail != nil && p.detail.capturing())
}

func (p *roomsPage) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case roomsLoadedMsg:
		return p.reload.apply(msg.seq, msg.err, p.loadCmd, func() { p.setRows(msg.rows) })
	case roomRefreshedMsg:
		if msg.err != nil {
			return errorFlash(msg.err)
		}
		if p.reload.loaded {
			p.upsert(msg)
		}
		return nil
	case linksMsg:
		return p.openLinks(msg)
	}
	if !isKey(msg) {
		var cmds []tea.Cmd
		if _, cmd := p.updateModal(msg); cmd != nil {
			cmds = append(cmds, cmd)
		}
		if p.detail != nil {
			cmds = append(cmds, p.detail.update(msg))
			if p.detail.gone {
				p.detail = nil
			}
		}
		return tea.Batch(cmds...)
	}
	if ok, cmd := p.updateModal(msg); ok {
		return cmd
	}
	if p.detail != nil {
		cmd := p.detail.update(msg)
		if p.detail.gone {
			p.detail = nil
		}
		return cmd
	}
	if p.filtering {
		return p.updateFilter(msg)
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	return p.updateList(k)
}

func (p *roomsPage) updateFilter(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "enter":
			p.filtering = false
			p.filter.Blur()
			return nil
		case "esc":
			p.filtering = false
			p.filter.Blur()
			p.filter.SetValue("")
			p.refilter(p.selectedID())
			return nil
		case "up", "down", "pgup", "pgdown":
			p.table.update(k)
			return nil
		}
	}
	before := p.filter.Value()
	var cmd tea.Cmd
	p.filter, cmd = p.filter.Update(msg)
	if p.filter.Value() != before {
		p.refilter("")
		p.table.setCursor(0)
	}
	return cmd
}

func (p *roomsPage) selectedID() string {
	if r := p.selected(); r != nil {
		return r.room.RoomID
	}
	return ""
}

func (p *roomsPage) updateList(k tea.KeyPressMsg) tea.Cmd {
	if p.table.update(k) {
		return nil
	}
	sel := p.selected()
	switch {
	case keyIs(k, p.keys.filter):
		p.filtering = true
		return p.filter.Focus()
	case keyIs(k, p.keys.clear):
		if p.filter.Value() != "" {
			p.filter.SetValue("")
			p.refilter(p.selectedID())
		}
		return nil
	case keyIs(k, p.keys.sort):
		p.sortIdx = (p.sortIdx + 1) % len(roomSorts)
		p.resort(p.selectedID())
		return flash(levelInfo, "Sorted by %s", roomSorts[p.sortIdx].name)
	case keyIs(k, p.keys.create):
		return p.openCreate()
	case keyIs(k, p.keys.open):
		if sel == nil {
			return nil
		}
		p.detail = newRoomDetail(p.c, sel.room)
		return p.detail.load()
	case keyIs(k, p.keys.copy):
		if sel == nil {
			return nil
		}
		return loadLinks(p.c, sel.room.RoomID)
	case keyIs(k, p.keys.edit), keyIs(k, p.keys.regen), keyIs(k, p.keys.del):
		if sel == nil {
			return nil
		}
		room := sel.room
		if !p.c.manages(&room) {
			return refuseManage(&room)
		}
		switch {
		case keyIs(k, p.keys.edit):
			p.open(editRoomChooser(p.c, &room, p.open))
		case keyIs(k, p.keys.regen):
			p.open(regenChooser(p.c, &room, p.open))
		default:
			p.open(deleteRoomConfirm(p.c, &room))
		}
	}
	return nil
}

// openCreate opens the new-room form, or refuses with the reason.
func (p *roomsPage) openCreate() tea.Cmd {
	if !p.c.canCreateRooms() {
		return flash(levelWarn, "Only admins and room managers can create rooms")
	}
	p.detail = nil
	f := newCreateRoomForm(p.c)
	p.open(f)
	return f.setFocus(f.focus)
}

func refuseManage(r *core.Room) tea.Cmd {
	return flash(levelWarn, "Only the owner of %q and admins can do that", sanitize(r.RoomName))
}

func (p *roomsPage) openLinks(m linksMsg) tea.Cmd {
	if m.err != nil {
		return errorFlash(m.err)
	}
	if p.detail != nil && p.detail.roomID != m.roomID {
		return nil
	}
	d, cmd := copyLinkDialog(p.c, m.items)
	if d != nil {
		p.open(d)
	}
	return cmd
}

func (p *roomsPage) ShortHelp() []key.Binding {
	switch {
	case p.modal != nil:
		return p.modal.ShortHelp()
	case p.detail != nil:
		return p.detail.ShortHelp()
	case p.filtering:
		return []key.Binding{p.keys.filterDone, p.keys.filterClear}
	}
	bs := []key.Binding{p.keys.open, p.keys.filter}
	if p.c.canCreateRooms() {
		bs = append(bs, p.keys.create)
	}
	if sel := p.selected(); sel != nil {
		if p.c.manages(&sel.room) {
			bs = append(bs, p.keys.edit, p.keys.del)
		}
		bs = append(bs, p.keys.copy)
	}
	return bs
}

func (p *roomsPage) FullHelp() [][]key.Binding {
	switch {
	case p.modal != nil:
		return p.modal.FullHelp()
	case p.detail != nil:
		return p.detail.FullHelp()
	case p.filtering:
		return [][]key.Binding{{p.keys.filterDone, p.keys.filterClear}}
	}
	acts := []key.Binding{p.keys.open}
	if p.c.canCreateRooms() {
		acts = append(acts, p.keys.create)
	}
	if sel := p.selected(); sel != nil {
		if p.c.manages(&sel.room) {
			acts = append(acts, p.keys.edit, p.keys.regen, p.keys.del)
		}
		acts = append(acts, p.keys.copy)
	}
	return [][]key.Binding{p.c.nav.bindings(), {p.keys.filter, p.keys.clear, p.keys.sort}, acts}
}

func (p *roomsPage) view(w, h int) string {
	if p.modal != nil {
		return p.modal.view(w, h)
	}
	if p.detail != nil {
		return p.detail.view(w, h)
	}
	st := p.c.styles
	title := st.title.Render("Rooms") + st.dim.Render("  "+p.table.position()+" · sorted by "+roomSorts[p.sortIdx].name)
	var filterLine string
	switch {
	case p.filtering:
		p.filter.SetWidth(max(w-4, 8))
		filterLine = p.filter.View()
	case p.filter.Value() != "":
		filterLine = st.dim.Render("filter: ") + sanitize(p.filter.Value()) + st.dim.Render("  (esc clears)")
	}
	lines := []string{title}
	if filterLine != "" {
		lines = append(lines, filterLine)
	}
	body := h - len(lines)
	line, pending := p.reload.placeholder(p.c, "rooms")
	switch {
	case pending:
		lines = append(lines, line)
	case len(p.rows) == 0 && p.c.canCreateRooms():
		lines = append(lines, stateLine(p.c, "No rooms yet — press n to create one"))
	case len(p.rows) == 0:
		lines = append(lines, stateLine(p.c, "No rooms for you yet — a room's owner can add you as a member"))
	case len(p.shown) == 0:
		lines = append(lines, stateLine(p.c, "No rooms match \""+sanitize(p.filter.Value())+"\" — esc clears the filter"))
	default:
		p.table.setSize(w, body)
		lines = append(lines, p.table.view())
	}
	return strings.Join(lines, "\n")
}
