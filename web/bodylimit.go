package web

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"
)

// DefaultBodyTimeout is Options.BodyTimeout when zero: every body of this API is a few
// hundred bytes, which arrive in well under a second even on a poor link.
const DefaultBodyTimeout = 10 * time.Second

// routeOption changes how one route is served.
type routeOption func(*routeConfig)

type routeConfig struct {
	bodyTimeout time.Duration
}

// withBodyTimeout gives the request bodies of one route d to arrive instead of
// Options.BodyTimeout, counted from the same moment (when the request's header has been
// read). It is meant for uploads, which take longer than any JSON body; such a route
// needs a larger size limit than readObject's too.
func withBodyTimeout(d time.Duration) routeOption {
	return func(c *routeConfig) { c.bodyTimeout = d }
}

// timedBody is a request body with a deadline. The deadline is the connection's read
// deadline (the stream's in HTTP/2), set through http.ResponseController, so that a read
// blocked on a client that sends one byte now and then ends when the time is up. Once the
// body is read, net/http lifts it itself before it watches the connection for a client
// that goes away, so it cannot cut off a handler that works on for longer.
//
// The deadline is set before the handler runs, not at its first read: net/http reads an
// unread body itself before answering (to reuse the connection), and that read needs
// the bound as much as the handler's.
type timedBody struct {
	io.ReadCloser
	rc        *http.ResponseController
	start     time.Time
	timeout   time.Duration
	onTimeout func(timeout time.Duration)
	once      sync.Once
}

// limitBody bounds the time to read r's body to timeout and returns the request to pass
// on. Requests without a body are passed as they are: a WebSocket upgrade keeps its
// connection long after its request, and must not inherit a deadline.
func limitBody(w http.ResponseWriter, r *http.Request, timeout time.Duration, onTimeout func(time.Duration)) *http.Request {
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return r
	}
	b := &timedBody{ReadCloser: r.Body, rc: http.NewResponseController(w), start: time.Now(), timeout: timeout, onTimeout: onTimeout}
	if b.rc.SetReadDeadline(b.start.Add(timeout)) != nil {
		return r // not a connection with deadlines (a test recorder): nothing to bound
	}
	r2 := *r
	r2.Body = b
	return &r2
}

// extendBody gives r's body timeout to arrive instead, counted from the request's start.
func extendBody(r *http.Request, timeout time.Duration) {
	if b, ok := r.Body.(*timedBody); ok {
		b.timeout = timeout
		_ = b.rc.SetReadDeadline(b.start.Add(timeout))
	}
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == nil || err == io.EOF {
		return n, err
	}
	// The deadline's own error, or (HTTP/2, which wraps it) any failure once it passed.
	if errors.Is(err, os.ErrDeadlineExceeded) || !time.Now().Before(b.start.Add(b.timeout)) {
		if b.onTimeout != nil {
			b.once.Do(func() { b.onTimeout(b.timeout) })
		}
		return n, bodyTimeoutError(b.timeout)
	}
	return n, err
}

// bodyTimeoutError is what reading a body that did not arrive in time returns, and the
// answer to the request: 408. The connection is closed after it, as net/http cannot read
// the rest of the body to reuse it.
func bodyTimeoutError(timeout time.Duration) *httpError {
	return &httpError{status: http.StatusRequestTimeout, title: "Request Timeout",
		message: fmt.Sprintf("The request body did not arrive in full within %s", timeout)}
}

// offenderLog logs a refusal once per offender and interval rather than once per
// request, so that a flood of slow requests does not become a flood of log lines. It
// remembers a bounded number of offenders; beyond that, the rest share one line per
// interval.
type offenderLog struct {
	log      *slog.Logger
	msg      string
	interval time.Duration

	mu   sync.Mutex
	seen map[string]*offences
}

type offences struct {
	since  time.Time // when the last line was written
	missed int       // refusals since then, not logged
}

const offenderLogMax = 1024

func newOffenderLog(log *slog.Logger, msg string, interval time.Duration) *offenderLog {
	return &offenderLog{log: log, msg: msg, interval: interval, seen: map[string]*offences{}}
}

// note records one refusal of source and logs it unless source was logged less than
// interval ago.
func (l *offenderLog) note(source string, attrs ...any) {
	now := time.Now()
	l.mu.Lock()
	o := l.seen[source]
	if o == nil && len(l.seen) >= offenderLogMax {
		for k, v := range l.seen {
			if now.Sub(v.since) >= l.interval {
				delete(l.seen, k)
			}
		}
		if len(l.seen) >= offenderLogMax {
			source = "(many)"
			o = l.seen[source]
		}
	}
	if o != nil && now.Sub(o.since) < l.interval {
		o.missed++
		l.mu.Unlock()
		return
	}
	missed := 0
	if o != nil {
		missed = o.missed
	}
	l.seen[source] = &offences{since: now}
	l.mu.Unlock()
	attrs = append([]any{"source", source}, attrs...)
	if missed > 0 {
		attrs = append(attrs, "refused_since_last_logged", missed)
	}
	l.log.Warn(l.msg, attrs...)
}
