package signal_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"conclave/conclavetest"
	signalling "conclave/signal"
)

// lockedBuffer is a log destination the test can read while the server writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// flood writes text as fast as the socket takes it, n times or until it closes.
func (c *sigClient) flood(text string, n int) {
	for range n {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.ws.Write(ctx, websocket.MessageText, []byte(text))
		cancel()
		if err != nil {
			return
		}
	}
}

// TestEveryFrameTypeIsLimited: a connection that floods any kind of frame is told to slow
// down, then closed (1008), and what it sent past its limit was not acted on.
func TestEveryFrameTypeIsLimited(t *testing.T) {
	limits := signalling.DefaultLimits()
	limits.Strikes = 10
	s := newSigStackWithLimits(t, limits)
	mod := s.connectWith("Mo", conclavetest.JoinToken(t, s.Svc, s.roomID, s.moderator, "Mo"))
	for _, c := range []struct {
		what, frame, code string
	}{
		{"offers", `{"v":1,"type":"offer","sdp":"v=0 nonsense","sources":{}}`, "rate_limited"},
		{"answers", `{"v":1,"type":"answer","sdp":"v=0 nonsense"}`, "rate_limited"},
		{"candidates", `{"v":1,"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0"}}`, "rate_limited"},
		{"mute toggles", `{"v":1,"type":"mute","source":"microphone","muted":true}`, "rate_limited"},
		{"moderation", `{"v":1,"type":"kick","ref":"r","identity":"anon-nobody"}`, "rate_limited"},
		{"chat", `{"v":1,"type":"chat","text":"spam"}`, "chat_rate_limited"},
		{"bad frames", `{"v":1,"type":`, "rate_limited"},
	} {
		t.Run(c.what, func(t *testing.T) {
			c0 := s.connect("Flooder")
			go c0.flood(c.frame, 400)
			c0.expectCode(c.code)
			c0.closedWith(websocket.StatusPolicyViolation)
		})
	}
	// Nobody else was disconnected, and the moderator was never kicked by anyone.
	select {
	case <-mod.closed:
		t.Fatalf("the moderator was disconnected: %v", mod.closeErr)
	default:
	}
	mod.send(map[string]any{"type": "chat", "text": "still here"})
	mod.expect("chat")
}

// TestFloodHarmsOnlyTheFlooder: a participant toggling its microphone as fast as it can
// earns an error and a close, while the others stay connected and are told of its mute
// state a bounded number of times (coalesced), not once per toggle.
func TestFloodHarmsOnlyTheFlooder(t *testing.T) {
	logs := &lockedBuffer{}
	s := newSigStackWith(t, conclavetest.Config{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	alice := s.connect("Alice")
	bob := s.connect("Bob")
	flooder := s.connect("Flooder")
	start := time.Now()
	go func() {
		for i := range 3000 {
			muted := "true"
			if i%2 == 1 {
				muted = "false"
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			err := flooder.ws.Write(ctx, websocket.MessageText, []byte(`{"v":1,"type":"mute","source":"microphone","muted":`+muted+`}`))
			cancel()
			if err != nil {
				return
			}
		}
	}()
	flooder.expectError("rate_limited")
	flooder.closedWith(websocket.StatusPolicyViolation)
	took := time.Since(start)

	for _, c := range []*sigClient{alice, bob} {
		told := 0
		deadline := time.After(500 * time.Millisecond) // let coalesced frames arrive
	read:
		for {
			select {
			case m := <-c.events:
				if m["type"] == "trackMuted" && m["identity"] == flooder.identity {
					told++
				}
			case <-deadline:
				break read
			}
		}
		// At most one frame per 250 ms (plus the first and a trailing one), whatever
		// the flooder sent.
		if max := int((took+500*time.Millisecond)/(250*time.Millisecond)) + 2; told == 0 || told > max {
			t.Fatalf("%s was told of the flooder's mute %d times in %v (want 1..%d)", c.Name, told, took, max)
		}
		select {
		case <-c.closed:
			t.Fatalf("%s was disconnected: %v", c.Name, c.closeErr)
		default:
		}
	}
	alice.send(map[string]any{"type": "chat", "text": "quiet again"})
	if got := bob.expect("chat"); got["text"] != "quiet again" {
		t.Fatalf("chat %v", got)
	}
	// The offender is logged once for its window, not once per frame.
	if n := strings.Count(logs.String(), "signalling client over its limit"); n != 1 {
		t.Fatalf("over-limit logged %d times:\n%s", n, logs.String())
	}
}
