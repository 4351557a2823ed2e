package tui

import (
	"context"
	"errors"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// common is what every component shares (soft-serve's pattern): the backend, the size,
// the theme, the signed-in principal. Components hold a pointer, so a new principal or a
// resize reaches all of them at once. Only Update (the program's goroutine) writes it;
// commands capture what they need before they run, never read it from their goroutine.
type common struct {
	ctx     context.Context
	backend Backend
	id      Identity
	opts    Options

	width, height int
	styles        *styles
	dark          bool
	global        globalKeys
	nav           navKeys

	// seq numbers forms, so an answer finds the form that asked.
	seq int

	// principal is the signed-in user as last resolved; nil until Init's lookup returns.
	principal *core.Principal
	// shown is the tab on screen (tabNone before the principal is known), so a page can
	// stop work that only matters while it is seen.
	shown tabID
	// tabCount is how many tabs the user has, so that the help names only those.
	tabCount int

	// tick schedules a message (tea.Tick); tests replace it so that they never wait.
	tick func(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd
	// loc is the zone dates are shown and typed in.
	loc *time.Location
	now func() time.Time
}

func newCommon(backend Backend, id Identity, opts Options) *common {
	ctx := opts.Context
	if ctx == nil {
		ctx = context.Background()
	}
	return &common{
		ctx: ctx, backend: backend, id: id, opts: opts,
		styles: newStyles(opts.DarkBackground, opts.NoColor),
		dark:   opts.DarkBackground,
		shown:  tabNone,
		global: newGlobalKeys(),
		nav:    newNavKeys(),
		tick:   tea.Tick,
		loc:    time.Local,
		now:    time.Now,
	}
}

// user is the signed-in user, nil before the principal is known.
func (c *common) user() *core.User {
	if c.principal == nil {
		return nil
	}
	return c.principal.User
}

func (c *common) userID() string {
	if u := c.user(); u != nil {
		return u.UserID
	}
	return c.id.UserID
}

func (c *common) isAdmin() bool {
	u := c.user()
	return u != nil && u.Role == core.RoleAdmin
}

// canCreateRooms mirrors core.CreateRoom's rule (admins and room managers).
func (c *common) canCreateRooms() bool {
	u := c.user()
	return u != nil && (u.Role == core.RoleAdmin || u.Role == core.RoleRoomManager)
}

// manages mirrors core's canManage: admins and the room's owner.
func (c *common) manages(r *core.Room) bool {
	return r != nil && (c.isAdmin() || r.Owner == c.userID())
}

// call runs fn off the UI goroutine with the context and the principal of the moment the
// command was made, so a command never races with Update.
func (c *common) call(fn func(ctx context.Context, backend Backend, p *core.Principal) tea.Msg) tea.Cmd {
	ctx, backend, p := c.ctx, c.backend, c.principal
	return func() (msg tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				msg = flashMsg{level: levelError, text: fmt.Sprintf("Internal error: %v", r)}
			}
		}()
		return fn(ctx, backend, p)
	}
}

// formatTime shows an epoch-ms time in the local zone, "—" for zero.
func (c *common) formatTime(ms int64) string {
	if ms == 0 {
		return "—"
	}
	return time.UnixMilli(ms).In(c.loc).Format("2006-01-02 15:04")
}

// flashLevel is how a flash message is coloured.
type flashLevel int

const (
	levelInfo flashLevel = iota
	levelWarn
	levelError
)

// flashMsg asks the status bar to show a message for a few seconds.
type flashMsg struct {
	level flashLevel
	text  string
}

func flash(level flashLevel, format string, args ...any) tea.Cmd {
	text := fmt.Sprintf(format, args...)
	return func() tea.Msg { return flashMsg{level: level, text: text} }
}

// doneMsg reports the outcome of an action started from a dialog: ok is the flash shown
// on success; a failure shows core's message.
type doneMsg struct {
	ok  string
	err error
}

// errorText is what a user reads for an error: core's own message for the refusals it
// makes on purpose, a generic sentence plus the cause otherwise.
func errorText(err error) string {
	var e *core.Error
	if errors.As(err, &e) {
		if e.Kind == core.KindTooMany && e.RetryAfterSeconds > 0 {
			return sanitize(fmt.Sprintf("%s (try again in %d s)", e.Message, e.RetryAfterSeconds))
		}
		return sanitize(e.Message)
	}
	if errors.Is(err, context.Canceled) {
		return "cancelled"
	}
	return sanitize("Something went wrong: " + err.Error())
}

// errorFlash turns any error into an error flash.
func errorFlash(err error) tea.Cmd { return flash(levelError, "%s", errorText(err)) }

// timeIn formats an epoch-ms time in loc, for commands that must not touch common.
func timeIn(ms int64, loc *time.Location) string {
	if ms == 0 {
		return "—"
	}
	return time.UnixMilli(ms).In(loc).Format("2006-01-02 15:04")
}
