package sshd

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"charm.land/ssh"
)

// maxChannelsPerConn bounds the session channels one connection may hold open at once
// (OpenSSH's MaxSessions): a multiplexing client gets a few, a flood gets refused before it
// costs a goroutine each.
const maxChannelsPerConn = 10

// closeGrace is how long a connection whose last session was refused or timed out is left
// open before the server closes it: long enough for the message and exit status already
// sent to reach the client, which normally hangs up by itself first.
const closeGrace = 2 * time.Second

// slots counts the sessions running at once against MaxSessions.
type slots struct {
	mu   sync.Mutex
	used int
	max  int
}

func (s *slots) acquire() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used >= s.max {
		return false
	}
	s.used++
	return true
}

func (s *slots) release() {
	s.mu.Lock()
	s.used--
	s.mu.Unlock()
}

// connState is what the server tracks about one SSH connection. It lives in the
// connection's ssh.Context, which is how the ssh library hands per-connection data to
// every callback.
type connState struct {
	conn *trackedConn
	// source is what the pre-authentication limits count the connection under.
	source string
	// preAuth is set while the connection holds a pre-authentication slot: from its
	// arrival until it signs in or goes away.
	preAuth atomic.Bool
	// slot says whether the connection holds one of the MaxConnections slots: from the
	// moment its credentials are accepted until it goes away (slotNone, slotHeld,
	// slotGone once closed, so that a sign-in finishing as the connection closes cannot
	// take a slot nobody gives back).
	slot atomic.Int32
	// refused is set when the connection arrived with MaxConnections signed in already:
	// it is told so in an authentication banner and closed, without spending any
	// password check on it.
	refused atomic.Bool
	// channels counts open session channels, running counts sessions running a handler.
	channels atomic.Int32
	running  atomic.Int32
	// audited is set once the connection's sign-in is in the audit log: at its first
	// session, since a public-key callback may only be a client probing its keys.
	audited atomic.Bool
}

const (
	slotNone int32 = iota
	slotHeld
	slotGone
)

type connStateKey struct{}

func stateOf(ctx ssh.Context) *connState {
	st, _ := ctx.Value(connStateKey{}).(*connState)
	if st == nil {
		// Not reached: every connection gets a state in onConn. A fresh one keeps the
		// callbacks safe should the library ever skip the hook.
		st = &connState{}
		ctx.SetValue(connStateKey{}, st)
	}
	return st
}

// closeSoon closes the connection after closeGrace unless a session is running on it by
// then.
func (st *connState) closeSoon() {
	time.AfterFunc(closeGrace, func() {
		if st.running.Load() == 0 && st.conn != nil {
			_ = st.conn.Close()
		}
	})
}

// trackedConn is a connection as the server sees it: it reports itself closed, and closes
// itself when it has not finished the key exchange within the handshake timeout, not
// signed in and opened a first session within the login timeout, or carried no traffic
// for idleTimeout.
//
// The ssh library can do some of this (Server.HandshakeTimeout, IdleTimeout), but it
// clears its handshake deadline while its read loop reads it, a data race; and resetting
// a deadline on every read and write is more work than a timestamp and a timer.
type trackedConn struct {
	net.Conn
	once    sync.Once
	onClose func()

	idleTimeout time.Duration
	login       time.Time    // deadline for signing in and opening a first session
	deadline    atomic.Int64 // UnixNano of the current stage's deadline, 0 once established
	last        atomic.Int64 // UnixNano of the last read or write
	established atomic.Bool
	closed      atomic.Bool
}

func newTrackedConn(c net.Conn, handshakeTimeout, loginTimeout, idleTimeout time.Duration, onClose func()) *trackedConn {
	now := time.Now()
	tc := &trackedConn{Conn: c, onClose: onClose, idleTimeout: idleTimeout, login: now.Add(max(loginTimeout, handshakeTimeout))}
	tc.deadline.Store(now.Add(handshakeTimeout).UnixNano())
	tc.last.Store(now.UnixNano())
	return tc
}

// watch starts enforcing the deadlines.
func (c *trackedConn) watch() {
	c.check()
}

// keyed marks the key exchange done: from now on the connection has until the login
// deadline, time for a person to type a password.
func (c *trackedConn) keyed() {
	if !c.established.Load() {
		c.deadline.Store(c.login.UnixNano())
	}
}

// establish marks the connection signed in and using a session: the handshake and login
// deadlines no longer apply.
func (c *trackedConn) establish() {
	c.established.Store(true)
	c.deadline.Store(0)
}

func (c *trackedConn) check() {
	if c.closed.Load() {
		return
	}
	now := time.Now()
	deadline := c.deadline.Load()
	if deadline != 0 && now.UnixNano() >= deadline {
		_ = c.Close()
		return
	}
	quiet := now.Sub(time.Unix(0, c.last.Load()))
	if quiet >= c.idleTimeout {
		_ = c.Close()
		return
	}
	next := c.idleTimeout - quiet
	if deadline != 0 {
		next = min(next, time.Unix(0, deadline).Sub(now))
	}
	time.AfterFunc(next, c.check)
}

func (c *trackedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.last.Store(time.Now().UnixNano())
	}
	return n, err
}

func (c *trackedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.last.Store(time.Now().UnixNano())
	}
	return n, err
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.closed.Store(true)
		c.onClose()
	})
	return c.Conn.Close()
}

// idleWatch calls onIdle once when touch has not been called for timeout. Only input from
// the user counts as activity: a control room that keeps redrawing live data, or a client
// sending keepalives, is still idle when nobody is typing.
type idleWatch struct {
	timeout time.Duration
	last    atomic.Int64 // UnixNano of the last input

	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
	onIdle  func()
}

func newIdleWatch(timeout time.Duration, onIdle func()) *idleWatch {
	w := &idleWatch{timeout: timeout, onIdle: onIdle}
	w.touch()
	w.mu.Lock()
	w.timer = time.AfterFunc(timeout, w.check)
	w.mu.Unlock()
	return w
}

func (w *idleWatch) touch() { w.last.Store(time.Now().UnixNano()) }

func (w *idleWatch) check() {
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return
	}
	quiet := time.Since(time.Unix(0, w.last.Load()))
	if quiet < w.timeout {
		w.timer.Reset(w.timeout - quiet)
		w.mu.Unlock()
		return
	}
	w.stopped = true
	w.mu.Unlock()
	w.onIdle()
}

// stop ends the watch: onIdle does not start after stop returns, though it may already be
// running, so it must be safe to run while the session ends.
func (w *idleWatch) stop() {
	w.mu.Lock()
	w.stopped = true
	w.timer.Stop()
	w.mu.Unlock()
}

// watchedSession is a session whose reads count as user activity.
type watchedSession struct {
	ssh.Session
	idle *idleWatch
	// onEOF, when set, is called when input ends. The session's context is the
	// connection's, so a client that closes one channel and keeps the connection would
	// otherwise leave its control room running with nobody to read it.
	onEOF func()
}

func (s watchedSession) Read(p []byte) (int, error) {
	n, err := s.Session.Read(p)
	if n > 0 {
		s.idle.touch()
	}
	if err != nil && s.onEOF != nil {
		s.onEOF()
	}
	return n, err
}
