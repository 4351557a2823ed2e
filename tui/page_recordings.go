package tui

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// Recordings table columns.
const (
	colRLRoom = iota
	colRLStarted
	colRLStatus
	colRLDuration
	colRLSize
	colRLID
	rlCols
)

// recRights is what core's RecordingRights allows the user on one recording, asked when
// the list loads so that a key is shown only where core would not refuse it. Core asks
// again when the act happens.
type recRights struct {
	del, share, play, download bool
}

// recItem is one recording of the list, its cells built once when it loads.
type recItem struct {
	rec    core.Recording
	cells  [rlCols]string
	key    string // lower-case room name, room id, recording id: what bare words search
	rights recRights
}

func makeRecItem(r core.Recording, loc *time.Location) recItem {
	it := recItem{rec: r}
	room := r.RoomName
	if room == "" {
		room = r.RoomID
	}
	it.cells[colRLRoom] = sanitize(room)
	it.cells[colRLStarted] = timeIn(r.StartDate, loc)
	it.cells[colRLStatus] = sanitize(r.Status)
	if r.TrashedAt != 0 {
		it.cells[colRLStatus] = "trash"
	}
	// A recording being made has no duration or size yet (core counts them at its end).
	it.cells[colRLDuration], it.cells[colRLSize] = "live", "—"
	if !liveRecordingStatus(r.Status) {
		it.cells[colRLDuration] = clockText(time.Duration(r.Duration * float64(time.Second)))
		it.cells[colRLSize] = humanBytes(r.Size)
	}
	it.cells[colRLID] = sanitize(r.RecordingID)
	it.key = strings.ToLower(r.RoomName + "\x00" + r.RoomID + "\x00" + r.RecordingID)
	return it
}

// recSort is one order of the recordings; s cycles through them.
type recSort struct {
	name string
	cmp  func(a, b *core.Recording) int
}

var recSorts = []recSort{
	{"date, newest first", func(a, b *core.Recording) int { return cmp.Compare(b.StartDate, a.StartDate) }},
	{"date, oldest first", func(a, b *core.Recording) int { return cmp.Compare(a.StartDate, b.StartDate) }},
	{"size, largest first", func(a, b *core.Recording) int { return cmp.Compare(b.Size, a.Size) }},
	{"size, smallest first", func(a, b *core.Recording) int { return cmp.Compare(a.Size, b.Size) }},
	{"duration, longest first", func(a, b *core.Recording) int { return cmp.Compare(b.Duration, a.Duration) }},
	{"duration, shortest first", func(a, b *core.Recording) int { return cmp.Compare(a.Duration, b.Duration) }},
}

// recFilter is the "/" filter: bare words search the room and the id, room:, status:,
// since: and until: narrow further; all must match.
type recFilter struct {
	words        []string
	room, status string
	since, until int64
}

// parseRecFilter reads the filter line.
func parseRecFilter(s string, now time.Time, loc *time.Location) (recFilter, error) {
	var f recFilter
	for _, word := range strings.Fields(s) {
		k, v, ok := strings.Cut(word, ":")
		if !ok {
			f.words = append(f.words, strings.ToLower(word))
			continue
		}
		k = strings.ToLower(k)
		if k != "since" && k != "until" {
			v = strings.ToLower(v)
		}
		if v == "" {
			return f, fmt.Errorf("%q: give a value after the colon", word)
		}
		switch k {
		case "room":
			f.room = v
		case "status":
			if v != "live" && !slices.Contains(core.RecordingStatuses, v) {
				return f, fmt.Errorf("status: one of live, %s", strings.Join(core.RecordingStatuses, ", "))
			}
			f.status = v
		case "since", "until":
			t, err := parseAuditTime(v, now, loc)
			if err != nil {
				return f, fmt.Errorf("%s: %w", k, err)
			}
			if k == "since" {
				f.since = t
			} else {
				f.until = t
			}
		default:
			return f, fmt.Errorf("unknown filter %q: use room, status, since or until", k)
		}
	}
	return f, nil
}

func (f recFilter) match(it *recItem) bool {
	r := &it.rec
	for _, w := range f.words {
		if !strings.Contains(it.key, w) {
			return false
		}
	}
	if f.room != "" && !strings.Contains(strings.ToLower(r.RoomName), f.room) && !strings.Contains(strings.ToLower(r.RoomID), f.room) {
		return false
	}
	switch {
	case f.status == "live" && !liveRecordingStatus(r.Status):
		return false
	case f.status != "" && f.status != "live" && r.Status != f.status:
		return false
	case f.since != 0 && r.StartDate < f.since:
		return false
	case f.until != 0 && r.StartDate >= f.until:
		return false
	}
	return true
}

// recsLoadedMsg carries every recording of the list (or of the trash), rows built.
type recsLoadedMsg struct {
	seq     int
	trash   bool
	items   []recItem
	natural []int
	storage *core.RecordingStorage
	err     error
}

type recsKeys struct {
	open, filter, clear, sort, status, trash, del, restore, purge, storage key.Binding
	filterDone, filterClear                                                key.Binding
}

// recordingsPage is the Recordings tab: every recording the user may list (core
// decides), filtered, sorted, its details on enter; the trash on t.
type recordingsPage struct {
	c *common
	modalHost

	items   []recItem
	natural []int
	shown   []int // indexes of items, sorted and filtered
	sortIdx int
	trash   bool
	storage *core.RecordingStorage

	filter    textinput.Model
	filtering bool
	query     recFilter
	filterErr string

	table  table
	reload loader
	detail *recDetail
	keys   recsKeys
}

func newRecordingsPage(c *common) *recordingsPage {
	p := &recordingsPage{c: c, natural: make([]int, rlCols)}
	p.table = newTable(c, []column{
		{title: "ROOM", max: 30, min: 8, flex: true},
		{title: "STARTED", max: 16},
		{title: "STATUS", max: 13},
		{title: "DURATION", max: 8},
		{title: "SIZE", max: 10},
		// The id is what the SSH commands and the REST API take: it keeps its width
		// while the room's name gives up some, and goes only when nothing else fits.
		{title: "ID", max: 64},
	}, func(row, col int) string { return p.items[p.shown[row]].cells[col] })
	p.filter = textinput.New()
	p.filter.Prompt = "/"
	p.filter.CharLimit = 200
	p.filter.Placeholder = "weekly status:complete since:-7d until:2025-03-01"
	p.filter.SetStyles(c.styles.input)
	p.keys = recsKeys{
		open:        bind("details", "enter"),
		filter:      bind("filter", "/"),
		clear:       bind("clear filter", "esc"),
		sort:        bind("sort: date, size, duration", "s"),
		status:      bind("status filter", "f"),
		trash:       bind("trash", "t"),
		del:         bind("move to trash", "d"),
		restore:     bind("restore", "u"),
		purge:       bind("purge now", "P"),
		storage:     bind("storage per room", "S"),
		filterDone:  bind("keep filter", "enter"),
		filterClear: bind("clear filter", "esc"),
	}
	return p
}

func (p *recordingsPage) helpNote() []string {
	if p.detail != nil {
		return p.detail.helpNote()
	}
	return []string{
		"Recordings filter (press /): words, all must match",
		"  weekly             the room's name or id, or the recording's id, contains it",
		"  room:weekly        the room's name or id contains it",
		"  status:complete    complete, failed, aborted, limit_reached, … or live",
		"  since:-7d  until:2025-03-01  since:2025-01-31T09:00   start times; -2h, -3d mean ago",
	}
}

// statusNoter is a page that adds a note to the status line while it is on screen.
type statusNoter interface{ statusNote() string }

// statusNote puts the storage figures in the status line while the tab is on screen,
// for those core shows them to (admins, room owners).
func (p *recordingsPage) statusNote() string {
	s := p.storage
	// Core's figures are every room's for admins and its own rooms' for others: a user
	// who owns no room with recordings has none to see.
	if s == nil || (!p.c.isAdmin() && len(s.Rooms) == 0) {
		return ""
	}
	note := "recordings " + humanBytes(s.Total.Bytes)
	if s.Total.TrashBytes > 0 {
		note += " (trash " + humanBytes(s.Total.TrashBytes) + ")"
	}
	if s.FreeKnown {
		note += " · free " + humanBytes(int64(min(s.FreeBytes, 1<<62)))
	}
	return note
}

func (p *recordingsPage) selected() *recItem {
	if len(p.shown) == 0 {
		return nil
	}
	return &p.items[p.shown[p.table.cursor]]
}

func (p *recordingsPage) selectedID() string {
	if it := p.selected(); it != nil {
		return it.rec.RecordingID
	}
	return ""
}

func (p *recordingsPage) load() tea.Cmd {
	cmd := p.reload.restart(p.loadCmd)
	if p.detail != nil {
		cmd = tea.Batch(cmd, p.detail.load())
	}
	return cmd
}

func (p *recordingsPage) refresh() tea.Cmd {
	if p.detail != nil {
		return p.detail.load()
	}
	return p.reload.request(p.loadCmd)
}

// loadCmd reads every recording the user may list (or every one in the trash it may
// restore), then asks core once per room what the user may do with them.
func (p *recordingsPage) loadCmd(seq int) tea.Cmd {
	loc, trash := p.c.loc, p.trash
	return p.c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
		msg := recsLoadedMsg{seq: seq, trash: trash, natural: make([]int, rlCols)}
		q := core.RecordingQuery{ListOptions: core.ListOptions{MaxItems: core.MaxMaxItems, SortField: "startDate", Desc: true}}
		seen := map[string]bool{}
		for {
			var page core.Page[core.Recording]
			var err error
			if trash {
				page, err = backend.ListTrash(ctx, pr, q)
			} else {
				page, err = backend.ListRecordings(ctx, pr, q)
			}
			if err != nil {
				msg.err = err
				return msg
			}
			for _, r := range page.Items {
				msg.items = append(msg.items, makeRecItem(r, loc))
			}
			// A token seen before would loop for ever: the listing ends there.
			if page.Next == "" || seen[page.Next] || len(msg.items) >= maxListedRecordings {
				break
			}
			seen[page.Next] = true
			q.PageToken = page.Next
		}
		if !trash {
			rights := map[string]recRights{}
			for i := range msg.items {
				it := &msg.items[i]
				rr, ok := rights[it.rec.RoomID]
				if !ok {
					var err error
					if rr, err = askRights(ctx, backend, pr, it.rec.RecordingID); err != nil {
						msg.err = err
						return msg
					}
					rights[it.rec.RoomID] = rr
				}
				it.rights = rr
			}
		}
		for i := range msg.items {
			for c, s := range msg.items[i].cells {
				msg.natural[c] = max(msg.natural[c], cellWidth(s))
			}
		}
		if s, err := backend.RecordingStorage(ctx, pr); err == nil {
			msg.storage = s
		}
		return msg
	})
}

// maxListedRecordings bounds what the tab holds; the filter narrows within it.
const maxListedRecordings = 10000

// askRights asks core what p may do with one recording. A refusal is a false; only a
// failure to ask is an error (a recording gone meanwhile is nothing allowed).
func askRights(ctx context.Context, backend Backend, p *core.Principal, id string) (recRights, error) {
	var rr recRights
	for _, a := range []struct {
		act string
		to  *bool
	}{{core.RecActDelete, &rr.del}, {core.RecActShare, &rr.share}, {core.RecActPlay, &rr.play}, {core.RecActDownload, &rr.download}} {
		d, err := backend.RecordingDecisionFor(ctx, p, id, a.act)
		if core.KindOf(err) == core.KindNotFound {
			return recRights{}, nil
		} else if err != nil {
			return rr, err
		}
		*a.to = d.Allowed
	}
	return rr, nil
}

func (p *recordingsPage) setItems(m recsLoadedMsg) {
	keep := p.selectedID()
	p.items, p.natural, p.storage = m.items, m.natural, m.storage
	p.resort(keep)
}

// resort orders and filters the items, keeping the cursor on keep when it is shown.
func (p *recordingsPage) resort(keep string) {
	order := make([]int, 0, len(p.items))
	for i := range p.items {
		if p.query.match(&p.items[i]) {
			order = append(order, i)
		}
	}
	less := recSorts[p.sortIdx].cmp
	slices.SortStableFunc(order, func(a, b int) int {
		ra, rb := &p.items[a].rec, &p.items[b].rec
		return cmp.Or(less(ra, rb), strings.Compare(ra.RecordingID, rb.RecordingID))
	})
	p.shown = order
	p.table.setRows(len(p.shown), p.natural)
	for pos, i := range p.shown {
		if p.items[i].rec.RecordingID == keep {
			p.table.setCursor(pos)
			return
		}
	}
	p.table.clamp()
}

func (p *recordingsPage) event(e core.Event) tea.Cmd {
	var cmds []tea.Cmd
	if p.detail != nil {
		cmds = append(cmds, p.detail.event(e))
	}
	switch e.Type {
	case core.EventRecordingChanged, core.EventRoomChanged, core.EventRoomDeleted,
		core.EventMemberChanged, core.EventMemberDeleted, core.EventResync:
		// Which recordings the user may list, and what it may do with them, follow the
		// rooms and memberships too.
		cmds = append(cmds, p.reload.request(p.loadCmd))
	}
	return tea.Batch(cmds...)
}

func (p *recordingsPage) capturing() bool {
	return p.modal != nil || p.filtering || (p.detail != nil && p.detail.capturing())
}

func (p *recordingsPage) update(msg tea.Msg) tea.Cmd {
	if m, ok := msg.(recsLoadedMsg); ok {
		if m.trash != p.trash {
			return nil
		}
		return p.reload.apply(m.seq, m.err, p.loadCmd, func() { p.setItems(m) })
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

func (p *recordingsPage) updateFilter(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "enter":
			if p.filterErr != "" {
				return flash(levelError, "%s", p.filterErr)
			}
			p.filtering = false
			p.filter.Blur()
			return nil
		case "esc":
			p.filtering, p.filterErr = false, ""
			p.filter.Blur()
			p.filter.SetValue("")
			p.query = recFilter{}
			p.resort(p.selectedID())
			return nil
		case "up", "down", "pgup", "pgdown":
			p.table.update(k)
			return nil
		}
	}
	before := p.filter.Value()
	var cmd tea.Cmd
	p.filter, cmd = p.filter.Update(msg)
	if v := p.filter.Value(); v != before {
		q, err := parseRecFilter(v, p.c.now(), p.c.loc)
		if err != nil {
			// Half typed ("status:comp"): the last filter that parsed stays applied.
			p.filterErr = err.Error()
			return cmd
		}
		p.filterErr, p.query = "", q
		p.resort("")
		p.table.setCursor(0)
	}
	return cmd
}

func (p *recordingsPage) updateList(k tea.KeyPressMsg) tea.Cmd {
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
			p.query, p.filterErr = recFilter{}, ""
			p.resort(p.selectedID())
		}
		return nil
	case keyIs(k, p.keys.sort):
		p.sortIdx = (p.sortIdx + 1) % len(recSorts)
		p.resort(p.selectedID())
		return flash(levelInfo, "Sorted by %s", recSorts[p.sortIdx].name)
	case keyIs(k, p.keys.status):
		return p.cycleStatus()
	case keyIs(k, p.keys.trash):
		p.trash = !p.trash
		p.items, p.shown = nil, nil
		p.table.setRows(0, nil)
		p.reload.loaded = false
		return p.reload.restart(p.loadCmd)
	case keyIs(k, p.keys.storage):
		if p.statusNote() == "" {
			return flash(levelWarn, "Storage figures are for admins and the owners of rooms with recordings")
		}
		p.open(storageBox(p.c, p.storage))
		return nil
	}
	if sel == nil {
		return nil
	}
	rec := sel.rec
	switch {
	case keyIs(k, p.keys.open):
		p.detail = newRecDetail(p.c, rec, p.trash)
		return p.detail.load()
	case keyIs(k, p.keys.del) && p.canDelete(sel):
		p.open(deleteRecordingConfirm(p.c, &rec))
	case keyIs(k, p.keys.restore) && p.trash:
		p.open(restoreRecordingConfirm(p.c, &rec))
	case keyIs(k, p.keys.purge) && p.c.isAdmin() && !liveRecordingStatus(rec.Status):
		p.open(purgeRecordingConfirm(p.c, &rec))
	case keyIs(k, p.keys.del), keyIs(k, p.keys.restore), keyIs(k, p.keys.purge):
		return flash(levelWarn, "%s", refusalText(k.String(), sel, p.trash))
	}
	return nil
}

// statusCycle is what f steps through: every status, the live ones, then each ending.
var statusCycle = []string{"", "live", core.RecComplete, core.RecFailed, core.RecAborted, core.RecLimitReached}

// cycleStatus is f: the next status of statusCycle, written into the filter line so that
// / shows and edits the same filter.
func (p *recordingsPage) cycleStatus() tea.Cmd {
	next := statusCycle[0]
	for i, st := range statusCycle {
		if st == p.query.status {
			next = statusCycle[(i+1)%len(statusCycle)]
		}
	}
	var words []string
	for _, w := range strings.Fields(p.filter.Value()) {
		if !strings.HasPrefix(strings.ToLower(w), "status:") {
			words = append(words, w)
		}
	}
	if next != "" {
		words = append(words, "status:"+next)
	}
	p.filter.SetValue(strings.Join(words, " "))
	q, err := parseRecFilter(p.filter.Value(), p.c.now(), p.c.loc)
	if err != nil {
		p.filterErr = err.Error()
		return flash(levelError, "%s", p.filterErr)
	}
	p.query, p.filterErr = q, ""
	p.resort(p.selectedID())
	if next == "" {
		return flash(levelInfo, "Recordings of every status")
	}
	return flash(levelInfo, "Only %s recordings", next)
}

func (p *recordingsPage) canDelete(it *recItem) bool {
	return !p.trash && it.rights.del && !liveRecordingStatus(it.rec.Status)
}

// refusalText says why a key that is not offered did nothing.
func refusalText(k string, it *recItem, trash bool) string {
	switch {
	case k == "d" && trash:
		return "This recording is in the trash already"
	case k == "d" && liveRecordingStatus(it.rec.Status):
		return "This recording is being made: stop it first"
	case k == "d":
		return "You need recordingDelete in this room to delete its recordings"
	case k == "u":
		return "Only recordings in the trash can be restored (t shows the trash)"
	case liveRecordingStatus(it.rec.Status):
		return "This recording is being made: stop it first"
	}
	return "Only admins may purge a recording at once"
}

func deleteRecordingConfirm(c *common, r *core.Recording) *confirm {
	id := r.RecordingID
	body := fmt.Sprintf("Move the recording of %s started %s to the trash?\nIts room's owner or an admin can restore it until it is purged.",
		sanitize(r.RoomName), c.formatTime(r.StartDate))
	return newConfirm(c, "Delete recording", body, nil, func([]string) tea.Cmd {
		return c.call(func(ctx context.Context, backend Backend, p *core.Principal) tea.Msg {
			return doneMsg{ok: "Recording moved to the trash (t shows it)", err: backend.DeleteRecording(ctx, p, id)}
		})
	})
}

func restoreRecordingConfirm(c *common, r *core.Recording) *confirm {
	id := r.RecordingID
	body := fmt.Sprintf("Restore the recording of %s started %s from the trash?", sanitize(r.RoomName), c.formatTime(r.StartDate))
	return newConfirm(c, "Restore recording", body, nil, func([]string) tea.Cmd {
		return c.call(func(ctx context.Context, backend Backend, p *core.Principal) tea.Msg {
			_, err := backend.RestoreRecording(ctx, p, id)
			return doneMsg{ok: "Recording restored", err: err}
		})
	})
}

func purgeRecordingConfirm(c *common, r *core.Recording) *confirm {
	id := r.RecordingID
	body := fmt.Sprintf("Purge the recording of %s started %s now?\nIts files are removed for good: this cannot be undone.", sanitize(r.RoomName), c.formatTime(r.StartDate))
	return newConfirm(c, "Purge recording", body, nil, func([]string) tea.Cmd {
		return c.call(func(ctx context.Context, backend Backend, p *core.Principal) tea.Msg {
			return doneMsg{ok: "Recording purged", err: backend.PurgeRecording(ctx, p, id)}
		})
	})
}

func (p *recordingsPage) actions() []key.Binding {
	sel := p.selected()
	if sel == nil {
		return nil
	}
	bs := []key.Binding{p.keys.open}
	if p.canDelete(sel) {
		bs = append(bs, p.keys.del)
	}
	if p.trash {
		bs = append(bs, p.keys.restore)
	}
	if p.c.isAdmin() && !liveRecordingStatus(sel.rec.Status) {
		bs = append(bs, p.keys.purge)
	}
	return bs
}

func (p *recordingsPage) ShortHelp() []key.Binding {
	switch {
	case p.modal != nil:
		return p.modal.ShortHelp()
	case p.detail != nil:
		return p.detail.ShortHelp()
	case p.filtering:
		return []key.Binding{p.keys.filterDone, p.keys.filterClear}
	}
	return append(p.actions(), p.keys.filter, p.keys.status, p.keys.sort, p.trashKey())
}

func (p *recordingsPage) trashKey() key.Binding {
	if p.trash {
		return bind("back to recordings", "t")
	}
	return p.keys.trash
}

func (p *recordingsPage) FullHelp() [][]key.Binding {
	switch {
	case p.modal != nil:
		return p.modal.FullHelp()
	case p.detail != nil:
		return p.detail.FullHelp()
	case p.filtering:
		return [][]key.Binding{{p.keys.filterDone, p.keys.filterClear}}
	}
	view := []key.Binding{p.keys.filter, p.keys.clear, p.keys.status, p.keys.sort, p.trashKey()}
	if p.statusNote() != "" {
		view = append(view, p.keys.storage)
	}
	groups := [][]key.Binding{p.c.nav.bindings(), view}
	if a := p.actions(); len(a) > 0 {
		groups = append(groups, a)
	}
	return groups
}

func (p *recordingsPage) view(w, h int) string {
	if p.modal != nil {
		return p.modal.view(w, h)
	}
	if p.detail != nil {
		return p.detail.view(w, h)
	}
	st := p.c.styles
	name := "Recordings"
	if p.trash {
		name = "Trash"
	}
	title := st.title.Render(name) + st.dim.Render("  "+p.table.position()+" · sorted by "+recSorts[p.sortIdx].name)
	lines := []string{title}
	switch {
	case p.filtering:
		p.filter.SetWidth(max(w-4, 8))
		lines = append(lines, p.filter.View())
	case p.filter.Value() != "":
		lines = append(lines, st.dim.Render("filter: ")+sanitize(p.filter.Value())+st.dim.Render("  (esc clears)"))
	}
	if p.filterErr != "" {
		lines = append(lines, st.errText.Render("  "+sanitize(p.filterErr)))
	}
	what := "recordings"
	if p.trash {
		what = "the trash"
	}
	line, pending := p.reload.placeholder(p.c, what)
	switch {
	case pending:
		lines = append(lines, line)
	case len(p.items) == 0 && p.trash:
		lines = append(lines, stateLine(p.c, "The trash is empty — t goes back to the recordings"))
	case len(p.items) == 0:
		lines = append(lines, stateLine(p.c, "No recordings you may list yet"))
	case len(p.shown) == 0:
		lines = append(lines, stateLine(p.c, "No recordings match \""+sanitize(p.filter.Value())+"\" — esc clears the filter"))
	default:
		p.table.setSize(w, h-len(lines))
		lines = append(lines, p.table.view())
	}
	return strings.Join(lines, "\n")
}

// storageBox shows the storage figures per room and in total, with the recordings by
// status.
func storageBox(c *common, s *core.RecordingStorage) *infoBox {
	byStatus := func(f core.StorageFigures) string {
		var parts []string
		for _, st := range core.RecordingStatuses {
			if n := f.Recordings[st]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", st, n))
			}
		}
		if f.Trash > 0 {
			parts = append(parts, fmt.Sprintf("in the trash %d", f.Trash))
		}
		if len(parts) == 0 {
			return "no recordings"
		}
		return strings.Join(parts, ", ")
	}
	free := "unknown"
	if s.FreeKnown {
		free = humanBytes(int64(min(s.FreeBytes, 1<<62)))
	}
	lines := []string{
		"Total    " + humanBytes(s.Total.Bytes) + " (of which in the trash " + humanBytes(s.Total.TrashBytes) + ")",
		"         " + byStatus(s.Total),
		"Free     " + free + " (recordings do not start below " + humanBytes(int64(min(s.MinFreeDisk, 1<<62))) + ")",
		"",
	}
	for _, r := range s.Rooms {
		name := sanitize(r.RoomName)
		if name == "" {
			name = "(room deleted)"
		}
		lines = append(lines, fmt.Sprintf("%-24s %10s  %s", name+" ", humanBytes(r.Bytes), byStatus(r.StorageFigures)),
			"  "+sanitize(r.RoomID))
	}
	return newInfoBox(c, "Recording storage", lines)
}

// errForbidden reports a refusal core made on purpose (not a failure).
func errForbidden(err error) bool { return err != nil && core.KindOf(err) == core.KindForbidden }
