package record

import (
	"time"

	"github.com/pion/rtp"
)

// Defaults of [ReorderConfig]: sized for video, whose keyframes span hundreds of packets,
// and for a retransmission that needs a round trip or two to the SFU's cache.
const (
	DefaultMaxPackets = 512
	DefaultMaxDelay   = 500 * time.Millisecond
	DefaultMaxJump    = 1000
)

// ReorderConfig sizes a [Reorder]. Zero fields take the defaults.
type ReorderConfig struct {
	// MaxPackets is the width of the window, in sequence numbers, that the buffer holds
	// while a gap is open. A packet that does not fit makes it give up the oldest gap.
	// At most 16384.
	MaxPackets int
	// MaxDelay is how long a gap may stay open, from the arrival of the first packet
	// held behind it, before the buffer gives up on it.
	MaxDelay time.Duration
	// MaxJump is how far ahead of (or behind) the highest sequence number seen a packet
	// may be and still belong to the stream. A packet further off is held apart; if its
	// successor follows, the publisher restarted its numbering and the buffer starts
	// over; otherwise it was a stray and is dropped. At least MaxPackets, at most 32767.
	MaxJump int
}

func (c ReorderConfig) withDefaults() ReorderConfig {
	if c.MaxPackets <= 0 {
		c.MaxPackets = DefaultMaxPackets
	}
	if c.MaxDelay <= 0 {
		c.MaxDelay = DefaultMaxDelay
	}
	if c.MaxJump <= 0 {
		c.MaxJump = DefaultMaxJump
	}
	c.MaxJump = max(c.MaxJump, c.MaxPackets)
	// A jump must stay unambiguous in 16 bits, or "ahead" and "behind" would mix.
	c.MaxPackets = min(c.MaxPackets, 1<<14)
	c.MaxJump = min(c.MaxJump, 1<<15-1)
	return c
}

// Packet is an RTP packet with the time it arrived at the SFU.
type Packet struct {
	*rtp.Packet
	Arrival time.Time
}

// PushResult is what [Reorder.Push] learnt from a packet.
type PushResult struct {
	// Missing lists the sequence numbers this packet showed to be missing, to be asked
	// again from the SFU's cache (media.SinkTrack.Retransmit). Each missing packet is
	// reported once, when a packet after it first arrives.
	Missing []uint16
	// Dropped is set when the packet was not kept: a duplicate, or older than what was
	// already released (see [ReorderStats]).
	Dropped bool
}

// Loss is what the buffer gave up on since the previous [Reorder.Pop].
type Loss struct {
	// Lost counts the sequence numbers given up on.
	Lost int
	// Reset is set when the publisher's numbering jumped and the buffer started over.
	Reset bool
}

// Broken reports whether the packets released around this loss no longer make a whole
// stream: a video decoder needs a keyframe to go on.
func (l Loss) Broken() bool { return l.Lost > 0 || l.Reset }

// Reorder is one track's jitter buffer: it takes the packets in arrival order and
// releases them in sequence order, waiting a bounded time for the missing ones.
//
// Sequence numbers are extended beyond 16 bits internally, so a stream keeps its order
// across 65535 → 0. A packet older than the first one pushed is late: nothing is held
// back at the start of a stream, since a video recording waits for a keyframe anyway.
//
// A Reorder is not safe for concurrent use; the recorder calls it from the sink's one
// goroutine.
type Reorder struct {
	cfg   ReorderConfig
	slots []slot // ring indexed by extended sequence number modulo len(slots)

	started bool
	next    int64 // extended number of the next packet to release
	highest int64 // highest extended number seen (next-1 when none is held)
	held    int

	// cand is a packet far off the stream's numbers, kept until its successor confirms
	// a restart (RFC 3550 A.1 does the same with its probation).
	cand *Packet

	ready   []Packet // released, to be handed out by the next Pop
	pending Loss

	lastOut time.Time // arrival of the last packet released
	gapRun  int       // numbers given up since the last packet released

	stats ReorderStats
}

type slot struct {
	ext     int64 // extended number the slot holds or last held
	pkt     *rtp.Packet
	arrival time.Time
	held    bool // pkt is waiting to be released
	got     bool // ext was received and released (to tell duplicates from late packets)
}

// ReorderStats counts what a [Reorder] did, for the recording's report.
type ReorderStats struct {
	In  uint64 // packets pushed
	Out uint64 // packets released

	Lost       uint64 // sequence numbers given up on
	Late       uint64 // packets dropped because their place was already released or given up
	Duplicates uint64 // packets dropped because they were already held or released
	Stray      uint64 // packets far off the stream's numbers, not followed by their successor
	Resets     uint64 // restarts of the numbering (a jump confirmed by the next packet)

	Asked  uint64 // sequence numbers reported missing
	Filled uint64 // packets that arrived behind a later one and filled their place in time

	// MaxGapPackets and MaxGapTime describe the worst gap given up on: how many
	// consecutive numbers, and the arrival time between the packets on either side.
	MaxGapPackets int
	MaxGapTime    time.Duration

	Held int // packets waiting now
}

// NewReorder returns an empty buffer.
func NewReorder(cfg ReorderConfig) *Reorder {
	cfg = cfg.withDefaults()
	return &Reorder{cfg: cfg, slots: make([]slot, cfg.MaxPackets)}
}

// Config returns the buffer's configuration, defaults filled in.
func (r *Reorder) Config() ReorderConfig { return r.cfg }

func (r *Reorder) slot(ext int64) *slot {
	n := int64(len(r.slots))
	return &r.slots[((ext%n)+n)%n]
}

// Push adds a packet that arrived at arrival. It never releases anything itself: call
// [Reorder.Pop] after it. The packet is kept, never modified.
func (r *Reorder) Push(pkt *rtp.Packet, arrival time.Time) PushResult {
	if pkt == nil {
		return PushResult{Dropped: true}
	}
	r.stats.In++
	if !r.started {
		r.started = true
		r.next = int64(pkt.SequenceNumber)
		r.highest = r.next - 1
	}
	delta := int64(int16(pkt.SequenceNumber - uint16(r.highest)))
	if delta > int64(r.cfg.MaxJump) || -delta > int64(r.cfg.MaxJump) {
		return r.jump(pkt, arrival)
	}
	if r.cand != nil {
		// The stream went on where it was: the far-off packet was a stray.
		r.cand = nil
		r.stats.Stray++
	}
	return r.insert(pkt, arrival, r.highest+delta)
}

func (r *Reorder) insert(pkt *rtp.Packet, arrival time.Time, ext int64) PushResult {
	s := r.slot(ext)
	switch {
	case ext < r.next:
		if s.ext == ext && s.got {
			r.stats.Duplicates++
		} else {
			r.stats.Late++
		}
		return PushResult{Dropped: true}
	case s.held && s.ext == ext:
		r.stats.Duplicates++
		return PushResult{Dropped: true}
	}
	var res PushResult
	if ext > r.highest {
		if over := ext - (r.next + int64(len(r.slots)) - 1); over > 0 {
			// The window is full: give up its oldest part to make room.
			r.skipTo(r.next + over)
		}
		for e := max(r.highest+1, r.next); e < ext; e++ {
			res.Missing = append(res.Missing, uint16(e))
		}
		r.stats.Asked += uint64(len(res.Missing))
		r.highest = ext
	} else {
		r.stats.Filled++
	}
	*s = slot{ext: ext, pkt: pkt, arrival: arrival, held: true}
	r.held++
	return res
}

// jump handles a packet too far off the stream's numbers to wait for or ask for what
// lies between.
func (r *Reorder) jump(pkt *rtp.Packet, arrival time.Time) PushResult {
	cand := r.cand
	if cand == nil || pkt.SequenceNumber != cand.SequenceNumber+1 {
		if cand != nil {
			r.stats.Stray++
		}
		r.cand = &Packet{Packet: pkt, Arrival: arrival}
		return PushResult{}
	}
	// Two consecutive packets far off: the publisher restarted. Release what the old
	// numbering still held, then start over from the first of the two.
	r.cand = nil
	r.skipTo(r.highest + 1)
	r.gapRun = 0 // what lies between two numberings is no gap
	r.stats.Resets++
	r.pending.Reset = true
	// Keep extended numbers increasing across the reset, so no slot's history can be
	// mistaken for a packet of the new numbering.
	base := r.highest + 1
	ext := base + int64(cand.SequenceNumber-uint16(base))
	r.next, r.highest = ext, ext-1
	r.insert(cand.Packet, cand.Arrival, ext)
	return r.insert(pkt, arrival, ext+1)
}

// skipTo releases every packet held below end, in order, giving up on the numbers
// missing among them, and moves the window to start at end.
func (r *Reorder) skipTo(end int64) {
	for r.next < end {
		if r.held == 0 {
			r.giveUp(end - r.next)
			r.next = end
			break
		}
		if s := r.slot(r.next); s.held && s.ext == r.next {
			r.release(s)
		} else {
			r.giveUp(1)
		}
		r.next++
	}
	r.highest = max(r.highest, r.next-1)
}

func (r *Reorder) giveUp(n int64) {
	r.gapRun += int(n)
	r.pending.Lost += int(n)
	r.stats.Lost += uint64(n)
}

func (r *Reorder) release(s *slot) {
	if r.gapRun > 0 {
		r.stats.MaxGapPackets = max(r.stats.MaxGapPackets, r.gapRun)
		if !r.lastOut.IsZero() {
			r.stats.MaxGapTime = max(r.stats.MaxGapTime, s.arrival.Sub(r.lastOut))
		}
		r.gapRun = 0
	}
	r.ready = append(r.ready, Packet{Packet: s.pkt, Arrival: s.arrival})
	r.lastOut = s.arrival
	r.stats.Out++
	r.held--
	s.pkt, s.held, s.got = nil, false, true
}

// Pop appends to dst the packets ready at now, in sequence order, and returns it with
// what was given up since the previous call. A gap is given up when it has been open for
// MaxDelay; call Pop after every Push, and when [Reorder.Deadline] passes.
func (r *Reorder) Pop(dst []Packet, now time.Time) ([]Packet, Loss) {
	for {
		r.releaseInOrder()
		if r.held == 0 {
			break
		}
		oldest, first := r.oldestHeld()
		if now.Sub(oldest) < r.cfg.MaxDelay {
			break
		}
		r.skipTo(first)
	}
	return r.handOut(dst)
}

// Flush appends to dst every packet held, giving up on the gaps between them, as when
// the track ends.
func (r *Reorder) Flush(dst []Packet) ([]Packet, Loss) {
	if r.held > 0 {
		r.skipTo(r.highest + 1)
	}
	if r.cand != nil {
		r.cand = nil
		r.stats.Stray++
	}
	return r.handOut(dst)
}

func (r *Reorder) handOut(dst []Packet) ([]Packet, Loss) {
	dst = append(dst, r.ready...)
	clear(r.ready) // the buffer must not keep packets alive once they are handed out
	r.ready = r.ready[:0]
	loss := r.pending
	r.pending = Loss{}
	return dst, loss
}

func (r *Reorder) releaseInOrder() {
	for r.held > 0 {
		s := r.slot(r.next)
		if !s.held || s.ext != r.next {
			return
		}
		r.release(s)
		r.next++
	}
}

// oldestHeld returns the earliest arrival among the held packets, which is when the gap
// before them was first known, and the lowest held number. Only called with r.held > 0.
func (r *Reorder) oldestHeld() (oldest time.Time, first int64) {
	first = -1
	for e := r.next; e <= r.highest; e++ {
		s := r.slot(e)
		if !s.held || s.ext != e {
			continue
		}
		if first < 0 || s.arrival.Before(oldest) {
			oldest = s.arrival
		}
		if first < 0 {
			first = e
		}
	}
	return oldest, first
}

// Deadline returns when the open gap, if any, will be given up on by [Reorder.Pop].
func (r *Reorder) Deadline() (time.Time, bool) {
	if r.held == 0 {
		return time.Time{}, false
	}
	oldest, _ := r.oldestHeld()
	return oldest.Add(r.cfg.MaxDelay), true
}

// Stats returns the counters so far.
func (r *Reorder) Stats() ReorderStats {
	st := r.stats
	st.Held = r.held
	if r.cand != nil {
		st.Held++
	}
	return st
}
