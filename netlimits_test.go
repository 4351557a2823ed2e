package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"conclave/media/mediatest"
)

func TestNetworkLimitDefaults(t *testing.T) {
	cfg, _, err := parseConfig("serve", nil, func(k string) string {
		return map[string]string{"CONCLAVE_HTTP_BODY_TIMEOUT": "3s", "CONCLAVE_SSH_PREAUTH_RESERVED": "5"}[k]
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SSHHandshakeTimeout != 10*time.Second || cfg.SSHLoginTimeout != 30*time.Second ||
		cfg.SSHMaxPreAuth != 64 || cfg.SSHMaxPreAuthPerSource != 10 {
		t.Errorf("SSH pre-authentication defaults: %+v", cfg)
	}
	if cfg.WSFrameRate != 50 {
		t.Errorf("signalling frame rate default %d, want 50", cfg.WSFrameRate)
	}
	if cfg.HTTPBodyTimeout != 3*time.Second || cfg.SSHPreAuthReserved != 5 {
		t.Errorf("limits from the environment: body timeout %s, reserved %d", cfg.HTTPBodyTimeout, cfg.SSHPreAuthReserved)
	}
}

// The limit flags reach the servers `conclave serve` runs: a body trickled into the
// login route is answered 408 after --http-body-timeout, and SSH refuses a third
// connection from one address with --ssh-max-preauth-per-source 2 and closes the others
// after --ssh-handshake-timeout.
func TestNetworkLimitFlagsReachTheServers(t *testing.T) {
	dir := t.TempDir()
	cfg, _, err := parseConfig("serve", []string{"--http", "127.0.0.1:0", "--ssh", "127.0.0.1:0", "--rtc-port", "0",
		"--rtc-ips", "127.0.0.1", "--data", dir, "--http-body-timeout", "1s",
		"--ssh-max-preauth-per-source", "2", "--ssh-handshake-timeout", "500ms"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, &out, func(a string) { addr <- a }) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	var httpAddr string
	select {
	case httpAddr = <-addr:
	case err := <-done:
		t.Fatalf("serve: %v\n%s", err, out.String())
	}
	m := regexp.MustCompile(`conclave listening.* ssh=(\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("SSH address not in the log:\n%s", out.String())
	}
	sshAddr := m[1]

	// HTTP: the login body trickles in a byte a second.
	c, err := net.Dial("tcp", httpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	began := time.Now()
	fmt.Fprintf(c, "POST /meet/internal-api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
	go func() {
		for _, b := range `{"userId":"admin","password":"admin"}` {
			if _, err := fmt.Fprintf(c, "1\r\n%c\r\n", b); err != nil {
				return
			}
			time.Sleep(time.Second)
		}
	}()
	_ = c.SetReadDeadline(began.Add(4 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to a trickled body after %s: %v", time.Since(began).Round(time.Millisecond), err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestTimeout {
		t.Errorf("trickled body: status %d, want 408", res.StatusCode)
	}

	// SSH: connections that never send their banner.
	first := func(c net.Conn) string {
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		line, _ := bufio.NewReader(c).ReadString('\n')
		return strings.TrimSpace(line)
	}
	var held []net.Conn
	for i := range 3 {
		c, err := net.Dial("tcp", sshAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		line := first(c)
		if i < 2 && !strings.HasPrefix(line, "SSH-2.0-") {
			t.Errorf("connection %d refused below the limit: %q", i+1, line)
		}
		if i == 2 && !strings.Contains(line, "too many connections signing in from this address") {
			t.Errorf("third connection from one address: %q", line)
		}
		held = append(held, c)
	}
	for i, c := range held[:2] {
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := io.Copy(io.Discard, c); err != nil {
			t.Errorf("stalled connection %d not closed after the handshake timeout: %v", i+1, err)
		}
	}
}

// --ws-frame-rate reaches the signalling connections `conclave serve` accepts: with 2
// frames per second (bursts of 4), a burst of bad frames is answered rate_limited.
func TestWSFrameRateReachesSignalling(t *testing.T) {
	mediatest.NeedNetns(t)
	dir := t.TempDir()
	cfg, _, err := parseConfig("serve", []string{"--http", "127.0.0.1:0", "--ssh", "off", "--rtc-port", "0",
		"--rtc-ips", "127.0.0.1", "--data", dir, "--ws-frame-rate", "2"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := startServer(t, cfg)
	login := call(t, "POST", base+"/internal-api/v1/auth/login", "", map[string]string{"userId": "admin", "password": "admin"}, 200)
	adm, _ := login["accessToken"].(string)
	room := call(t, "POST", base+"/api/v1/rooms", adm, map[string]any{"roomName": "Rates"}, 201)
	roomID, _ := room["roomId"].(string)
	link, _ := room["access"].(map[string]any)["anonymous"].(map[string]any)["speaker"].(map[string]any)["url"].(string)
	secret := link[strings.Index(link, "secret=")+len("secret="):]
	tok := call(t, "POST", base+"/internal-api/v1/rooms/"+roomID+"/members/token", "",
		map[string]any{"secret": secret, "joinMeeting": true, "participantName": "Rita"}, 200)["token"].(string)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws?token="+tok, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	for range 8 {
		if err := ws.Write(ctx, websocket.MessageText, []byte(`{"v":1,"type":"dance"}`)); err != nil {
			t.Fatal(err)
		}
	}
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("no rate_limited before the socket ended: %v", err)
		}
		if strings.Contains(string(data), `"code":"rate_limited"`) {
			return
		}
	}
}
