package signal_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"conclave/conclavetest"
	signalling "conclave/signal"
)

// BenchmarkOneConnectionFrames measures how many frames per second the server handles
// from one connection when its limits are out of the way: chat messages relayed back to
// their sender, end to end over the WebSocket. DefaultLimits' 50 frames/s per connection is
// set far below it.
func BenchmarkOneConnectionFrames(b *testing.B) {
	high := signalling.Rate{PerSecond: 1e9, Burst: 1 << 30}
	st := conclavetest.NewStack(b, conclavetest.HTTPConfig{Media: true, SignalLimits: signalling.Limits{
		Frames: high, Chat: high, Negotiation: high, Candidates: high, Mutes: high, Moderation: high}})
	room := conclavetest.Room(b, st.Svc, "Bench")
	tok := conclavetest.JoinToken(b, st.Svc, room.RoomID, room.Access.Speaker.Secret, "Bench")
	ctx := context.Background()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(st.Server.URL, "http")+"/meet/ws?token="+tok, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ws.CloseNow()
	chats := make(chan struct{}, 1024)
	go func() {
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				close(chats)
				return
			}
			var f struct{ Type string }
			if json.Unmarshal(data, &f) == nil && f.Type == "chat" {
				chats <- struct{}{}
			}
		}
	}()
	frame := []byte(`{"v":1,"type":"chat","text":"hello"}`)
	// At most 128 frames in flight: the server drops a client that lets its own 256-frame
	// queue fill, and this one reads its echoes as fast as it can but not faster.
	window := make(chan struct{}, 128)
	b.ResetTimer()
	start := time.Now()
	go func() {
		for range b.N {
			window <- struct{}{}
			if ws.Write(ctx, websocket.MessageText, frame) != nil {
				return
			}
		}
	}()
	for range b.N {
		if _, ok := <-chats; !ok {
			b.Fatal("connection closed")
		}
		<-window
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "frames/s")
}
