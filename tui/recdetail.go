package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"conclave/core"
)

// recDetailAccessLog is how many of a recording's newest access-log entries the detail
// shows.
const recDetailAccessLog = 20

// recDetailMsg carries a recording and what the user may see of it.
type recDetailMsg struct {
	id     string
	seq    int
	rec    *core.Recording
	rights recRights
	tl     *core.RecordingTimeline
	tlErr  error
	links  []core.ShareLink
	// linksMore says the recording has more links than those listed.
	linksMore bool
	linksErr  error
	log       []core.AccessLogEntry
	logShown  bool // false: core keeps the access log from this user
	logErr    error
	err       error
}

type recDetailKeys struct {
	back, up, down, share, revoke, del, restore, purge key.Binding
}

// recDetail is one recording drilled into from the Recordings tab: what it is, the
// participant timeline, its streams, share links and access log.
type recDetail struct {
	c *common
	modalHost
	id      string
	trashed bool

	rec       *core.Recording
	rights    recRights
	tl        *core.RecordingTimeline
	tlErr     error
	links     []core.ShareLink
	linksMore bool
	linksErr  error
	log       []core.AccessLogEntry
	logShown  bool
	logErr    error

	reload loader
	top    int // first line shown: the detail scrolls with j/k
	gone   bool
	keys   recDetailKeys
}

func newRecDetail(c *common, r core.Recording, trashed bool) *recDetail {
	d := &recDetail{c: c, id: r.RecordingID, trashed: trashed}
	if trashed {
		// A recording in the trash is not served: what the list read is all there is.
		rec := r
		d.rec = &rec
		d.reload.loaded = true
	}
	d.keys = recDetailKeys{
		back:    bind("back to recordings", "esc"),
		up:      key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "scroll up")),
		down:    key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "scroll down")),
		share:   bind("new share link", "n"),
		revoke:  bind("revoke a share link", "x"),
		del:     bind("move to trash", "d"),
		restore: bind("restore", "u"),
		purge:   bind("purge now", "P"),
	}
	return d
}

func (d *recDetail) helpNote() []string {
	return []string{
		"Timeline: one row per participant across the recording",
		"  " + string(markPresent) + " present   " + string(markSpeaking) + " speaking",
	}
}

func (d *recDetail) load() tea.Cmd {
	if d.trashed {
		return nil
	}
	return d.reload.request(d.loadCmd)
}

func (d *recDetail) loadCmd(seq int) tea.Cmd {
	id := d.id
	return d.c.call(func(ctx context.Context, backend Backend, p *core.Principal) tea.Msg {
		msg := recDetailMsg{id: id, seq: seq}
		rec, err := backend.GetRecording(ctx, p, id)
		if err != nil {
			msg.err = err
			return msg
		}
		msg.rec = rec
		if msg.rights, err = askRights(ctx, backend, p, id); err != nil {
			msg.err = err
			return msg
		}
		if msg.rights.play && !liveRecordingStatus(rec.Status) {
			msg.tl, msg.tlErr = backend.RecordingTimeline(ctx, p, id)
		}
		if msg.rights.share {
			page, err := backend.ListShareLinks(ctx, p, id, core.ListOptions{MaxItems: core.MaxMaxItems, SortField: "createdAt", Desc: true})
			msg.links, msg.linksMore, msg.linksErr = page.Items, page.Next != "", err
		}
		page, err := backend.RecordingAccessLog(ctx, p, id, core.AccessLogQuery{ListOptions: core.ListOptions{MaxItems: recDetailAccessLog}})
		switch {
		case err == nil:
			msg.log, msg.logShown = page.Items, true
		case errForbidden(err):
		default:
			msg.logShown, msg.logErr = true, err
		}
		return msg
	})
}

func (d *recDetail) event(e core.Event) tea.Cmd {
	switch e.Type {
	case core.EventRecordingChanged:
		if e.RecordingID != d.id {
			return nil
		}
		if d.trashed {
			// Restored or purged: it is no longer what this screen shows.
			d.gone = true
			return nil
		}
		return d.load()
	case core.EventRoomChanged, core.EventMemberChanged, core.EventMemberDeleted, core.EventResync:
		return d.load()
	}
	return nil
}

func (d *recDetail) capturing() bool { return d.modal != nil }

func (d *recDetail) update(msg tea.Msg) tea.Cmd {
	if m, ok := msg.(recDetailMsg); ok {
		if m.id != d.id {
			return nil
		}
		if k := core.KindOf(m.err); (k == core.KindNotFound || k == core.KindForbidden) && d.reload.current(m.seq) {
			d.gone = true
			if k == core.KindForbidden {
				return flash(levelWarn, "You may no longer see that recording")
			}
			return nil // deleted (here or elsewhere): the list shows it gone
		}
		return d.reload.apply(m.seq, m.err, d.loadCmd, func() {
			d.rec, d.rights, d.tl, d.tlErr = m.rec, m.rights, m.tl, m.tlErr
			d.links, d.linksMore, d.linksErr = m.links, m.linksMore, m.linksErr
			d.log, d.logShown, d.logErr = m.log, m.logShown, m.logErr
		})
	}
	if ok, cmd := d.updateModal(msg); ok || !isKey(msg) {
		return cmd
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	switch {
	case keyIs(k, d.keys.back):
		d.gone = true
		return nil
	case keyIs(k, d.keys.up):
		d.top = max(d.top-1, 0)
		return nil
	case keyIs(k, d.keys.down):
		d.top++
		return nil
	case keyIs(k, d.c.nav.Top):
		d.top = 0
		return nil
	}
	if d.rec == nil {
		return nil
	}
	rec := *d.rec
	switch {
	case keyIs(k, d.keys.share) && d.canShare():
		f := newShareLinkForm(d.c, d.id, d.rights.download, d.open)
		d.open(f)
		return f.setFocus(f.focus)
	case keyIs(k, d.keys.revoke) && d.canShare() && len(d.activeLinks()) > 0:
		d.open(d.revokeChooser())
	case keyIs(k, d.keys.del) && d.canDelete():
		d.open(deleteRecordingConfirm(d.c, &rec))
	case keyIs(k, d.keys.restore) && d.trashed:
		d.open(restoreRecordingConfirm(d.c, &rec))
	case keyIs(k, d.keys.purge) && d.c.isAdmin() && !liveRecordingStatus(rec.Status):
		d.open(purgeRecordingConfirm(d.c, &rec))
	case keyIs(k, d.keys.share), keyIs(k, d.keys.revoke):
		switch {
		case d.trashed:
			return flash(levelWarn, "A recording in the trash cannot be shared")
		case !d.rights.share:
			return flash(levelWarn, "You need recordingShare in this room to share its recordings")
		case keyIs(k, d.keys.revoke):
			return flash(levelWarn, "No share link of this recording is in force")
		}
	case keyIs(k, d.keys.del), keyIs(k, d.keys.restore), keyIs(k, d.keys.purge):
		it := recItem{rec: rec, rights: d.rights}
		return flash(levelWarn, "%s", refusalText(k.String(), &it, d.trashed))
	}
	return nil
}

func (d *recDetail) canShare() bool { return !d.trashed && d.rights.share }
func (d *recDetail) canDelete() bool {
	return !d.trashed && d.rights.del && !liveRecordingStatus(d.rec.Status)
}

// activeLinks are the links still in force, the ones worth revoking.
func (d *recDetail) activeLinks() []core.ShareLink {
	now := d.c.now().UnixMilli()
	var out []core.ShareLink
	for _, l := range d.links {
		if l.State(now) == "active" || l.State(now) == "usedUp" {
			out = append(out, l)
		}
	}
	return out
}

// revokeChooser asks which link to revoke, then asks (y/N).
func (d *recDetail) revokeChooser() dialog {
	var items []choice
	for _, l := range d.activeLinks() {
		items = append(items, choice{label: sanitize(l.LinkID), value: l.LinkID, hint: linkSummary(l)})
	}
	id := d.id
	return newChooser(d.c, "Revoke which share link?", items, func(linkID string) tea.Cmd {
		d.open(newConfirm(d.c, "Revoke share link", "Revoke share link "+sanitize(linkID)+"?\nWhoever holds it loses access at once; this cannot be undone.", nil,
			func([]string) tea.Cmd {
				return d.c.call(func(ctx context.Context, backend Backend, p *core.Principal) tea.Msg {
					return doneMsg{ok: "Share link revoked", err: backend.RevokeShareLink(ctx, p, id, linkID)}
				})
			}))
		return nil
	})
}

// linkSummary is a link's kind and limits in a few words.
func linkSummary(l core.ShareLink) string {
	parts := []string{l.Access}
	if l.AllowDownload {
		parts = append(parts, "view+download")
	} else {
		parts = append(parts, "view only")
	}
	if l.PasswordHash != "" {
		parts = append(parts, "password")
	}
	return strings.Join(parts, ", ")
}

func (d *recDetail) ShortHelp() []key.Binding {
	if d.modal != nil {
		return d.modal.ShortHelp()
	}
	return append([]key.Binding{d.keys.back}, d.actions()...)
}

func (d *recDetail) actions() []key.Binding {
	if d.rec == nil {
		return nil
	}
	var bs []key.Binding
	if d.canShare() {
		bs = append(bs, d.keys.share)
		if len(d.activeLinks()) > 0 {
			bs = append(bs, d.keys.revoke)
		}
	}
	if d.canDelete() {
		bs = append(bs, d.keys.del)
	}
	if d.trashed {
		bs = append(bs, d.keys.restore)
	}
	if d.c.isAdmin() && !liveRecordingStatus(d.rec.Status) {
		bs = append(bs, d.keys.purge)
	}
	return bs
}

func (d *recDetail) FullHelp() [][]key.Binding {
	if d.modal != nil {
		return d.modal.FullHelp()
	}
	groups := [][]key.Binding{{d.keys.back, d.keys.up, d.keys.down}}
	if a := d.actions(); len(a) > 0 {
		groups = append(groups, a)
	}
	return groups
}

func (d *recDetail) view(w, h int) string {
	if d.modal != nil {
		return d.modal.view(w, h)
	}
	st := d.c.styles
	head := st.title.Render("Recording "+sanitize(d.id)) + st.dim.Render("  (esc back)")
	switch {
	case d.rec == nil && d.reload.err != nil:
		return head + "\n" + st.errText.Render("  "+errorText(d.reload.err))
	case d.rec == nil:
		return head + "\n" + stateLine(d.c, "Loading recording…")
	}
	body := d.bodyLines(w)
	room := max(h-1, 1)
	d.top = min(d.top, max(len(body)-room, 0))
	shown := body[d.top:min(d.top+room, len(body))]
	if d.top+room < len(body) && len(shown) > 0 {
		shown[len(shown)-1] = st.dim.Render("  ↓ more (j scrolls)")
	}
	return head + "\n" + strings.Join(shown, "\n")
}

func (d *recDetail) bodyLines(w int) []string {
	st, r, c := d.c.styles, d.rec, d.c
	lbl := func(s string) string { return st.label.Render(s) }
	cut := func(s string) string { return ansi.Truncate(s, w, "…") }
	room := sanitize(r.RoomName)
	if room == "" {
		room = sanitize(r.RoomID)
	}
	dur, size := "—", "—"
	if !liveRecordingStatus(r.Status) {
		dur = clockText(time.Duration(r.Duration * float64(time.Second)))
		size = humanBytes(r.Size)
	}
	lines := []string{
		cut(lbl("room ") + room + lbl(" · status ") + sanitize(r.Status) + lbl(" · layout ") + sanitize(r.Layout) + lbl(" · started by ") + sanitize(r.StartedBy)),
		cut(lbl("started ") + c.formatTime(r.StartDate) + lbl(" · ended ") + c.formatTime(r.EndDate) + lbl(" · duration ") + dur + lbl(" · size ") + size),
	}
	if d.trashed {
		lines = append(lines, cut(lbl("in the trash since ")+c.formatTime(r.TrashedAt)+lbl(" by ")+sanitize(r.TrashedBy)+lbl(" · purged ")+c.formatTime(r.PurgeAt)))
	}
	for _, s := range []string{r.Error, r.Details} {
		if s = strings.TrimSpace(s); s != "" {
			lines = append(lines, cut(st.dim.Render("  ↳ ")+sanitize(s)))
		}
	}
	lines = append(lines, "")
	lines = append(lines, d.timelineLines(w)...)
	lines = append(lines, "")
	lines = append(lines, d.streamLines(w)...)
	if !d.trashed {
		lines = append(lines, "")
		lines = append(lines, d.linkLines(w)...)
		lines = append(lines, "")
		lines = append(lines, d.logLines(w)...)
	}
	return lines
}

func (d *recDetail) timelineLines(w int) []string {
	st, r := d.c.styles, d.rec
	out := []string{st.header.Render("Participants")}
	switch {
	case d.trashed:
		return append(out, stateLine(d.c, "A recording in the trash shows no timeline; restore it first"))
	case liveRecordingStatus(r.Status):
		return append(out, stateLine(d.c, "The timeline is drawn once the recording has ended"))
	case !d.rights.play:
		return append(out, stateLine(d.c, "The timeline is shown to those with recordingPlay in this room"))
	case d.tlErr != nil:
		return append(out, st.errText.Render("  Could not read the timeline: "+errorText(d.tlErr)))
	case d.tl == nil || len(d.tl.Participants) == 0:
		return append(out, stateLine(d.c, "Nobody is recorded as present"))
	}
	out[0] = st.header.Render(fmt.Sprintf("Participants (%d)", len(d.tl.Participants))) +
		st.dim.Render("   "+string(markPresent)+" present  "+string(markSpeaking)+" speaking")
	out = append(out, drawTimeline(d.tl, w)...)
	if !d.tl.SpeakingKnown {
		out = append(out, stateLine(d.c, "Who spoke when was not recorded for this recording"))
	}
	return out
}

func (d *recDetail) streamLines(w int) []string {
	st, r := d.c.styles, d.rec
	out := []string{st.header.Render(fmt.Sprintf("Streams (%d)", len(r.Streams)))}
	if len(r.Streams) == 0 {
		return append(out, stateLine(d.c, "No streams"))
	}
	for i, s := range r.Streams {
		at := clockText(time.Duration(s.Offset * float64(time.Second)))
		dur := clockText(time.Duration(s.Duration * float64(time.Second)))
		line := fmt.Sprintf("  %-3d %-20s %-6s from %s for %s  %10s  %s", i, ansi.Truncate(sanitize(s.Name), 20, "…"),
			sanitize(s.Kind), at, dur, humanBytes(s.Size), sanitize(s.File))
		out = append(out, ansi.Truncate(line, w, "…"))
	}
	return out
}

func (d *recDetail) linkLines(w int) []string {
	st := d.c.styles
	out := []string{st.header.Render("Share links")}
	switch {
	case !d.rights.share:
		return append(out, stateLine(d.c, "Share links are shown to those with recordingShare in this room"))
	case d.linksErr != nil:
		return append(out, st.errText.Render("  Could not list the share links: "+errorText(d.linksErr)))
	case len(d.links) == 0:
		hint := "No share links yet"
		if d.canShare() {
			hint += " — press n to make one"
		}
		return append(out, stateLine(d.c, hint))
	}
	title := fmt.Sprintf("Share links (%d)", len(d.links))
	if d.linksMore {
		title = fmt.Sprintf("Share links (newest %d)", len(d.links))
	}
	out[0] = st.header.Render(title)
	now := d.c.now().UnixMilli()
	out = append(out, st.header.Render(ansi.Truncate(fmt.Sprintf("  %-20s %-7s %-7s %-9s %-3s %-8s %-16s %s", "LINK", "ACCESS", "STATE", "USES", "PW", "DOWNLOAD", "LAST USE", "EXPIRES"), w, "")))
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	for _, l := range d.links {
		uses := strconv.FormatInt(l.Uses, 10)
		if l.MaxUses > 0 {
			uses += "/" + strconv.FormatInt(l.MaxUses, 10)
		}
		expires := "never"
		if l.ExpiresAt != 0 {
			expires = d.c.formatTime(l.ExpiresAt)
		}
		line := fmt.Sprintf("  %-20s %-7s %-7s %-9s %-3s %-8s %-16s %s", sanitize(l.LinkID), sanitize(l.Access), l.State(now), uses,
			yes(l.PasswordHash != ""), yes(l.AllowDownload), d.c.formatTime(l.LastUsed), expires)
		out = append(out, ansi.Truncate(line, w, "…"))
	}
	return out
}

func (d *recDetail) logLines(w int) []string {
	st := d.c.styles
	out := []string{st.header.Render("Access log")}
	switch {
	case !d.logShown:
		return append(out, stateLine(d.c, "The access log is shown to the room's owner and admins"))
	case d.logErr != nil:
		return append(out, st.errText.Render("  Could not read the access log: "+errorText(d.logErr)))
	case len(d.log) == 0:
		return append(out, stateLine(d.c, "Nothing yet"))
	}
	out[0] = st.header.Render(fmt.Sprintf("Access log (newest %d)", len(d.log)))
	out = append(out, st.header.Render(ansi.Truncate(fmt.Sprintf("  %-19s %-24s %-20s %-7s %-15s %s", "TIME", "WHO", "ACTION", "OUTCOME", "SOURCE", "DEVICE"), w, "")))
	for _, e := range d.log {
		line := fmt.Sprintf("  %-19s %-24s %-20s %-7s %-15s %s", time.UnixMilli(e.Time).In(d.c.loc).Format("2006-01-02 15:04:05"),
			ansi.Truncate(sanitize(e.Actor), 24, "…"), sanitize(e.Action), sanitize(e.Outcome), ansi.Truncate(sanitize(e.Source), 15, "…"), sanitize(e.Device))
		out = append(out, ansi.Truncate(line, w, "…"))
	}
	return out
}
