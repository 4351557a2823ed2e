package tui

import (
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// flashExpiredMsg clears the flash it was scheduled for (a newer flash stays).
type flashExpiredMsg struct{ seq int }

// statusBar shows who is signed in, where the server listens, and flash messages.
type statusBar struct {
	c     *common
	flash flashMsg
	seq   int
	shown bool
	// at is the screen the flash belongs to (app.screenKey); it goes with that screen.
	at string
	// note is what the page on screen adds (the Recordings tab's storage figures).
	note string
}

// set shows a flash and schedules its removal: errors stay a little longer, because they
// are the ones a user needs to read.
func (s *statusBar) set(m flashMsg, at string) tea.Cmd {
	s.seq++
	s.flash, s.shown, s.at = m, true, at
	d := 4 * time.Second
	if m.level != levelInfo {
		d = 6 * time.Second
	}
	seq := s.seq
	return s.c.tick(d, func(time.Time) tea.Msg { return flashExpiredMsg{seq: seq} })
}

// left hides the flash once the screen it was shown on is gone (another tab, a room's
// detail closed): it spoke of that screen.
func (s *statusBar) left(at string) {
	switch {
	case s.at == "":
		s.at = at // shown before any page (the forced password change): it goes on
	case s.shown && s.at != at:
		s.shown = false
	}
}

func (s *statusBar) expire(m flashExpiredMsg) {
	if m.seq == s.seq {
		s.shown = false
	}
}

// identity is "alice · admin · via ssh".
func (s *statusBar) identity() string {
	c := s.c
	parts := []string{sanitize(c.userID())}
	if u := c.user(); u != nil {
		parts = append(parts, userRoleLabel(u.Role))
	}
	if via := c.id.Meta.Via; via != "" {
		parts = append(parts, "via "+sanitize(via))
	}
	return strings.Join(parts, " · ")
}

// addresses is "http :8080 · ssh :2222 · http://localhost:8080/meet".
func (s *statusBar) addresses() string {
	o := s.c.opts
	var parts []string
	if o.HTTPAddr != "" {
		parts = append(parts, "http "+sanitize(o.HTTPAddr))
	}
	if o.SSHAddr != "" {
		parts = append(parts, "ssh "+sanitize(o.SSHAddr))
	}
	if o.BaseURL != "" {
		parts = append(parts, sanitize(o.BaseURL))
	}
	return strings.Join(parts, " · ")
}

func (s *statusBar) view(w int) string {
	st := s.c.styles
	line := st.status.Render(" " + s.identity())
	if s.shown {
		style := st.flashInfo
		switch s.flash.level {
		case levelWarn:
			style = st.flashWarn
		case levelError:
			style = st.flashError
		}
		line += st.status.Render(" │ ") + style.Render(sanitize(s.flash.text))
	}
	if s.note != "" {
		line += st.status.Render(" │ " + s.note)
	}
	if a := s.addresses(); a != "" {
		line += st.status.Render(" │ " + a)
	}
	return ansi.Truncate(line, w, "…")
}
