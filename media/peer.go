package media

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor/pkg/stats"
	"github.com/pion/webrtc/v4"
)

// gatherTimeout bounds waiting for our own host candidates, which on a UDP mux are known
// almost at once; it only matters if something is badly wrong.
const gatherTimeout = 5 * time.Second

// Peer is one participant's PeerConnection in a room. Its methods are safe for concurrent use;
// the work they ask for is done, in order, by the peer's own goroutine.
type Peer struct {
	sfu    *SFU
	room   *room
	roomID string
	id     string
	log    *slog.Logger
	pc     *webrtc.PeerConnection
	signal func(Signal)
	stats  atomic.Pointer[stats.Getter]
	out    *sendQueue
	// sentPackets and sentBytes count what the write loop forwarded (totals.go).
	sentPackets, sentBytes atomic.Uint64

	mu      sync.Mutex
	actions []action
	rights  PublishRights
	sources map[string]Source // declared by the client, by mid
	closing bool              // no goroutine may be added once set

	wake     chan struct{}
	quit     chan struct{}
	quitOnce sync.Once
	finished chan struct{}
	// connected is closed when the media connection first comes up (ICE and DTLS), so
	// that a participant whose media never connects can be told apart.
	connected     chan struct{}
	connectedOnce sync.Once
	wg            sync.WaitGroup // every goroutine of this peer except run

	// Owned by the run goroutine.
	ups       []*upTrack
	downs     map[*upTrack]*downTrack
	needOffer bool
	// dtlsSetup is what this side's answers must say in a=setup once the first exchange
	// fixed the DTLS roles: Pion answers "active" to every offer, and a browser refuses an
	// answer that swaps roles in a renegotiation. Owned by the peer's goroutine.
	dtlsSetup  string
	mids       int         // our transceivers so far, for naming their mids
	candidates []Candidate // arrived before any remote description
}

type action struct {
	do    func() error
	reply chan error
}

func (s *SFU) newPeer(roomID, id string, rights PublishRights, signal func(Signal)) (*Peer, error) {
	p := &Peer{
		sfu: s, roomID: roomID, id: id, signal: signal, rights: rights,
		log:     s.log.With("room", roomID, "peer", id),
		sources: map[string]Source{}, downs: map[*upTrack]*downTrack{},
		wake: make(chan struct{}, 1), quit: make(chan struct{}), finished: make(chan struct{}),
		connected: make(chan struct{}),
	}
	p.out = newSendQueue(s.cfg.QueueLength)
	api, err := s.newAPI(p)
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("media: new peer connection: %w", err)
	}
	p.pc = pc
	pc.OnTrack(p.onTrack)
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateConnected:
			p.connectedOnce.Do(func() { close(p.connected) })
			// Subscriptions negotiated before DTLS was up may have lost their first keyframe.
			p.post(p.requestAllKeyframes)
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			p.stop()
		}
	})
	return p, nil
}

// start runs the peer's goroutines once it is in its room.
func (p *Peer) start() {
	p.wg.Add(1)
	go p.writeLoop()
	go p.run()
}

// abort disposes of a peer that never joined.
func (p *Peer) abort() {
	_ = p.pc.Close()
	close(p.finished)
}

// ID returns the peer's id.
func (p *Peer) ID() string { return p.id }

// Leave closes the peer's connection, unpublishes its tracks and waits until all its
// goroutines have ended. It is idempotent.
func (p *Peer) Leave() {
	p.stop()
	<-p.finished
}

// Connected is closed once the peer's media connection has first come up.
func (p *Peer) Connected() <-chan struct{} { return p.connected }

// Done is closed once the peer has gone, whether it left or its connection failed.
func (p *Peer) Done() <-chan struct{} { return p.finished }

func (p *Peer) stop() { p.quitOnce.Do(func() { close(p.quit) }) }

// post queues f for the peer's goroutine without waiting; it never blocks, which is what
// lets room operations fan out to many peers.
func (p *Peer) post(f func()) {
	p.enqueue(action{do: func() error { f(); return nil }})
}

// call runs f on the peer's goroutine and waits for its result.
func (p *Peer) call(f func() error) error {
	a := action{do: f, reply: make(chan error, 1)}
	p.enqueue(a)
	select {
	case err := <-a.reply:
		return err
	case <-p.finished:
		return ErrClosed
	}
}

func (p *Peer) enqueue(a action) {
	p.mu.Lock()
	p.actions = append(p.actions, a)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *Peer) run() {
	defer close(p.finished)
	defer p.teardown()
	for {
		select {
		case <-p.quit:
			return
		case <-p.wake:
		}
		for {
			p.mu.Lock()
			acts := p.actions
			p.actions = nil
			p.mu.Unlock()
			if len(acts) == 0 {
				break
			}
			for _, a := range acts {
				err := a.do()
				if a.reply != nil {
					a.reply <- err
				}
			}
		}
		p.maybeOffer()
	}
}

// teardown runs on the peer's goroutine as it ends.
func (p *Peer) teardown() {
	p.mu.Lock()
	p.closing = true
	p.mu.Unlock()
	if p.room != nil {
		p.room.leave(p)
	}
	for u, d := range p.downs {
		u.removeDown(d)
	}
	for _, u := range p.ups {
		u.close()
	}
	if err := p.pc.Close(); err != nil {
		p.log.Debug("closing peer connection", "err", err)
	}
	p.wg.Wait()
	if cb := p.sfu.cfg.OnPeerClosed; cb != nil {
		cb(p.roomID, p.id)
	}
}

// goTracked starts f as one of the peer's goroutines unless the peer is closing.
func (p *Peer) goTracked(f func()) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing {
		return false
	}
	p.wg.Add(1)
	go func() { defer p.wg.Done(); f() }()
	return true
}

// HandleOffer applies the client's offer (usually to publish) and sends the answer through
// signal. sources declares what each of the client's m-lines (by mid) carries.
func (p *Peer) HandleOffer(sdp string, sources map[string]Source) error {
	for _, s := range sources {
		if !validSource(s) {
			return fmt.Errorf("%w: %q", ErrBadSource, s)
		}
	}
	if len(sources) > MaxPublished || publishedIn(sdp) > MaxPublished {
		return ErrTooMany
	}
	return p.call(func() error {
		if p.pc.SignalingState() == webrtc.SignalingStateHaveLocalOffer {
			return ErrGlare
		}
		p.mu.Lock()
		for mid, s := range sources {
			p.sources[mid] = s
		}
		p.mu.Unlock()
		p.waitICEStarted()
		offer := webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}
		if err := p.pc.SetRemoteDescription(offer); err != nil {
			return fmt.Errorf("media: client offer: %w", err)
		}
		p.flushCandidates()
		answer, err := p.pc.CreateAnswer(nil)
		if err != nil {
			return fmt.Errorf("media: answer: %w", err)
		}
		sdpOut, err := p.setLocal(answer)
		if err != nil {
			return err
		}
		// Pion insists on applying its own answer unchanged; the DTLS role in it only matters
		// at the first exchange, so the text the client gets is corrected instead.
		if p.dtlsSetup == "" {
			p.dtlsSetup = setupOf(sdpOut)
		} else {
			sdpOut = withSetup(sdpOut, p.dtlsSetup)
		}
		p.signal(Signal{Type: SignalAnswer, SDP: sdpOut})
		p.requestAllKeyframes()
		return nil
	})
}

// HandleAnswer applies the client's answer to the server's last offer.
func (p *Peer) HandleAnswer(sdp string) error {
	return p.call(func() error {
		if p.pc.SignalingState() != webrtc.SignalingStateHaveLocalOffer {
			return ErrNoOffer
		}
		answer := webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}
		if err := p.pc.SetRemoteDescription(answer); err != nil {
			return fmt.Errorf("media: client answer: %w", err)
		}
		if p.dtlsSetup == "" { // the client chose its role: ours is the other one
			switch setupOf(sdp) {
			case "active":
				p.dtlsSetup = "passive"
			case "passive":
				p.dtlsSetup = "active"
			}
		}
		p.flushCandidates()
		// New subscriptions are bound now; their decoders need a keyframe to start.
		p.requestAllKeyframes()
		return nil
	})
}

// AddICECandidate adds a candidate trickled by the client; candidates that arrive before
// the client's first description are kept until it does.
func (p *Peer) AddICECandidate(c Candidate) error {
	return p.call(func() error {
		if p.pc.RemoteDescription() == nil {
			p.candidates = append(p.candidates, c)
			return nil
		}
		if err := p.pc.AddICECandidate(c); err != nil {
			return fmt.Errorf("media: candidate: %w", err)
		}
		return nil
	})
}

func (p *Peer) flushCandidates() {
	for _, c := range p.candidates {
		if err := p.pc.AddICECandidate(c); err != nil {
			p.log.Warn("dropping client candidate", "err", err)
		}
	}
	p.candidates = nil
}

// SetPublishRights changes what the peer may publish; tracks no longer allowed stop being
// forwarded at once and are unpublished, tracks newly allowed are published.
func (p *Peer) SetPublishRights(r PublishRights) error {
	return p.call(func() error {
		p.mu.Lock()
		p.rights = r
		p.mu.Unlock()
		for _, u := range p.ups {
			p.applyRights(u, r)
		}
		return nil
	})
}

// SetMuted stops (or resumes) forwarding the peer's tracks of one source without
// renegotiating, as a moderator's mute does; subscribers simply receive nothing.
func (p *Peer) SetMuted(src Source, muted bool) error {
	return p.call(func() error {
		for _, u := range p.ups {
			if u.source == src {
				u.muted.Store(muted)
				if !muted {
					u.requestKeyframe()
				}
			}
		}
		return nil
	})
}

// maybeOffer sends the server's offer when subscriptions changed and no negotiation is
// under way; changes made meanwhile wait for the next round.
func (p *Peer) maybeOffer() {
	if !p.needOffer || p.pc.SignalingState() != webrtc.SignalingStateStable {
		return
	}
	p.needOffer = false
	offer, err := p.pc.CreateOffer(nil)
	if err != nil {
		p.log.Error("creating offer", "err", err)
		return
	}
	sdp, err := p.setLocal(offer)
	if err != nil {
		p.log.Error("setting offer", "err", err)
		return
	}
	p.signal(Signal{Type: SignalOffer, SDP: sdp})
}

// setLocal applies our description and returns it with all our candidates in it.
func (p *Peer) setLocal(d webrtc.SessionDescription) (string, error) {
	gathered := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(d); err != nil {
		return "", fmt.Errorf("media: local description: %w", err)
	}
	t := time.NewTimer(gatherTimeout)
	defer t.Stop()
	select {
	case <-gathered:
	case <-p.quit:
		return "", ErrClosed
	case <-t.C:
		return "", errGatherStuck
	}
	return p.pc.LocalDescription().SDP, nil
}

func (p *Peer) requestAllKeyframes() {
	for u := range p.downs {
		u.requestKeyframe()
	}
}

// waitICEStarted works around a Pion race: after the first negotiation the ICE transport is
// started asynchronously, and a renegotiating offer applied before it has taken the remote
// credentials looks like an ICE restart, which then fails ("attempting to gather candidates
// during gathering state"). It waits, briefly, until ICE has left the "new" state.
func (p *Peer) waitICEStarted() {
	if p.pc.CurrentRemoteDescription() == nil {
		return
	}
	deadline := time.Now().Add(2 * time.Second)
	for p.pc.ICEConnectionState() == webrtc.ICEConnectionStateNew && time.Now().Before(deadline) {
		select {
		case <-p.quit:
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}
