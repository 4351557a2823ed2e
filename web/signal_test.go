package web_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"conclave/conclavetest"
	"conclave/media/mediatest"
)

// Signalling tests run the whole stack (db, core, web, SFU) with a Pion client on the
// loopback of a private network namespace, as media's tests do.

const sigWait = 10 * time.Second

// sigStack is a stack whose web front end serves signalling over an SFU, with a room
// reachable through its anonymous links.
type sigStack struct {
	*stack
	admin     string
	roomID    string
	speaker   string // anonymous speaker secret
	moderator string // anonymous moderator secret
}

func newSigStack(t *testing.T) *sigStack {
	t.Helper()
	mediatest.NeedNetns(t)
	// conclavetest builds it as main does, in one phase: core, the SFU reporting tracks
	// to core, signalling over both, web mounting it.
	s := openStack(t, filepath.Join(t.TempDir(), "conclave.db"), func(c *conclavetest.HTTPConfig) {
		c.Media = true
		c.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	})
	ss := &sigStack{stack: s, admin: s.admin()}
	room := s.room(bearer(ss.admin), map[string]any{"roomName": "Signals"})
	ss.roomID = str(t, room, "roomId")
	ss.speaker = secretOf(t, str(t, sub(t, room, "access", "anonymous", "speaker"), "url"))
	ss.moderator = secretOf(t, str(t, sub(t, room, "access", "anonymous", "moderator"), "url"))
	// Registered after the clients' cleanups run (LIFO): end the meeting so that no grace
	// timer outlives the test.
	t.Cleanup(func() {
		s.req("DELETE", "/internal-api/v1/meetings/"+ss.roomID, nil, bearer(ss.admin))
	})
	return ss
}

func (s *sigStack) token(name string) string {
	s.t.Helper()
	return s.memberToken(s.roomID, map[string]any{"secret": s.speaker, "joinMeeting": true, "participantName": name})
}

func (s *sigStack) wsURL(token string) string {
	return "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/meet/ws?token=" + token
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

// sigClient is a participant: a signalling socket and a Pion PeerConnection, negotiated
// as docs/signalling.md says (the client is the polite side).
type sigClient struct {
	t        *testing.T
	name     string
	ws       *websocket.Conn
	pc       *webrtc.PeerConnection
	identity string
	joined   map[string]any      // the joined frame
	events   chan map[string]any // frames other than negotiation ones
	in       chan map[string]any
	ops      chan func()
	quit     chan struct{}
	closed   chan struct{} // the socket ended
	closeErr error
	wg       sync.WaitGroup

	// Owned by the loop goroutine.
	pending   *webrtc.SessionDescription // our offer, sent, not yet answered
	wantOffer bool

	mu     sync.Mutex
	tracks map[string]*atomic.Int64 // "<stream>/<kind>" → packets received
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
	c := &sigClient{t: t, name: name, events: make(chan map[string]any, 256), in: make(chan map[string]any, 256),
		ops: make(chan func(), 16), quit: make(chan struct{}), closed: make(chan struct{}),
		tracks: map[string]*atomic.Int64{}}
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	se := mediatest.LoopbackSettings()
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	c.pc = pc
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		n := &atomic.Int64{}
		c.mu.Lock()
		c.tracks[tr.StreamID()+"/"+tr.Kind().String()] = n
		c.mu.Unlock()
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
			n.Add(1)
		}
	})
	c.ws = s.dialURL(url)
	pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
		if cand == nil {
			return
		}
		j := cand.ToJSON()
		b, _ := json.Marshal(map[string]any{"v": 1, "type": "candidate", "candidate": j})
		ctx, cancel := context.WithTimeout(context.Background(), sigWait)
		defer cancel()
		_ = c.ws.Write(ctx, websocket.MessageText, b)
	})
	c.wg.Add(2)
	go c.readLoop()
	go c.loop()
	t.Cleanup(c.close)
	c.joined = c.expect("joined")
	c.identity = str(t, c.joined, "identity")
	return c
}

func (c *sigClient) close() {
	select {
	case <-c.quit:
		return
	default:
	}
	close(c.quit)
	_ = c.ws.Close(websocket.StatusNormalClosure, "")
	_ = c.pc.Close()
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
			c.t.Errorf("%s: server frame is not JSON: %s", c.name, data)
			continue
		}
		select {
		case c.in <- m:
		case <-c.quit:
			return
		}
	}
}

func (c *sigClient) loop() {
	defer c.wg.Done()
	for {
		select {
		case <-c.quit:
			return
		case f := <-c.ops:
			f()
		case m := <-c.in:
			c.handle(m)
		}
	}
}

func (c *sigClient) errorf(format string, args ...any) {
	select {
	case <-c.quit:
	default:
		c.t.Errorf("%s: "+format, append([]any{c.name}, args...)...)
	}
}

func (c *sigClient) send(f map[string]any) {
	f["v"] = 1
	b, _ := json.Marshal(f)
	ctx, cancel := context.WithTimeout(context.Background(), sigWait)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.errorf("write: %v", err)
	}
}

func (c *sigClient) handle(m map[string]any) {
	switch m["type"] {
	case "offer":
		offer, _ := m["sdp"].(string)
		sdp, err := mediatest.AnswerOffer(c.pc, offer)
		if err != nil {
			c.errorf("%v", err)
			return
		}
		c.send(map[string]any{"type": "answer", "sdp": sdp})
	case "answer":
		if c.pending == nil {
			c.errorf("answer without an offer")
			return
		}
		if err := c.pc.SetLocalDescription(*c.pending); err != nil {
			c.errorf("local offer: %v", err)
		}
		c.pending = nil
		sdp, _ := m["sdp"].(string)
		if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
			c.errorf("server answer: %v", err)
		}
	case "error":
		if m["code"] == "glare" { // the server's offer is queued ahead of this: offer again after
			c.pending = nil
			c.wantOffer = true
			break
		}
		c.events <- m
	default:
		c.events <- m
	}
	if c.wantOffer && c.pending == nil && c.pc.SignalingState() == webrtc.SignalingStateStable {
		c.negotiate()
	}
}

// negotiate offers the client's publications; the offer is applied locally once the
// server has answered it (Pion cannot roll back), so glare leaves nothing to undo.
func (c *sigClient) negotiate() {
	c.wantOffer = false
	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		c.errorf("offer: %v", err)
		return
	}
	c.pending = &offer
	src := map[string]any{}
	for _, tr := range c.pc.GetTransceivers() { // mids are assigned by CreateOffer
		if tr.Direction() == webrtc.RTPTransceiverDirectionSendonly && tr.Mid() != "" {
			src[tr.Mid()] = "microphone"
		}
	}
	c.send(map[string]any{"type": "offer", "sdp": offer.SDP, "sources": src})
}

func (c *sigClient) do(f func()) {
	done := make(chan struct{})
	select {
	case c.ops <- func() { f(); close(done) }:
		<-done
	case <-c.quit:
	}
}

// publishAudio sends a synthetic Opus track as the microphone.
func (c *sigClient) publishAudio() {
	c.do(func() {
		local, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "mic", c.name)
		if err != nil {
			c.t.Fatal(err)
		}
		tr, err := c.pc.AddTransceiverFromTrack(local, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			c.errorf("add transceiver: %v", err)
			return
		}
		c.wg.Add(2)
		go func() {
			defer c.wg.Done()
			for {
				if _, _, err := tr.Sender().ReadRTCP(); err != nil {
					return
				}
			}
		}()
		go func() {
			defer c.wg.Done()
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			var seq uint16
			for {
				select {
				case <-c.quit:
					return
				case <-tick.C:
				}
				seq++
				_ = local.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq,
					Timestamp: uint32(seq) * 960, Marker: true}, Payload: make([]byte, 50)})
			}
		}()
		// The mid is assigned by the offer; name the source of every sendonly m-line.
		c.wantOffer = true
		if c.pending == nil && c.pc.SignalingState() == webrtc.SignalingStateStable {
			c.negotiate()
		}
	})
}

// received returns how many packets of kind came from the participant with identity.
func (c *sigClient) received(identity, kind string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := c.tracks[identity+"/"+kind]; n != nil {
		return n.Load()
	}
	return 0
}

// expect returns the next non-negotiation frame of type typ, skipping others.
func (c *sigClient) expect(typ string) map[string]any {
	c.t.Helper()
	deadline := time.After(sigWait)
	for {
		select {
		case m := <-c.events:
			if m["type"] == typ {
				return m
			}
		case <-deadline:
			c.t.Fatalf("%s: no %q frame within %v", c.name, typ, sigWait)
			return nil
		}
	}
}

func (c *sigClient) expectError(code string) map[string]any {
	c.t.Helper()
	deadline := time.After(sigWait)
	for {
		select {
		case m := <-c.events:
			if m["type"] == "error" {
				if m["code"] != code {
					c.t.Fatalf("%s: error %v, want code %q", c.name, m, code)
				}
				if msg, _ := m["message"].(string); msg == "" {
					c.t.Fatalf("%s: error frame without a message: %v", c.name, m)
				}
				return m
			}
		case <-deadline:
			c.t.Fatalf("%s: no error %q within %v", c.name, code, sigWait)
			return nil
		}
	}
}

// kickedWithin fails unless c's socket closed no later than d after start.
func (c *sigClient) kickedWithin(start time.Time, d time.Duration) {
	c.t.Helper()
	select {
	case <-c.closed:
	case <-time.After(time.Until(start.Add(d))):
		c.t.Fatalf("%s: the kicked socket is still open %v after the kick", c.name, d)
	}
	if took := time.Since(start); took > d {
		c.t.Fatalf("%s: kick took %v", c.name, took)
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

func TestSignallingAudioBothWays(t *testing.T) {
	s := newSigStack(t)
	alice := s.connect("Alice")
	bob := s.connect("Bob")
	if got := alice.expect("participantJoined"); got["identity"] != bob.identity || got["name"] != "Bob" {
		t.Fatalf("participantJoined %v", got)
	}
	alice.publishAudio()
	bob.publishAudio()
	waitUntil(t, "Bob hearing Alice", func() bool { return bob.received(alice.identity, "audio") > 5 })
	waitUntil(t, "Alice hearing Bob", func() bool { return alice.received(bob.identity, "audio") > 5 })

	// Bob leaves: Alice is told.
	bob.send(map[string]any{"type": "leave"})
	if got := alice.expect("participantLeft"); got["identity"] != bob.identity {
		t.Fatalf("participantLeft %v", got)
	}
}

func TestSignallingChat(t *testing.T) {
	s := newSigStack(t)
	alice := s.connect("Alice")
	bob := s.connect("Bob")
	alice.send(map[string]any{"type": "chat", "text": "hello Bob"})
	got := bob.expect("chat")
	if got["from"] != alice.identity || got["name"] != "Alice" || got["text"] != "hello Bob" || got["time"] == nil {
		t.Fatalf("chat %v", got)
	}
	alice.send(map[string]any{"type": "chat", "text": strings.Repeat("x", 2001)})
	alice.expectError("chat_too_long")
	alice.send(map[string]any{"type": "chat", "text": "  "})
	alice.expectError("chat_empty")

	// A burst beyond the limit is refused.
	for range 15 {
		alice.send(map[string]any{"type": "chat", "text": "spam"})
	}
	alice.expectError("chat_rate_limited")

	// An external member without chatWrite is refused, and reads what others write.
	ext := s.req("POST", "/api/v1/rooms/"+s.roomID+"/members", map[string]any{"name": "Quiet Quentin", "baseRole": "speaker",
		"customPermissions": map[string]any{"chatWrite": false}}, bearer(s.admin)).want(http.StatusCreated).obj()
	tok := s.memberToken(s.roomID, map[string]any{"secret": secretOf(t, str(t, ext, "accessUrl")), "joinMeeting": true})
	quiet := s.connectWith("Quentin", tok)
	quiet.send(map[string]any{"type": "chat", "text": "may I?"})
	quiet.expectError("chat_forbidden")
	time.Sleep(1100 * time.Millisecond) // let Bob's bucket refill a little
	bob.send(map[string]any{"type": "chat", "text": "hi all"})
	if got := quiet.expect("chat"); got["text"] != "hi all" {
		t.Fatalf("chat %v", got)
	}
	for {
		select {
		case m := <-bob.events:
			if m["type"] == "chat" && m["text"] == "may I?" {
				t.Fatal("a refused chat message was relayed")
			}
			continue
		default:
		}
		break
	}
}

func TestSignallingKick(t *testing.T) {
	s := newSigStack(t)
	alice := s.connect("Alice")
	bob := s.connect("Bob")
	start := time.Now()
	s.req("DELETE", "/internal-api/v1/meetings/"+s.roomID+"/participants/"+bob.identity, nil, bearer(s.admin)).want(http.StatusOK)
	got := bob.expect("kicked")
	if r, _ := got["reason"].(string); r == "" {
		t.Fatalf("kicked without a reason: %v", got)
	}
	bob.kickedWithin(start, time.Second)
	if st := websocket.CloseStatus(bob.closeErr); st != 4004 {
		t.Fatalf("close status %v (%v), want 4004", st, bob.closeErr)
	}
	if got := alice.expect("participantLeft"); got["identity"] != bob.identity {
		t.Fatalf("participantLeft %v", got)
	}
	// Alice is still connected and served.
	alice.send(map[string]any{"type": "chat", "text": "still here"})
	if got := alice.expect("chat"); got["text"] != "still here" {
		t.Fatalf("chat %v", got)
	}
	select {
	case <-alice.closed:
		t.Fatal("the other participant was disconnected")
	default:
	}
}

func TestSignallingEndMeeting(t *testing.T) {
	s := newSigStack(t)
	alice := s.connect("Alice")
	bob := s.connect("Bob")
	s.req("DELETE", "/internal-api/v1/meetings/"+s.roomID, nil, bearer(s.admin)).want(http.StatusOK)
	for _, c := range []*sigClient{alice, bob} {
		c.expect("ended")
		select {
		case <-c.closed:
		case <-time.After(2 * time.Second):
			t.Fatalf("%s still connected after the end", c.name)
		}
	}
}

func TestSignallingRefusals(t *testing.T) {
	s := newSigStack(t)
	for _, tok := range []string{"", "not-a-token"} {
		ws := s.dial(tok)
		m, err := readFrame(t, ws)
		if err != nil || m["type"] != "error" || m["code"] != "unauthenticated" {
			t.Fatalf("token %q: frame %v, err %v", tok, m, err)
		}
		_, err = readFrame(t, ws)
		if st := websocket.CloseStatus(err); st != 4001 {
			t.Fatalf("token %q: close %v (%v), want 4001", tok, st, err)
		}
	}

	tok := s.token("Alice")
	alice := s.connectWith("Alice", tok)
	ws := s.dial(tok)
	m, err := readFrame(t, ws)
	if err != nil || m["type"] != "error" || m["code"] != "already_joined" {
		t.Fatalf("second connection: frame %v, err %v", m, err)
	}
	if _, err := readFrame(t, ws); websocket.CloseStatus(err) != 4003 {
		t.Fatalf("second connection: close %v", err)
	}
	// The first connection is unaffected.
	alice.send(map[string]any{"type": "chat", "text": "ok"})
	alice.expect("chat")
}

func TestSignallingBadInput(t *testing.T) {
	s := newSigStack(t)
	alice := s.connect("Alice")
	raw := func(text string) {
		ctx, cancel := context.WithTimeout(context.Background(), sigWait)
		defer cancel()
		if err := alice.ws.Write(ctx, websocket.MessageText, []byte(text)); err != nil {
			t.Fatal(err)
		}
	}
	raw(`{"v":1,"type":`)
	alice.expectError("bad_json")
	raw(`[1,2,3]`)
	alice.expectError("bad_json")
	raw(`{"type":"chat","text":"no version"}`)
	alice.expectError("bad_version")
	alice.send(map[string]any{"type": "dance"})
	alice.expectError("unknown_type")
	alice.send(map[string]any{"type": "offer", "sdp": "v=0 garbage"})
	alice.expectError("bad_sdp")
	alice.send(map[string]any{"type": "offer", "sdp": "v=0", "sources": map[string]any{"0": "hologram"}})
	alice.expectError("bad_source")
	alice.send(map[string]any{"type": "answer", "sdp": "v=0 garbage"})
	alice.expectError("no_offer")
	alice.send(map[string]any{"type": "candidate"})
	alice.expectError("bad_candidate")
	// Still usable.
	alice.send(map[string]any{"type": "chat", "text": "still fine"})
	if got := alice.expect("chat"); got["text"] != "still fine" {
		t.Fatalf("chat %v", got)
	}
	// A frame over the limit closes the connection with 1009.
	raw(`{"v":1,"type":"chat","text":"` + strings.Repeat("a", 70<<10) + `"}`)
	select {
	case <-alice.closed:
	case <-time.After(sigWait):
		t.Fatal("an oversized frame did not close the connection")
	}
	if st := websocket.CloseStatus(alice.closeErr); st != websocket.StatusMessageTooBig {
		t.Fatalf("close %v (%v), want 1009", st, alice.closeErr)
	}
}

func TestSignallingModeration(t *testing.T) {
	s := newSigStack(t)
	alice := s.connect("Alice")
	bob := s.connect("Bob")
	alice.publishAudio()
	waitUntil(t, "Bob hearing Alice", func() bool { return bob.received(alice.identity, "audio") > 5 })
	base := "/internal-api/v1/meetings/" + s.roomID + "/participants/" + alice.identity

	s.req("POST", base+"/mute", map[string]any{"kind": "audio"}, bearer(s.admin)).want(http.StatusOK)
	if got := alice.expect("muted"); got["kind"] != "audio" || got["source"] != "microphone" {
		t.Fatalf("muted %v", got)
	}
	time.Sleep(200 * time.Millisecond) // packets already on their way
	before := bob.received(alice.identity, "audio")
	time.Sleep(300 * time.Millisecond)
	if after := bob.received(alice.identity, "audio"); after > before+1 {
		t.Fatalf("Bob still receives muted audio: %d → %d packets", before, after)
	}
	alice.send(map[string]any{"type": "unmute", "source": "microphone"})
	waitUntil(t, "audio after unmute", func() bool { return bob.received(alice.identity, "audio") > before+5 })

	s.req("PUT", base+"/role", map[string]any{"action": "upgrade"}, bearer(s.admin)).want(http.StatusOK)
	got := alice.expect("permissions")
	if perms, _ := got["permissions"].(map[string]any); got["role"] != "moderator" || perms["meetingEnd"] != true {
		t.Fatalf("permissions %v", got)
	}
}
