package media

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"conclave/media/mediatest"
)

var everything = PublishRights{Audio: true, Video: true, Screen: true}

const (
	audio = webrtc.RTPCodecTypeAudio
	video = webrtc.RTPCodecTypeVideo
)

func TestTenParticipantsJoinAndLeaveConcurrently(t *testing.T) {
	s := newTestSFU(t, Config{})
	const n = 10
	clients := make([]*testClient, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := join(t, s, "room", fmt.Sprintf("p%d", i), everything)
			c.publish(audio, SourceMicrophone)
			if i%2 == 0 {
				c.publish(video, SourceCamera)
			}
			clients[i] = c
		}()
	}
	wg.Wait()
	for i, c := range clients {
		for j := range n {
			if i == j {
				continue
			}
			from := fmt.Sprintf("p%d", j)
			c.receiving(t, from, audio)
			if j%2 == 0 {
				c.receiving(t, from, video)
			}
		}
	}
	for _, c := range clients {
		wg.Add(1)
		go func() { defer wg.Done(); c.leave() }()
	}
	wg.Wait()
	s.mu.Lock()
	rooms := len(s.rooms)
	s.mu.Unlock()
	if rooms != 0 {
		t.Fatalf("%d rooms left after everyone left", rooms)
	}
	// The cleanup closes the SFU and checks for leftover goroutines.
}

func TestRenegotiationAddsAndRemovesTracks(t *testing.T) {
	s := newTestSFU(t, Config{})
	a := join(t, s, "room", "a", everything)
	b := join(t, s, "room", "b", everything)
	a.publish(audio, SourceMicrophone)
	b.receiving(t, "a", audio)

	cam := a.publish(video, SourceCamera)
	v := b.receiving(t, "a", video)
	if v.ID != "camera-"+cam.Transceiver.Mid() {
		t.Errorf("subscriber sees track id %q, want camera-<mid>", v.ID)
	}

	a.Unpublish(cam)
	select {
	case <-v.Ended:
	case <-time.After(waitLong):
		t.Fatal("removed video track still open at the subscriber")
	}
	// Audio is unaffected, and a late joiner gets only what is still published.
	c := join(t, s, "room", "c", everything)
	c.receiving(t, "a", audio)
	if c.Track("a", video) != nil {
		t.Error("late joiner received a track that was removed")
	}
}

// dropOnce drops, on the subscriber's side, the 30th video packet the first time it arrives,
// below the NACK generator, which therefore asks for it.
type dropOnce struct {
	interceptor.NoOp
	count   atomic.Int64
	target  atomic.Int32 // sequence number + 1, 0 until chosen
	dropped atomic.Bool
}

func (d *dropOnce) NewInterceptor(string) (interceptor.Interceptor, error) { return d, nil }

func (d *dropOnce) BindRemoteStream(info *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	if info.MimeType != webrtc.MimeTypeVP8 {
		return r
	}
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		for {
			n, attr, err := r.Read(b, a)
			if err != nil {
				return n, attr, err
			}
			var h rtp.Header
			if _, err := h.Unmarshal(b[:n]); err == nil && d.count.Add(1) == 30 && !d.dropped.Load() {
				d.target.Store(int32(h.SequenceNumber) + 1)
				d.dropped.Store(true)
				continue
			}
			return n, attr, err
		}
	})
}

func TestNACKAnsweredFromCache(t *testing.T) {
	s := newTestSFU(t, Config{})
	a := join(t, s, "room", "a", everything)
	a.publish(video, SourceCamera)
	drop := &dropOnce{}
	b := join(t, s, "room", "b", everything, withInterceptor(drop), withSettings(withLossBeforeDecryption()))
	v := b.receiving(t, "a", video)
	waitFor(t, "the packet to be dropped", func() bool { return drop.target.Load() != 0 })
	seq := uint16(drop.target.Load() - 1)
	waitFor(t, fmt.Sprintf("retransmission of dropped sequence number %d", seq), func() bool {
		return v.SawSeq(seq)
	})
	u := s.room("room").published()[0]
	if u.nacksIn.Load() == 0 || u.retransmits.Load() == 0 {
		t.Errorf("NACKs %d, retransmissions %d: the packet did not come from the SFU's cache", u.nacksIn.Load(), u.retransmits.Load())
	}
}

func TestKeyframeRequestsReachPublisherThrottled(t *testing.T) {
	s := newTestSFU(t, Config{KeyframeInterval: 500 * time.Millisecond})
	a := join(t, s, "room", "a", everything)
	cam := a.publish(video, SourceCamera)
	waitFor(t, "the track to be published", func() bool { return len(s.room("room").published()) == 1 })
	if n := cam.PLIs.Load(); n != 0 {
		t.Fatalf("publisher got %d keyframe requests before anyone subscribed", n)
	}

	b := join(t, s, "room", "b", everything)
	v := b.receiving(t, "a", video)
	waitFor(t, "a keyframe request when the subscriber joined", func() bool { return cam.PLIs.Load() >= 1 })

	// Let the throttle window pass, then have the subscriber ask 20 times in a row.
	time.Sleep(600 * time.Millisecond)
	before := cam.PLIs.Load()
	start := time.Now()
	for range 20 {
		if err := b.PC.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: v.SSRC}}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the subscriber's PLI at the publisher", func() bool { return cam.PLIs.Load() > before })
	time.Sleep(time.Until(start.Add(1200 * time.Millisecond)))
	// 20 requests within a few ms: one at once, one at the end of the window, at most one
	// more if the window boundary falls inside the measurement.
	if got := cam.PLIs.Load() - before; got > 3 {
		t.Errorf("publisher got %d keyframe requests for a burst of 20 in 1.2 s; want throttling to ≤3", got)
	}
}

func TestPublishRightsEnforcedAgainstModifiedClient(t *testing.T) {
	var mu sync.Mutex
	published := map[string]bool{}
	s := newTestSFU(t, Config{OnTrackPublished: func(ti TrackInfo) {
		mu.Lock()
		published[ti.Peer+"/"+ti.TrackID] = true
		mu.Unlock()
	}})
	// a may only speak, but its client sends camera and "screen" video anyway.
	a := join(t, s, "room", "a", PublishRights{Audio: true})
	b := join(t, s, "room", "b", everything)
	a.publish(audio, SourceMicrophone)
	cam := a.publish(video, SourceCamera)
	scr := a.publish(video, SourceScreen)
	b.receiving(t, "a", audio)
	waitFor(t, "a's refused video to reach the SFU", func() bool {
		n := 0
		_ = a.peer.call(func() error { n = len(a.peer.ups); return nil })
		return n == 3
	})
	// Refused video would have been forwarded by now: audio is, and video was sent as early.
	time.Sleep(300 * time.Millisecond)
	if b.Track("a", video) != nil {
		t.Fatal("video from a peer without video rights reached a subscriber")
	}
	for _, p := range []*mediatest.Pub{cam, scr} {
		mu.Lock()
		leaked := published["a/"+p.Source+"-"+p.Transceiver.Mid()]
		mu.Unlock()
		if leaked {
			t.Errorf("refused %s track was announced as published", p.Source)
		}
	}

	// Granting video lets the camera through, but not the screen.
	if err := a.peer.SetPublishRights(PublishRights{Audio: true, Video: true}); err != nil {
		t.Fatal(err)
	}
	v := b.receiving(t, "a", video)
	if v.ID != "camera-"+cam.Transceiver.Mid() {
		t.Fatalf("got video %q, want the camera", v.ID)
	}
	// Revoking it stops it again.
	if err := a.peer.SetPublishRights(PublishRights{Audio: true}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-v.Ended:
	case <-time.After(waitLong):
		t.Fatal("revoked video still reaches the subscriber")
	}
	if b.Track("a", video) != nil {
		t.Error("screen video reached a subscriber without screen rights")
	}
}

func TestSlowSubscriberDoesNotDelayOthers(t *testing.T) {
	release := make(chan struct{})
	var blocked atomic.Bool
	s := newTestSFU(t, Config{QueueLength: 32, writeHook: func(peer string) {
		if peer == "slow" {
			blocked.Store(true)
			<-release // as if its socket buffer never drained
		}
	}})
	a := join(t, s, "room", "a", everything)
	a.publish(audio, SourceMicrophone)
	join(t, s, "room", "slow", everything, withoutReading())
	fast := join(t, s, "room", "fast", everything)
	t.Cleanup(func() { close(release) }) // cleanups run last-first: before the clients leave
	r := fast.receiving(t, "a", audio)
	waitFor(t, "the slow subscriber to block", blocked.Load)
	u := s.room("room").published()[0]
	waitFor(t, "the slow subscriber's queue to overflow", func() bool { return u.dropped.Load() > 0 })

	r.ResetLatencies()
	start := r.Packets.Load()
	waitFor(t, "50 more packets at the fast subscriber", func() bool { return r.Packets.Load() >= start+50 })
	if worst := worstLatency(r); worst > 250*time.Millisecond {
		t.Errorf("fast subscriber's worst latency %v while another subscriber is stuck", worst)
	}
}

func TestStatsReportFlowingTrack(t *testing.T) {
	got := make(chan TrackStats, 100)
	s := newTestSFU(t, Config{StatsInterval: 100 * time.Millisecond, OnStats: func(st TrackStats) {
		select {
		case got <- st:
		default:
		}
	}})
	a := join(t, s, "room", "a", everything)
	a.publish(video, SourceCamera)
	b := join(t, s, "room", "b", everything)
	b.receiving(t, "a", video)
	deadline := time.After(waitLong)
	for {
		select {
		case st := <-got:
			if st.Bitrate > 0 && st.Packets > 0 && st.Subscribers == 1 && st.Kind == "video" &&
				st.Source == SourceCamera && st.Peer == "a" && st.MimeType == webrtc.MimeTypeVP8 {
				return
			}
		case <-deadline:
			t.Fatal("no stats with a non-zero bitrate for a flowing track")
		}
	}
}

func TestBadInputIsRefused(t *testing.T) {
	s := newTestSFU(t, Config{})
	for _, id := range []string{"", "a b", "x:y", string(make([]byte, 65))} {
		if _, err := s.Join("room", id, everything, func(Signal) {}); !errors.Is(err, ErrBadID) {
			t.Errorf("Join(%q) = %v, want ErrBadID", id, err)
		}
	}
	p, err := s.Join("room", "a", everything, func(Signal) {})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Leave()
	if _, err := s.Join("room", "a", everything, func(Signal) {}); !errors.Is(err, ErrPeerExists) {
		t.Errorf("duplicate Join = %v, want ErrPeerExists", err)
	}
	if err := p.HandleAnswer("v=0"); !errors.Is(err, ErrNoOffer) {
		t.Errorf("unsolicited answer = %v, want ErrNoOffer", err)
	}
	if err := p.HandleOffer("garbage", nil); err == nil {
		t.Error("garbage offer accepted")
	}
	if err := p.HandleOffer("v=0", map[string]Source{"0": "webcam"}); !errors.Is(err, ErrBadSource) {
		t.Errorf("unknown source = %v, want ErrBadSource", err)
	}
	p.Leave()
	if err := p.HandleAnswer("v=0"); !errors.Is(err, ErrClosed) {
		t.Errorf("after Leave = %v, want ErrClosed", err)
	}
}

func TestEgressGoesThroughBatchingWriter(t *testing.T) {
	for _, noBatch := range []bool{false, true} {
		t.Run(fmt.Sprintf("NoBatch=%v", noBatch), func(t *testing.T) {
			s := newTestSFU(t, Config{NoBatch: noBatch})
			a := join(t, s, "room", "a", everything)
			a.publish(video, SourceCamera)
			b := join(t, s, "room", "b", everything)
			b.receiving(t, "a", video)
			st := s.EgressStats()
			if noBatch {
				if st != (EgressStats{}) {
					t.Errorf("NoBatch: egress stats %+v, want none", st)
				}
				return
			}
			if runtime.GOOS != "linux" {
				return
			}
			// Everything the SFU sends (ICE, DTLS, SRTP) leaves through the flusher.
			if st.Packets == 0 || st.Batches == 0 || st.AvgBatch() < 1 || st.Errors != 0 {
				t.Errorf("egress stats %+v after media flowed", st)
			}
		})
	}
}
