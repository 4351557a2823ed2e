package sshd

import (
	"context"
	"errors"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
	bm "charm.land/wish/v2/bubbletea"
	"github.com/charmbracelet/colorprofile"

	"conclave/core"
	"conclave/tui"
)

// runControlRoom runs the control room on a session's terminal until the user quits, the
// client goes or ctx ends. It does the job of wish's bubbletea middleware, with three
// differences that matter on a server: errors go to the server's logger rather than the
// charm log package's global one (which writes to the process's stderr, possibly the
// local control room's terminal); the program does not install a SIGINT/SIGTERM handler
// of its own, which would take the server's signals; and the program runs under ctx, so a
// dropped connection, an idle timeout or a shutdown stops it.
func (s *Server) runControlRoom(ctx context.Context, sess watchedSession, user string) int {
	pty, winch, _ := sess.Pty()
	env := append(sess.Environ(), "TERM="+pty.Term)
	opts := s.opts.TUI
	opts.NoColor = noColor(env)
	opts.DarkBackground = darkBackground(env)
	// Inside tmux TERM is tmux-* or screen-*; the client's TMUX variable is not sent.
	opts.Term = pty.Term
	// The control room stops its core calls and leaves the event bus when ctx ends; the
	// program ending alone would leave its bus subscriber behind.
	opts.Context = ctx
	model := tui.New(s.svc, tui.Identity{UserID: user, Meta: sessionMeta(sess)}, opts)

	// The session is opened in core (audited) and, unless policy says otherwise, its
	// output is recorded. Only the output: the recorder never sees a keystroke.
	rec, err := s.svc.StartTermSession(ctx, core.TermSessionStart{UserID: user, Meta: sessionMeta(sess),
		Width: pty.Window.Width, Height: pty.Window.Height, Term: pty.Term, MapNewlines: sess.EmulatedPty()})
	if err != nil {
		s.log.Error("control room session not opened", "user", user, "err", err)
		return exitError
	}
	defer rec.End(ctx)

	// MakeOptions wires input, output, environment, size and (for the emulated terminal
	// the server uses) the colour profile from the session's environment; the output
	// is then the session's with the recorder beside it.
	popts := append(bm.MakeOptions(sess), tea.WithContext(ctx), tea.WithoutSignalHandler())
	if rec.Recorded {
		popts = append(popts, tea.WithOutput(rec.Writer(sess)))
	}
	p := tea.NewProgram(model, popts...)
	go func() {
		// Drain every resize until the library closes the channel: a send it cannot make
		// would block the session's request loop. Sends after the program ended are no-ops.
		for w := range winch {
			rec.Resize(w.Width, w.Height)
			p.Send(tea.WindowSizeMsg{Width: w.Width, Height: w.Height})
		}
	}()
	_, err = p.Run()
	p.Kill() // restores the terminal if the program died without doing so
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, tea.ErrProgramPanic):
		s.log.Error("control room crashed", "user", user, "err", err)
		return exitError
	case errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil:
		return exitOK // the session ended from outside; handleSession says why
	default:
		s.log.Warn("control room ended with an error", "user", user, "err", err)
		return exitError
	}
}

// noColor follows https://no-color.org (any non-empty NO_COLOR) and terminals that
// cannot show colour.
func noColor(env []string) bool {
	if v, ok := lookupEnv(env, "NO_COLOR"); ok && v != "" {
		return true
	}
	return colorprofile.Env(env) <= colorprofile.ASCII
}

// darkBackground reads COLORFGBG ("fg;bg", set by rxvt, Konsole and others) when the
// client sends it; otherwise it assumes a dark terminal, the common case. Terminals can
// be asked for their background colour, but only by a query whose answer arrives mixed
// with the user's keystrokes: that is the control room's to do, not the server's.
func darkBackground(env []string) bool {
	v, ok := lookupEnv(env, "COLORFGBG")
	if !ok {
		return true
	}
	parts := strings.Split(v, ";")
	bg, err := strconv.Atoi(parts[len(parts)-1])
	if err != nil {
		return true
	}
	return bg < 7 || bg == 8
}

// lookupEnv finds key in env; the last setting wins, as for a shell.
func lookupEnv(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}
