package sshd_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"conclave/media/mediatest"
	sshd "conclave/ssh"
)

// stalled is a TCP connection that never sends the SSH banner, as a flood of them does.
type stalled struct {
	conn net.Conn
	// first is the first line the server sent: its SSH version when the connection was
	// admitted, a refusal otherwise.
	first string
	rd    *bufio.Reader
}

// stall connects from the local address ip and reads the server's first line.
func stall(t *testing.T, ip, addr string) *stalled {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("connect from %s: %v", ip, err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	rd := bufio.NewReader(c)
	line, err := rd.ReadString('\n')
	if err != nil && line == "" {
		t.Fatalf("connection from %s: nothing received: %v", ip, err)
	}
	return &stalled{conn: c, first: strings.TrimSpace(line), rd: rd}
}

func (s *stalled) admitted() bool { return strings.HasPrefix(s.first, "SSH-2.0-") }

// closedWithin reports whether the server closes the connection within d.
func (s *stalled) closedWithin(d time.Duration) bool {
	_ = s.conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, s.rd)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// dialFrom signs in from the local address ip.
func dialFrom(ip, addr, user string, auth gossh.AuthMethod) (*gossh.Client, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	cfg := &gossh.ClientConfig{User: user, Auth: []gossh.AuthMethod{auth},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	conn, chans, reqs, err := gossh.NewClientConn(c, addr, cfg)
	if err != nil {
		c.Close()
		return nil, err
	}
	_ = c.SetDeadline(time.Time{})
	return gossh.NewClient(conn, chans, reqs), nil
}

// signIn signs in as admin from ip and runs a command, as a user reaching the control
// room would.
func signIn(t *testing.T, ip, addr string) error {
	t.Helper()
	c, err := dialFrom(ip, addr, "admin", gossh.Password("admin"))
	if err != nil {
		return err
	}
	defer c.Close()
	if _, errOut, code := run(t, c, "help", ""); code != 0 {
		t.Errorf("help from %s: exit %d, %s", ip, code, errOut)
	}
	return nil
}

// logBuffer collects what the server logs.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The attack of issue 12: about 110 connections that never send the SSH banner used to
// take every connection slot for 30 s. With the default limits, one address gets only a
// few of them, the rest are turned away at once, and users elsewhere sign in as usual.
func TestStalledConnectionsFromOneAddressLockNobodyOut(t *testing.T) {
	mediatest.NeedNetns(t)
	var logs logBuffer
	st := start(t, sshd.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	flood := make([]*stalled, 110)
	for i := range flood {
		flood[i] = stall(t, "127.0.0.2", st.addr)
	}

	// An address that never signed in before gets in while the flood holds.
	if err := signIn(t, "127.0.0.3", st.addr); err != nil {
		t.Fatalf("sign-in from another address during the flood: %v", err)
	}

	// The flooder holds a few connections; every other one was refused, told why and
	// closed, not left waiting for a handshake that never comes.
	var admitted, refused int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, s := range flood {
		wg.Go(func() {
			closed := s.closedWithin(2 * time.Second)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case s.admitted() && !closed:
				admitted++
			case !s.admitted() && closed && strings.Contains(s.first, "too many connections"):
				refused++
			default:
				t.Errorf("flood connection: first line %q, closed %v", s.first, closed)
			}
		})
	}
	wg.Wait()
	if admitted != sshd.DefaultMaxPreAuthPerSource || refused != len(flood)-admitted {
		t.Errorf("flood of %d from one address: %d admitted, %d refused; want %d admitted, the rest refused",
			len(flood), admitted, refused, sshd.DefaultMaxPreAuthPerSource)
	}
	// The refusals are logged once for the offender, not once per connection.
	if n := strings.Count(logs.String(), "source=127.0.0.2"); n != 1 {
		t.Errorf("the flood was logged %d times, want once:\n%s", n, logs.String())
	}
}

// A stranger cannot take the slots kept for addresses that signed in before: with the
// strangers' share of pre-authentication slots full, a new address is turned away and a
// known one still signs in.
func TestAddressThatSignedInBeforeGetsReservedSlot(t *testing.T) {
	mediatest.NeedNetns(t)
	st := start(t, sshd.Options{MaxPreAuth: 4, MaxPreAuthPerSource: 2, PreAuthReserved: 2})
	const known = "127.0.0.4"
	if err := signIn(t, known, st.addr); err != nil {
		t.Fatalf("first sign-in: %v", err)
	}

	// Two strangers fill the share open to them (4 − 2 reserved).
	var strangers []*stalled
	for _, ip := range []string{"127.0.0.2", "127.0.0.3"} {
		s := stall(t, ip, st.addr)
		if !s.admitted() {
			t.Fatalf("%s refused below the limits: %q", ip, s.first)
		}
		strangers = append(strangers, s)
	}
	if s := stall(t, "127.0.0.5", st.addr); s.admitted() || !strings.Contains(s.first, "too many connections signing in; try again") {
		t.Errorf("a third stranger with the strangers' share full: first line %q", s.first)
	}
	// The known address takes a reserved slot with a stalled connection of its own, and
	// signs in on the last one: the total cap is full while it does.
	if s := stall(t, known, st.addr); !s.admitted() {
		t.Fatalf("known address refused a reserved slot: %q", s.first)
	}
	if err := signIn(t, known, st.addr); err != nil {
		t.Fatalf("sign-in from an address that signed in before, strangers' share full: %v", err)
	}
	// The cap is the total of connections not signed in: once the strangers' stalled
	// connections go, a new address is welcome again.
	for _, s := range strangers {
		s.conn.Close()
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		err := signIn(t, "127.0.0.5", st.addr)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slots of closed connections not given back: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A connection that never gets through the key exchange is closed after the handshake
// timeout, while a person typing a password has the longer login timeout.
func TestHandshakeAndLoginTimeouts(t *testing.T) {
	st := start(t, sshd.Options{HandshakeTimeout: 300 * time.Millisecond, LoginTimeout: 1500 * time.Millisecond})
	s := stall(t, "127.0.0.1", st.addr)
	began := time.Now()
	if !s.closedWithin(1200 * time.Millisecond) {
		t.Fatal("a connection that never sent its banner is still open after 1.2 s (handshake timeout 300 ms)")
	}
	if d := time.Since(began); d < 200*time.Millisecond {
		t.Errorf("stalled connection closed after %s, before its handshake timeout", d)
	}

	slowTyping := func(d time.Duration) gossh.AuthMethod {
		return gossh.PasswordCallback(func() (string, error) {
			time.Sleep(d)
			return "admin", nil
		})
	}
	// Past the handshake timeout but within the login timeout.
	c, err := dialFrom("127.0.0.1", st.addr, "admin", slowTyping(600*time.Millisecond))
	if err != nil {
		t.Fatalf("password typed within the login timeout: %v", err)
	}
	if _, errOut, code := run(t, c, "help", ""); code != 0 {
		t.Errorf("help: exit %d, %s", code, errOut)
	}
	c.Close()
	// Past the login timeout.
	if c, err := dialFrom("127.0.0.1", st.addr, "admin", slowTyping(2*time.Second)); err == nil {
		c.Close()
		t.Error("a password typed after the login timeout signed in")
	}
}

// Shutdown closes the connections still signing in at once: they could not start a
// session, and nothing else would close them before their deadline.
func TestShutdownClosesConnectionsSigningIn(t *testing.T) {
	st := start(t, sshd.Options{})
	s := stall(t, "127.0.0.1", st.addr)
	if !s.admitted() {
		t.Fatalf("refused: %q", s.first)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	began := time.Now()
	if err := st.srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if !s.closedWithin(time.Second) {
		t.Errorf("a connection signing in is still open %s after the shutdown began", time.Since(began).Round(time.Millisecond))
	}
}
