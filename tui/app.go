package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"conclave/core"
)

// The smallest terminal the control room draws in; below it a notice asks for more room
// and the layout comes back on resize.
const (
	minWidth  = 60
	minHeight = 15
)

// principalMsg is the answer of backend.UserPrincipal.
type principalMsg struct {
	p   *core.Principal
	err error
}

// app is the control room: tabs over pages, a status bar, the short help, and the
// overlays over them (overlay.go).
type app struct {
	c      *common
	feed   *eventFeed
	status statusBar

	tabs   []tabID
	active int
	pages  map[tabID]page

	// overlays cover the pages; the top one takes the keys and shows its help.
	overlays   overlayStack
	resolveErr error
	// panics counts bugs caught by Update; the session survives them (tests assert zero).
	panics int
}

func newApp(backend Backend, id Identity, opts Options) *app {
	c := newCommon(backend, id, opts)
	a := &app{c: c, status: statusBar{c: c}, pages: map[tabID]page{}}
	a.syncNotice()
	return a
}

// syncNotice puts up the notice while the terminal is too small or the user is not known
// yet, and takes it down when neither holds; size and principal are all it depends on.
func (a *app) syncNotice() {
	if a.tooSmall() || a.c.principal == nil {
		a.overlays.push(&notice{a: a})
		return
	}
	a.overlays.drop(layerNotice)
}

// leaving reports that the goodbye is shown: nothing but quitting is left to do.
func (a *app) leaving() bool { return a.overlays.has(layerGoodbye) }

// Init joins the event bus and resolves the principal.
func (a *app) Init() tea.Cmd {
	a.feed = subscribe(a.c.ctx, a.c.backend.Bus())
	return tea.Batch(a.resolve(), a.feed.wait(), tea.RequestBackgroundColor)
}

// resolve re-reads the signed-in user: its role and password state may have changed.
func (a *app) resolve() tea.Cmd {
	ctx, backend, id := a.c.ctx, a.c.backend, a.c.id
	return func() tea.Msg {
		p, err := backend.UserPrincipal(ctx, id.UserID, id.Meta)
		return principalMsg{p: p, err: err}
	}
}

func (a *app) quit() tea.Cmd {
	a.feed.close()
	return tea.Quit
}

// liveQuitMsg answers whether meetings are live when the local terminal asked to quit.
type liveQuitMsg struct{ live bool }

// askQuit is q. In the local terminal the server ends with the control room, so while a
// meeting is live it asks first; over SSH quitting ends only the session and q quits.
func (a *app) askQuit() tea.Cmd {
	if a.c.id.Meta.Via != "local" || a.c.principal == nil {
		return a.quit()
	}
	return a.c.call(func(ctx context.Context, backend Backend, p *core.Principal) tea.Msg {
		live, err := backend.LiveMeetings(ctx, p)
		return liveQuitMsg{live: err == nil && len(live) > 0}
	})
}

func (a *app) liveQuit(m liveQuitMsg) tea.Cmd {
	if !m.live {
		return a.quit()
	}
	// A command half typed or the help would only come back once the question is
	// answered, over a screen that changed meanwhile; they close instead.
	a.overlays.drop(layerPalette, layerHelp)
	a.overlays.push(&dialogOverlay{at: layerQuit, d: newConfirm(a.c, "Quit", "Meetings are live; quit and end them?", nil,
		func([]string) tea.Cmd { return a.quit() })})
	return nil
}

// page is the active page, nil before the principal is known.
func (a *app) page() page {
	if a.active < 0 || a.active >= len(a.tabs) {
		return nil
	}
	return a.pages[a.tabs[a.active]]
}

// setPrincipal installs a freshly resolved principal. A role change rebuilds the tabs
// (an admin demoted to room member loses Users and Audit at once) and reloads every page,
// since what the user may see changed with it.
func (a *app) setPrincipal(p *core.Principal) tea.Cmd {
	old := a.c.principal
	a.c.principal = p
	a.syncNotice()
	if p.User.MustChangePassword {
		if a.overlays.has(layerPassword) {
			return nil
		}
		a.overlays.drop(layerPalette, layerHelp) // as for the quit confirmation
		f := newPasswordForm(a.c, true)
		a.overlays.push(&passwordScreen{f: f})
		return f.setFocus(f.focus)
	}
	a.overlays.drop(layerPassword)
	if old != nil && old.User.Role == p.User.Role && !old.User.MustChangePassword && len(a.tabs) > 0 {
		return nil
	}
	current := tabRooms
	if pg := a.page(); pg != nil {
		current = a.tabs[a.active]
	}
	a.tabs = tabsFor(p.User.Role == core.RoleAdmin)
	a.c.tabCount = len(a.tabs)
	a.active = 0
	for i, t := range a.tabs {
		if t == current {
			a.active = i
		}
	}
	pages := map[tabID]page{}
	var cmds []tea.Cmd
	for _, t := range a.tabs {
		pg := a.pages[t]
		if pg == nil {
			pg = a.newPage(t)
		}
		pages[t] = pg
		cmds = append(cmds, pg.load())
	}
	a.pages = pages
	if old == nil && p.User.UserID == core.RootAdminID && a.c.opts.InitialPasswordFile != "" {
		a.overlays.push(&dialogOverlay{at: layerMessage, d: newInfoBox(a.c, "Your password", []string{
			"The root admin's password was generated at the first start. It is kept in",
			"",
			"  " + sanitize(a.c.opts.InitialPasswordFile),
			"",
			"readable only by the server's user, until you change it: the file is deleted then.",
			"Change it now with : password (or the Account tab).",
		})})
	}
	return tea.Batch(cmds...)
}

func (a *app) newPage(t tabID) page {
	switch t {
	case tabLive:
		return newLivePage(a.c)
	case tabUsers:
		return newUsersPage(a.c)
	case tabAudit:
		return newAuditPage(a.c)
	case tabSettings:
		return newSettingsPage(a.c)
	case tabSessions:
		return newSessionsPage(a.c)
	case tabAccount:
		return newAccountPage(a.c)
	case tabRecordings:
		return newRecordingsPage(a.c)
	}
	return newRoomsPage(a.c)
}

// bye shows a last message and quits shortly after (or at the next key).
func (a *app) bye(text string) tea.Cmd {
	a.overlays.push(&goodbye{c: a.c, text: text, quit: a.quit})
	a.feed.close()
	return a.c.tick(3*time.Second, func(time.Time) tea.Msg { return tea.QuitMsg{} })
}

// Update handles a message. A bug must not end an admin's session (over SSH that would
// drop the connection), so a panic becomes an error flash and the control room goes on.
func (a *app) Update(msg tea.Msg) (m tea.Model, cmd tea.Cmd) {
	defer func() {
		if r := recover(); r != nil {
			a.panics++
			m, cmd = a, flash(levelError, "Internal error: %v", r)
		}
	}()
	m, cmd = a.update(msg)
	a.status.left(a.screenKey())
	return m, tea.Batch(cmd, a.showing())
}

// locator is a page with screens of its own (the Rooms tab's room detail): location
// names the one shown.
type locator interface{ location() string }

// screenKey names what is on screen: the tab, the page's own screen, and a message in
// front of them, so that a flash can go with the screen it spoke of.
func (a *app) screenKey() string {
	pg := a.page()
	if pg == nil {
		return ""
	}
	k := strconv.Itoa(int(a.tabs[a.active]))
	if l, ok := pg.(locator); ok {
		k += "/" + l.location()
	}
	return k
}

// shower is a page that wants to know when it comes on screen (the Live tab restarts
// the clock of the recordings it shows).
type shower interface{ shown() tea.Cmd }

// showing records which tab is on screen, after any message that may have switched it,
// and tells the page that just came on screen.
func (a *app) showing() tea.Cmd {
	t := tabNone
	if a.page() != nil {
		t = a.tabs[a.active]
	}
	if t == a.c.shown {
		return nil
	}
	a.c.shown = t
	if s, ok := a.page().(shower); ok {
		return s.shown()
	}
	return nil
}

func (a *app) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		a.c.width, a.c.height = msg.Width, msg.Height
		a.syncNotice()
		return a, nil
	case tea.BackgroundColorMsg:
		a.c.dark = msg.IsDark()
		a.c.styles = newStyles(a.c.dark, a.c.opts.NoColor)
		return a, nil
	case tea.KeyPressMsg:
		return a, a.key(msg)
	case tea.PasteMsg:
		return a, a.paste(msg)
	case flashMsg:
		return a, a.status.set(msg, a.screenKey())
	case flashExpiredMsg:
		a.status.expire(msg)
		return a, nil
	case doneMsg:
		if msg.err != nil {
			return a, errorFlash(msg.err)
		}
		return a, flash(levelInfo, "%s", msg.ok)
	case principalMsg:
		return a, a.principal(msg)
	case liveQuitMsg:
		return a, a.liveQuit(msg)
	case passwordChangedMsg:
		return a, a.resolve()
	case showLinkMsg:
		a.overlays.drop(layerPalette, layerHelp)
		a.overlays.push(linkOverlay(a.c, msg))
		return a, nil
	case eventMsg:
		return a, a.event(core.Event(msg))
	case feedIdleMsg:
		if a.leaving() {
			return a, nil
		}
		return a, a.feed.wait()
	}
	cmds := []tea.Cmd{a.overlays.update(msg)}
	a.overlays.prune()
	for _, pg := range a.pages {
		cmds = append(cmds, pg.update(msg))
	}
	return a, tea.Batch(cmds...)
}

func (a *app) principal(m principalMsg) tea.Cmd {
	if m.err != nil {
		if core.KindOf(m.err) == core.KindUnauthenticated {
			return a.bye("Your user was deleted. The control room closes.")
		}
		a.resolveErr = m.err
		return errorFlash(m.err)
	}
	a.resolveErr = nil
	return a.setPrincipal(m.p)
}

// event reacts to a bus event and waits for the next one.
func (a *app) event(e core.Event) tea.Cmd {
	if a.leaving() {
		return nil
	}
	cmds := []tea.Cmd{a.feed.wait()}
	me := a.c.userID()
	switch {
	case e.Type == core.EventUserDeleted && e.UserID == me:
		return a.bye("Your user was deleted. The control room closes.")
	case e.Type == core.EventUserChanged && e.UserID == me, e.Type == core.EventResync:
		cmds = append(cmds, a.resolve())
	}
	// Pages wait behind the forced password change: the user may do nothing else yet.
	if !a.overlays.has(layerPassword) {
		for _, pg := range a.pages {
			cmds = append(cmds, pg.event(e))
		}
	}
	return tea.Batch(cmds...)
}

func (a *app) tooSmall() bool {
	w, h := a.size()
	return w < minWidth || h < minHeight
}

// size is the terminal size; before the first WindowSizeMsg it assumes 80×24.
func (a *app) size() (int, int) {
	if a.c.width == 0 || a.c.height == 0 {
		return 80, 24
	}
	return a.c.width, a.c.height
}

func (a *app) key(k tea.KeyPressMsg) tea.Cmd {
	g := a.c.global
	if keyIs(k, g.ForceQuit) {
		return a.quit() // ctrl+c always quits, even while typing
	}
	if o := a.overlays.top(); o != nil {
		cmd := o.update(k)
		a.overlays.prune()
		return cmd
	}
	pg := a.page()
	if pg == nil {
		return nil
	}
	if pg.capturing() {
		return pg.update(k)
	}
	switch {
	case keyIs(k, g.Quit):
		return a.askQuit()
	case keyIs(k, g.Help):
		a.overlays.push(newHelpOverlay(a.c))
	case keyIs(k, g.Palette):
		a.overlays.push(newPalette(a.c, a.commands()))
	case keyIs(k, g.NextTab):
		a.active = (a.active + 1) % len(a.tabs)
	case keyIs(k, g.PrevTab):
		a.active = (a.active + len(a.tabs) - 1) % len(a.tabs)
	case keyIs(k, g.Tabs):
		if n := int(k.Code - '1'); n >= 0 && n < len(a.tabs) {
			a.active = n
		}
	case keyIs(k, g.Refresh):
		return pg.refresh()
	default:
		return pg.update(k)
	}
	return nil
}

func (a *app) paste(m tea.PasteMsg) tea.Cmd {
	if cmd, ok := a.overlays.paste(m); ok {
		return cmd
	}
	if pg := a.page(); pg != nil && pg.capturing() {
		return pg.update(m)
	}
	return nil
}

// goTo switches to a tab, refusing one the user does not have.
func (a *app) goTo(t tabID) tea.Cmd {
	for i, have := range a.tabs {
		if have == t {
			a.active = i
			return nil
		}
	}
	return flash(levelWarn, "%s is for admins only", tabTitle(t))
}

// commands are the palette's commands.
func (a *app) commands() []command {
	admin := a.c.isAdmin
	tab := func(t tabID) func() tea.Cmd { return func() tea.Cmd { return a.goTo(t) } }
	return []command{
		{name: "rooms", desc: "the Rooms tab", run: tab(tabRooms)},
		{name: "live", desc: "meetings in progress", run: tab(tabLive)},
		{name: "users", desc: "the Users tab", allowed: admin, run: tab(tabUsers)},
		{name: "audit", desc: "the audit log", allowed: admin, run: tab(tabAudit)},
		{name: "sessions", desc: "recorded control-room sessions: replay", allowed: admin, run: tab(tabSessions)},
		{name: "account", desc: "your account and SSH keys", run: tab(tabAccount)},
		{name: "new room", desc: "create a room", allowed: a.c.canCreateRooms, run: func() tea.Cmd {
			a.goTo(tabRooms)
			return a.pages[tabRooms].(*roomsPage).openCreate()
		}},
		{name: "new user", desc: "create a user", allowed: admin, run: func() tea.Cmd {
			a.goTo(tabUsers)
			pg := a.pages[tabUsers].(*usersPage)
			f := newCreateUserForm(a.c)
			pg.open(f)
			return f.setFocus(f.focus)
		}},
		{name: "new api key", desc: "create a key for the REST API (shown once)", allowed: admin, run: func() tea.Cmd {
			a.goTo(tabSettings)
			pg := a.pages[tabSettings].(*settingsPage)
			f := pg.newKeyForm()
			pg.open(f)
			return f.setFocus(f.focus)
		}},
		{name: "password", desc: "change your password", run: func() tea.Cmd {
			a.goTo(tabAccount)
			return a.pages[tabAccount].(*accountPage).openPassword()
		}},
		{name: "settings", desc: "the server's settings: recording, public URL, API keys", allowed: admin, run: tab(tabSettings)},
		{name: "recordings", desc: "recordings, their share links and the trash", run: tab(tabRecordings)},
		{name: "refresh", desc: "reload this page", run: func() tea.Cmd { return a.page().refresh() }},
		{name: "help", desc: "show every key", run: func() tea.Cmd { a.overlays.push(newHelpOverlay(a.c)); return nil }},
		{name: "quit", desc: "leave the control room", run: a.askQuit},
	}
}

// focused is the key map of what has focus, for the footer and the help overlay: the
// topmost overlay with keys of its own, else the page.
func (a *app) focused() help.KeyMap {
	if km := a.overlays.keys(); km != nil {
		return km
	}
	if pg := a.page(); pg != nil {
		return pg
	}
	return nil
}

// globalHelp lists the global keys that work right now: none under an overlay with keys
// of its own, none but ctrl+c while typing.
func (a *app) globalHelp() []key.Binding {
	g := a.c.global
	if a.overlays.keys() != nil {
		return nil
	}
	if pg := a.page(); pg != nil && pg.capturing() {
		return []key.Binding{g.ForceQuit}
	}
	return []key.Binding{g.Help, g.Quit, g.Palette, g.Refresh, g.NextTab}
}

func (a *app) View() (v tea.View) {
	defer func() {
		if r := recover(); r != nil {
			a.panics++
			v = tea.NewView(fmt.Sprintf("Internal error drawing the screen: %v\n(press q to quit)", r))
		}
	}()
	v = tea.NewView(a.render())
	v.AltScreen = true
	v.WindowTitle = "Conclave — " + sanitize(a.c.userID())
	return v
}

func (a *app) render() string {
	w, h := a.size()
	s := &screen{w: w, h: h, bodyH: h - 3, focus: a.focused(), page: func() string {
		if pg := a.page(); pg != nil {
			return pg.view(w, h-3)
		}
		return ""
	}}
	if o := a.overlays.top(); o != nil {
		o.draw(s)
	}
	if s.full != "" {
		return s.full
	}
	if s.top == "" {
		s.top = renderTabs(a.c, a.tabs, a.active, w)
	}
	lines := s.pageBody()
	if s.bottom == "" {
		s.bottom = footer(a.c, s.focus, a.globalHelp(), w)
	}
	var b strings.Builder
	b.Grow((w + 32) * h)
	b.WriteString(s.top)
	for _, l := range lines {
		b.WriteByte('\n')
		b.WriteString(l)
	}
	b.WriteByte('\n')
	a.status.note = ""
	if n, ok := a.page().(statusNoter); ok {
		a.status.note = n.statusNote()
	}
	b.WriteString(a.status.view(w))
	b.WriteByte('\n')
	b.WriteString(s.bottom)
	return b.String()
}

// fitLines cuts s to h lines of at most w cells, padding with empty lines.
func fitLines(s string, w, h int) []string {
	lines := strings.SplitN(s, "\n", h+1)
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, w, "")
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return lines
}

func center(w, h int, s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, w, "…")
	}
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, strings.Join(lines, "\n"))
}

// tooSmall is the notice shown in a terminal below minWidth×minHeight; it is written to
// fit even a 20×5 one.
func tooSmall(w, h int) string {
	msg := "Terminal too small\n" + strconv.Itoa(w) + "×" + strconv.Itoa(h) + ", need " + strconv.Itoa(minWidth) + "×" + strconv.Itoa(minHeight) + "\nq quits"
	return center(w, h, msg)
}
