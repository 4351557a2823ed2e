package sshd_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	sshd "conclave/ssh"
)

func TestShellWithoutTerminalIsRefused(t *testing.T) {
	st := start(t, sshd.Options{})
	sess, err := mustDial(t, st.addr, "admin", "admin").NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	var out, errOut bytes.Buffer
	sess.Stdout, sess.Stderr = &out, &errOut
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	err = sess.Wait()
	var ee *gossh.ExitError
	if !errors.As(err, &ee) || ee.ExitStatus() == 0 {
		t.Fatalf("shell without a terminal: %v", err)
	}
	if !strings.Contains(errOut.String(), "connect with a terminal, or run a command such as `rooms ls`") {
		t.Errorf("stderr %q", errOut.String())
	}
}

func TestForwardingIsRefused(t *testing.T) {
	st := start(t, sshd.Options{})
	c := mustDial(t, st.addr, "admin", "admin")

	// Something to forward to, so that a refusal is the server's and not a dead port's.
	target, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	if conn, err := c.Dial("tcp", target.Addr().String()); err == nil {
		conn.Close()
		t.Error("local port forwarding (direct-tcpip) was allowed")
	} else if !strings.Contains(err.Error(), "does not forward ports") {
		t.Errorf("direct-tcpip refused without the reason: %v", err)
	}
	if ln, err := c.Listen("tcp", "127.0.0.1:0"); err == nil {
		ln.Close()
		t.Error("remote port forwarding (tcpip-forward) was allowed")
	}
	// Unix-socket forwarding and other channel types.
	if ch, _, err := c.OpenChannel("direct-streamlocal@openssh.com", nil); err == nil {
		ch.Close()
		t.Error("unix socket forwarding was allowed")
	}
	// The connection still works after the refusals.
	if _, _, code := run(t, c, "help", ""); code != 0 {
		t.Errorf("help after refusals: exit %d", code)
	}
}

func TestSessionRequestsAreFiltered(t *testing.T) {
	st := start(t, sshd.Options{})
	c := mustDial(t, st.addr, "admin", "admin")
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if ok, err := sess.SendRequest("auth-agent-req@openssh.com", true, nil); ok || err != nil {
		t.Errorf("agent forwarding: ok %v, err %v", ok, err)
	}
	x11 := gossh.Marshal(struct {
		Single   bool
		Protocol string
		Cookie   string
		Screen   uint32
	}{false, "MIT-MAGIC-COOKIE-1", "00", 0})
	if ok, err := sess.SendRequest("x11-req", true, x11); ok || err != nil {
		t.Errorf("X11 forwarding: ok %v, err %v", ok, err)
	}
	if err := sess.Setenv("LD_PRELOAD", "/tmp/evil.so"); err == nil {
		t.Error("an arbitrary environment variable was accepted")
	}
	if err := sess.Setenv("NO_COLOR", "1"); err != nil {
		t.Errorf("NO_COLOR refused: %v", err)
	}

	// sftp (and so scp, which uses it now) gets a message and a failure. x/crypto's
	// Session cannot wait on a subsystem, so this speaks to the channel directly.
	ch, reqs, err := c.OpenChannel("session", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	if ok, err := ch.SendRequest("subsystem", true, gossh.Marshal(struct{ Name string }{"sftp"})); !ok || err != nil {
		t.Fatalf("subsystem request: ok %v, err %v", ok, err)
	}
	status := make(chan uint32, 1)
	go func() {
		for r := range reqs {
			if r.Type == "exit-status" && len(r.Payload) == 4 {
				status <- uint32(r.Payload[3]) | uint32(r.Payload[2])<<8
			}
		}
		close(status)
	}()
	msg, _ := io.ReadAll(ch.Stderr())
	if code := <-status; code != 1 || !strings.Contains(string(msg), "no file transfer") {
		t.Errorf("sftp: exit %d, stderr %q", code, msg)
	}
}

// A terminal of absurd size must not make the renderer allocate for it.
func TestHugeTerminalIsClamped(t *testing.T) {
	st := start(t, sshd.Options{})
	c := mustDial(t, st.addr, "admin", "admin")
	tm := openTerm(t, c, 1<<30, 1<<30)
	tm.waitControlRoom(t)
	if err := tm.sess.WindowChange(1<<31, 1<<31); err != nil {
		t.Fatal(err)
	}
	if _, err := tm.in.Write([]byte("r")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if _, _, code := run(t, c, "help", ""); code != 0 {
		t.Errorf("server unwell after a huge window: exit %d", code)
	}
}

// NO_COLOR sent by the client (SetEnv/SendEnv) takes the colour out of the control room.
func TestNoColorIsHonoured(t *testing.T) {
	st := start(t, sshd.Options{})
	c := mustDial(t, st.addr, "admin", "admin")
	hasColour := func(s string) bool {
		return strings.Contains(s, "\x1b[38;") || strings.Contains(s, "\x1b[48;") || strings.Contains(s, ";38;") || strings.Contains(s, ";48;")
	}
	coloured := openTermWith(t, c, 100, 30, "", nil)
	coloured.waitControlRoom(t)
	time.Sleep(200 * time.Millisecond)
	if !hasColour(coloured.out.raw()) {
		t.Skip("the control room draws no colour here, so NO_COLOR cannot be seen to work")
	}
	plain := openTermWith(t, c, 100, 30, "", map[string]string{"NO_COLOR": "1"})
	plain.waitControlRoom(t)
	time.Sleep(200 * time.Millisecond)
	if hasColour(plain.out.raw()) {
		t.Errorf("NO_COLOR=1 session still draws colour: %q", plain.out.raw())
	}
}
