package mediatest

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Transport carries a client's signalling to its SFU peer: the SFU called directly (media's
// tests), the WebSocket protocol (signal's tests) or sfuload's pipe between two processes.
// The server's offers and answers come back through Client.Signal, whatever carries them.
//
// Sources name the source of each of the client's sending m-lines by mid (microphone,
// camera, screen, screen_audio), as the signalling protocol does. The package does not
// import media, so that media's own tests can use it.
type Transport interface {
	// Offer sends the client's offer. glare is true when the server refused it at once
	// because an offer of its own is outstanding; a transport that hears of glare later
	// (the WebSocket's error frame) calls Client.Glare instead.
	Offer(sdp string, sources map[string]string) (glare bool, err error)
	// Answer sends the client's answer to a server offer.
	Answer(sdp string) error
	// Candidate trickles one of the client's ICE candidates; it is called from Pion's
	// goroutines.
	Candidate(c webrtc.ICECandidateInit) error
}

// Options shape a client.
type Options struct {
	Name string
	// Settings change the client's setting engine after LoopbackSettings.
	Settings []func(*webrtc.SettingEngine)
	// Interceptors are registered closest to the network, before Pion's defaults (a test
	// that drops packets, say).
	Interceptors []interceptor.Factory
	// NoRead makes a subscriber that never reads what it receives.
	NoRead bool
	// AudioLevel negotiates the audio level header extension (RFC 6464), as browsers do;
	// the synthetic audio Publish sends then carries a level of -AudioLevelDB dBov.
	AudioLevel bool
	// OnTrack, when set, reads each received track instead of the client's own counting
	// reader (a load tool that keeps its own figures).
	OnTrack func(*webrtc.TrackRemote)
	// Fail reports a client failure (a test's Errorf); it is not called once the client is
	// closing, when every operation of its closed connection fails.
	Fail func(format string, args ...any)
}

// Client is a Pion PeerConnection that behaves as the browser client does towards the SFU:
// it answers the server's offers, offers its own publications, and is the polite side of
// perfect negotiation. Pion cannot roll back a local offer, so unlike a browser the client
// applies its offer only once the server has answered it: on glare it has changed nothing,
// answers the server's offer and offers again afterwards. Its candidates are trickled.
//
// One goroutine (the loop) owns the negotiation; Do runs work on it.
type Client struct {
	Name string
	PC   *webrtc.PeerConnection

	opts Options
	tr   Transport
	sigs chan serverSignal
	ops  chan func()
	quit chan struct{}
	wg   sync.WaitGroup

	// Owned by the loop.
	pending   *webrtc.SessionDescription // our offer, sent, not yet answered
	wantOffer bool
	pubs      []*Pub

	mu     sync.Mutex
	tracks []*RecvTrack
}

type serverSignal struct{ typ, sdp string }

// glareSignal is the loop's own marker for a glare heard of after the offer was sent.
const glareSignal = "glare"

// NewClient makes a client's PeerConnection with the default codecs and interceptors a
// browser would have (NACK, RTCP reports, TWCC), on loopback. Signals may be handed to it
// at once; it acts on them once Start gives it its transport.
func NewClient(opts Options) (*Client, error) {
	if opts.Fail == nil {
		opts.Fail = func(string, ...any) {}
	}
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	if opts.AudioLevel {
		if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: audioLevelURI}, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	reg := &interceptor.Registry{}
	for _, f := range opts.Interceptors {
		reg.Add(f)
	}
	if err := webrtc.RegisterDefaultInterceptors(me, reg); err != nil {
		return nil, err
	}
	se := LoopbackSettings()
	for _, f := range opts.Settings {
		f(&se)
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	c := &Client{Name: opts.Name, PC: pc, opts: opts, sigs: make(chan serverSignal, 1024),
		ops: make(chan func(), 16), quit: make(chan struct{})}
	pc.OnTrack(c.onTrack)
	return c, nil
}

// Start gives the client its transport and starts its loop.
func (c *Client) Start(tr Transport) {
	c.tr = tr
	c.PC.OnICECandidate(func(cand *webrtc.ICECandidate) {
		if cand != nil {
			_ = tr.Candidate(cand.ToJSON()) // fails only once the peer has left
		}
	})
	c.wg.Add(1)
	go c.loop()
}

// Signal hands the client a server offer or answer ("offer", "answer"). It never blocks.
func (c *Client) Signal(typ, sdp string) {
	select {
	case c.sigs <- serverSignal{typ, sdp}:
	default:
		c.fail("signal queue full")
	}
}

// Glare tells the client that the server refused its last offer because its own offer is
// outstanding (already sent to the client, so queued ahead of this).
func (c *Client) Glare() { c.Signal(glareSignal, "") }

// Done is closed when the client closes.
func (c *Client) Done() <-chan struct{} { return c.quit }

// Fail reports a failure of the client's user through Options.Fail, unless the client is
// closing.
func (c *Client) Fail(format string, args ...any) { c.fail(format, args...) }

func (c *Client) fail(format string, args ...any) {
	select {
	case <-c.quit:
	default:
		c.opts.Fail("%s: "+format, append([]any{c.Name}, args...)...)
	}
}

func (c *Client) loop() {
	defer c.wg.Done()
	for {
		select {
		case <-c.quit:
			return
		case f := <-c.ops:
			f()
		case s := <-c.sigs:
			c.handle(s)
		}
	}
}

// Do runs f on the loop goroutine and waits for it (not at all once the client closed).
func (c *Client) Do(f func()) {
	done := make(chan struct{})
	select {
	case c.ops <- func() { f(); close(done) }:
		<-done
	case <-c.quit:
	}
}

func (c *Client) handle(s serverSignal) {
	switch s.typ {
	case "answer":
		if c.pending == nil {
			c.fail("answer without an offer")
			return
		}
		offer := *c.pending
		c.pending = nil
		if err := c.PC.SetLocalDescription(offer); err != nil {
			c.fail("local offer: %v", err)
			return
		}
		if err := c.PC.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: s.sdp}); err != nil {
			c.fail("server answer: %v", err)
		}
	case "offer":
		sdp, err := AnswerOffer(c.PC, s.sdp)
		if err != nil {
			c.fail("%v", err)
			return
		}
		if err := c.tr.Answer(sdp); err != nil {
			c.fail("answer: %v", err)
		}
	case glareSignal:
		c.pending = nil
		c.wantOffer = true
	}
	if c.wantOffer && c.pending == nil && c.PC.SignalingState() == webrtc.SignalingStateStable {
		c.negotiate()
	}
}

// RestartICE offers new ICE credentials, as a browser does when its network changed. It
// must run on the loop (inside Do), with nothing in flight.
func (c *Client) RestartICE() { c.offer(&webrtc.OfferOptions{ICERestart: true}) }

// Answered reports whether no offer of the client's is waiting for the server's answer; it
// must run on the loop (inside Do).
func (c *Client) Answered() bool { return c.pending == nil }

// Negotiate offers the client's publications as they are now; it must run on the loop
// (inside Do). While an offer is in flight or the server's is being answered, it offers
// once that is done.
func (c *Client) Negotiate() { c.negotiate() }

func (c *Client) negotiate() {
	if c.pending != nil || c.PC.SignalingState() != webrtc.SignalingStateStable {
		c.wantOffer = true
		return
	}
	c.offer(nil)
}

func (c *Client) offer(opts *webrtc.OfferOptions) {
	c.wantOffer = false
	offer, err := c.PC.CreateOffer(opts)
	if err != nil {
		c.fail("offer: %v", err)
		return
	}
	sources := map[string]string{} // mids are assigned by CreateOffer
	for _, p := range c.pubs {
		if mid := p.Transceiver.Mid(); mid != "" && !p.removed {
			sources[mid] = p.Source
		}
	}
	c.pending = &offer
	glare, err := c.tr.Offer(offer.SDP, sources)
	switch {
	case glare:
		c.pending = nil
		c.wantOffer = true
	case err != nil:
		c.pending = nil
		c.fail("offer refused: %v", err)
	}
	// Otherwise the server's answer comes through Signal, ahead of any later server offer.
}

// Pub is a track the client publishes.
type Pub struct {
	Kind        webrtc.RTPCodecType
	Source      string
	Local       *webrtc.TrackLocalStaticRTP
	Transceiver *webrtc.RTPTransceiver
	// PLIs counts the keyframe requests (PLI, FIR) the publisher received.
	PLIs atomic.Int64
	// Sent counts the packets written; LastSeq is the last sequence number written.
	Sent    atomic.Int64
	LastSeq atomic.Uint32

	stop     chan struct{}
	stopOnce sync.Once
	removed  bool // owned by the loop
}

// Stop stops sending p's packets but leaves it published, as a frozen camera would be;
// Unpublish also removes it. It may be called more than once.
func (p *Pub) Stop() { p.stopOnce.Do(func() { close(p.stop) }) }

// AddTrackLocal is AddTrack for any kind of local track (a TrackLocalStaticSample that
// packetizes real media, say); the Pub's Local is nil unless track is a
// TrackLocalStaticRTP.
func (c *Client) AddTrackLocal(track webrtc.TrackLocal, source string) (*Pub, error) {
	if rtpTrack, ok := track.(*webrtc.TrackLocalStaticRTP); ok {
		return c.AddTrack(rtpTrack, source)
	}
	return c.addTrack(track, nil, source)
}

// AddTrack adds local as a publication of source; Negotiate offers it, and the caller
// writes its packets. It must run on the loop (inside Do). RTCP of the track is read (the
// interceptors need it), counting keyframe requests.
func (c *Client) AddTrack(local *webrtc.TrackLocalStaticRTP, source string) (*Pub, error) {
	return c.addTrack(local, local, source)
}

func (c *Client) addTrack(track webrtc.TrackLocal, local *webrtc.TrackLocalStaticRTP, source string) (*Pub, error) {
	tr, err := c.PC.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return nil, fmt.Errorf("add transceiver: %w", err)
	}
	p := &Pub{Kind: track.Kind(), Source: source, Local: local, Transceiver: tr, stop: make(chan struct{})}
	c.pubs = append(c.pubs, p)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			pkts, _, err := tr.Sender().ReadRTCP()
			if err != nil {
				return
			}
			for _, pk := range pkts {
				switch pk.(type) {
				case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
					p.PLIs.Add(1)
				}
			}
		}
	}()
	return p, nil
}

// Publish starts sending a synthetic track of kind as source: Opus-like audio every 20 ms
// or VP8-like video every 10 ms, each payload of 100 bytes starting with its send time
// (UnixNano, big-endian) so that receivers can measure latency.
func (c *Client) Publish(kind webrtc.RTPCodecType, source string) *Pub {
	capa := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
	interval := 20 * time.Millisecond
	if kind == webrtc.RTPCodecTypeVideo {
		capa = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
		interval = 10 * time.Millisecond
	}
	var p *Pub
	c.Do(func() {
		local, err := webrtc.NewTrackLocalStaticRTP(capa, source, c.Name)
		if err != nil {
			c.fail("track: %v", err)
			return
		}
		if p, err = c.AddTrack(local, source); err != nil {
			c.fail("%v", err)
			return
		}
		c.wg.Add(1)
		go c.pace(p, interval)
		c.negotiate()
	})
	return p
}

func (c *Client) pace(p *Pub, interval time.Duration) {
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
		pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq,
			Timestamp: uint32(seq) * 960, Marker: true}, Payload: payload}
		if c.opts.AudioLevel && p.Kind == webrtc.RTPCodecTypeAudio {
			if id := levelID(p.Transceiver); id != 0 {
				_ = pkt.SetExtension(id, []byte{0x80 | AudioLevelDB}) // voice, at that level
			}
		}
		// Errors mean the track is not bound yet or the client is closing.
		if p.Local.WriteRTP(pkt) == nil {
			p.Sent.Add(1)
			p.LastSeq.Store(uint32(seq))
		}
	}
}

// audioLevelURI is RFC 6464's header extension (sdp.AudioLevelURI).
const audioLevelURI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

// AudioLevelDB is the level, in -dBov, that synthetic audio says it has.
const AudioLevelDB = 30

// levelID is the audio level extension's negotiated id on a sender, 0 before or without.
func levelID(tr *webrtc.RTPTransceiver) uint8 {
	for _, h := range tr.Sender().GetParameters().HeaderExtensions {
		if h.URI == audioLevelURI && h.ID > 0 && h.ID < 15 {
			return uint8(h.ID)
		}
	}
	return 0
}

// Unpublish stops sending p and offers its removal.
func (c *Client) Unpublish(p *Pub) {
	c.Do(func() {
		if p.removed {
			return
		}
		p.removed = true
		p.Stop()
		if err := c.PC.RemoveTrack(p.Transceiver.Sender()); err != nil {
			c.fail("remove track: %v", err)
		}
		c.negotiate()
	})
}

// RecvTrack is a track the client receives, with what arrived of it.
type RecvTrack struct {
	Stream, ID string // the publisher's peer id and the track id the SFU gave
	Kind       webrtc.RTPCodecType
	SSRC       uint32
	Packets    atomic.Int64
	Ended      chan struct{}

	mu        sync.Mutex
	seqs      map[uint16]int
	latencies []time.Duration
}

// SawSeq reports whether the packet with sequence number seq arrived.
func (r *RecvTrack) SawSeq(seq uint16) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seqs[seq] > 0
}

// Latencies returns the send-to-receive delays measured so far.
func (r *RecvTrack) Latencies() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.latencies...)
}

// ResetLatencies forgets the delays measured so far, so that Latencies then returns only
// those of packets received afterwards.
func (r *RecvTrack) ResetLatencies() {
	r.mu.Lock()
	r.latencies = r.latencies[:0]
	r.mu.Unlock()
}

func (c *Client) onTrack(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	if c.opts.OnTrack != nil {
		c.wg.Add(1)
		go func() { defer c.wg.Done(); c.opts.OnTrack(tr) }()
		return
	}
	r := &RecvTrack{Stream: tr.StreamID(), ID: tr.ID(), Kind: tr.Kind(), SSRC: uint32(tr.SSRC()),
		Ended: make(chan struct{}), seqs: map[uint16]int{}}
	c.mu.Lock()
	c.tracks = append(c.tracks, r)
	c.mu.Unlock()
	if c.opts.NoRead {
		close(r.Ended)
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer close(r.Ended)
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			r.Packets.Add(1)
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

// Tracks returns every track received so far, ended ones included.
func (c *Client) Tracks() []*RecvTrack {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*RecvTrack(nil), c.tracks...)
}

// Track returns the first received track from publisher from of this kind that has not
// ended (with NoRead, the first at all), or nil.
func (c *Client) Track(from string, kind webrtc.RTPCodecType) *RecvTrack {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.tracks {
		if r.Stream != from || r.Kind != kind {
			continue
		}
		select {
		case <-r.Ended:
			if !c.opts.NoRead {
				continue
			}
		default:
		}
		return r
	}
	return nil
}

// Received counts the packets of kind received from publisher from, over all its tracks.
func (c *Client) Received(from string, kind webrtc.RTPCodecType) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for _, r := range c.tracks {
		if r.Stream == from && r.Kind == kind {
			n += r.Packets.Load()
		}
	}
	return n
}

// Close stops the client: its loop, its publications and its PeerConnection.
func (c *Client) Close() {
	select {
	case <-c.quit:
		return
	default:
	}
	close(c.quit)
	_ = c.PC.Close()
	c.wg.Wait()
}
