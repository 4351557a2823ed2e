package web_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/web"
)

// syncLog collects what the server logs.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

const loginPath = "/meet/internal-api/v1/auth/login"

// trickle sends a login with a chunked body to addr, writing one chunk of the body every
// gap, and returns the connection and when its header went out. It stops writing when
// the server answers or hangs up.
func trickle(t *testing.T, addr string, chunks []string, gap time.Duration) (net.Conn, time.Time) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	began := time.Now()
	if _, err := fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n", loginPath, addr); err != nil {
		t.Fatal(err)
	}
	go func() {
		for i, ch := range chunks {
			if i > 0 {
				time.Sleep(gap)
			}
			if _, err := fmt.Fprintf(c, "%x\r\n%s\r\n", len(ch), ch); err != nil {
				return
			}
		}
		_, _ = io.WriteString(c, "0\r\n\r\n")
	}()
	return c, began
}

// A body sent one byte a second, unauthenticated on the login route, is cut off when its
// time is up with a 408 in the API's error shape, and the connection is closed; the
// offender is logged once, not once per request. A body that is slow but arrives in
// time, and a normal sign-in, still work.
func TestSlowBodyIsCutOff(t *testing.T) {
	var logs syncLog
	const timeout = time.Second
	s := openStack(t, t.TempDir()+"/conclave.db", func(c *conclavetest.HTTPConfig) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
		c.Web = func(o *web.Options) { o.BodyTimeout = timeout }
	})
	addr := s.srv.Listener.Addr().String()
	body := `{"userId":"admin","password":"admin"}`
	bytewise := strings.Split(body, "")

	// Two at once from the same address: both cut off, one log line.
	var wg sync.WaitGroup
	for range 2 {
		c, began := trickle(t, addr, bytewise, time.Second)
		wg.Go(func() {
			_ = c.SetReadDeadline(began.Add(timeout + 3*time.Second))
			rd := bufio.NewReader(c)
			res, err := http.ReadResponse(rd, nil)
			if err != nil {
				t.Errorf("no answer to a body trickling in, %s after it started: %v", time.Since(began).Round(time.Millisecond), err)
				return
			}
			took := time.Since(began)
			data, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var e struct{ Error, Message string }
			if res.StatusCode != http.StatusRequestTimeout || json.Unmarshal(data, &e) != nil ||
				e.Error != "Request Timeout" || !strings.Contains(e.Message, "1s") {
				t.Errorf("slow body: status %d, body %s", res.StatusCode, data)
			}
			if took < timeout-100*time.Millisecond || took > timeout+2*time.Second {
				t.Errorf("slow body answered after %s, want about %s", took.Round(time.Millisecond), timeout)
			}
			// Nothing more is read from that connection: the server hangs up (a reset
			// is a hang-up too: the client was still sending).
			var ne net.Error
			if n, err := io.Copy(io.Discard, rd); errors.As(err, &ne) && ne.Timeout() {
				t.Errorf("connection still open after the 408 (%d more bytes): %v", n, err)
			}
		})
	}
	wg.Wait()
	if n := strings.Count(logs.String(), "http request body too slow"); n != 1 {
		t.Errorf("two slow bodies from one address logged %d times, want once:\n%s", n, logs.String())
	}

	// Slow but within the time: a sign-in in two parts.
	c, _ := trickle(t, addr, []string{body[:10], body[10:]}, 300*time.Millisecond)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("slow body within the time: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("slow body within the time: status %d", res.StatusCode)
	}
	s.admin()
}
