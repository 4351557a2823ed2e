package tui

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// liveMeetingRow is one live meeting as the Live tab shows it, cells already built.
type liveMeetingRow struct {
	roomID   string
	roomName string
	perms    core.Permissions
	rec      liveRecording
	cells    []string
	parts    []liveParticipantRow
}

// liveRecording is the recording being made of a live meeting, as the Live tab shows it.
type liveRecording struct {
	// id is the recording's, "" when the meeting is not being recorded.
	id string
	// status and start (epoch ms) are "" and 0 when the user may not read the recording
	// (no recordingList): the meeting is shown as recorded, without a clock.
	status string
	start  int64
}

// on reports that the meeting is being recorded.
func (r liveRecording) on() bool { return r.id != "" }

// clock reports that the recording shows a clock, which moves every second.
func (r liveRecording) clock() bool { return r.status == core.RecActive && r.start != 0 }

// text is the recording cell: "● REC 02:13" while recording, its phase while it starts
// or stops, nothing when the meeting is not recorded.
func (r liveRecording) text(now time.Time) string {
	switch {
	case !r.on():
		return ""
	case r.status == core.RecStarting:
		return "● REC starting…"
	case r.status == core.RecEnding:
		return "● REC stopping…"
	case !r.clock():
		return "● REC"
	}
	return "● REC " + clockText(now.Sub(time.UnixMilli(r.start)))
}

// liveParticipantRow is one participant of a live meeting.
type liveParticipantRow struct {
	identity string
	name     string
	promoted bool
	cells    []string
}

// liveLoadedMsg carries the live meetings the user may see.
type liveLoadedMsg struct {
	seq  int
	rows []liveMeetingRow
	err  error
}

// liveStatsTickMsg ends the wait of a throttled reload after track statistics.
type liveStatsTickMsg struct{}

// liveClockMsg moves the clocks of the recordings shown on to the next second.
type liveClockMsg struct{}

const (
	liveMeetingCols     = 5
	liveColRecording    = 4
	liveParticipantCols = 6
	// liveStatsEvery is how often track statistics may reload the page at most.
	liveStatsEvery = time.Second
)

type liveKeys struct {
	parts, back, kick, mute, promote, end key.Binding
	// startRec and stopRec are the same key, named for what it does to the meeting.
	startRec, stopRec key.Binding
}

// livePage is the Live tab: meetings in progress and the participants of the selected one.
type livePage struct {
	c *common
	modalHost

	rows   []liveMeetingRow
	reload loader

	meetings  table
	people    table
	mNatural  []int
	pNatural  []int
	focusPart bool

	statsWaiting bool
	lastLoad     time.Time
	// clockTicking is set while a liveClockMsg is on its way.
	clockTicking bool

	keys liveKeys
}

func newLivePage(c *common) *livePage {
	p := &livePage{c: c}
	p.meetings = newTable(c, []column{
		{title: "ROOM", max: 40, min: 10, flex: true},
		{title: "ID", max: 40, min: 12, flex: true},
		{title: "STARTED", max: 16},
		{title: "PEOPLE"},
		{title: "RECORDING", max: 16},
	}, func(row, col int) string {
		if col == liveColRecording {
			return p.rows[row].rec.text(p.c.now())
		}
		return p.rows[row].cells[col]
	})
	p.people = newTable(c, []column{
		{title: "NAME", max: 30, min: 8, flex: true},
		{title: "IDENTITY", max: 40, min: 10, flex: true},
		{title: "ROLE", max: 22},
		{title: "TRACKS", max: 24, flex: true, min: 6},
		{title: "BITRATE", max: 12},
		{title: "LOSS", max: 8},
	}, func(row, col int) string { return p.current().parts[row].cells[col] })
	p.keys = liveKeys{
		parts:    bind("participants", "enter"),
		back:     bind("meetings", "esc"),
		kick:     bind("kick", "K"),
		mute:     bind("mute", "m"),
		promote:  bind("promote/demote", "p"),
		end:      bind("end meeting", "E"),
		startRec: bind("start recording", "R"),
		stopRec:  bind("stop recording", "R"),
	}
	return p
}

// current is the selected meeting, nil when none is live.
func (p *livePage) current() *liveMeetingRow {
	if len(p.rows) == 0 {
		return nil
	}
	return &p.rows[min(p.meetings.cursor, len(p.rows)-1)]
}

// participant is the selected participant, nil when there is none.
func (p *livePage) participant() *liveParticipantRow {
	m := p.current()
	if m == nil || len(m.parts) == 0 {
		return nil
	}
	return &m.parts[min(p.people.cursor, len(m.parts)-1)]
}

func (p *livePage) load() tea.Cmd {
	p.lastLoad = p.c.now()
	return p.reload.restart(p.loadCmd)
}

func (p *livePage) refresh() tea.Cmd {
	p.lastLoad = p.c.now()
	return p.reload.request(p.loadCmd)
}

func (p *livePage) loadCmd(seq int) tea.Cmd {
	loc := p.c.loc
	return p.c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
		live, err := backend.LiveMeetings(ctx, pr)
		if err != nil {
			return liveLoadedMsg{seq: seq, err: err}
		}
		rows := make([]liveMeetingRow, 0, len(live))
		for _, lm := range live {
			var perms core.Permissions
			if _, g, err := backend.GetRoom(ctx, pr, lm.Room.RoomID); err == nil {
				perms = g.Permissions
			}
			row := makeLiveRow(lm, perms, loc)
			row.rec = liveRecordingOf(ctx, backend, pr, lm.Room.RoomID)
			rows = append(rows, row)
		}
		return liveLoadedMsg{seq: seq, rows: rows}
	})
}

// liveRecordingOf reads the recording being made of a room. One that ended meanwhile is
// none; one the user may not read is shown without its clock.
func liveRecordingOf(ctx context.Context, backend Backend, pr *core.Principal, roomID string) liveRecording {
	id := backend.RoomRecordingID(roomID)
	if id == "" {
		return liveRecording{}
	}
	rec, err := backend.GetRecording(ctx, pr, id)
	switch {
	case err != nil:
		return liveRecording{id: id}
	case !liveRecordingStatus(rec.Status):
		return liveRecording{}
	}
	return liveRecording{id: id, status: rec.Status, start: rec.StartDate}
}

func makeLiveRow(lm core.LiveMeeting, perms core.Permissions, loc *time.Location) liveMeetingRow {
	r := liveMeetingRow{
		roomID:   lm.Room.RoomID,
		roomName: lm.Room.RoomName,
		perms:    perms,
		cells: []string{
			sanitize(lm.Room.RoomName), sanitize(lm.Room.RoomID), timeIn(lm.Started, loc),
			strconv.Itoa(len(lm.Participants)), "",
		},
	}
	for i := range lm.Participants {
		pt := &lm.Participants[i]
		role := pt.MeetingRole
		promoted := pt.MeetingRole != pt.Role
		if promoted {
			role += " (promoted)"
		}
		var sources []string
		var bitrate, loss float64
		for _, t := range pt.Tracks() {
			label := sourceLabel(t.Source, t.Kind)
			if t.Muted {
				label += " (muted)"
			}
			sources = append(sources, label)
			bitrate += t.Bitrate
			loss = max(loss, t.LossPercent())
		}
		tracks, rate, lost := "—", "—", "—"
		if len(sources) > 0 {
			tracks = strings.Join(sources, " ")
			rate = humanBitrate(bitrate)
			lost = fmt.Sprintf("%.1f%%", loss)
		}
		r.parts = append(r.parts, liveParticipantRow{
			identity: pt.Identity, name: pt.Name, promoted: promoted,
			cells: []string{sanitize(pt.Name), sanitize(pt.Identity), sanitize(role), sanitize(tracks), rate, lost},
		})
	}
	return r
}

// sourceLabel is a track's source as the tab shows it: mic, cam, screen.
func sourceLabel(source, kind string) string {
	switch source {
	case "microphone":
		return "mic"
	case "camera":
		return "cam"
	case "screen":
		return "screen"
	case "screen_audio":
		return "screen-audio"
	case "":
		return kind
	}
	return source
}

// humanBitrate writes bits per second in readable units.
func humanBitrate(bps float64) string {
	switch {
	case bps >= 1e6:
		return fmt.Sprintf("%.1f Mb/s", bps/1e6)
	case bps >= 1e3:
		return fmt.Sprintf("%.0f kb/s", bps/1e3)
	}
	return fmt.Sprintf("%.0f b/s", bps)
}

// setRows replaces the data, keeping the selected meeting and participant.
func (p *livePage) setRows(rows []liveMeetingRow) {
	keepRoom, keepPart := "", ""
	if m := p.current(); m != nil {
		keepRoom = m.roomID
	}
	if pt := p.participant(); pt != nil {
		keepPart = pt.identity
	}
	p.rows = rows
	p.mNatural = make([]int, liveMeetingCols)
	now := p.c.now()
	for i := range rows {
		widen(p.mNatural, rows[i].cells)
		if r := rows[i].rec; r.on() {
			// Room for the clock to pass an hour without losing its last digits.
			p.mNatural[liveColRecording] = max(p.mNatural[liveColRecording], cellWidth(r.text(now)), cellWidth("● REC 0:00:00"))
		}
	}
	p.meetings.setRows(len(rows), p.mNatural)
	for i := range rows {
		if rows[i].roomID == keepRoom {
			p.meetings.setCursor(i)
		}
	}
	p.resetPeople(keepPart)
}

// resetPeople fills the participants table with the selected meeting's participants.
func (p *livePage) resetPeople(keep string) {
	m := p.current()
	p.pNatural = make([]int, liveParticipantCols)
	n := 0
	if m != nil {
		n = len(m.parts)
		for i := range m.parts {
			widen(p.pNatural, m.parts[i].cells)
		}
	}
	p.people.setRows(n, p.pNatural)
	if m == nil {
		p.focusPart = false
		return
	}
	for i := range m.parts {
		if m.parts[i].identity == keep {
			p.people.setCursor(i)
			return
		}
	}
	p.people.clamp()
}

func widen(natural []int, cells []string) {
	for c, s := range cells {
		if w := cellWidth(s); w > natural[c] {
			natural[c] = w
		}
	}
}

func (p *livePage) event(e core.Event) tea.Cmd {
	switch e.Type {
	case core.EventMeetingStarted, core.EventMeetingEnded, core.EventParticipantJoined,
		core.EventParticipantLeft, core.EventParticipantUpdated, core.EventResync,
		core.EventRoomChanged, core.EventRoomDeleted, core.EventMemberChanged, core.EventMemberDeleted,
		core.EventRecordingChanged:
		p.lastLoad = p.c.now()
		return p.reload.request(p.loadCmd)
	case core.EventTrackStats:
		return p.statsReload()
	}
	return nil
}

// statsReload reloads after track statistics at most once per liveStatsEvery: a burst of
// figures waits for one tick and costs one load.
func (p *livePage) statsReload() tea.Cmd {
	if p.statsWaiting {
		return nil
	}
	now := p.c.now()
	wait := liveStatsEvery - now.Sub(p.lastLoad)
	if wait <= 0 {
		p.lastLoad = now
		return p.reload.request(p.loadCmd)
	}
	p.statsWaiting = true
	return p.c.tick(wait, func(time.Time) tea.Msg { return liveStatsTickMsg{} })
}

// shown restarts the recordings' clocks when the tab comes back on screen.
func (p *livePage) shown() tea.Cmd { return p.tickClock() }

// tickClock schedules the next second of the recordings' clocks, while the tab is on
// screen and a meeting in it shows one; off screen nothing ticks.
func (p *livePage) tickClock() tea.Cmd {
	if p.clockTicking || p.c.shown != tabLive {
		return nil
	}
	i := slices.IndexFunc(p.rows, func(r liveMeetingRow) bool { return r.rec.clock() })
	if i < 0 {
		return nil
	}
	// The tick falls when the first clock turns to its next second.
	wait := time.Second - p.c.now().Sub(time.UnixMilli(p.rows[i].rec.start))%time.Second
	p.clockTicking = true
	return p.c.tick(wait, func(time.Time) tea.Msg { return liveClockMsg{} })
}

func (p *livePage) capturing() bool { return p.modal != nil }

func (p *livePage) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case liveLoadedMsg:
		cmd := p.reload.apply(msg.seq, msg.err, p.loadCmd, func() { p.setRows(msg.rows) })
		return tea.Batch(cmd, p.tickClock())
	case liveClockMsg:
		// Nothing to do but draw again: the cells read the clock when drawn.
		p.clockTicking = false
		return p.tickClock()
	case liveStatsTickMsg:
		p.statsWaiting = false
		p.lastLoad = p.c.now()
		return p.reload.request(p.loadCmd)
	}
	if ok, cmd := p.updateModal(msg); ok {
		return cmd
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	return p.updateKey(k)
}

func (p *livePage) updateKey(k tea.KeyPressMsg) tea.Cmd {
	if p.focusPart {
		if p.people.update(k) {
			return nil
		}
	} else if p.meetings.update(k) {
		p.resetPeople("")
		return nil
	}
	m := p.current()
	switch {
	case keyIs(k, p.keys.parts):
		if m != nil {
			p.focusPart = true
		}
	case keyIs(k, p.keys.back):
		p.focusPart = false
	case keyIs(k, p.keys.end):
		if m == nil {
			return nil
		}
		if !m.perms.MeetingEnd {
			return refuseLive("end the meeting", "meetingEnd")
		}
		roomID, name := m.roomID, m.roomName
		p.open(newConfirm(p.c, "End the meeting", fmt.Sprintf("End the meeting in %q for everyone?", sanitize(name)), nil,
			func([]string) tea.Cmd {
				return p.c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
					if err := backend.EndMeeting(ctx, pr, roomID); err != nil {
						return doneMsg{err: err}
					}
					return doneMsg{ok: fmt.Sprintf("Ended the meeting in %q", sanitize(name))}
				})
			}))
	case keyIs(k, p.keys.startRec):
		if m == nil {
			return nil
		}
		return p.recordingAction(m)
	case keyIs(k, p.keys.kick), keyIs(k, p.keys.mute), keyIs(k, p.keys.promote):
		pt := p.participant()
		if m == nil || pt == nil {
			return nil
		}
		return p.participantAction(k, m, pt)
	}
	return nil
}

func (p *livePage) participantAction(k tea.KeyPressMsg, m *liveMeetingRow, pt *liveParticipantRow) tea.Cmd {
	roomID, identity, name := m.roomID, pt.identity, sanitize(pt.name)
	run := func(ok string, fn func(ctx context.Context, backend Backend, pr *core.Principal) error) tea.Cmd {
		return p.c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
			if err := fn(ctx, backend, pr); err != nil {
				return doneMsg{err: err}
			}
			return doneMsg{ok: ok}
		})
	}
	switch {
	case keyIs(k, p.keys.kick):
		if !m.perms.ParticipantKick {
			return refuseLive("kick participants", "participantKick")
		}
		p.open(newConfirm(p.c, "Kick "+name, fmt.Sprintf("Remove %q from the meeting?", name), nil, func([]string) tea.Cmd {
			return run(fmt.Sprintf("Removed %q from the meeting", name), func(ctx context.Context, backend Backend, pr *core.Principal) error {
				return backend.KickParticipant(ctx, pr, roomID, identity)
			})
		}))
	case keyIs(k, p.keys.mute):
		if !m.perms.ParticipantMute {
			return refuseLive("mute participants", "participantMute")
		}
		p.open(newChooser(p.c, "Mute "+name, []choice{
			{label: "Audio", value: core.MediaAudio},
			{label: "Video", value: core.MediaVideo},
			{label: "Screen share", value: core.MediaScreen},
		}, func(kind string) tea.Cmd {
			return run(fmt.Sprintf("Muted %s of %q", kind, name), func(ctx context.Context, backend Backend, pr *core.Principal) error {
				return backend.MuteParticipant(ctx, pr, roomID, identity, kind)
			})
		}))
	case keyIs(k, p.keys.promote):
		if !m.perms.ParticipantPromote {
			return refuseLive("promote participants", "participantPromote")
		}
		action, ok := core.RoleUpgrade, fmt.Sprintf("Promoted %q to moderator", name)
		if pt.promoted {
			action, ok = core.RoleDowngrade, fmt.Sprintf("Demoted %q to its own role", name)
		}
		return run(ok, func(ctx context.Context, backend Backend, pr *core.Principal) error {
			_, err := backend.ChangeParticipantRole(ctx, pr, roomID, identity, action)
			return err
		})
	}
	return nil
}

// recordingAction is R: start recording the meeting, or stop it after a confirmation.
func (p *livePage) recordingAction(m *liveMeetingRow) tea.Cmd {
	if !m.perms.RecordingControl {
		return refuseLive("control recordings", "recordingControl")
	}
	roomID, name, rec := m.roomID, sanitize(m.roomName), m.rec
	if !rec.on() {
		return p.c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
			r, err := backend.StartRecording(ctx, pr, roomID, "")
			switch {
			case err != nil:
				return doneMsg{err: err}
			case r.Status == core.RecFailed:
				// The recorder could not start: core keeps the recording as failed.
				return flashMsg{level: levelError, text: fmt.Sprintf("The recording of %q failed: %s", name, r.Error)}
			}
			return doneMsg{ok: fmt.Sprintf("Recording the meeting in %q", name)}
		})
	}
	if rec.status == core.RecEnding {
		return flash(levelInfo, "The recording of %q is stopping already", name)
	}
	p.open(newConfirm(p.c, "Stop recording", fmt.Sprintf("Stop recording the meeting in %q?\nWhat was recorded is kept.", name), nil,
		func([]string) tea.Cmd {
			return p.c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
				if _, err := backend.StopRecording(ctx, pr, rec.id); err != nil {
					return doneMsg{err: err}
				}
				return doneMsg{ok: fmt.Sprintf("Stopped recording the meeting in %q", name)}
			})
		}))
	return nil
}

func refuseLive(what, perm string) tea.Cmd {
	return flash(levelWarn, "You may not %s in this room (needs %s)", what, perm)
}

// allowed lists the moderation keys the caller may use on the selected meeting.
func (p *livePage) allowed() []key.Binding {
	m := p.current()
	if m == nil {
		return nil
	}
	var bs []key.Binding
	if p.participant() != nil {
		if m.perms.ParticipantKick {
			bs = append(bs, p.keys.kick)
		}
		if m.perms.ParticipantMute {
			bs = append(bs, p.keys.mute)
		}
		if m.perms.ParticipantPromote {
			bs = append(bs, p.keys.promote)
		}
	}
	if m.perms.RecordingControl {
		if m.rec.on() {
			bs = append(bs, p.keys.stopRec)
		} else {
			bs = append(bs, p.keys.startRec)
		}
	}
	if m.perms.MeetingEnd {
		bs = append(bs, p.keys.end)
	}
	return bs
}

func (p *livePage) ShortHelp() []key.Binding {
	if p.modal != nil {
		return p.modal.ShortHelp()
	}
	var bs []key.Binding
	if p.focusPart {
		bs = append(bs, p.keys.back)
	} else if p.current() != nil {
		bs = append(bs, p.keys.parts)
	}
	return append(bs, p.allowed()...)
}

func (p *livePage) FullHelp() [][]key.Binding {
	if p.modal != nil {
		return p.modal.FullHelp()
	}
	return [][]key.Binding{p.c.nav.bindings(), {p.keys.parts, p.keys.back}, p.allowed()}
}

func (p *livePage) view(w, h int) string {
	if p.modal != nil {
		return p.modal.view(w, h)
	}
	st := p.c.styles
	lines := []string{st.title.Render("Live meetings") + st.dim.Render("  "+p.meetings.position())}
	if line, ok := p.reload.placeholder(p.c, "live meetings"); ok {
		return strings.Join(append(lines, line), "\n")
	}
	if len(p.rows) == 0 {
		return strings.Join(append(lines, stateLine(p.c, "No meeting is live")), "\n")
	}
	p.meetings.blurred, p.people.blurred = p.focusPart, !p.focusPart
	mh := min(len(p.rows)+1, max((h-4)/3, 2))
	p.meetings.setSize(w, mh)
	p.meetings.clamp()
	lines = append(lines, p.meetings.view(), "")
	m := p.current()
	where := "meetings"
	if p.focusPart {
		where = "participants"
	}
	heading := st.title.Render("Participants — " + sanitize(m.roomName))
	if rec := m.rec.text(p.c.now()); rec != "" {
		heading += "  " + st.errText.Render(rec)
	}
	lines = append(lines, heading+st.dim.Render("  "+p.people.position()+" · keys move the "+where))
	if len(m.parts) == 0 {
		lines = append(lines, stateLine(p.c, "Nobody is in this meeting right now"))
	} else {
		p.people.setSize(w, max(h-mh-3, 2))
		p.people.clamp()
		lines = append(lines, p.people.view())
	}
	return strings.Join(lines, "\n")
}
