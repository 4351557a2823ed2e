package sshd

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"charm.land/ssh"
)

// Exit statuses of a session.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

const (
	noShellMessage = "This server offers the Conclave control room: connect with a terminal, " +
		"or run a command such as `rooms ls` (try `help`).\n"
	shutdownMessage = "Conclave is shutting down.\n"
)

// handleSession runs one shell or exec request: the control room for a terminal without
// a command, one scriptable command otherwise.
func (s *Server) handleSession(sess ssh.Session) {
	user := sessionUser(sess)
	st := stateOf(sess.Context())
	if user == "" {
		// Not reached: every sign-in goes through serverConfig, which names the user.
		_ = sess.Exit(exitError)
		return
	}
	if !s.enter() {
		fmt.Fprint(sess.Stderr(), shutdownMessage)
		_ = sess.Exit(exitError)
		return
	}
	defer s.sessions.Done()
	if !s.slots.acquire() {
		s.log.Warn("ssh session refused: too many sessions", "user", user, "source", hostOf(sess.RemoteAddr()), "limit", s.opts.MaxSessions)
		fmt.Fprintf(sess.Stderr(), "Conclave: too many sessions (limit %d); try again later.\n", s.opts.MaxSessions)
		_ = sess.Exit(exitError)
		st.closeSoon()
		return
	}
	defer s.slots.release()
	if st.audited.CompareAndSwap(false, true) {
		s.svc.RecordSignIn(sess.Context(), user, sessionMeta(sess))
	}
	st.running.Add(1)
	defer st.running.Add(-1)

	// The session's context ends when the client goes, when the user is idle too long or
	// when the server shuts down; whatever runs below stops with it.
	ctx, cancel := context.WithCancel(sess.Context())
	defer cancel()
	_, _, isPty := sess.Pty()
	var reason atomic.Pointer[string]
	interrupt := func(msg string) {
		if !reason.CompareAndSwap(nil, &msg) {
			return
		}
		cancel()
		if !isPty {
			// A command can only be stuck reading standard input: closing the channel
			// ends that read once the client acknowledges. A control room instead quits
			// on the cancelled context and restores the terminal before being told.
			fmt.Fprint(sess.Stderr(), msg)
			_ = sess.Exit(exitError)
		}
	}
	stopShutdown := context.AfterFunc(s.base, func() { interrupt(shutdownMessage) })
	defer stopShutdown()
	idle := newIdleWatch(s.opts.IdleTimeout, func() {
		s.log.Info("ssh session idle: closing", "user", user, "source", hostOf(sess.RemoteAddr()))
		interrupt(fmt.Sprintf("Conclave: session closed after %s without input.\n", s.opts.IdleTimeout))
		st.closeSoon()
	})
	defer idle.stop()
	ws := watchedSession{Session: sess, idle: idle}
	if isPty {
		// A terminal's input ends only when the client is done with the session.
		ws.onEOF = cancel
	}

	start := time.Now()
	raw, args := sess.RawCommand(), sess.Command()
	kind := "command"
	var code int
	switch {
	case raw == "" && isPty:
		kind = "control room"
		s.log.Info("ssh session started", "user", user, "source", hostOf(sess.RemoteAddr()), "auth", sessionMethod(sess), "kind", kind)
		code = s.runControlRoom(ctx, ws, user)
	case raw == "":
		kind = "shell"
		fmt.Fprint(sess.Stderr(), noShellMessage)
		code = exitUsage
	case len(args) == 0:
		fmt.Fprint(sess.Stderr(), "Conclave: cannot parse the command; try `help`.\n")
		code = exitUsage
	default:
		s.log.Info("ssh session started", "user", user, "source", hostOf(sess.RemoteAddr()), "auth", sessionMethod(sess), "kind", kind, "command", truncate(args[0], 32))
		code = s.runCommand(ctx, ws, user, args)
		// A command is audited, not recorded (as Teleport's non-interactive sessions).
		s.svc.RecordCommand(context.WithoutCancel(ctx), user, sessionMeta(sess), raw, code)
	}
	// From here on nothing may interrupt: the outcome is decided.
	stopShutdown()
	idle.stop()
	if msg := reason.Load(); msg != nil {
		if isPty {
			fmt.Fprint(sess.Stderr(), *msg)
		}
		code = exitError
	}
	s.log.Info("ssh session ended", "user", user, "source", hostOf(sess.RemoteAddr()), "kind", kind,
		"exit", code, "duration", time.Since(start).Round(time.Millisecond))
	_ = sess.Exit(code)
}
