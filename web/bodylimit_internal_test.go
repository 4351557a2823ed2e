package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"conclave/core"
)

// post sends body to url in parts, gap apart, as a chunked body, and returns the status
// and the answer.
func post(t *testing.T, url string, parts []string, gap time.Duration) (int, string) {
	t.Helper()
	pr, pw := io.Pipe()
	go func() {
		for i, p := range parts {
			if i > 0 {
				time.Sleep(gap)
			}
			if _, err := io.WriteString(pw, p); err != nil {
				return
			}
		}
		pw.Close()
	}()
	res, err := http.Post(url, "application/octet-stream", pr)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(data)
}

// A route for uploads can give its bodies longer than the server's body timeout; and a
// handler that works on past the deadline once it has its body is not cut off.
func TestRouteBodyTimeout(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := &server{log: log, base: "/meet", mux: http.NewServeMux(), bodyTimeout: 300 * time.Millisecond,
		slowBodies: newOffenderLog(log, "slow", time.Minute)}
	ctxErr := make(chan error, 1)
	echo := func(w http.ResponseWriter, r *http.Request, _ *core.Principal) error {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		if r.URL.Path == "/meet/slow-handler" {
			time.Sleep(600 * time.Millisecond)
			ctxErr <- r.Context().Err()
		}
		_, _ = w.Write(b)
		return nil
	}
	s.handle("POST", "/upload", credAnonymous, echo, withBodyTimeout(3*time.Second))
	s.handle("POST", "/json", credAnonymous, echo)
	s.handle("POST", "/slow-handler", credAnonymous, echo)
	srv := httptest.NewServer(s)
	defer srv.Close()

	parts := []string{"part one,", " part two,", " part three"}
	if code, body := post(t, srv.URL+"/meet/upload", parts, 250*time.Millisecond); code != http.StatusOK || body != strings.Join(parts, "") {
		t.Errorf("upload route, body over 500 ms (its limit 3 s): status %d, %q", code, body)
	}
	if code, body := post(t, srv.URL+"/meet/json", parts, 250*time.Millisecond); code != http.StatusRequestTimeout || !strings.Contains(body, "300ms") {
		t.Errorf("default route, body over 500 ms (limit 300 ms): status %d, %q", code, body)
	}
	if code, _ := post(t, srv.URL+"/meet/slow-handler", []string{"quick"}, 0); code != http.StatusOK {
		t.Errorf("handler working past the body deadline: status %d", code)
	}
	if err := <-ctxErr; err != nil {
		t.Errorf("the request of a handler working past the body deadline was cancelled: %v", err)
	}
}
