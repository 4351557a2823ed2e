package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

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

// roomDetailMsg carries a room, the caller's grant in it, its members when the caller
// manages it, and its newest recordings when the caller may list them.
type roomDetailMsg struct {
	roomID  string
	seq     int
	room    *core.Room
	grant   core.Grant
	members []memberRow
	natural []int
	recs    roomRecordings
	// meetings are the room's newest meetings (for those who manage it), meetingsMore
	// that there are older ones.
	meetings     []core.Meeting
	meetingsMore bool
	err          error
}

// roomMeetingsShown is how many of a room's meetings the detail reads, newest first.
const roomMeetingsShown = 20

// roomRecordingsShown is how many of a room's recordings the detail lists, newest first;
// the Recordings tab is where all of them will be.
const roomRecordingsShown = 20

// roomRecordings is the detail's Recordings section.
type roomRecordings struct {
	rows []recordingRow
	// more says the room has older recordings than those listed.
	more bool
	// err is why they could not be listed; the rest of the detail stands.
	err error
}

// Recording list columns.
const (
	colRecStatus = iota
	colRecStarted
	colRecDuration
	colRecSize
	recCols
)

// recordingRow is one recording as the room detail lists it, cells built when it loads.
type recordingRow struct {
	cells [recCols]string
	// problem is why a failed, aborted or limit_reached recording ended so, "" for others.
	problem string
}

func makeRecordingRow(r core.Recording, loc *time.Location) recordingRow {
	row := recordingRow{}
	row.cells[colRecStatus] = sanitize(r.Status)
	row.cells[colRecStarted] = timeIn(r.StartDate, loc)
	row.cells[colRecDuration], row.cells[colRecSize] = "—", "—"
	if !liveRecordingStatus(r.Status) {
		row.cells[colRecDuration] = clockText(time.Duration(r.Duration * float64(time.Second)))
		row.cells[colRecSize] = humanBytes(r.Size)
	}
	switch r.Status {
	case core.RecFailed, core.RecAborted, core.RecLimitReached:
		var why []string
		for _, s := range []string{r.Error, r.Details} {
			if s = strings.TrimSpace(s); s != "" {
				why = append(why, s)
			}
		}
		row.problem = sanitize(strings.Join(why, "; "))
		if row.problem == "" {
			row.problem = "no reason was given"
		}
	}
	return row
}

type roomDetailKeys struct {
	back, editRoom, regen, copy, links, add, editMember, delMember, member, history key.Binding
}

// roomDetail is a room drilled into from the Rooms tab: its settings, links and members.
type roomDetail struct {
	c *common
	modalHost
	roomID string
	name   string

	room         *core.Room
	grant        core.Grant
	members      []memberRow
	recs         roomRecordings
	meetings     []core.Meeting
	meetingsMore bool
	table        table
	reload       loader
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
		links:      bind("show links", "l"),
		add:        bind("add member", "a"),
		editMember: bind("edit member", "enter"),
		delMember:  bind("remove member", "d"),
		member:     bind("member details", "i"),
		history:    bind("meeting history", "h"),
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
		if g.Permissions.RecordingList {
			msg.recs = listRoomRecordings(ctx, backend, p, id, loc)
		}
		if g.Source != core.GrantAdmin && g.Source != core.GrantOwner && g.Source != core.GrantAPIKey {
			return msg
		}
		mp, err := backend.RoomMeetings(ctx, p, id, core.ListOptions{MaxItems: roomMeetingsShown})
		if err != nil {
			msg.err = err
			return msg
		}
		msg.meetings, msg.meetingsMore = mp.Items, mp.Next != ""
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
				row.cells[colMemberType] = memberTypeLabel(m.Type)
				row.cells[colMemberRole] = roleLabel(m.BaseRole)
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

// listRoomRecordings reads the first page of a room's recordings, newest first.
func listRoomRecordings(ctx context.Context, backend Backend, p *core.Principal, roomID string, loc *time.Location) roomRecordings {
	page, err := backend.ListRecordings(ctx, p, core.RecordingQuery{RoomID: roomID,
		ListOptions: core.ListOptions{MaxItems: roomRecordingsShown, SortField: "startDate", Desc: true}})
	if err != nil {
		return roomRecordings{err: err}
	}
	recs := roomRecordings{more: page.Next != ""}
	for _, r := range page.Items {
		recs.rows = append(recs.rows, makeRecordingRow(r, loc))
	}
	return recs
}

func (d *roomDetail) event(e core.Event) tea.Cmd {
	if e.RoomID != d.roomID && e.Type != core.EventResync && e.Type != core.EventUserDeleted {
		return nil
	}
	if e.Type == core.EventTrackStats {
		return nil // figures of a meeting, every few seconds: nothing the detail shows
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
			d.room, d.grant, d.members, d.recs = m.room, m.grant, m.members, m.recs
			d.meetings, d.meetingsMore = m.meetings, m.meetingsMore
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
	case keyIs(k, d.keys.links):
		d.open(newLinksView(d.c, "Links of "+d.name, d.links()))
		return nil
	case keyIs(k, d.keys.copy):
		items := linkChoices(d.c.backend, d.room, d.grant)
		// An external member's own link is for those who manage the room to hand out.
		if m := d.selectedMember(); m != nil && d.manages() && m.Type == core.MemberTypeGuest {
			items = append(items, choice{label: "link of " + sanitize(m.Name), value: d.c.backend.MemberURL(m), hint: "this member's own link"})
		}
		dl, cmd := copyLinkDialog(d.c, items)
		if dl != nil {
			d.open(dl)
		}
		return cmd
	case keyIs(k, d.keys.editRoom), keyIs(k, d.keys.regen), keyIs(k, d.keys.add),
		keyIs(k, d.keys.editMember), keyIs(k, d.keys.delMember), keyIs(k, d.keys.member), keyIs(k, d.keys.history):
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
	case keyIs(k, d.keys.member):
		if m := d.selectedMember(); m != nil {
			d.open(d.memberView(m))
		}
	case keyIs(k, d.keys.history):
		d.open(newInfoBox(d.c, "Meetings of "+d.name, d.historyLines()))
	}
	return nil
}

// memberView is a member's detail: what it is and its own link, whole. An external
// member's link carries its secret: only those who manage the room get here.
func (d *roomDetail) memberView(m *core.Member) *linkView {
	row := d.members[d.table.cursor]
	kind := "internal user: enters signed in, through the room's link"
	if m.Type == core.MemberTypeGuest {
		kind = "external: enters through its own link below (the member ID is its secret)"
	}
	lines := []string{
		"Member ID   " + row.cells[colMemberID],
		"Type        " + kind,
		"Role        " + roleLabel(m.BaseRole),
		"Overrides   " + row.cells[colMemberOverrides],
		"Since       " + row.cells[colMemberSince],
	}
	return newLinkView(d.c, showLinkMsg{label: "link of " + sanitize(m.Name), title: "Member " + sanitize(m.Name),
		lines: lines, url: d.c.backend.MemberURL(m)})
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
			bs = append(bs, d.keys.member, d.keys.editMember, d.keys.delMember)
		}
		bs = append(bs, d.keys.editRoom, d.keys.history)
	}
	return append(bs, d.keys.copy, d.keys.links)
}

func (d *roomDetail) FullHelp() [][]key.Binding {
	if d.modal != nil {
		return d.modal.FullHelp()
	}
	groups := [][]key.Binding{{d.keys.back, d.keys.copy, d.keys.links}}
	if d.room != nil && d.manages() {
		groups = append(groups, []key.Binding{d.keys.editRoom, d.keys.regen},
			[]key.Binding{d.keys.add, d.keys.member, d.keys.editMember, d.keys.delMember}, []key.Binding{d.keys.history})
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
		auto = d.c.formatTime(*r.AutoDeletionDate) + " (live meeting: " + meetingPolicyLabel(r.AutoDeletionPolicy.WithMeeting) +
			"; recordings: " + recordingsPolicyLabel(r.AutoDeletionPolicy.WithRecordings) + ")"
	}
	lines = append(lines,
		lbl("owner ")+sanitize(r.Owner)+lbl(" · status ")+statusText(r.Status)+lbl(" · created ")+d.c.formatTime(r.CreationDate)+lbl(" · auto-delete ")+auto,
		lbl("config ")+configText(r.Config),
		lbl("roles ")+fmt.Sprintf("recordings: %s · moderator %d/%d · speaker %d/%d",
			recordingAccessLabel(core.RecordingAccessOf(r.Roles)), countPerms(r.Roles.Moderator.Permissions), len(shownPermissionKeys()),
			countPerms(r.Roles.Speaker.Permissions), len(shownPermissionKeys())),
		lbl("you   ")+grantText(d.grant),
	)
	recs := d.recordingLines(w)
	if d.manages() {
		recs = append(d.meetingLines(w), recs...)
	}
	lines = append(lines, d.linkLines(w, h-len(lines)-min(len(recs), 4))...)
	if !d.manages() {
		lines = append(lines, st.dim.Render("Members are shown to the room's owner and admins."), "")
		return d.withRecordings(lines, recs, h)
	}
	lines = append(lines, st.header.Render(fmt.Sprintf("Members (%d)", len(d.members))))
	if len(d.members) == 0 {
		lines = append(lines, stateLine(d.c, "No members yet — press a to add one"), "")
		return d.withRecordings(lines, recs, h)
	}
	// The members table takes what the recordings leave, but keeps a few rows when
	// both do not fit; the recordings are then cut.
	avail := h - len(lines)
	want := len(d.members) + 1
	mh := max(min(want, avail-len(recs)-1), min(want, max(avail/2, 2)))
	d.table.setSize(w, mh)
	lines = append(lines, d.table.view(), "")
	return d.withRecordings(lines, recs, h)
}

// meetingLines is the Meetings section of the detail: the newest few, with h for all.
func (d *roomDetail) meetingLines(w int) []string {
	st := d.c.styles
	title := "Meetings"
	if n := len(d.meetings); n > 0 {
		more := ""
		if d.meetingsMore {
			more = "+"
		}
		title += fmt.Sprintf(" (%d%s)", n, more)
	}
	out := []string{st.header.Render(title) + st.dim.Render("  h shows who attended, when, from where")}
	if len(d.meetings) == 0 {
		return append(out, stateLine(d.c, "No meetings yet"), "")
	}
	for _, m := range d.meetings[:min(len(d.meetings), 3)] {
		out = append(out, ansi.Truncate("  "+d.meetingSummary(m), w, "…"))
	}
	return append(out, "")
}

// meetingSummary is "2026-12-01 10:00 → 10:45 · 3 people: Ann, Bob, Cid".
func (d *roomDetail) meetingSummary(m core.Meeting) string {
	end := "now (live)"
	if m.EndDate != 0 {
		end = d.clock(m.EndDate, m.StartDate)
	}
	seen := map[string]bool{}
	var names []string
	for _, a := range m.Attendance {
		if !seen[a.Identity] {
			seen[a.Identity] = true
			names = append(names, sanitize(a.Name))
		}
	}
	people := fmt.Sprintf("%d people", len(names))
	if len(names) == 1 {
		people = "1 person"
	}
	if len(names) > 0 {
		people += ": " + strings.Join(names, ", ")
	}
	return d.c.formatTime(m.StartDate) + " → " + end + " · " + people
}

// clock is a time as HH:MM when on the day of since, else in full.
func (d *roomDetail) clock(ms, since int64) string {
	t, s := time.UnixMilli(ms).In(d.c.loc), time.UnixMilli(since).In(d.c.loc)
	if t.YearDay() == s.YearDay() && t.Year() == s.Year() {
		return t.Format("15:04")
	}
	return d.c.formatTime(ms)
}

// historyLines is the h view: every meeting read, with each stay.
func (d *roomDetail) historyLines() []string {
	if len(d.meetings) == 0 {
		return []string{"No meetings yet: the history starts with the room's first meeting."}
	}
	var out []string
	for i, m := range d.meetings {
		if i > 0 {
			out = append(out, "")
		}
		out = append(out, d.meetingSummary(m))
		for _, a := range m.Attendance {
			left := "still in"
			if a.LeftAt != 0 {
				left = d.clock(a.LeftAt, a.JoinedAt)
			}
			line := "  " + sanitize(a.Name) + " (" + roleLabel(a.Role) + ")  " + d.clock(a.JoinedAt, m.StartDate) + " → " + left
			if a.Source != "" {
				line += "  from " + sanitize(a.Source)
			}
			if a.Device != "" {
				line += "  " + sanitize(a.Device)
			}
			out = append(out, line)
		}
	}
	if d.meetingsMore {
		out = append(out, "", fmt.Sprintf("Older meetings: GET /meet/api/v1/rooms/%s/meetings (newest %d shown)", sanitize(d.roomID), len(d.meetings)))
	}
	return out
}

// withRecordings ends the detail with the Recordings section, cut to the h lines of the
// page with a line saying so.
func (d *roomDetail) withRecordings(lines, recs []string, h int) string {
	used := 0
	for _, l := range lines {
		used += strings.Count(l, "\n") + 1 // the members table is one string
	}
	if left := h - used; len(recs) > left && left > 0 {
		recs = append(recs[:left-1:left-1], stateLine(d.c, "… more recordings: make the terminal taller"))
	}
	return strings.Join(append(lines, recs...), "\n")
}

// recordingLines is the Recordings section: the room's newest recordings with their
// status, start, duration and size, and why those that failed did.
func (d *roomDetail) recordingLines(w int) []string {
	st, r := d.c.styles, d.recs
	title := "Recordings"
	switch {
	case r.more:
		title += fmt.Sprintf(" (newest %d)", len(r.rows))
	case len(r.rows) > 0:
		title += fmt.Sprintf(" (%d)", len(r.rows))
	}
	out := []string{st.header.Render(title)}
	switch {
	case !d.grant.Permissions.RecordingList:
		return append(out, stateLine(d.c, "Recordings are shown to those with recordingList in this room"))
	case r.err != nil:
		return append(out, st.errText.Render("  Could not list the recordings: "+errorText(r.err)))
	case len(r.rows) == 0 && !d.room.Config.Recording.Enabled:
		return append(out, stateLine(d.c, "No recordings — recording is off in this room"))
	case len(r.rows) == 0:
		return append(out, stateLine(d.c, "No recordings yet"))
	}
	widths := [recCols]int{13, 16, 8, 10}
	line := func(cells [recCols]string) string {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range cells {
			if i > 0 {
				b.WriteString("  ")
			}
			if i == colRecDuration || i == colRecSize {
				c = strings.Repeat(" ", max(widths[i]-cellWidth(c), 0)) + c
			}
			writeCell(&b, c, widths[i])
		}
		return ansi.Truncate(b.String(), w, "…")
	}
	out = append(out, st.header.Render(line([recCols]string{"STATUS", "STARTED", "DURATION", "SIZE"})))
	for _, row := range r.rows {
		out = append(out, line(row.cells))
		if row.problem != "" {
			out = append(out, st.errText.Render(ansi.Truncate("    ↳ "+row.problem, w, "…")))
		}
	}
	return out
}

// linkLines shows the access links with their urls, or on one line when the terminal is
// too short to leave room for the members table and the recordings below them.
func (d *roomDetail) linkLines(w, room int) []string {
	st := d.c.styles
	share := d.grant.Permissions.RoomShareAccessLinks
	links := d.links()
	// A link is never cut: one that does not fit beside its name goes on lines of its
	// own below it, wrapped to the width.
	var rows []string
	for _, l := range links {
		head := fmt.Sprintf("  %-10s %-4s ", l.name, onOff(l.on))
		if len(head)+len(l.url) <= w {
			rows = append(rows, head+l.url)
			continue
		}
		rows = append(rows, strings.TrimRight(head, " "))
		for _, part := range strings.Split(ansi.Hardwrap(l.url, max(w-4, 10), false), "\n") {
			rows = append(rows, "    "+part)
		}
	}
	full := 3 + len(rows) // blank, heading, links, blank
	// What must fit below: a few members for those who manage the room, else the note
	// that members are not shown (room already keeps the start of the recordings).
	below := 2
	if d.manages() {
		below = min(len(d.members), 5) + 3 // heading, table header, rows, blank
	}
	if room-full < below {
		parts := make([]string, len(links))
		for i, l := range links {
			parts[i] = l.name + " " + onOff(l.on)
		}
		return []string{st.label.Render("links ") + strings.Join(parts, " · ") + st.dim.Render("  (l shows, y copies)")}
	}
	out := []string{"", st.header.Render("Access links")}
	if !share {
		out = append(out, st.dim.Render("  anonymous links are shown to those allowed to share them"))
	}
	out = append(out, rows...)
	return append(out, "")
}

// links are the room's links the user may see: the anonymous ones only with
// roomShareAccessLinks, the room's own always.
func (d *roomDetail) links() []namedLink {
	r, backend := d.room, d.c.backend
	var links []namedLink
	if d.grant.Permissions.RoomShareAccessLinks {
		links = append(links,
			namedLink{"moderator", r.Access.Moderator.Enabled, backend.AccessURL(r, core.BaseRoleModerator)},
			namedLink{"speaker", r.Access.Speaker.Enabled, backend.AccessURL(r, core.BaseRoleSpeaker)},
			namedLink{"recording", r.Access.Recording.Enabled, backend.AccessURL(r, "recording")})
	}
	return append(links, namedLink{"user", r.Access.UserEnabled, backend.RoomURL(r.RoomID)})
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
	// Virtual background and end-to-end encryption are kept for OpenVidu clients but do
	// nothing in Conclave yet: the detail does not claim them.
	return "chat " + onOff(c.Chat.Enabled) + " · " + rec
}

func countPerms(p core.Permissions) int {
	n := 0
	for _, k := range shownPermissionKeys() {
		if p.Get(k) {
			n++
		}
	}
	return n
}

// grantText says why the user may do what it may in the room.
func grantText(g core.Grant) string {
	switch g.Source {
	case core.GrantAdmin, core.GrantOwner, core.GrantAPIKey:
		return grantSourceLabel(g.Source) + " — every permission"
	}
	var keys []string
	for _, k := range shownPermissionKeys() {
		if g.Permissions.Get(k) {
			keys = append(keys, strings.ToLower(permissionLabel(k)))
		}
	}
	return grantSourceLabel(g.Source) + " (" + roleLabel(g.Role) + "): " + strings.Join(keys, ", ")
}
