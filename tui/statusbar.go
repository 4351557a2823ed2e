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
}

// set shows a flash and schedules its removal: errors stay a little longer, because they
// are the ones a user needs to read.
func (s *statusBar) set(m flashMsg) tea.Cmd {
	s.seq++
	s.flash, s.shown = m, true
	d := 4 * time.Second
	if m.level != levelInfo {
		d = 6 * time.Second
	}
	seq := s.seq
	return s.c.tick(d, func(time.Time) tea.Msg { return flashExpiredMsg{seq: seq} })
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
	if a := s.addresses(); a != "" {
		line += st.status.Render(" │ " + a)
	}
	return ansi.Truncate(line, w, "…")
}
