// Package sshd serves the control room over SSH (SPEC 10): internal users sign in with a
// password or a registered public key; a session with a terminal gets the Bubble Tea
// control room, a session with a command runs one scriptable command. Nothing else is
// offered: no shell, no forwarding, no file transfer.
package sshd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"charm.land/ssh"
	"charm.land/wish/v2"
	gossh "golang.org/x/crypto/ssh"

	"conclave/core"
	"conclave/tui"
)

// Defaults of Options.
const (
	DefaultAddr        = ":2222"
	DefaultIdleTimeout = 15 * time.Minute
	DefaultMaxSessions = 50
	// DefaultHandshakeTimeout bounds the key exchange: a few round trips for any real
	// client, so a connection that has not got through it by then never will.
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultLoginTimeout bounds signing in and opening a first session, counted from the
	// connection's arrival: long enough for a person to type a password.
	DefaultLoginTimeout = 30 * time.Second
	// DefaultMaxPreAuth bounds the connections that have not signed in yet.
	DefaultMaxPreAuth = 64
	// DefaultMaxPreAuthPerSource bounds them per source address: a person or a script
	// signs in on a few connections at once, a flood on hundreds.
	DefaultMaxPreAuthPerSource = 10
)

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown or Close.
var ErrServerClosed = ssh.ErrServerClosed

// Options configure the SSH server.
type Options struct {
	// Addr is the TCP address to listen on (DefaultAddr when empty).
	Addr string
	// HostKeyPath is the server's private host key, normally the data directory's
	// ssh_host_ed25519_key. It is generated (mode 0600) when missing and reused after.
	HostKeyPath string
	// IdleTimeout ends a session after this long without input from the user
	// (DefaultIdleTimeout when zero).
	IdleTimeout time.Duration
	// MaxSessions bounds the sessions (control rooms and commands) running at once
	// (DefaultMaxSessions when zero); one more is told so and closed.
	MaxSessions int
	// MaxConnections bounds signed-in connections (2×MaxSessions when zero); one more
	// gets a banner saying so and is closed before any password check. Connections still
	// signing in do not count here: MaxPreAuth bounds them.
	MaxConnections int
	// HandshakeTimeout closes a connection that has not finished the SSH key exchange
	// this long after it arrived (DefaultHandshakeTimeout when zero); a client that
	// connects and never sends its banner is one.
	HandshakeTimeout time.Duration
	// LoginTimeout closes a connection that has not signed in and opened a session this
	// long after it arrived (DefaultLoginTimeout when zero, at least HandshakeTimeout).
	LoginTimeout time.Duration
	// MaxPreAuth bounds the connections that have not signed in yet, in total
	// (DefaultMaxPreAuth when zero); MaxPreAuthPerSource bounds them per source address,
	// an IPv4 address or an IPv6 /64 (DefaultMaxPreAuthPerSource when zero). One more is
	// sent a line saying so and closed before the SSH handshake.
	MaxPreAuth          int
	MaxPreAuthPerSource int
	// PreAuthReserved is the share of MaxPreAuth that only addresses which have signed in
	// before (since the server started, the last few thousand) may take: strangers get
	// MaxPreAuth−PreAuthReserved. A quarter of MaxPreAuth when zero; always less than
	// MaxPreAuth, so that a new address can sign in for the first time.
	PreAuthReserved int
	// Logger receives the server's logs, and nothing else does: the local terminal may
	// belong to the control room (slog.Default when nil).
	Logger *slog.Logger
	// TUI is passed to every control room; SSHAddr defaults to Addr.
	TUI tui.Options
}

// Server is the control room's SSH server.
type Server struct {
	svc   *core.Service
	opts  Options
	log   *slog.Logger
	srv   *ssh.Server
	slots slots
	conns atomic.Int64 // open connections, signed in or not
	// signedIn counts the connections holding a MaxConnections slot.
	signedIn atomic.Int64
	// gate holds the pre-authentication limits, refusals logs what they refuse.
	gate     *gate
	refusals *refusalLog

	// base is cancelled by Shutdown and Close: every session's context derives from it,
	// so that control rooms quit cleanly instead of being cut off.
	base       context.Context
	cancelBase context.CancelFunc
	sessions   sync.WaitGroup

	mu      sync.Mutex
	ln      net.Listener
	closing bool // set by Shutdown and Close: no session starts after it
	// pending are the connections not signed in yet: the ssh library knows nothing of
	// them until their handshake ends, so Shutdown and Close close them here.
	pending map[*trackedConn]struct{}
}

// New builds the server and loads (or creates) its host key. It does not listen yet.
func New(svc *core.Service, opts Options) (*Server, error) {
	if svc == nil {
		return nil, errors.New("sshd: nil core service")
	}
	if opts.HostKeyPath == "" {
		return nil, errors.New("sshd: HostKeyPath is required: the host key must persist across restarts")
	}
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.MaxSessions <= 0 {
		opts.MaxSessions = DefaultMaxSessions
	}
	if opts.MaxConnections <= 0 {
		opts.MaxConnections = 2 * opts.MaxSessions
	}
	if opts.HandshakeTimeout <= 0 {
		opts.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if opts.LoginTimeout <= 0 {
		opts.LoginTimeout = DefaultLoginTimeout
	}
	opts.LoginTimeout = max(opts.LoginTimeout, opts.HandshakeTimeout)
	if opts.MaxPreAuth <= 0 {
		opts.MaxPreAuth = DefaultMaxPreAuth
	}
	if opts.MaxPreAuthPerSource <= 0 {
		opts.MaxPreAuthPerSource = DefaultMaxPreAuthPerSource
	}
	if opts.PreAuthReserved <= 0 {
		opts.PreAuthReserved = opts.MaxPreAuth / 4
	}
	opts.PreAuthReserved = min(opts.PreAuthReserved, opts.MaxPreAuth-1)
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.TUI.SSHAddr == "" {
		opts.TUI.SSHAddr = opts.Addr
	}
	s := &Server{svc: svc, opts: opts, log: opts.Logger, slots: slots{max: opts.MaxSessions},
		gate:     newGate(opts.MaxPreAuth, opts.MaxPreAuthPerSource, opts.PreAuthReserved),
		refusals: newRefusalLog(opts.Logger), pending: map[*trackedConn]struct{}{}}
	s.base, s.cancelBase = context.WithCancel(context.Background())

	signer, err := loadHostKey(opts.HostKeyPath, s.log)
	if err != nil {
		return nil, err
	}
	s.srv, err = wish.NewServer(
		wish.WithAddress(opts.Addr),
		func(srv *ssh.Server) error {
			srv.AddHostKey(signer)
			srv.Handler = s.handleSession
			srv.ServerConfigCallback = s.serverConfig
			srv.ConnCallback = s.onConn
			srv.ChannelHandlers = map[string]ssh.ChannelHandler{
				"session":      s.sessionChannel,
				"direct-tcpip": refuseForwarding,
				"default":      refuseChannel,
			}
			srv.RequestHandlers = map[string]ssh.RequestHandler{"default": s.refuseGlobalRequest}
			srv.SubsystemHandlers = map[string]ssh.SubsystemHandler{"default": s.refuseSubsystem}
			srv.ConnectionFailedCallback = func(c net.Conn, err error) {
				if !errors.Is(err, io.EOF) {
					s.log.Debug("ssh connection failed", "source", hostOf(c.RemoteAddr()), "err", err)
				}
			}
			return nil
		},
	)
	if err != nil {
		return nil, fmt.Errorf("sshd: %w", err)
	}
	return s, nil
}

// onConn admits a new connection under the pre-authentication limits, or refuses it
// before the SSH handshake costs anything; it attaches the state of an admitted one.
func (s *Server) onConn(ctx ssh.Context, c net.Conn) net.Conn {
	src := sourceOf(c.RemoteAddr())
	if why := s.gate.admit(src); why != "" {
		s.refusals.note(why, src, "limit", s.preAuthLimit(why))
		refuseEarly(c, why)
		return nil // the ssh library closes it
	}
	st := &connState{source: src}
	st.preAuth.Store(true)
	s.conns.Add(1)
	// The connection's own idle timeout only reaps connections with nothing going on:
	// sessions time out on missing input (idleWatch), which keepalives and redraws do not
	// reset, and say why before they go.
	tc := newTrackedConn(c, s.opts.HandshakeTimeout, s.opts.LoginTimeout, s.opts.IdleTimeout+10*time.Second, func() {
		s.leavePreAuth(st)
		if st.slot.Swap(slotGone) == slotHeld {
			s.signedIn.Add(-1)
		}
		s.conns.Add(-1)
	})
	st.conn = tc
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		_ = tc.Close()
		return nil
	}
	s.pending[tc] = struct{}{}
	s.mu.Unlock()
	tc.watch()
	ctx.SetValue(connStateKey{}, st)
	return tc
}

// preAuthLimit is the limit a refusal for why ran into, for the log.
func (s *Server) preAuthLimit(why string) int {
	if why == refusedPerSource {
		return s.opts.MaxPreAuthPerSource
	}
	return s.opts.MaxPreAuth
}

// leavePreAuth gives back the pre-authentication slot of a connection that signed in or
// went away; only the first call counts.
func (s *Server) leavePreAuth(st *connState) {
	if !st.preAuth.CompareAndSwap(true, false) {
		return
	}
	s.gate.leave(st.source)
	s.mu.Lock()
	delete(s.pending, st.conn)
	s.mu.Unlock()
}

// takeSignedIn gives a connection whose credentials were accepted one of the
// MaxConnections slots; false when they are all taken. A connection takes one slot
// however many of its keys are accepted.
func (s *Server) takeSignedIn(st *connState) bool {
	switch st.slot.Load() {
	case slotHeld:
		return true
	case slotGone:
		return false
	}
	for {
		n := s.signedIn.Load()
		if n >= int64(s.opts.MaxConnections) {
			return false
		}
		if s.signedIn.CompareAndSwap(n, n+1) {
			break
		}
	}
	if !st.slot.CompareAndSwap(slotNone, slotHeld) {
		// The connection closed meanwhile (its login deadline, say): it gave back
		// nothing, so the slot goes back here.
		s.signedIn.Add(-1)
		return false
	}
	return true
}

// ListenAndServe listens on Options.Addr and serves until Shutdown or Close.
func (s *Server) ListenAndServe() error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("sshd: listen on %s: %w", s.opts.Addr, err)
	}
	return s.Serve(ln)
}

// Serve serves connections from ln until Shutdown or Close; it always returns an error,
// ErrServerClosed after a shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.ln = ln
	s.mu.Unlock()
	s.log.Info("ssh control room listening", "addr", ln.Addr().String())
	err := s.srv.Serve(ln)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		// The ssh library only knows of a listener once its Serve got going; a Shutdown
		// just before that closed the listener here, which it reports as a plain error.
		return ErrServerClosed
	}
	return err
}

// Addr is the address the server listens on, or Options.Addr before it does.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return s.ln.Addr().String()
	}
	return s.opts.Addr
}

// Shutdown stops accepting connections, tells every running session to finish (control
// rooms quit and restore the user's terminal), then closes the connections. If ctx ends
// first, the remaining connections are closed at once and ctx's error is returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopSessions()
	done := make(chan error, 1)
	go func() { done <- s.srv.Shutdown(ctx) }()
	sessionsDone := make(chan struct{})
	go func() {
		s.sessions.Wait()
		close(sessionsDone)
	}()
	select {
	case <-sessionsDone:
		// Clients normally hang up once their session ends; give them a moment, so that
		// their last messages are not cut off, but do not let the ones that stay hold the
		// shutdown.
		grace := time.NewTimer(closeGrace / 2)
		defer grace.Stop()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
	wait:
		for s.conns.Load() > 0 {
			select {
			case <-tick.C:
			case <-grace.C:
				break wait
			case <-ctx.Done():
				break wait
			}
		}
	case <-ctx.Done():
	}
	cerr := s.srv.Close()
	err := <-done
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err == nil || errors.Is(err, net.ErrClosed) {
		err = cerr
	}
	if errors.Is(err, net.ErrClosed) {
		err = nil // the listener was closed here first
	}
	return err
}

// Close closes the listener and every connection at once.
func (s *Server) Close() error {
	s.stopSessions()
	if err := s.srv.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// stopSessions stops listening, refuses new sessions and cancels the running ones. The
// connections still signing in are closed: they could not start a session anyway.
func (s *Server) stopSessions() {
	s.mu.Lock()
	s.closing = true
	if s.ln != nil {
		_ = s.ln.Close()
	}
	pending := make([]*trackedConn, 0, len(s.pending))
	for tc := range s.pending {
		pending = append(pending, tc)
	}
	s.mu.Unlock()
	s.cancelBase()
	for _, tc := range pending {
		_ = tc.Close()
	}
}

// enter registers a starting session; false once the server is shutting down.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.sessions.Add(1)
	return true
}

// sessionChannel accepts a session channel with the server's request policy in front of
// the ssh library's own session handling.
func (s *Server) sessionChannel(srv *ssh.Server, conn *gossh.ServerConn, nc gossh.NewChannel, ctx ssh.Context) {
	st := stateOf(ctx)
	if st.channels.Add(1) > maxChannelsPerConn {
		st.channels.Add(-1)
		_ = nc.Reject(gossh.ResourceShortage, fmt.Sprintf("at most %d sessions per connection", maxChannelsPerConn))
		return
	}
	defer st.channels.Add(-1)
	if st.conn != nil {
		st.conn.establish()
	}
	ssh.DefaultSessionHandler(srv, conn, policyChannel{NewChannel: nc, s: s, ctx: ctx}, ctx)
}
