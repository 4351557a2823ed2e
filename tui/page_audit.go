package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// Audit table columns.
const (
	colAuditTime = iota
	colAuditActor
	colAuditAction
	colAuditTarget
	colAuditOutcome
	colAuditSource
	colAuditDevice
	auditCols
)

type auditRow struct {
	e     core.AuditEntry
	cells [auditCols]string
}

// auditLoadedMsg is a page of the log: the first (replace), a later one (more), or the
// entries newer than those shown (newer).
type auditLoadedMsg struct {
	seq     int
	kind    string // "first", "more", "newer"
	rows    []auditRow
	next    string
	natural []int
	err     error
}

const auditPageSize = 100

type auditKeys struct {
	filter, clear, open, apply, cancel key.Binding
	export, exportAccess               key.Binding
}

// auditPage is the Audit tab (admins): the log, newest first, filtered with
// "actor:alice action:room. target:room:x since:-2h until:2025-01-31".
type auditPage struct {
	c *common
	modalHost
	rows    []auditRow
	natural []int
	next    string
	table   table
	reload  loader
	newer   reloader
	more    bool // a "more" load is running

	query     core.AuditQuery
	queryText string
	filter    textinput.Model
	filtering bool
	filterErr string
	keys      auditKeys
	export    *exportJob // the export under way (auditexport.go), nil when none
}

func newAuditPage(c *common) *auditPage {
	p := &auditPage{c: c, natural: make([]int, auditCols)}
	p.table = newTable(c, []column{
		{title: "TIME", max: 19},
		{title: "ACTOR", max: 24, min: 8, flex: true},
		{title: "ACTION", max: 22, min: 16, flex: true}, // what happened: the last to be cut
		{title: "TARGET", max: 40, min: 8, flex: true},
		{title: "OUTCOME", max: 8},
		{title: "SOURCE", max: 20, min: 6, flex: true},
		{title: "DEVICE", max: 30, min: 6, flex: true},
	}, func(row, col int) string { return p.rows[row].cells[col] })
	p.filter = textinput.New()
	p.filter.Prompt = "/"
	p.filter.CharLimit = 300
	p.filter.Placeholder = "actor:alice action:room. target:room:x since:-2h until:2025-01-31"
	p.filter.SetStyles(c.styles.input)
	p.keys = auditKeys{
		filter:       bind("filter", "/"),
		clear:        bind("clear filter", "esc"),
		open:         bind("details", "enter"),
		apply:        bind("apply filter", "enter"),
		cancel:       bind("cancel", "esc"),
		export:       bind("export log", "e"),
		exportAccess: bind("export access log", "E"),
	}
	return p
}

func (p *auditPage) helpNote() []string {
	return []string{
		"Audit filter (press /): words of the form key:value, all must match",
		"  actor:alice     the user alice (or actor:apiKey:ci, actor:system)",
		"  action:room.    actions starting with room. (room.create, room.delete, …)",
		"  target:room:id  exactly this target (room:…, user:…, member:…@room)",
		"  since:-2h  until:2025-01-31  since:2025-01-31T09:00   times; -2h, -3d mean ago",
	}
}

func (p *auditPage) load() tea.Cmd    { return p.reload.restart(p.firstCmd) }
func (p *auditPage) refresh() tea.Cmd { return p.reload.restart(p.firstCmd) }

func auditRows(entries []core.AuditEntry, loc *time.Location, natural []int) []auditRow {
	rows := make([]auditRow, 0, len(entries))
	for _, e := range entries {
		r := auditRow{e: e}
		r.cells[colAuditTime] = time.UnixMilli(e.Time).In(loc).Format("2006-01-02 15:04:05")
		r.cells[colAuditActor] = actorText(e)
		r.cells[colAuditAction] = sanitize(e.Action)
		r.cells[colAuditTarget] = sanitize(e.Target)
		r.cells[colAuditOutcome] = sanitize(e.Outcome)
		r.cells[colAuditSource] = sanitize(e.Source)
		r.cells[colAuditDevice] = sanitize(e.Device)
		for c, s := range r.cells {
			natural[c] = max(natural[c], cellWidth(s))
		}
		rows = append(rows, r)
	}
	return rows
}

// firstCmd reads the first page with the current filter.
func (p *auditPage) firstCmd(seq int) tea.Cmd {
	q, loc := p.query, p.c.loc
	q.ListOptions = core.ListOptions{MaxItems: auditPageSize}
	return p.c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
		page, err := backend.ListAudit(ctx, pr, q)
		nat := make([]int, auditCols)
		return auditLoadedMsg{seq: seq, kind: "first", rows: auditRows(page.Items, loc, nat), next: page.Next, natural: nat, err: err}
	})
}

// moreCmd reads the page after those shown, when the cursor nears the end.
func (p *auditPage) moreCmd() tea.Cmd {
	q, loc, seq := p.query, p.c.loc, p.reload.seq
	q.ListOptions = core.ListOptions{MaxItems: auditPageSize, PageToken: p.next}
	return p.c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
		page, err := backend.ListAudit(ctx, pr, q)
		nat := make([]int, auditCols)
		return auditLoadedMsg{seq: seq, kind: "more", rows: auditRows(page.Items, loc, nat), next: page.Next, natural: nat, err: err}
	})
}

// newerCmd reads the entries appended since the newest shown, so a live log grows at the
// top without losing the user's place further down.
func (p *auditPage) newerCmd(seq int) tea.Cmd {
	q, loc := p.query, p.c.loc
	var topID int64
	if len(p.rows) > 0 {
		topID = p.rows[0].e.ID
		q.Since = max(q.Since, p.rows[0].e.Time)
	}
	return p.c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
		var entries []core.AuditEntry
		q.ListOptions = core.ListOptions{MaxItems: auditPageSize}
		for range 50 { // at most 5,000 new entries at once; beyond that a reload is cheaper
			page, err := backend.ListAudit(ctx, pr, q)
			if err != nil {
				return auditLoadedMsg{seq: seq, kind: "newer", err: err}
			}
			for _, e := range page.Items {
				if e.ID > topID {
					entries = append(entries, e)
				}
			}
			if page.Next == "" {
				break
			}
			q.PageToken = page.Next
		}
		nat := make([]int, auditCols)
		return auditLoadedMsg{seq: seq, kind: "newer", rows: auditRows(entries, loc, nat), natural: nat}
	})
}

func (p *auditPage) event(core.Event) tea.Cmd {
	// Every change core makes is audited, so any event may mean new entries.
	if !p.reload.loaded {
		return nil
	}
	return p.newer.request(p.newerCmd)
}

func (p *auditPage) capturing() bool { return p.modal != nil || p.filtering }

func (p *auditPage) widen(nat []int) {
	for i, w := range nat {
		p.natural[i] = max(p.natural[i], w)
	}
}

func (p *auditPage) applyLoaded(m auditLoadedMsg) tea.Cmd {
	switch m.kind {
	case "first":
		return p.reload.apply(m.seq, m.err, p.firstCmd, func() {
			p.rows, p.next = m.rows, m.next
			// A "newer" load still running was computed against the old rows.
			p.newer = reloader{seq: p.newer.seq + 1}
			p.natural = make([]int, auditCols)
			p.widen(m.natural)
			p.table.setRows(len(p.rows), p.natural)
			p.table.setCursor(0)
		})
	case "more":
		p.more = false
		if !p.reload.current(m.seq) || m.err != nil {
			if m.err != nil {
				return errorFlash(m.err)
			}
			return nil
		}
		p.rows = append(p.rows, m.rows...)
		p.next = m.next
		p.widen(m.natural)
		p.table.setRows(len(p.rows), p.natural)
		return nil
	}
	current, next := p.newer.done(m.seq, p.newerCmd)
	if !current || m.err != nil || len(m.rows) == 0 || !p.reload.loaded {
		return next
	}
	fresh := m.rows
	if len(p.rows) > 0 {
		top := p.rows[0].e.ID
		fresh = fresh[:0:0]
		for _, r := range m.rows {
			if r.e.ID > top {
				fresh = append(fresh, r)
			}
		}
	}
	atTop := p.table.cursor == 0
	p.rows = append(fresh, p.rows...)
	p.widen(m.natural)
	p.table.setRows(len(p.rows), p.natural)
	if !atTop {
		p.table.setCursor(p.table.cursor + len(fresh))
	}
	return next
}

func (p *auditPage) update(msg tea.Msg) tea.Cmd {
	if m, ok := msg.(auditLoadedMsg); ok {
		return p.applyLoaded(m)
	}
	if ok, cmd := p.updateExport(msg); ok {
		return cmd
	}
	if ok, cmd := p.updateModal(msg); ok || !isKey(msg) {
		return cmd
	}
	if p.filtering {
		return p.updateFilter(msg)
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	if p.table.update(k) {
		if p.next != "" && !p.more && p.table.cursor >= len(p.rows)-20 {
			p.more = true
			return p.moreCmd()
		}
		return nil
	}
	switch {
	case keyIs(k, p.keys.filter):
		p.filtering = true
		p.filter.SetValue(p.queryText)
		p.filter.CursorEnd()
		return p.filter.Focus()
	case keyIs(k, p.keys.clear):
		if p.queryText != "" {
			p.query, p.queryText = core.AuditQuery{}, ""
			return p.reload.restart(p.firstCmd)
		}
	case keyIs(k, p.keys.open):
		if len(p.rows) > 0 {
			p.open(auditInfo(p.c, p.rows[p.table.cursor].e))
		}
	case keyIs(k, p.keys.export), keyIs(k, p.keys.exportAccess):
		switch {
		case p.c.opts.ExportDir == "":
		case p.export != nil:
			return flash(levelWarn, "An export is under way")
		case keyIs(k, p.keys.export):
			p.open(p.exportForm(core.ExportAudit))
		case p.query.Target != "":
			return flash(levelWarn, "The access log has no target: clear target: from the filter to export it")
		default:
			p.open(p.exportForm(core.ExportAccess))
		}
	}
	return nil
}

func (p *auditPage) updateFilter(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "esc":
			p.filtering, p.filterErr = false, ""
			p.filter.Blur()
			return nil
		case "enter":
			q, err := parseAuditFilter(p.filter.Value(), p.c.now(), p.c.loc)
			if err != nil {
				p.filterErr = err.Error()
				return nil
			}
			p.filtering, p.filterErr = false, ""
			p.filter.Blur()
			p.query, p.queryText = q, strings.TrimSpace(p.filter.Value())
			return p.reload.restart(p.firstCmd)
		}
	}
	var cmd tea.Cmd
	p.filter, cmd = p.filter.Update(msg)
	p.filterErr = ""
	return cmd
}

// parseAuditFilter reads "key:value" words into a query.
func parseAuditFilter(s string, now time.Time, loc *time.Location) (core.AuditQuery, error) {
	var q core.AuditQuery
	for _, word := range strings.Fields(s) {
		k, v, ok := strings.Cut(word, ":")
		if !ok || v == "" {
			return q, fmt.Errorf("%q: use key:value with actor, action, target, since or until", word)
		}
		switch k {
		case "actor":
			if !strings.Contains(v, ":") && v != "system" && v != "anonymous" {
				v = "user:" + v // the log names users "user:alice"
			}
			q.Actor = v
		case "action":
			q.Action = v
		case "target":
			q.Target = v
		case "since", "until":
			t, err := parseAuditTime(v, now, loc)
			if err != nil {
				return q, fmt.Errorf("%s: %w", k, err)
			}
			if k == "since" {
				q.Since = t
			} else {
				q.Until = t
			}
		default:
			return q, fmt.Errorf("unknown filter %q: use actor, action, target, since or until", k)
		}
	}
	return q, nil
}

// parseAuditTime reads "2025-01-31", "2025-01-31T09:00" or a time ago like "-2h", "3d".
func parseAuditTime(s string, now time.Time, loc *time.Location) (int64, error) {
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UnixMilli(), nil
		}
	}
	d, err := parseDelay(strings.TrimPrefix(s, "-"))
	if err != nil || d <= 0 {
		return 0, errors.New("use 2025-01-31, 2025-01-31T09:00 or a time ago like -2h or -3d")
	}
	return now.Add(-d).UnixMilli(), nil
}

// actorText is who acted: a meeting participant's name comes first, its identity after.
func actorText(e core.AuditEntry) string {
	if e.ActorName != "" {
		return sanitize(e.ActorName) + " (" + sanitize(e.Actor) + ")"
	}
	return sanitize(e.Actor)
}

func auditInfo(c *common, e core.AuditEntry) *infoBox {
	lines := []string{
		"time     " + time.UnixMilli(e.Time).In(c.loc).Format("2006-01-02 15:04:05.000 MST"),
		"actor    " + actorText(e),
		"action   " + sanitize(e.Action),
		"target   " + sanitize(e.Target),
		"outcome  " + sanitize(e.Outcome),
		"source   " + sanitize(e.Source),
		"device   " + sanitize(e.Device),
	}
	if e.Detail != "" {
		lines = append(lines, "detail   "+sanitize(e.Detail))
	}
	return newInfoBox(c, fmt.Sprintf("Audit entry %d", e.ID), lines)
}

func (p *auditPage) ShortHelp() []key.Binding {
	switch {
	case p.modal != nil:
		return p.modal.ShortHelp()
	case p.filtering:
		return []key.Binding{p.keys.apply, p.keys.cancel}
	}
	bs := []key.Binding{p.keys.filter}
	if p.queryText != "" {
		bs = append(bs, p.keys.clear)
	}
	if len(p.rows) > 0 {
		bs = append(bs, p.keys.open)
	}
	if p.c.opts.ExportDir != "" {
		bs = append(bs, p.keys.export)
	}
	return bs
}

func (p *auditPage) FullHelp() [][]key.Binding {
	switch {
	case p.modal != nil:
		return p.modal.FullHelp()
	case p.filtering:
		return [][]key.Binding{{p.keys.apply, p.keys.cancel}}
	}
	keys := []key.Binding{p.keys.filter, p.keys.clear, p.keys.open}
	if p.c.opts.ExportDir != "" {
		keys = append(keys, p.keys.export, p.keys.exportAccess)
	}
	return [][]key.Binding{p.c.nav.bindings(), keys}
}

func (p *auditPage) view(w, h int) string {
	if p.modal != nil {
		return p.modal.view(w, h)
	}
	st := p.c.styles
	pos := p.table.position()
	if p.next != "" {
		pos += "+"
	}
	lines := []string{st.title.Render("Audit log") + st.dim.Render("  "+pos+" · newest first")}
	switch {
	case p.filtering:
		p.filter.SetWidth(max(w-4, 8))
		lines = append(lines, p.filter.View())
		if p.filterErr != "" {
			lines = append(lines, st.errText.Render("  "+sanitize(p.filterErr)))
		}
	case p.queryText != "":
		lines = append(lines, st.dim.Render("filter: ")+sanitize(p.queryText)+st.dim.Render("  (esc clears)"))
	}
	if l := p.exportLine(); l != "" {
		lines = append(lines, l)
	}
	line, pending := p.reload.placeholder(p.c, "the audit log")
	switch {
	case pending:
		lines = append(lines, line)
	case len(p.rows) == 0 && p.queryText != "":
		lines = append(lines, stateLine(p.c, "No entries match this filter — esc clears it"))
	case len(p.rows) == 0:
		lines = append(lines, stateLine(p.c, "The audit log is empty"))
	default:
		p.table.setSize(w, h-len(lines))
		lines = append(lines, p.table.view())
	}
	return strings.Join(lines, "\n")
}
