package sshd

import (
	"encoding/binary"
	"fmt"
	"strings"

	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// Bounds on what a client may ask of a terminal. The renderer keeps two cell buffers of
// columns×rows at about 120 bytes a cell, so an unchecked pty-req of 65535×65535 would
// exhaust memory. 50,000 cells (a 4K screen with a small font is about 60,000) cost some
// 12 MiB per session; a bigger window gets a control room drawn in part of it.
const (
	maxColumns = 500
	maxRows    = 250
	maxCells   = 50_000
	maxTermLen = 64
	// maxEnv bounds accepted environment variables per session.
	maxEnv = 16
)

// allowedEnv are the environment variables a client may set: the ones that say how to
// draw (colour, locale). Everything else is refused, so that no variable can steer the
// terminal library or anything that might one day read the session's environment.
var allowedEnv = map[string]bool{
	"NO_COLOR": true, "COLORTERM": true, "CLICOLOR": true, "CLICOLOR_FORCE": true,
	"COLORFGBG": true, "TERM": true, "TERM_PROGRAM": true,
	"LANG": true, "LC_ALL": true, "LC_CTYPE": true,
}

// policyChannel is a session channel whose requests pass the server's policy before the
// ssh library sees them. The library accepts agent forwarding and every environment
// variable on its own; this is the only place to say no.
type policyChannel struct {
	gossh.NewChannel
	s   *Server
	ctx ssh.Context
}

func (c policyChannel) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	ch, in, err := c.NewChannel.Accept()
	if err != nil {
		return ch, in, err
	}
	out := make(chan *gossh.Request)
	go func() {
		defer close(out)
		envs := 0
		for req := range in {
			if !c.s.allowRequest(c.ctx, req, &envs) {
				if req.WantReply {
					_ = req.Reply(false, nil)
				}
				continue
			}
			out <- req
		}
	}()
	return ch, out, nil
}

// allowRequest decides on one session request, rewriting terminal sizes into bounds.
func (s *Server) allowRequest(ctx ssh.Context, req *gossh.Request, envs *int) bool {
	switch req.Type {
	case "auth-agent-req@openssh.com":
		s.log.Info("ssh agent forwarding refused", "user", ctx.User(), "source", hostOf(ctx.RemoteAddr()))
		return false
	case "x11-req":
		s.log.Info("ssh X11 forwarding refused", "user", ctx.User(), "source", hostOf(ctx.RemoteAddr()))
		return false
	case "env":
		var kv struct{ Key, Value string }
		if gossh.Unmarshal(req.Payload, &kv) != nil || !allowedEnv[kv.Key] || len(kv.Value) > 256 || *envs >= maxEnv {
			s.log.Debug("ssh environment variable refused", "user", ctx.User(), "key", truncate(kv.Key, 64))
			return false
		}
		*envs++
	case "pty-req":
		p, ok := clampPtyRequest(req.Payload)
		if !ok {
			return false
		}
		req.Payload = p
	case "window-change":
		p, ok := clampWindow(req.Payload)
		if !ok {
			return false
		}
		req.Payload = p
	}
	return true
}

// clampPtyRequest bounds the TERM value and the window of a pty-req (RFC 4254 6.2),
// keeping the terminal modes as sent.
func clampPtyRequest(p []byte) ([]byte, bool) {
	if len(p) < 4 {
		return nil, false
	}
	n := binary.BigEndian.Uint32(p)
	if uint64(len(p)-4) < uint64(n)+16 {
		return nil, false
	}
	term, rest := string(p[4:4+n]), p[4+n:]
	if len(term) > maxTermLen || strings.ContainsFunc(term, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		term = "xterm-256color"
	}
	win, ok := clampWindow(rest)
	if !ok {
		return nil, false
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(len(term)))
	out = append(out, term...)
	return append(out, win...), true
}

// clampWindow bounds the columns and rows at the start of p (RFC 4254 6.7) and returns
// a copy with everything after them unchanged.
func clampWindow(p []byte) ([]byte, bool) {
	if len(p) < 16 {
		return nil, false
	}
	out := append([]byte(nil), p...)
	cols := min(binary.BigEndian.Uint32(out[0:]), maxColumns)
	rows := min(binary.BigEndian.Uint32(out[4:]), maxRows)
	if cols > 0 && cols*rows > maxCells {
		rows = maxCells / cols
	}
	binary.BigEndian.PutUint32(out[0:], cols)
	binary.BigEndian.PutUint32(out[4:], rows)
	return out, true
}

// refuseForwarding answers `ssh -L` and client.Dial: the control room is not a way into
// the server's network.
func refuseForwarding(_ *ssh.Server, _ *gossh.ServerConn, nc gossh.NewChannel, ctx ssh.Context) {
	_ = nc.Reject(gossh.Prohibited, "Conclave does not forward ports")
}

// refuseChannel answers every other channel type (agent, X11, unix-socket forwarding…).
func refuseChannel(_ *ssh.Server, _ *gossh.ServerConn, nc gossh.NewChannel, ctx ssh.Context) {
	_ = nc.Reject(gossh.UnknownChannelType, fmt.Sprintf("Conclave does not offer %q channels", truncate(nc.ChannelType(), 64)))
}

// refuseGlobalRequest answers `ssh -R` (tcpip-forward), its unix-socket variant and every
// other global request with a failure; the protocol has no room for a message there.
func (s *Server) refuseGlobalRequest(ctx ssh.Context, _ *ssh.Server, req *gossh.Request) (bool, []byte) {
	switch req.Type {
	case "tcpip-forward", "streamlocal-forward@openssh.com":
		s.log.Info("ssh remote forwarding refused", "user", ctx.User(), "source", hostOf(ctx.RemoteAddr()), "request", req.Type)
	}
	return false, nil
}

// refuseSubsystem answers sftp and every other subsystem: no file transfer (SPEC 10).
func (s *Server) refuseSubsystem(sess ssh.Session) {
	s.log.Info("ssh subsystem refused", "user", sess.User(), "subsystem", truncate(sess.Subsystem(), 64))
	fmt.Fprintf(sess.Stderr(), "Conclave offers no file transfer or other subsystems (asked for %q).\n", truncate(sess.Subsystem(), 64))
	_ = sess.Exit(1)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
