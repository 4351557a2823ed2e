package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startServer runs serve() as `conclave serve` would, on a loopback port, and returns its
// base URL and a function that stops it (as SIGTERM does) and returns serve's error.
func startServer(t *testing.T, cfg config) (string, func() error) {
	t.Helper()
	base, stop, _ := startServerOut(t, cfg)
	return base, stop
}

// startServerOut is startServer that also returns what the server printed and logged.
func startServerOut(t *testing.T, cfg config) (string, func() error, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	out := &syncBuffer{}
	go func() { done <- serve(ctx, cfg, out, func(a string) { addr <- a }) }()
	select {
	case a := <-addr:
		var once sync.Once
		var err error
		stop := func() error {
			once.Do(func() {
				cancel()
				select {
				case err = <-done:
				case <-time.After(15 * time.Second):
					err = errors.New("server did not shut down within 15 s")
				}
			})
			return err
		}
		t.Cleanup(func() {
			_ = stop()
			if t.Failed() {
				t.Logf("server output:\n%s", out.String())
			}
		})
		return "http://" + a + "/meet", stop, out
	case err := <-done:
		cancel()
		t.Fatalf("serve failed: %v\n%s", err, out.String())
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatalf("server did not start\n%s", out.String())
	}
	return "", nil, nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testConfig(t *testing.T, dir string) config {
	t.Helper()
	cfg, _, err := parseConfig("serve", []string{"--http", "127.0.0.1:0", "--ssh", "127.0.0.1:0", "--rtc-port", "0", "--rtc-ips", "127.0.0.1", "--data", dir}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func call(t *testing.T, method, url, token string, body any, want int) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, url, resp.StatusCode, want, data)
	}
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	return out
}

// TestRestartKeepsEverything stops a server the way SIGTERM does and starts another on the
// same data directory: users, rooms, members and sessions are all still there.
func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	base, stop := startServer(t, testConfig(t, dir))
	login := call(t, "POST", base+"/internal-api/v1/auth/login", "", map[string]string{"userId": "admin", "password": "admin"}, 200)
	tok, _ := login["accessToken"].(string)
	if tok == "" {
		t.Fatalf("no access token: %v", login)
	}
	call(t, "POST", base+"/api/v1/users", tok, map[string]string{"userId": "alice_w", "name": "Alice", "role": "room_manager", "password": "wonder1"}, 201)
	room := call(t, "POST", base+"/api/v1/rooms", tok, map[string]any{"roomName": "Weekly sync"}, 201)
	roomID, _ := room["roomId"].(string)
	if !strings.HasPrefix(roomID, "weekly_sync-") {
		t.Fatalf("room id %q", roomID)
	}
	member := call(t, "POST", base+"/api/v1/rooms/"+roomID+"/members", tok, map[string]any{"name": "Guest Gina", "baseRole": "speaker"}, 201)
	memberID, _ := member["memberId"].(string)
	if err := stop(); err != nil {
		t.Fatalf("graceful shutdown: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "conclave.db")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "ssh_host_ed25519_key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("SSH host key not kept private in the data directory: %v %v", fi, err)
	}

	base2, stop2 := startServer(t, testConfig(t, dir))
	defer stop2()
	// The access token from before the restart still works: the signing key (in its
	// file beside the database) and the session are kept.
	me := call(t, "GET", base2+"/internal-api/v1/users/me", tok, nil, 200)
	if me["userId"] != "admin" {
		t.Fatalf("me = %v", me)
	}
	got := call(t, "GET", base2+"/api/v1/rooms/"+roomID, tok, nil, 200)
	if got["roomName"] != "Weekly sync" {
		t.Fatalf("room after restart: %v", got)
	}
	m := call(t, "GET", base2+"/api/v1/rooms/"+roomID+"/members/"+memberID, tok, nil, 200)
	if m["name"] != "Guest Gina" {
		t.Fatalf("member after restart: %v", m)
	}
	call(t, "GET", base2+"/api/v1/users/alice_w", tok, nil, 200)
	// The user created before the restart can sign in with its password.
	call(t, "POST", base2+"/internal-api/v1/auth/login", "", map[string]string{"userId": "alice_w", "password": "wonder1"}, 200)
}

func TestConfigFromFlagsAndEnvironment(t *testing.T) {
	env := map[string]string{"CONCLAVE_HTTP": ":9999", "CONCLAVE_BASE_PATH": "/video", "CONCLAVE_MODE": "local"}
	cfg, _, err := parseConfig("serve", []string{"--http", ":7000"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP != ":7000" || cfg.BasePath != "/video" {
		t.Fatalf("flag should win over env, env over default: %+v", cfg)
	}
	for _, args := range [][]string{
		{"--mode", "staging"},
		{"--public-url", "localhost"},
		{"--mode", "production"},
		{"--tls-cert", "x.pem"},
		{"--log-level", "loud"},
		{"--ssh-idle-timeout", "soon"},
		{"--ssh-max-sessions", "0"},
		{"--rtc-port", "70000"},
		{"--rtc-ips", "localhost"},
		{"--rtc-public-ip", "example.com"},
		{"--ssh-handshake-timeout", "0s"},
		{"--ssh-login-timeout", "5s"}, // shorter than the handshake's 10 s
		{"--ssh-max-preauth", "0"},
		{"--ssh-max-preauth-per-source", "65"}, // more than the total of 64
		{"--ssh-preauth-reserved", "64"},       // would leave no slot for a new address
		{"--http-body-timeout", "forever"},
		{"--ws-frame-rate", "0"},
		{"--recording", "maybe"},
		{"--min-free-disk", "lots"},
		{"--record-sessions", "admin=maybe"},
		{"--record-sessions", "guest=off"},
		{"--session-retention", "1m"},
		{"--session-retention", "forever"},
	} {
		if _, _, err := parseConfig("serve", args, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	if _, _, err := parseConfig("serve", []string{"--mode", "production", "--behind-proxy"}, func(string) string { return "" }, io.Discard); err != nil {
		t.Errorf("production behind a proxy refused: %v", err)
	}
}

func TestProductionModeGeneratesAdminPassword(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.Mode, cfg.BehindProxy = "production", true
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, &out, func(a string) { addr <- a }) }()
	a := <-addr
	text := out.String()
	i := strings.Index(text, "password ")
	if i < 0 {
		cancel()
		t.Fatalf("no generated password printed:\n%s", text)
	}
	pw := strings.Fields(text[i+len("password "):])[0]
	// The password is also in the data directory, readable by its owner only, and both
	// what is printed and the log say where.
	pwFile := filepath.Join(dir, "initial-admin-password")
	fi, err := os.Stat(pwFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		cancel()
		t.Fatalf("initial password file: %v, %v (want mode 0600)", fi, err)
	}
	if data, _ := os.ReadFile(pwFile); strings.TrimSpace(string(data)) != pw {
		t.Errorf("file holds %q, printed %q", data, pw)
	}
	if n := strings.Count(text, pwFile); n < 2 {
		t.Errorf("the file is named %d times in the output and log, want both:\n%s", n, text)
	}
	base := "http://" + a + "/meet"
	call(t, "POST", base+"/internal-api/v1/auth/login", "", map[string]string{"userId": "admin", "password": "admin"}, 404)
	login := call(t, "POST", base+"/internal-api/v1/auth/login", "", map[string]string{"userId": "admin", "password": pw}, 200)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Printed once: a second start does not print (or change) it, but says the file is
	// still there.
	out = syncBuffer{}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	go func() { done <- serve(ctx2, cfg, &out, func(a string) { addr <- a }) }()
	a = <-addr
	base = "http://" + a + "/meet"
	if strings.Contains(out.String(), "Root admin created") {
		t.Fatal("password printed again on restart")
	}
	if !strings.Contains(out.String(), pwFile) {
		t.Errorf("a restart does not name the file still holding the password:\n%s", out.String())
	}
	// The first change of the password deletes the file.
	tok, _ := login["accessToken"].(string)
	call(t, "POST", base+"/internal-api/v1/users/change-password", tok,
		map[string]string{"currentPassword": pw, "newPassword": "Another-pass-42"}, 200)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(pwFile); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("initial password file still there 10 s after the password changed\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "initial password file deleted") {
		t.Errorf("the log does not say the file was deleted:\n%s", out.String())
	}
	cancel2()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestHTTPAloneGivesLinksOnThatAddress: without --public-url, every link the server hands
// out points at the address it listens on; a --public-url whose port cannot reach it is
// warned about in the log.
func TestHTTPAloneGivesLinksOnThatAddress(t *testing.T) {
	base, _ := startServer(t, testConfig(t, t.TempDir()))
	login := call(t, "POST", base+"/internal-api/v1/auth/login", "", map[string]string{"userId": "admin", "password": "admin"}, 200)
	tok, _ := login["accessToken"].(string)
	room := call(t, "POST", base+"/api/v1/rooms", tok, map[string]any{"roomName": "Here"}, 201)
	link, _ := room["access"].(map[string]any)["anonymous"].(map[string]any)["moderator"].(map[string]any)["url"].(string)
	if !strings.HasPrefix(link, base+"/") {
		t.Fatalf("moderator link %q is not on the server's address %s", link, base)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", link, resp.StatusCode)
	}

	cfg := testConfig(t, t.TempDir())
	cfg.PublicURL = "http://localhost:8080"
	base, _, out := startServerOut(t, cfg)
	if !strings.Contains(out.String(), "points at port 8080, but HTTP listens on port "+base[strings.LastIndex(base, ":")+1:len(base)-len("/meet")]) {
		t.Fatalf("no warning about the public URL's port:\n%s", out.String())
	}

	for _, c := range []struct {
		listen string
		tls    bool
		want   string
	}{
		{"[::]:8080", false, "http://localhost:8080"},
		{"0.0.0.0:9000", false, "http://localhost:9000"},
		{"192.0.2.10:80", false, "http://192.0.2.10"},
		{"[2001:db8::1]:443", true, "https://[2001:db8::1]"},
		{"[2001:db8::1]:8443", true, "https://[2001:db8::1]:8443"},
	} {
		if got := publicURLFor(c.listen, c.tls); got != c.want {
			t.Errorf("publicURLFor(%q, %v) = %q, want %q", c.listen, c.tls, got, c.want)
		}
	}
	if why := publicURLMismatch("https://meet.example.com", "127.0.0.1:8080", true); why != "" {
		t.Errorf("behind a proxy the ports may differ, but: %s", why)
	}
	if why := publicURLMismatch("http://meet.example.com:8080", "[::]:8080", false); why != "" {
		t.Errorf("same port warned about: %s", why)
	}
}

// TestVersion builds the binary as a user would and runs `conclave --version`: it names
// the commit it was built from (when built from a git checkout) and the Go version.
func TestVersion(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "conclave")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("--version: %v\n%s", err, out)
	}
	line := strings.TrimSpace(string(out))
	if !strings.HasPrefix(line, "conclave ") || !strings.Contains(line, runtime.Version()) || strings.Count(line, "\n") > 0 {
		t.Fatalf("--version printed %q", line)
	}
	// The commit, when the toolchain recorded one (a git checkout, -buildvcs not off).
	mod, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(mod), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.revision=") {
			rev := strings.TrimPrefix(f[1], "vcs.revision=")[:12]
			if !strings.Contains(line, "commit "+rev) {
				t.Fatalf("--version %q does not name the commit %s it was built from", line, rev)
			}
		}
	}
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	if got := versionLine(bi, true); !strings.HasPrefix(got, "conclave v1.2.3 (commit 0123456789ab, 2026-12-01T10:00:00Z, with local changes) go1.26.8 ") {
		t.Fatalf("versionLine = %q", got)
	}
	// Without VCS information it still answers.
	if got := versionLine(nil, false); !strings.HasPrefix(got, "conclave ") {
		t.Fatalf("versionLine without build info: %q", got)
	}
}
