package signal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"

	"conclave/conclavetest"
	"conclave/core"
	"conclave/media/mediatest"
	signalling "conclave/signal"
)

// Signalling tests run the whole stack (db, core, the SFU, signalling, web mounting it)
// with Pion clients on the loopback of a private network namespace, as media's tests do.

const sigWait = 10 * time.Second

// sigStack is a stack with a room reachable through its anonymous links.
type sigStack struct {
	*conclavetest.Stack
	t         *testing.T
	clk       *conclavetest.Clock
	admin     *core.Principal
	roomID    string
	speaker   string // anonymous speaker secret
	moderator string // anonymous moderator secret
}

func newSigStack(t *testing.T) *sigStack { return newSigStackWith(t, conclavetest.Config{}) }

func newSigStackWith(t *testing.T, cfg conclavetest.Config) *sigStack {
	t.Helper()
	return newSigStackFrom(t, conclavetest.HTTPConfig{Config: cfg})
}

func newSigStackWithLimits(t *testing.T, l signalling.Limits) *sigStack {
	t.Helper()
	return newSigStackFrom(t, conclavetest.HTTPConfig{SignalLimits: l})
}

func newSigStackFrom(t *testing.T, cfg conclavetest.HTTPConfig) *sigStack {
	t.Helper()
	clk := &conclavetest.Clock{}
	cfg.Now, cfg.Media = clk.Now, true
	st := conclavetest.NewStack(t, cfg)
	room := conclavetest.Room(t, st.Svc, "Signals")
	return &sigStack{Stack: st, t: t, clk: clk, admin: conclavetest.Admin(t, st.Svc), roomID: room.RoomID,
		speaker: room.Access.Speaker.Secret, moderator: room.Access.Moderator.Secret}
}

// token is a speaker's join token through the anonymous link.
func (s *sigStack) token(name string) string {
	s.t.Helper()
	return conclavetest.JoinToken(s.t, s.Svc, s.roomID, s.speaker, name)
}

func (s *sigStack) wsURL(token string) string {
	return "ws" + strings.TrimPrefix(s.Server.URL, "http") + "/meet/ws?token=" + token
}

// dial opens a raw signalling socket.
func (s *sigStack) dial(token string) *websocket.Conn {
	s.t.Helper()
	return s.dialURL(s.wsURL(token))
}

func (s *sigStack) dialURL(url string) *websocket.Conn {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), sigWait)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		s.t.Fatalf("dial: %v", err)
	}
	ws.SetReadLimit(1 << 20)
	s.t.Cleanup(func() { _ = ws.CloseNow() })
	return ws
}

func readFrame(t *testing.T, ws *websocket.Conn) (map[string]any, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), sigWait)
	defer cancel()
	_, data, err := ws.Read(ctx)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("server frame is not JSON: %s", data)
	}
	if m["v"] != float64(1) {
		t.Fatalf("server frame without v:1: %s", data)
	}
	return m, nil
}

// refusedWith dials with token and expects an unauthenticated refusal (4001).
func (s *sigStack) refusedWith(what, token string) {
	s.t.Helper()
	ws := s.dial(token)
	m, err := readFrame(s.t, ws)
	if err != nil || m["type"] != "error" || m["code"] != "unauthenticated" {
		s.t.Fatalf("%s token: frame %v, err %v", what, m, err)
	}
	if _, err := readFrame(s.t, ws); websocket.CloseStatus(err) != 4001 {
		s.t.Fatalf("%s token: close %v, want 4001", what, err)
	}
}

// sigClient is a participant: the shared Pion test client over a signalling socket, the
// polite side of negotiation as docs/signalling.md says. Frames other than negotiation
// ones go to events.
type sigClient struct {
	*mediatest.Client
	t        *testing.T
	ws       *websocket.Conn
	identity string
	joined   map[string]any // the joined frame
	events   chan map[string]any
	closed   chan struct{} // the socket ended
	closeErr error
	wg       sync.WaitGroup
}

func (s *sigStack) connect(name string) *sigClient {
	s.t.Helper()
	return s.connectWith(name, s.token(name))
}

func (s *sigStack) connectWith(name, token string) *sigClient {
	s.t.Helper()
	return s.connectURL(name, s.wsURL(token))
}

func (s *sigStack) connectURL(name, url string) *sigClient {
	t := s.t
	t.Helper()
	pc, err := mediatest.NewClient(mediatest.Options{Name: name, Fail: t.Errorf})
	if err != nil {
		t.Fatal(err)
	}
	c := &sigClient{Client: pc, t: t, ws: s.dialURL(url), events: make(chan map[string]any, 256), closed: make(chan struct{})}
	c.Start(wsTransport{c})
	c.wg.Add(1)
	go c.readLoop()
	t.Cleanup(c.close)
	c.joined = c.expect("joined")
	c.identity, _ = c.joined["identity"].(string)
	return c
}

// wsTransport carries the client's negotiation over the signalling socket.
type wsTransport struct{ c *sigClient }

func (w wsTransport) Offer(sdp string, sources map[string]string) (bool, error) {
	return false, w.c.write(map[string]any{"type": "offer", "sdp": sdp, "sources": sources})
}

func (w wsTransport) Answer(sdp string) error {
	return w.c.write(map[string]any{"type": "answer", "sdp": sdp})
}

func (w wsTransport) Candidate(cand webrtc.ICECandidateInit) error {
	return w.c.write(map[string]any{"type": "candidate", "candidate": cand})
}

func (c *sigClient) close() {
	select {
	case <-c.Done():
		return
	default:
	}
	// The client first, so that a server offer still queued is not answered (and reported
	// as a failure) over the socket being closed.
	c.Close()
	_ = c.ws.Close(websocket.StatusNormalClosure, "")
	c.wg.Wait()
}

func (c *sigClient) readLoop() {
	defer c.wg.Done()
	defer close(c.closed)
	for {
		_, data, err := c.ws.Read(context.Background())
		if err != nil {
			c.closeErr = err
			return
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			c.t.Errorf("%s: server frame is not JSON: %s", c.Name, data)
			continue
		}
		switch typ, _ := m["type"].(string); {
		case typ == "offer" || typ == "answer":
			sdp, _ := m["sdp"].(string)
			c.Signal(typ, sdp)
		case typ == "error" && m["code"] == "glare": // the server's offer is queued ahead of this
			c.Glare()
		default:
			select {
			case c.events <- m:
			case <-c.Done():
				return
			}
		}
	}
}

func (c *sigClient) write(f map[string]any) error {
	f["v"] = 1
	b, _ := json.Marshal(f)
	ctx, cancel := context.WithTimeout(context.Background(), sigWait)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageText, b)
}

// send writes a frame, failing the test if the socket refuses it.
func (c *sigClient) send(f map[string]any) {
	if err := c.write(f); err != nil {
		select {
		case <-c.Done():
		default:
			c.t.Errorf("%s: write: %v", c.Name, err)
		}
	}
}

// publishAudio sends a synthetic Opus track as the microphone.
func (c *sigClient) publishAudio() { c.Publish(webrtc.RTPCodecTypeAudio, "microphone") }

// received returns how many packets of kind ("audio", "video") came from identity.
func (c *sigClient) received(identity, kind string) int64 {
	return c.Received(identity, webrtc.NewRTPCodecType(kind))
}

// next returns the first frame within sigWait for which match says so, skipping the
// frames it passes over; match may fail the test itself.
func (c *sigClient) next(what string, match func(m map[string]any) bool) map[string]any {
	c.t.Helper()
	deadline := time.After(sigWait)
	for {
		select {
		case m := <-c.events:
			if match(m) {
				return m
			}
		case <-deadline:
			c.t.Fatalf("%s: no %s within %v", c.Name, what, sigWait)
			return nil
		}
	}
}

// expect returns the next non-negotiation frame of type typ, skipping others.
func (c *sigClient) expect(typ string) map[string]any {
	c.t.Helper()
	return c.next(fmt.Sprintf("%q frame", typ), func(m map[string]any) bool { return m["type"] == typ })
}

// expectError returns the next error frame, which must have code and a message.
func (c *sigClient) expectError(code string) map[string]any {
	c.t.Helper()
	return c.next(fmt.Sprintf("error %q", code), func(m map[string]any) bool {
		if m["type"] != "error" {
			return false
		}
		if m["code"] != code {
			c.t.Fatalf("%s: error %v, want code %q", c.Name, m, code)
		}
		if msg, _ := m["message"].(string); msg == "" {
			c.t.Fatalf("%s: error frame without a message: %v", c.Name, m)
		}
		return true
	})
}

// expectCode waits for an error frame with code, skipping every other frame (the errors
// earned before it included).
func (c *sigClient) expectCode(code string) map[string]any {
	c.t.Helper()
	return c.next(fmt.Sprintf("error %q", code), func(m map[string]any) bool {
		return m["type"] == "error" && m["code"] == code
	})
}

// noFrame fails if a frame of type typ about identity (any, when identity is "") arrives
// within d.
func (c *sigClient) noFrame(typ, identity string, d time.Duration) {
	c.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case m := <-c.events:
			if m["type"] == typ && (identity == "" || m["identity"] == identity) {
				c.t.Fatalf("%s: unexpected %v", c.Name, m)
			}
		case <-deadline:
			return
		}
	}
}

// closedWith waits for the socket to close and checks its close code.
func (c *sigClient) closedWith(code websocket.StatusCode) {
	c.t.Helper()
	select {
	case <-c.closed:
	case <-time.After(sigWait):
		c.t.Fatalf("%s: socket still open (want close %d)", c.Name, code)
	}
	if st := websocket.CloseStatus(c.closeErr); st != code {
		c.t.Fatalf("%s: closed with %v (%v), want %d", c.Name, st, c.closeErr, code)
	}
}

// kickedWithin fails unless c's socket closed no later than d after start.
func (c *sigClient) kickedWithin(start time.Time, d time.Duration) {
	c.t.Helper()
	select {
	case <-c.closed:
	case <-time.After(time.Until(start.Add(d))):
		c.t.Fatalf("%s: the kicked socket is still open %v after the kick", c.Name, d)
	}
	if took := time.Since(start); took > d {
		c.t.Fatalf("%s: kick took %v", c.Name, took)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(sigWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", sigWait, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
