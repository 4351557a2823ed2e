package sshd_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	sshd "conclave/ssh"
)

func TestMaxSessions(t *testing.T) {
	st := start(t, sshd.Options{MaxSessions: 2})
	first := openTerm(t, mustDial(t, st.addr, "admin", "admin"), 80, 24)
	first.waitControlRoom(t)
	second := openTerm(t, mustDial(t, st.addr, "admin", "admin"), 80, 24)
	second.waitControlRoom(t)

	tc := mustDial(t, st.addr, "admin", "admin")
	third := openTerm(t, tc, 80, 24)
	if code := third.waitEnd(t, 5*time.Second); code != 1 {
		t.Errorf("third session: exit %d, want 1", code)
	}
	if !strings.Contains(third.out.text(), normalize("too many sessions (limit 2)")) {
		t.Errorf("third session not told why; screen: %q", third.out.text())
	}
	// …and the connection it came on is closed once the message had time to arrive.
	closed := make(chan error, 1)
	go func() { closed <- tc.Wait() }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Error("the connection of a refused session stays open")
		tc.Close()
	}
	cc := mustDial(t, st.addr, "admin", "admin")
	_, errOut, code := run(t, cc, "rooms ls", "")
	if code != 1 || !strings.Contains(errOut, "too many sessions") {
		t.Errorf("command over the limit: exit %d, %q", code, errOut)
	}
	cc.Close()

	// A slot frees when a session ends.
	first.sess.Close()
	first.waitEnd(t, 5*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for {
		c := mustDial(t, st.addr, "admin", "admin")
		_, _, code := run(t, c, "help", "")
		c.Close()
		if code == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the slot of a closed session was not given back")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMaxConnections(t *testing.T) {
	st := start(t, sshd.Options{MaxSessions: 1, MaxConnections: 1})
	mustDial(t, st.addr, "admin", "admin") // holds the only connection
	var banner string
	c, err := dial(st.addr, "admin", gossh.Password("admin"), dialOpts{banner: &banner})
	if err == nil {
		c.Close()
		t.Fatal("a connection over MaxConnections signed in")
	}
	if !strings.Contains(banner, "too many connections") {
		t.Errorf("banner %q", banner)
	}
}

func TestIdleSessionIsClosed(t *testing.T) {
	st := start(t, sshd.Options{IdleTimeout: 300 * time.Millisecond})
	tm := openTerm(t, mustDial(t, st.addr, "admin", "admin"), 80, 24)
	tm.waitControlRoom(t)
	// Typing keeps it open past the timeout…
	for range 8 {
		time.Sleep(100 * time.Millisecond)
		if _, err := tm.in.Write([]byte("r")); err != nil {
			t.Fatalf("session closed while the user was typing: %v", err)
		}
	}
	select {
	case err := <-tm.ended:
		t.Fatalf("session closed while the user was typing: %v", err)
	default:
	}
	// …and silence closes it, saying why.
	start := time.Now()
	if code := tm.waitEnd(t, 3*time.Second); code != 1 {
		t.Errorf("idle session: exit %d, want 1", code)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("idle session closed after %s", d)
	}
	if !strings.Contains(tm.out.text(), normalize("without input")) {
		t.Errorf("idle session not told why; screen: %q", tm.out.text())
	}
}

func TestDroppedConnectionLeavesNothingBehind(t *testing.T) {
	st := start(t, sshd.Options{})
	settle := func(limit int) int {
		n := runtime.NumGoroutine()
		for deadline := time.Now().Add(5 * time.Second); n > limit && time.Now().Before(deadline); n = runtime.NumGoroutine() {
			time.Sleep(20 * time.Millisecond)
		}
		return n
	}
	// A first session warms up what lives for the process (database connections,
	// timers of the runtime), so that the baseline is steady.
	c := mustDial(t, st.addr, "admin", "admin")
	openTerm(t, c, 80, 24).waitControlRoom(t)
	c.Close()
	base := runtime.NumGoroutine()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		n := runtime.NumGoroutine()
		if n == base {
			break
		}
		base = n
	}

	for range 3 {
		c, err := dial(st.addr, "admin", gossh.Password("admin"))
		if err != nil {
			t.Fatal(err)
		}
		tm := openTerm(t, c, 80, 24)
		tm.waitControlRoom(t)
		if n := runtime.NumGoroutine(); n <= base {
			t.Fatalf("a running session adds no goroutine (%d ≤ %d): the count proves nothing", n, base)
		}
		c.Close() // the client vanishes without ending its session
	}
	if n := settle(base); n > base {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines left after dropped connections (baseline %d):\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

func TestShutdownEndsSessions(t *testing.T) {
	st := start(t, sshd.Options{})
	c := mustDial(t, st.addr, "admin", "admin")
	tm := openTerm(t, c, 80, 24)
	tm.waitControlRoom(t)
	// A command waiting for its standard input must not hold the shutdown either.
	cmd, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	cmdErr := newScreen()
	cmd.Stderr = cmdErr
	if _, err := cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start("keys add"); err != nil {
		t.Fatal(err)
	}
	cmdDone := make(chan error, 1)
	go func() { cmdDone <- cmd.Wait() }()
	time.Sleep(100 * time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	began := time.Now()
	if err := st.srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("shutdown took %s", d)
	}
	tm.waitEnd(t, 2*time.Second)
	if !strings.Contains(tm.out.text(), normalize("shutting down")) {
		t.Errorf("session not told about the shutdown; screen: %q", tm.out.text())
	}
	select {
	case err := <-cmdDone:
		if err == nil || !strings.Contains(cmdErr.text(), normalize("shutting down")) {
			t.Errorf("command at shutdown: %v, stderr %q", err, cmdErr.text())
		}
	case <-time.After(2 * time.Second):
		t.Error("a command waiting for input survived the shutdown")
	}
}

func TestResizeRedraws(t *testing.T) {
	st := start(t, sshd.Options{})
	tm := openTerm(t, mustDial(t, st.addr, "admin", "admin"), 80, 24)
	tm.waitControlRoom(t)
	time.Sleep(100 * time.Millisecond)
	before := len(tm.out.text())
	if err := tm.sess.WindowChange(30, 100); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for len(tm.out.text()) == before {
		if time.Now().After(deadline) {
			t.Fatal("a window resize did not reach the control room: no redraw")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
