package media

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Sink is a consumer of a room's tracks that is not a WebRTC peer, such as the recorder.
// Attach it with [SFU.AttachSink]. The SFU calls a sink's methods and those of its
// TrackSinks from one goroutine per attached sink, one call at a time, so a sink needs no
// locking of its own; a call that blocks holds up only that sink (see the package doc).
type Sink interface {
	// TrackPublished is called for every track published in the room, those already
	// published when the sink is attached included. It returns what receives the track's
	// packets, or nil to ignore the track.
	TrackPublished(t SinkTrack) TrackSink
}

// TrackSink receives one published track's packets on behalf of a Sink.
type TrackSink interface {
	// WriteRTP is given each packet of the track, decrypted, in arrival order, with the
	// time it arrived at the SFU. Arrival times of one sink never decrease; a
	// retransmitted packet carries the time Retransmit queued it. The packet (or, where it
	// keeps its extensions, its payload) is shared with the subscribers and the track's
	// packet cache: it must not be modified, but may be kept.
	WriteRTP(pkt *rtp.Packet, arrival time.Time)
	// Close is called once, after the last WriteRTP, when the track is unpublished (it
	// ended, its publisher left or lost the right) or the sink is detached.
	Close()
}

// SinkTrack is a published track as a Sink sees it. Its methods may be called from any
// goroutine, from within the sink's own methods too. It is an interface so that a sink can
// be tested without an SFU.
type SinkTrack interface {
	// Info describes the track, as OnTrackPublished does.
	Info() TrackInfo
	// Codec is the codec the publisher negotiated: MIME type, clock rate, channels, fmtp.
	Codec() webrtc.RTPCodecParameters
	// RequestKeyframe asks the publisher for a keyframe, throttled together with the
	// subscribers' requests (Config.KeyframeInterval). It does nothing for audio.
	RequestKeyframe()
	// Retransmit queues again, for this sink only, the packets with these sequence numbers
	// that are still in the track's packet cache, and returns how many it found. Only video
	// tracks have a cache: for audio it returns 0.
	Retransmit(seqs ...uint16) int
	// Dropped counts the packets of this track this sink lost because its queue was full.
	Dropped() uint64
	// AudioLevelID is the id of the audio level header extension (RFC 6464) in the
	// packets a sink gets of this track, 0 when the publisher did not negotiate it. The
	// packets of such a track keep their header extensions as the publisher sent them
	// (subscribers' do not); other tracks' packets come without extensions.
	AudioLevelID() uint8
	// SenderReport is the latest RTCP sender report the publisher sent for this track:
	// which RTP timestamp its clock gave at which NTP wallclock time, so a sink can align
	// the publisher's tracks with each other (lip sync). ok is false until the first one.
	SenderReport() (sr SenderReport, ok bool)
}

// SenderReport is the clock mapping of an RTCP sender report (RFC 3550 §6.4.1).
type SenderReport struct {
	NTP      time.Time // the publisher's wallclock
	RTPTime  uint32    // the track's RTP timestamp at that moment
	Received time.Time // when the SFU got the report
}

// AttachSink makes sink receive the tracks of room roomID, creating the room if nobody has
// joined it yet; the room lives as long as it has peers or sinks. detach stops delivery at
// once (packets still queued are dropped), closes every TrackSink and waits until the
// sink's last call has returned; it is idempotent, and must not be called from within the
// sink's own methods. Close detaches every sink. A room closed with CloseRoom keeps its
// sinks.
func (s *SFU) AttachSink(roomID string, sink Sink) (detach func(), err error) {
	if !validID(roomID) {
		return nil, ErrBadID
	}
	c := &sinkConn{sfu: s, sink: sink, q: make(chan sinkPacket, s.cfg.SinkQueueLength),
		wake: make(chan struct{}, 1), quit: make(chan struct{}), finished: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	r := s.rooms[roomID]
	if r == nil {
		r = newRoom(s, roomID)
		s.rooms[roomID] = r
	}
	c.room = r
	r.attach(c)
	s.wg.Add(1)
	s.mu.Unlock()
	go c.run()
	return c.detach, nil
}

// sinkConn is one attached sink: its bounded packet queue, drained by its own goroutine
// (run), and its control actions (tracks published and unpublished), which are never
// dropped and so are kept apart from the packets.
type sinkConn struct {
	sfu  *SFU
	room *room
	sink Sink
	q    chan sinkPacket

	mu   sync.Mutex
	ctl  []func()
	wake chan struct{}

	quit     chan struct{}
	quitOnce sync.Once
	finished chan struct{}

	// Owned by run.
	tracks []*sinkTrack // those the sink took, in publication order
	last   time.Time    // latest arrival time handed to the sink
}

type sinkPacket struct {
	st  *sinkTrack
	pkt *rtp.Packet // shared, as for subscribers
	at  time.Time
}

// sinkTrack is one published track as delivered to one sink.
type sinkTrack struct {
	up      *upTrack
	conn    *sinkConn
	ts      TrackSink   // set before the track is added to up's sinks; then read-only
	closed  atomic.Bool // set on the sink's goroutine; packets still queued are then skipped
	dropped atomic.Uint64
}

func (st *sinkTrack) Info() TrackInfo                  { return st.up.info() }
func (st *sinkTrack) Codec() webrtc.RTPCodecParameters { return st.up.codec }
func (st *sinkTrack) RequestKeyframe()                 { st.up.requestKeyframe() }
func (st *sinkTrack) Dropped() uint64                  { return st.dropped.Load() }
func (st *sinkTrack) AudioLevelID() uint8              { return st.up.levelID }

func (st *sinkTrack) SenderReport() (SenderReport, bool) {
	if sr := st.up.sr.Load(); sr != nil {
		return *sr, true
	}
	return SenderReport{}, false
}

func (st *sinkTrack) Retransmit(seqs ...uint16) int {
	c := st.up.cache
	if c == nil || st.closed.Load() {
		return 0
	}
	now := time.Now()
	n := 0
	for _, seq := range seqs {
		if pkt := c.get(seq); pkt != nil {
			n++
			st.conn.push(st, pkt, now)
		}
	}
	st.up.retransmits.Add(uint64(n))
	return n
}

// push queues a packet for the sink without ever waiting: a full queue loses the packet for
// this sink alone. Unlike a subscriber's loss this asks the publisher for nothing: the sink
// sees the gap in sequence numbers and chooses between Retransmit and RequestKeyframe.
func (c *sinkConn) push(st *sinkTrack, pkt *rtp.Packet, at time.Time) {
	select {
	case c.q <- sinkPacket{st, pkt, at}:
	default:
		st.dropped.Add(1)
	}
}

// post queues f for the sink's goroutine; like Peer.post it never blocks, so the room can
// call it under its lock.
func (c *sinkConn) post(f func()) {
	c.mu.Lock()
	c.ctl = append(c.ctl, f)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *sinkConn) run() {
	defer c.sfu.wg.Done()
	defer close(c.finished)
	defer c.closeAll()
	var batch *time.Timer
	if c.sfu.cfg.SinkBatch > 0 {
		batch = time.NewTimer(time.Hour)
		batch.Stop()
		defer batch.Stop()
	}
	for {
		select { // a detached sink gets nothing more, however full its queue
		case <-c.quit:
			return
		default:
		}
		// Everything queued, in one go.
		took := false
		for drained := false; !drained; {
			select {
			case <-c.quit:
				return
			case p := <-c.q:
				c.deliver(p)
				took = true
			default:
				drained = true
			}
		}
		if took && batch != nil {
			// Let the next packets gather; controls and detaching are not kept waiting.
			batch.Reset(c.sfu.cfg.SinkBatch)
			select {
			case <-c.quit:
				return
			case <-c.wake:
				c.runControls()
			case <-batch.C:
			}
			continue
		}
		select {
		case <-c.quit:
			return
		case <-c.wake:
			c.runControls()
		case p := <-c.q:
			c.deliver(p)
		}
	}
}

func (c *sinkConn) runControls() {
	for {
		c.mu.Lock()
		ctl := c.ctl
		c.ctl = nil
		c.mu.Unlock()
		if len(ctl) == 0 {
			return
		}
		for _, f := range ctl {
			select {
			case <-c.quit:
				return
			default:
			}
			f()
		}
	}
}

// publish offers u to the sink. Its packets flow only once the sink has taken it, so its
// TrackSink never sees a packet before TrackPublished has returned.
func (c *sinkConn) publish(u *upTrack) {
	for _, st := range c.tracks {
		if st.up == u {
			return
		}
	}
	st := &sinkTrack{up: u, conn: c}
	ts := c.sink.TrackPublished(st)
	if ts == nil {
		st.closed.Store(true) // in case the sink asks it to retransmit all the same
		return
	}
	st.ts = ts
	c.tracks = append(c.tracks, st)
	u.addSink(st)
}

// unpublish ends u for the sink. The packets already queued arrived before u was
// unpublished, so they are delivered first; at most one that the read loop was handing
// over meanwhile is skipped.
func (c *sinkConn) unpublish(u *upTrack) {
	var st *sinkTrack
	for i, x := range c.tracks {
		if x.up == u {
			st = x
			c.tracks = append(c.tracks[:i:i], c.tracks[i+1:]...)
			break
		}
	}
	if st == nil {
		return
	}
	u.removeSink(st)
	for n := len(c.q); n > 0; n-- {
		c.deliver(<-c.q)
	}
	st.closed.Store(true)
	st.ts.Close()
}

func (c *sinkConn) deliver(p sinkPacket) {
	if p.st.closed.Load() {
		return
	}
	// Read loops of different tracks, and Retransmit, take the time before they queue, so
	// queue order and time order can differ by the few microseconds in between.
	if p.at.Before(c.last) {
		p.at = c.last
	}
	c.last = p.at
	p.st.ts.WriteRTP(p.pkt, p.at)
}

// closeAll ends every track for a detached sink; whatever is still queued is dropped with
// the queue.
func (c *sinkConn) closeAll() {
	for _, st := range c.tracks {
		st.up.removeSink(st)
		st.closed.Store(true)
		st.ts.Close()
	}
	c.tracks = nil
}

func (c *sinkConn) detach() {
	c.quitOnce.Do(func() {
		c.room.detach(c)
		close(c.quit)
	})
	<-c.finished
	c.sfu.dropIfEmpty(c.room)
}
