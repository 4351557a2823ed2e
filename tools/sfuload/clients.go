package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"conclave/media"
	"conclave/media/mediatest"
)

// The clients process: Pion publishers and subscribers, each talking to its media.Peer in the
// server process through the pipe (see proto.go), as a browser would through the WebSocket
// signalling layer, and counting what it receives.

// client is one Pion PeerConnection: the shared test client of media/mediatest, talking to
// its peer in the server process over the pipe, with a reader that keeps this tool's figures.
type client struct {
	*mediatest.Client
	name string
	srv  *pipe

	// Subscriber side: one stats stream per received track.
	w       *window
	smu     sync.Mutex
	streams []*seqStats
}

func (cp *clientsProc) newClient(room, name string, publish bool) (*client, error) {
	c := &client{name: name, srv: cp.srv, w: cp.w}
	mc, err := mediatest.NewClient(mediatest.Options{Name: name, OnTrack: c.read,
		Fail: func(format string, args ...any) {
			select {
			case cp.errs <- fmt.Errorf(format, args...):
			default:
			}
		}})
	if err != nil {
		return nil, err
	}
	c.Client = mc
	// Known before joining: the server's first offer may come before the join's reply.
	cp.mu.Lock()
	cp.byName[name] = c
	cp.mu.Unlock()
	c.Start(pipeTransport{c})
	if _, err := c.srv.call(message{Op: opJoin, Room: room, Peer: name, Publish: publish}); err != nil {
		c.Close()
		return nil, fmt.Errorf("join %s: %w", name, err)
	}
	return c, nil
}

// pipeTransport carries a client's negotiation to its media.Peer in the server process.
type pipeTransport struct{ c *client }

func (p pipeTransport) Offer(sdp string, sources map[string]string) (bool, error) {
	srcs := make(map[string]media.Source, len(sources))
	for mid, s := range sources {
		srcs[mid] = media.Source(s)
	}
	r, err := p.c.srv.call(message{Op: opOffer, Peer: p.c.name, SDP: sdp, Sources: srcs})
	return r.Glare, err
}

func (p pipeTransport) Answer(sdp string) error {
	_, err := p.c.srv.call(message{Op: opAnswer, Peer: p.c.name, SDP: sdp})
	return err
}

func (p pipeTransport) Candidate(cand webrtc.ICECandidateInit) error {
	go func() { _, _ = p.c.srv.call(message{Op: opCand, Peer: p.c.name, Cand: &cand}) }()
	return nil
}

// publish adds the camera and microphone tracks, negotiates once, and starts pacing the
// synthetic stream until the client closes.
func (c *client) publish() {
	c.Do(func() {
		video, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "camera", c.name)
		if err != nil {
			c.Fail("video track: %v", err)
			return
		}
		audio, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "microphone", c.name)
		if err != nil {
			c.Fail("audio track: %v", err)
			return
		}
		for _, t := range []struct {
			local *webrtc.TrackLocalStaticRTP
			src   media.Source
		}{{video, media.SourceCamera}, {audio, media.SourceMicrophone}} {
			if _, err := c.AddTrack(t.local, string(t.src)); err != nil {
				c.Fail("%v", err)
				return
			}
		}
		c.Negotiate() // one offer for both
		go pace(c.Done(), c.w, func(isVideo bool, seq uint16) {
			if isVideo {
				// Marker on every 5th packet: ~31 "frames" a second. The SFU does not parse
				// VP8, so no payload descriptor or keyframe bits are needed for forwarding.
				_ = video.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq,
					Timestamp: uint32((seq-1)/5) * 2903, Marker: seq%5 == 0}, Payload: vp8Payload(videoPayload, seq)})
			} else {
				_ = audio.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq,
					Timestamp: uint32(seq) * 960, Marker: false}, Payload: stampPayload(audioPayload)})
			}
			// Errors mean the track is not bound yet or the client is closing.
		})
	})
}

// read records a received track's packets.
func (c *client) read(tr *webrtc.TrackRemote) {
	st := &seqStats{w: c.w}
	if tr.Kind() == webrtc.RTPCodecTypeVideo {
		st.stampAt = videoStampAt
	}
	c.smu.Lock()
	c.streams = append(c.streams, st)
	c.smu.Unlock()
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
		c.Signal(string(m.Type), m.SDP)
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
			c.Close()
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
