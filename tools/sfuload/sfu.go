package main

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"conclave/media"
	"conclave/media/mediatest"
)

// client is a Pion PeerConnection talking to a media.Peer directly, with no signalling layer
// in between: the same approach as media/client_test.go, trimmed to what a load run needs
// (no glare retries beyond re-offering, no unpublishing).
type client struct {
	name string
	pc   *webrtc.PeerConnection
	peer *media.Peer
	sigs chan media.Signal // the signal callback must not call into the Peer synchronously
	ops  chan func()
	quit chan struct{}
	wg   sync.WaitGroup
	errs chan error

	// Owned by the loop goroutine.
	wantOffer bool
	sources   map[*webrtc.RTPTransceiver]media.Source

	// Subscriber side: one stats stream per received kind.
	w            *window
	video, audio *seqStats
}

func newClient(s *media.SFU, room, name string, rights media.PublishRights, w *window, errs chan error) (*client, error) {
	c := &client{name: name, sigs: make(chan media.Signal, 64), ops: make(chan func(), 4),
		quit: make(chan struct{}), errs: errs, sources: map[*webrtc.RTPTransceiver]media.Source{},
		w: w, video: &seqStats{w: w}, audio: &seqStats{w: w}}
	// Default codecs and interceptors (NACK, RTCP reports, TWCC) as a browser would have, so
	// the SFU does the same feedback work it does in production.
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, reg); err != nil {
		return nil, err
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(mediatest.LoopbackSettings()))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	c.pc = pc
	pc.OnTrack(c.onTrack)
	pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
		if cand != nil && c.peer != nil {
			_ = c.peer.AddICECandidate(cand.ToJSON()) // fails only once the peer has left
		}
	})
	peer, err := s.Join(room, name, rights, func(sig media.Signal) { c.sigs <- sig })
	if err != nil {
		_ = pc.Close()
		return nil, fmt.Errorf("join %s: %w", name, err)
	}
	c.peer = peer
	c.wg.Add(1)
	go c.loop()
	return c, nil
}

// fail reports an error unless the client is already closing.
func (c *client) fail(format string, args ...any) {
	select {
	case <-c.quit:
		return
	default:
	}
	select {
	case c.errs <- fmt.Errorf("%s: "+format, append([]any{c.name}, args...)...):
	default:
	}
}

func (c *client) loop() {
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

// do runs f on the loop goroutine and waits for it.
func (c *client) do(f func()) {
	done := make(chan struct{})
	select {
	case c.ops <- func() { f(); close(done) }:
		<-done
	case <-c.quit:
	}
}

func (c *client) handle(sig media.Signal) {
	switch sig.Type {
	case media.SignalAnswer:
		if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sig.SDP}); err != nil {
			c.fail("server answer: %v", err)
		}
	case media.SignalOffer:
		sdp, err := mediatest.AnswerOffer(c.pc, sig.SDP)
		if err != nil {
			c.fail("%v", err)
			return
		}
		if err := c.peer.HandleAnswer(sdp); err != nil && !errors.Is(err, media.ErrClosed) {
			c.fail("HandleAnswer: %v", err)
		}
	}
	if c.wantOffer && c.pc.SignalingState() == webrtc.SignalingStateStable {
		c.negotiate()
	}
}

// negotiate offers the client's publications. Pion cannot roll back a local offer, so the
// offer is applied locally only once the server accepted it; on glare the client answers the
// server's queued offer first and offers again afterwards.
func (c *client) negotiate() {
	if c.pc.SignalingState() != webrtc.SignalingStateStable {
		c.wantOffer = true
		return
	}
	c.wantOffer = false
	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		c.fail("offer: %v", err)
		return
	}
	sources := map[string]media.Source{}
	for tr, src := range c.sources {
		sources[tr.Mid()] = src
	}
	switch err := c.peer.HandleOffer(offer.SDP, sources); {
	case errors.Is(err, media.ErrGlare):
		c.wantOffer = true
		return
	case err != nil:
		c.fail("HandleOffer: %v", err)
		return
	}
	if err := c.pc.SetLocalDescription(offer); err != nil {
		c.fail("local offer: %v", err)
	}
}

// publish adds the camera and microphone tracks, negotiates once, and starts pacing the
// synthetic stream until the client closes.
func (c *client) publish() {
	c.do(func() {
		video, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "camera", c.name)
		if err != nil {
			c.fail("video track: %v", err)
			return
		}
		audio, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "microphone", c.name)
		if err != nil {
			c.fail("audio track: %v", err)
			return
		}
		for _, t := range []struct {
			local *webrtc.TrackLocalStaticRTP
			src   media.Source
		}{{video, media.SourceCamera}, {audio, media.SourceMicrophone}} {
			tr, err := c.pc.AddTransceiverFromTrack(t.local, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
			if err != nil {
				c.fail("add transceiver: %v", err)
				return
			}
			c.sources[tr] = t.src
			// RTCP must be read for the interceptors (NACK responder, reports) to work.
			c.wg.Add(1)
			go func() {
				defer c.wg.Done()
				for {
					if _, _, err := tr.Sender().ReadRTCP(); err != nil {
						return
					}
				}
			}()
		}
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			pace(c.quit, c.w, func(isVideo bool, seq uint16) {
				var err error
				if isVideo {
					// Marker on every 5th packet: ~31 "frames" a second. The SFU does not parse
					// VP8, so no payload descriptor or keyframe bits are needed for forwarding.
					err = video.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq,
						Timestamp: uint32(seq/5) * 2903, Marker: seq%5 == 0}, Payload: stampPayload(videoPayload)})
				} else {
					err = audio.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq,
						Timestamp: uint32(seq) * 960, Marker: false}, Payload: stampPayload(audioPayload)})
				}
				_ = err // fails only before the track is bound or after close
			})
		}()
		c.negotiate()
	})
}

func (c *client) onTrack(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	st := c.audio
	if tr.Kind() == webrtc.RTPCodecTypeVideo {
		st = c.video
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		buf := make([]byte, 1500)
		var pkt rtp.Packet
		for {
			// Read raw and unmarshal into a reused packet: the receiver's own allocations
			// would otherwise dominate the CPU figure.
			n, _, err := tr.Read(buf)
			if err != nil {
				return
			}
			if pkt.Unmarshal(buf[:n]) != nil {
				continue
			}
			st.record(pkt.SequenceNumber, pkt.Payload, time.Now())
		}
	}()
}

func (c *client) close() {
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

// runSFU runs one publisher and n subscribers through a fresh SFU and measures one window.
func runSFU(n int, d time.Duration, log *slog.Logger) (result, error) {
	s, err := media.New(media.Config{UDPPort: 0, IPs: []string{"127.0.0.1"}, Logger: log, StatsInterval: -1})
	if err != nil {
		return result{}, err
	}
	defer func() { _ = s.Close() }()

	w := &window{}
	errs := make(chan error, 16)
	var clients []*client
	defer func() {
		for _, c := range clients {
			c.close()
		}
	}()

	pub, err := newClient(s, "load", "pub", media.PublishRights{Audio: true, Video: true}, w, errs)
	if err != nil {
		return result{}, err
	}
	clients = append(clients, pub)
	var subs []*client
	for i := range n {
		c, err := newClient(s, "load", fmt.Sprintf("sub%d", i), media.PublishRights{}, w, errs)
		if err != nil {
			return result{}, err
		}
		clients = append(clients, c)
		subs = append(subs, c)
	}
	pub.publish()

	// Wait until every subscriber receives both tracks, so the window measures steady state.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ready := 0
		for _, c := range subs {
			if c.video.packetsAnyWindow.Load() >= 5 && c.audio.packetsAnyWindow.Load() >= 5 {
				ready++
			}
		}
		if ready == n {
			break
		}
		select {
		case err := <-errs:
			return result{}, err
		default:
		}
		if time.Now().After(deadline) {
			return result{}, fmt.Errorf("only %d of %d subscribers receiving after 30s", ready, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // let the last joins' DTLS/keyframe churn settle

	cpu0 := cpuTime()
	w.on.Store(true)
	time.Sleep(d)
	w.on.Store(false)
	cpu := cpuTime() - cpu0

	var streams []*seqStats
	for _, c := range subs {
		streams = append(streams, c.video, c.audio)
	}
	return summarize("sfu", n, d, w, streams, cpu), nil
}
