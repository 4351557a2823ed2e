package sshd_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"

	"conclave/conclavetest"
	"conclave/core"
	sshd "conclave/ssh"
)

// stack is a real core on a temporary SQLite database with the SSH server in front.
type stack struct {
	svc  *core.Service
	srv  *sshd.Server
	addr string
	dir  string
}

// testLogger discards logs unless SSHD_TEST_LOG is set: sessions may log after a test
// returns, when t.Log would panic.
func testLogger() *slog.Logger {
	if os.Getenv("SSHD_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newCore(t *testing.T, dir string, limits core.LoginLimits) *core.Service {
	t.Helper()
	svc, _ := conclavetest.Core(t, conclavetest.Config{DBPath: filepath.Join(dir, "conclave.db"),
		PublicURL: "https://meet.example.com", LoginLimits: limits, Logger: testLogger()})
	return svc
}

// start runs a server with opts (HostKeyPath defaults to the temporary data directory).
func start(t *testing.T, opts sshd.Options) *stack {
	t.Helper()
	dir := t.TempDir()
	return startOn(t, newCore(t, dir, core.LoginLimits{}), dir, opts)
}

func startOn(t *testing.T, svc *core.Service, dir string, opts sshd.Options) *stack {
	t.Helper()
	if opts.HostKeyPath == "" {
		opts.HostKeyPath = filepath.Join(dir, "ssh_host_ed25519_key")
	}
	if opts.Logger == nil {
		opts.Logger = testLogger()
	}
	srv, err := sshd.New(svc, opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, sshd.ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return &stack{svc: svc, srv: srv, addr: ln.Addr().String(), dir: dir}
}

var meta = core.RequestMeta{Source: "127.0.0.1", Device: "test", Via: "local"}

func principal(t *testing.T, svc *core.Service, user string) *core.Principal {
	t.Helper()
	p, err := svc.UserPrincipal(context.Background(), user, meta)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// addUser creates a user through core; ready users have changed their first password.
func addUser(t *testing.T, svc *core.Service, user string, role core.Role, ready bool) (password string) {
	t.Helper()
	ctx := context.Background()
	if _, err := svc.CreateUser(ctx, principal(t, svc, "admin"), core.NewUser{UserID: user, Name: "User " + user, Role: string(role), Password: "first-pass"}); err != nil {
		t.Fatal(err)
	}
	if !ready {
		return "first-pass"
	}
	if _, err := svc.ChangePassword(ctx, principal(t, svc, user), "first-pass", "second-pass"); err != nil {
		t.Fatal(err)
	}
	return "second-pass"
}

type dialOpts struct {
	banner  *string
	hostKey *gossh.PublicKey
}

func dial(addr, user string, auth gossh.AuthMethod, o ...dialOpts) (*gossh.Client, error) {
	cfg := &gossh.ClientConfig{
		User:            user,
		Auth:            []gossh.AuthMethod{auth},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
		Timeout:         5 * time.Second,
	}
	for _, d := range o {
		if d.banner != nil {
			cfg.BannerCallback = func(msg string) error { *d.banner += msg; return nil }
		}
		if d.hostKey != nil {
			cfg.HostKeyCallback = func(_ string, _ net.Addr, k gossh.PublicKey) error { *d.hostKey = k; return nil }
		}
	}
	return gossh.Dial("tcp", addr, cfg)
}

func mustDial(t *testing.T, addr, user, password string) *gossh.Client {
	t.Helper()
	c, err := dial(addr, user, gossh.Password(password))
	if err != nil {
		t.Fatalf("dial as %s: %v", user, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// run runs one command without a terminal and returns its output and exit status.
func run(t *testing.T, c *gossh.Client, cmd, stdin string) (stdout, stderr string, code int) {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	var out, errb bytes.Buffer
	sess.Stdout, sess.Stderr = &out, &errb
	sess.Stdin = strings.NewReader(stdin)
	err = sess.Run(cmd)
	var ee *gossh.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitStatus()
	default:
		t.Fatalf("%s: %v (stderr %q)", cmd, err, errb.String())
	}
	return out.String(), errb.String(), code
}

// screen collects what a terminal session prints.
type screen struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newScreen() *screen { return &screen{changed: make(chan struct{}, 1)} }

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.buf.Write(p)
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return len(p), nil
}

// text is everything printed so far without escape sequences or white space, in lower
// case: a renderer may move the cursor instead of printing spaces, so only the order of
// the visible characters is reliable.
func (s *screen) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return normalize(s.buf.String())
}

// raw is everything printed so far, escape sequences included.
func (s *screen) raw() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func normalize(v string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, ansi.Strip(v))
}

// waitFor waits until the screen shows one of wants and returns it, or "" on timeout.
func (s *screen) waitFor(timeout time.Duration, wants ...string) string {
	deadline := time.After(timeout)
	for {
		text := s.text()
		for _, w := range wants {
			if strings.Contains(text, normalize(w)) {
				return w
			}
		}
		select {
		case <-s.changed:
		case <-deadline:
			return ""
		}
	}
}

// term is an interactive session with a pseudo-terminal.
type term struct {
	sess  *gossh.Session
	in    io.WriteCloser
	out   *screen
	ended chan error
}

func openTerm(t *testing.T, c *gossh.Client, cols, rows int) *term {
	t.Helper()
	return openTermWith(t, c, cols, rows, "", nil)
}

// openTermWith opens a terminal session that runs command ("" for the control room) with
// env set first.
func openTermWith(t *testing.T, c *gossh.Client, cols, rows int, command string, env map[string]string) *term {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	for k, v := range env {
		if err := sess.Setenv(k, v); err != nil {
			t.Fatalf("setenv %s: %v", k, err)
		}
	}
	if err := sess.RequestPty("xterm-256color", rows, cols, gossh.TerminalModes{gossh.ECHO: 0}); err != nil {
		t.Fatal(err)
	}
	scr := newScreen()
	sess.Stdout, sess.Stderr = scr, scr
	in, err := sess.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if command == "" {
		err = sess.Shell()
	} else {
		err = sess.Start(command)
	}
	if err != nil {
		t.Fatal(err)
	}
	tm := &term{sess: sess, in: in, out: scr, ended: make(chan error, 1)}
	go func() { tm.ended <- sess.Wait() }()
	return tm
}

// controlRoomShown is what either the placeholder or the real control room shows first.
var controlRoomShown = []string{"control room", "rooms"}

func (tm *term) waitControlRoom(t *testing.T) {
	t.Helper()
	if tm.out.waitFor(5*time.Second, controlRoomShown...) == "" {
		t.Fatalf("control room did not appear; screen: %q", tm.out.text())
	}
}

// waitEnd waits for the session to end and returns its exit status (-1 without one).
func (tm *term) waitEnd(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case err := <-tm.ended:
		var ee *gossh.ExitError
		if errors.As(err, &ee) {
			return ee.ExitStatus()
		}
		if err == nil {
			return 0
		}
		return -1
	case <-time.After(timeout):
		t.Fatalf("session still open after %s; screen: %q", timeout, tm.out.text())
		return 0
	}
}

// newKey makes an Ed25519 key pair: its signer and its authorized_keys line.
func newKey(t *testing.T, comment string) (gossh.Signer, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(signer.PublicKey()))) + " " + comment
	return signer, line
}
