package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"go.uber.org/goleak"

	"conclave/media/mediatest"
)

// Test scaffolding: a Pion client that talks to a Peer directly (no signalling layer) and
// follows the negotiation model of the package doc, as a browser client would.

const waitLong = 10 * time.Second

// newTestSFU starts an SFU on 127.0.0.1 and, at cleanup, closes it and checks that no
// goroutine was left behind.
// room returns the SFU's room (nil if none), for white-box checks.
func (s *SFU) room(id string) *room {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rooms[id]
}

func newTestSFU(t *testing.T, cfg Config) *SFU {
	t.Helper()
	mediatest.NeedNetns(t)
	// Taken now: a snapshot taken at cleanup would excuse whatever was left running.
	before := goleak.IgnoreCurrent()
	cfg.IPs = []string{"127.0.0.1"}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		goleak.VerifyNone(t, before)
	})
	return s
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", waitLong, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type recvTrack struct {
	stream, id string
	kind       webrtc.RTPCodecType
	ssrc       uint32
	packets    atomic.Int64
	ended      chan struct{}

	mu        sync.Mutex
	seqs      map[uint16]int
	latencies []time.Duration
}

func (r *recvTrack) sawSeq(seq uint16) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seqs[seq] > 0
}

type pub struct {
	kind   webrtc.RTPCodecType
	source Source
	tr     *webrtc.RTPTransceiver
	local  *webrtc.TrackLocalStaticRTP
	stop   chan struct{}
	plis   atomic.Int64  // keyframe requests the publisher received
	sent   atomic.Uint32 // the last sequence number written
}

type testClient struct {
	t        *testing.T
	name     string
	pc       *webrtc.PeerConnection
	peer     *Peer
	sigs     chan Signal
	ops      chan func()
	quit     chan struct{}
	wg       sync.WaitGroup
	noRead   bool // a subscriber that never reads what it receives
	settings []func(*webrtc.SettingEngine)

	// Owned by the loop goroutine.
	wantOffer bool
	pubs      []*pub

	mu     sync.Mutex
	tracks []*recvTrack
}

type clientOpt func(*testClient, *interceptor.Registry)

func withSettings(f func(*webrtc.SettingEngine)) clientOpt {
	return func(c *testClient, _ *interceptor.Registry) { c.settings = append(c.settings, f) }
}

// withInterceptor puts f closest to the network, before Pion's own interceptors.
func withInterceptor(f interceptor.Factory) clientOpt {
	return func(_ *testClient, r *interceptor.Registry) { r.Add(f) }
}

// withLossBeforeDecryption lets a test drop packets above SRTP as if the network had: without
// it SRTP replay protection would discard the retransmission of a packet already decrypted.
func withLossBeforeDecryption() func(*webrtc.SettingEngine) {
	return func(se *webrtc.SettingEngine) { se.DisableSRTPReplayProtection(true) }
}

func withoutReading() clientOpt {
	return func(c *testClient, _ *interceptor.Registry) { c.noRead = true }
}

func join(t *testing.T, s *SFU, room, name string, rights PublishRights, opts ...clientOpt) *testClient {
	t.Helper()
	c := &testClient{t: t, name: name, sigs: make(chan Signal, 256), ops: make(chan func(), 16),
		quit: make(chan struct{})}
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	reg := &interceptor.Registry{}
	for _, o := range opts {
		o(c, reg)
	}
	if err := webrtc.RegisterDefaultInterceptors(me, reg); err != nil {
		t.Fatal(err)
	}
	se := mediatest.LoopbackSettings()
	for _, f := range c.settings {
		f(&se)
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	c.pc = pc
	pc.OnTrack(c.onTrack)
	pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
		if cand != nil && c.peer != nil {
			_ = c.peer.AddICECandidate(cand.ToJSON()) // fails only once the peer has left
		}
	})
	peer, err := s.Join(room, name, rights, func(sig Signal) { c.sigs <- sig })
	if err != nil {
		_ = pc.Close()
		t.Fatalf("join %s: %v", name, err)
	}
	c.peer = peer
	c.wg.Add(1)
	go c.loop()
	t.Cleanup(c.leave)
	return c
}

func (c *testClient) loop() {
	defer c.wg.Done()
	for {
		select {
		case <-c.quit:
			return
		case f := <-c.ops:
			f()
		case sig := <-c.sigs:
			c.handle(sig)
		}
	}
}

func (c *testClient) do(f func()) {
	done := make(chan struct{})
	select {
	case c.ops <- func() { f(); close(done) }:
		<-done
	case <-c.quit:
	}
}

// errorf reports a client failure unless the client is already leaving, when its closed
// connection makes every operation fail.
func (c *testClient) errorf(format string, args ...any) {
	select {
	case <-c.quit:
	default:
		c.t.Errorf("%s: "+format, append([]any{c.name}, args...)...)
	}
}

func (c *testClient) handle(sig Signal) {
	switch sig.Type {
	case SignalAnswer:
		if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sig.SDP}); err != nil {
			c.errorf("server answer: %v", err)
		}
	case SignalOffer:
		sdp, err := mediatest.AnswerOffer(c.pc, sig.SDP)
		if err != nil {
			c.errorf("%v", err)
			return
		}
		if err := c.peer.HandleAnswer(sdp); err != nil && !errors.Is(err, ErrClosed) {
			c.errorf("HandleAnswer: %v", err)
		}
	}
	if c.wantOffer && c.pc.SignalingState() == webrtc.SignalingStateStable {
		c.negotiate()
	}
}

// negotiate offers the client's publications. Pion cannot roll back a local offer, so unlike a
// browser this client applies its offer only once the server has accepted it: on glare it
// has changed nothing, answers the server's offer (already queued) and offers again after.
// Its candidates are trickled, as its offer is sent before gathering starts.
func (c *testClient) negotiate() {
	if c.pc.SignalingState() != webrtc.SignalingStateStable {
		c.wantOffer = true
		return
	}
	c.wantOffer = false
	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		c.errorf("offer: %v", err)
		return
	}
	sources := map[string]Source{}
	for _, p := range c.pubs {
		sources[p.tr.Mid()] = p.source
	}
	err = c.peer.HandleOffer(offer.SDP, sources)
	switch {
	case errors.Is(err, ErrGlare):
		c.wantOffer = true
		return
	case err != nil:
		c.errorf("HandleOffer: %v", err)
		return
	}
	if err := c.pc.SetLocalDescription(offer); err != nil {
		c.errorf("local offer: %v", err)
	}
	// The server's answer is already in c.sigs, ahead of any later server offer.
}

// publish starts sending a synthetic track: each payload carries its send time.
func (c *testClient) publish(kind webrtc.RTPCodecType, src Source) *pub {
	p := &pub{kind: kind, source: src, stop: make(chan struct{})}
	capa := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
	interval := 20 * time.Millisecond
	if kind == webrtc.RTPCodecTypeVideo {
		capa = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
		interval = 10 * time.Millisecond
	}
	c.do(func() {
		local, err := webrtc.NewTrackLocalStaticRTP(capa, string(src), c.name)
		if err != nil {
			c.t.Fatal(err)
		}
		tr, err := c.pc.AddTransceiverFromTrack(local, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			c.errorf("add transceiver: %v", err)
			return
		}
		p.local, p.tr = local, tr
		c.pubs = append(c.pubs, p)
		c.wg.Add(2)
		go func() { // RTCP must be read; it also tells us about keyframe requests
			defer c.wg.Done()
			for {
				pkts, _, err := tr.Sender().ReadRTCP()
				if err != nil {
					return
				}
				for _, pk := range pkts {
					switch pk.(type) {
					case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
						p.plis.Add(1)
					}
				}
			}
		}()
		go func() {
			defer c.wg.Done()
			tick := time.NewTicker(interval)
			defer tick.Stop()
			var seq uint16
			for {
				select {
				case <-p.stop:
					return
				case <-c.quit:
					return
				case <-tick.C:
				}
				payload := make([]byte, 100)
				binary.BigEndian.PutUint64(payload, uint64(time.Now().UnixNano()))
				seq++
				_ = local.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq,
					Timestamp: uint32(seq) * 960, Marker: true}, Payload: payload})
				p.sent.Store(uint32(seq))
			}
		}()
		c.negotiate()
	})
	return p
}

func (c *testClient) unpublish(p *pub) {
	c.do(func() {
		close(p.stop)
		if err := c.pc.RemoveTrack(p.tr.Sender()); err != nil {
			c.errorf("remove track: %v", err)
		}
		c.negotiate()
	})
}

func (c *testClient) onTrack(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	r := &recvTrack{stream: tr.StreamID(), id: tr.ID(), kind: tr.Kind(), ssrc: uint32(tr.SSRC()),
		ended: make(chan struct{}), seqs: map[uint16]int{}}
	c.mu.Lock()
	c.tracks = append(c.tracks, r)
	c.mu.Unlock()
	if c.noRead {
		close(r.ended)
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer close(r.ended)
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			r.packets.Add(1)
			r.mu.Lock()
			r.seqs[pkt.SequenceNumber]++
			if len(pkt.Payload) >= 8 {
				sent := time.Unix(0, int64(binary.BigEndian.Uint64(pkt.Payload)))
				r.latencies = append(r.latencies, time.Since(sent))
			}
			r.mu.Unlock()
		}
	}()
}

// track returns the first received track from publisher `from` of this kind that has not
// ended, or nil.
func (c *testClient) track(from string, kind webrtc.RTPCodecType) *recvTrack {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.tracks {
		if r.stream != from || r.kind != kind {
			continue
		}
		select {
		case <-r.ended:
			if !c.noRead {
				continue
			}
		default:
		}
		return r
	}
	return nil
}

// receiving waits until packets of `from`'s track of this kind arrive here.
func (c *testClient) receiving(t *testing.T, from string, kind webrtc.RTPCodecType) *recvTrack {
	t.Helper()
	var r *recvTrack
	deadline := time.Now().Add(waitLong)
	for {
		r = c.track(from, kind)
		if r != nil && r.packets.Load() >= 5 {
			return r
		}
		if time.Now().After(deadline) {
			var downs []string
			_ = c.peer.call(func() error {
				for u, d := range c.peer.downs {
					downs = append(downs, fmt.Sprintf("%s/%s bound=%v", u.owner.id, u.id, d.sender.GetParameters().Codecs != nil))
				}
				return nil
			})
			c.mu.Lock()
			var got []string
			for _, r := range c.tracks {
				got = append(got, fmt.Sprintf("%s/%s:%d", r.stream, r.id, r.packets.Load()))
			}
			c.mu.Unlock()
			t.Fatalf("%s not receiving %s from %s; server signaling %s client %s; server downs %v; client tracks %v",
				c.name, kind, from, c.peer.pc.SignalingState(), c.pc.SignalingState(), downs, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (c *testClient) leave() {
	select {
	case <-c.quit:
		return
	default:
	}
	close(c.quit)
	_ = c.pc.Close()
	c.peer.Leave()
	c.wg.Wait()
}
