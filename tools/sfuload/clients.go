package main

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"conclave/media"
	"conclave/media/mediatest"
)

// The clients process: Pion publishers and subscribers, each talking to its media.Peer in the
// server process through the pipe (see proto.go), as a browser would through the WebSocket
// signalling layer, and counting what it receives.

// client is one Pion PeerConnection: the approach of media/client_test.go, trimmed to what a
// load run needs (no glare retries beyond re-offering, no unpublishing).
type client struct {
	name string
	pc   *webrtc.PeerConnection
	srv  *pipe
	sigs chan media.Signal
	ops  chan func()
	quit chan struct{}
	wg   sync.WaitGroup
	errs chan error

	// Owned by the loop goroutine.
	wantOffer bool
	retries   int
	sources   map[*webrtc.RTPTransceiver]media.Source

	// Subscriber side: one stats stream per received track.
	w       *window
	smu     sync.Mutex
	streams []*seqStats
}

func (cp *clientsProc) newClient(room, name string, publish bool) (*client, error) {
	srv := cp.srv
	c := &client{name: name, srv: srv, sigs: make(chan media.Signal, 1024), ops: make(chan func(), 4),
		quit: make(chan struct{}), errs: cp.errs, sources: map[*webrtc.RTPTransceiver]media.Source{}, w: cp.w}
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
		if cand != nil {
			init := cand.ToJSON()
			go func() { _, _ = srv.call(message{Op: opCand, Peer: name, Cand: &init}) }()
		}
	})
	// Known before joining: the server's first offer may come before the join's reply.
	cp.mu.Lock()
	cp.byName[name] = c
	cp.mu.Unlock()
	if _, err := srv.call(message{Op: opJoin, Room: room, Peer: name, Publish: publish}); err != nil {
		_ = pc.Close()
		return nil, fmt.Errorf("join %s: %w", name, err)
	}
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
		if _, err := c.srv.call(message{Op: opAnswer, Peer: c.name, SDP: sdp}); err != nil {
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
	r, err := c.srv.call(message{Op: opOffer, Peer: c.name, SDP: offer.SDP, Sources: sources})
	switch {
	case r.Glare:
		c.wantOffer = true
		return
	case err != nil && strings.Contains(err.Error(), "does not match previous answer") && c.retries < 5:
		// A server-side Pion failure seen when every peer publishes at once (see the README's
		// fan-out section): the server is left with our offer applied, so offering again
		// shortly lets it answer.
		c.retries++
		go func() { time.Sleep(100 * time.Millisecond); c.do(c.negotiate) }()
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
				if isVideo {
					// Marker on every 5th packet: ~31 "frames" a second. The SFU does not parse
					// VP8, so no payload descriptor or keyframe bits are needed for forwarding.
					_ = video.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq,
						Timestamp: uint32(seq/5) * 2903, Marker: seq%5 == 0}, Payload: stampPayload(videoPayload)})
				} else {
					_ = audio.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq,
						Timestamp: uint32(seq) * 960, Marker: false}, Payload: stampPayload(audioPayload)})
				}
				// Errors mean the track is not bound yet or the client is closing.
			})
		}()
		c.negotiate()
	})
}

func (c *client) onTrack(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	st := &seqStats{w: c.w}
	c.smu.Lock()
	c.streams = append(c.streams, st)
	c.smu.Unlock()
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		buf := make([]byte, 1500)
		var pkt rtp.Packet
		for {
			// Read raw and unmarshal into a reused packet: the receiver's own allocations
			// would otherwise weigh on the machine's shared CPUs.
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

// flowing reports whether the client receives at least want tracks, each for a little while.
func (c *client) flowing(want int) bool {
	c.smu.Lock()
	defer c.smu.Unlock()
	n := 0
	for _, s := range c.streams {
		if s.packetsAnyWindow.Load() >= 5 {
			n++
		}
	}
	return n >= want
}

func (c *client) close() {
	select {
	case <-c.quit:
		return
	default:
	}
	close(c.quit)
	_ = c.pc.Close()
	c.wg.Wait()
}

// clientsProc is the clients process's state: its clients by name, for routing signals, and
// what the measurement window reports on.
type clientsProc struct {
	srv  *pipe
	w    *window
	errs chan error

	mu      sync.Mutex
	byName  map[string]*client
	streams func() []*seqStats // set before ready is sent
	fanout  int
	cpu0    time.Duration
}

// runClients is the clients process: it sets up the scenario the flags name, reports ready,
// serves the measurement window and exits when the server closes its stdin.
func runClients(sc scenario) error {
	cp := &clientsProc{srv: newPipe(os.Stdout), w: &window{}, errs: make(chan error, 16),
		byName: map[string]*client{}}
	done := make(chan error, 1)
	go func() { done <- cp.srv.serve(os.Stdin, cp.handle) }()

	var err error
	var cleanup func()
	switch sc.kind {
	case "sfu":
		cleanup, err = cp.pion([]roomSpec{{name: "load", publishers: 1, clients: 1 + sc.n}}, sc.n)
	case "meetings":
		var rooms []roomSpec
		for i := range sc.rooms {
			rooms = append(rooms, roomSpec{name: fmt.Sprintf("m%d", i), publishers: sc.size, clients: sc.size})
		}
		cleanup, err = cp.pion(rooms, sc.size-1)
	case "relay":
		cleanup, err = cp.relayClients(sc)
	default:
		err = fmt.Errorf("unknown scenario %q", sc.kind)
	}
	if cleanup != nil {
		defer cleanup()
	}
	if err != nil {
		_ = cp.srv.send(message{Op: opFatal, Err: err.Error()})
		return err
	}
	select {
	case err = <-done: // the server is done with us
	case err = <-cp.errs:
		_ = cp.srv.send(message{Op: opFatal, Err: err.Error()})
	}
	return err
}

func (cp *clientsProc) handle(m message) {
	switch m.Op {
	case opSignal:
		cp.mu.Lock()
		c := cp.byName[m.Peer]
		cp.mu.Unlock()
		if c == nil {
			return
		}
		select {
		case c.sigs <- media.Signal{Type: m.Type, SDP: m.SDP}:
		default:
			c.fail("signal queue full")
		}
	case opStart:
		cp.mu.Lock()
		cp.cpu0 = cpuTime()
		cp.mu.Unlock()
		cp.w.on.Store(true)
		cp.srv.reply(m, message{})
	case opStop:
		cp.w.on.Store(false)
		cp.mu.Lock()
		cpu := cpuTime() - cp.cpu0
		streams, fanout := cp.streams, cp.fanout
		cp.mu.Unlock()
		rep := measure(streams(), cp.w, fanout)
		rep.ClientCPU = cpu.Seconds()
		cp.srv.reply(m, message{Report: &rep})
	}
}

// roomSpec is one room's worth of clients: the first publishers publish, everyone receives
// the others.
type roomSpec struct {
	name       string
	publishers int
	clients    int
}

// pion sets up the rooms with Pion clients and reports ready once every client receives
// every stream it should.
func (cp *clientsProc) pion(rooms []roomSpec, fanout int) (func(), error) {
	var all []*client
	cleanup := func() {
		for _, c := range all {
			c.close()
		}
	}
	var pubs []*client
	want := map[*client]int{}
	for _, r := range rooms {
		for i := range r.clients {
			publish := i < r.publishers
			c, err := cp.newClient(r.name, fmt.Sprintf("%s-c%d", r.name, i), publish)
			if err != nil {
				return cleanup, err
			}
			all = append(all, c)
			others := r.publishers
			if publish {
				pubs = append(pubs, c)
				others--
			}
			want[c] = 2 * others // video and audio of every other publisher
		}
	}
	for _, c := range pubs {
		c.publish()
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ready := 0
		for c, n := range want {
			if c.flowing(n) {
				ready++
			}
		}
		if ready == len(all) {
			break
		}
		select {
		case err := <-cp.errs:
			return cleanup, err
		default:
		}
		if time.Now().After(deadline) {
			return cleanup, fmt.Errorf("only %d of %d clients receive everything after 60s", ready, len(all))
		}
		time.Sleep(20 * time.Millisecond)
	}
	cp.mu.Lock()
	cp.fanout = fanout
	cp.streams = func() []*seqStats {
		var ss []*seqStats
		for _, c := range all {
			c.smu.Lock()
			ss = append(ss, c.streams...)
			c.smu.Unlock()
		}
		return ss
	}
	cp.mu.Unlock()
	return cleanup, cp.srv.send(message{Op: opReady})
}
