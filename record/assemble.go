package record

import (
	"strings"
	"time"

	"github.com/pion/rtp/codecs"
)

// Codec is a codec the recorder writes without transcoding.
type Codec uint8

// The codecs a recording holds.
const (
	CodecVP8 Codec = iota + 1
	CodecVP9
	CodecOpus
)

func (c Codec) String() string {
	switch c {
	case CodecVP8:
		return "VP8"
	case CodecVP9:
		return "VP9"
	case CodecOpus:
		return "opus"
	}
	return "unknown"
}

// Video reports whether c is a video codec, whose frames depend on earlier ones.
func (c Codec) Video() bool { return c == CodecVP8 || c == CodecVP9 }

// CodecFromMime returns the codec of a MIME type as WebRTC names it ("video/VP8"),
// and false for a codec the recorder cannot write.
func CodecFromMime(mime string) (Codec, bool) {
	switch {
	case strings.EqualFold(mime, "video/VP8"):
		return CodecVP8, true
	case strings.EqualFold(mime, "video/VP9"):
		return CodecVP9, true
	case strings.EqualFold(mime, "audio/opus"):
		return CodecOpus, true
	}
	return 0, false
}

// maxFrameSize bounds the memory a frame in progress may take, so that a publisher
// sending garbage that never ends a frame cannot grow it without limit. A 4K VP9
// keyframe is well under 2 MiB.
const maxFrameSize = 8 << 20

// Frame is one encoded frame, what a WebM SimpleBlock holds.
type Frame struct {
	// Data is the frame, without RTP payload descriptors. The Frame owns it.
	Data []byte
	// RTPTimestamp is the RTP timestamp of the frame's packets.
	RTPTimestamp uint32
	// Keyframe is set for a video frame a decoder can start from, and for every audio
	// frame.
	Keyframe bool
	// Arrival is the earliest arrival of the frame's packets.
	Arrival time.Time
	// Width and Height are the picture size a video keyframe's headers give, 0 when they
	// give none (and on other frames).
	Width, Height int
}

// AssemblerStats counts what an [Assembler] did.
type AssemblerStats struct {
	Frames    uint64 // frames delivered
	Keyframes uint64 // video keyframes among them

	// Incomplete counts frames dropped because some of their packets were lost or could
	// not be parsed, or because their headers were not those of a frame. Frames lost
	// whole are not seen, hence not counted (the reorder buffer counts their packets).
	Incomplete uint64
	// AwaitingKeyframe counts whole video frames dropped because the stream was broken
	// before them (or had not started) and they were not keyframes.
	AwaitingKeyframe uint64
	// Malformed counts packets whose payload descriptor could not be parsed.
	Malformed uint64

	// WorstGap is the longest time between the arrivals of two consecutive frames
	// delivered: what a viewer of the recording sees as a freeze.
	WorstGap time.Duration
}

// Assembler turns the packets of one track, in sequence order (as a [Reorder] releases
// them), into frames. It notices lost packets by the gaps in the sequence numbers: a
// frame missing a packet is dropped and, for video, so is every frame up to the next
// keyframe, since a decoder given them would show corruption or complain. A video
// stream also starts at its first keyframe.
//
// Packets without payload (padding sent to probe bandwidth) only count for their
// sequence numbers. An Assembler is not safe for concurrent use.
type Assembler struct {
	codec Codec

	seen    bool
	lastSeq uint16
	needKey bool

	cur frameBuf

	vp8 codecs.VP8Packet

	lastArrival time.Time
	stats       AssemblerStats
}

// frameBuf is the frame in progress.
type frameBuf struct {
	open    bool
	broken  bool // a packet is missing, malformed or out of place: drop at the end
	ts      uint32
	arrival time.Time
	// The frame's parts of its packets' payloads, which are never modified and may be
	// kept: copied once, when the frame is complete and its size known.
	parts [][]byte
	size  int

	// VP9: a picture is a sequence of layer frames, each begun by B and ended by E.
	layerOpen bool
	layerEnds []int // end offsets in the frame of the layer frames done
	first     vp9Descriptor
	width     int // from the scalability structure, when sent
	height    int
}

// NewAssembler returns an assembler for a track of codec c.
func NewAssembler(c Codec) *Assembler {
	return &Assembler{codec: c, needKey: c.Video()}
}

// Codec returns the codec the assembler was made for.
func (a *Assembler) Codec() Codec { return a.codec }

// WaitingKeyframe reports whether video frames are being dropped until a keyframe
// comes: the recorder should ask the publisher for one (throttled).
func (a *Assembler) WaitingKeyframe() bool { return a.needKey }

// Stats returns the counters so far.
func (a *Assembler) Stats() AssemblerStats { return a.stats }

// Push takes the next packet in sequence order and appends to dst the frames it
// completes (at most two: the one its new timestamp ends and the one its marker bit
// ends). The packet is not modified.
func (a *Assembler) Push(dst []Frame, p Packet) []Frame {
	if p.Packet == nil {
		return dst
	}
	if a.seen && p.SequenceNumber != a.lastSeq+1 {
		a.lose()
	}
	a.seen, a.lastSeq = true, p.SequenceNumber
	if len(p.Payload) == 0 {
		return dst
	}
	switch a.codec {
	case CodecVP8:
		return a.pushVP8(dst, p)
	case CodecVP9:
		return a.pushVP9(dst, p)
	case CodecOpus:
		return a.pushOpus(dst, p)
	}
	return dst
}

// Flush ends the track: a frame still in progress never got its last packet and is
// dropped. It returns dst, for symmetry with Push.
func (a *Assembler) Flush(dst []Frame) []Frame {
	if a.cur.open {
		a.cur.broken = true
		dst = a.finish(dst)
	}
	return dst
}

// lose marks the frame in progress as broken: packets are missing after it, or in it.
func (a *Assembler) lose() {
	if a.cur.open {
		a.cur.broken = true
	}
	if a.codec.Video() {
		a.needKey = true
	}
}

// malformed counts a packet that could not be parsed and treats it as lost.
func (a *Assembler) malformed() {
	a.stats.Malformed++
	a.lose()
}

func (a *Assembler) open(p Packet, broken bool) {
	a.cur = frameBuf{
		open:      true,
		broken:    broken,
		ts:        p.Timestamp,
		arrival:   p.Arrival,
		parts:     a.cur.parts[:0],
		layerEnds: a.cur.layerEnds[:0],
	}
}

// add appends a packet's part of the frame in progress.
func (a *Assembler) add(b []byte, arrival time.Time) {
	fb := &a.cur
	if arrival.Before(fb.arrival) {
		fb.arrival = arrival
	}
	if fb.broken || len(b) == 0 {
		return // a broken frame will be dropped: keep nothing of it
	}
	if fb.size+len(b) > maxFrameSize {
		fb.broken = true
		return
	}
	fb.parts = append(fb.parts, b)
	fb.size += len(b)
}

// head returns the frame's first n bytes (fewer if it is shorter), for reading headers.
func (fb *frameBuf) head(n int) []byte {
	if len(fb.parts) > 0 && len(fb.parts[0]) >= n {
		return fb.parts[0][:n]
	}
	b := make([]byte, 0, n)
	for _, p := range fb.parts {
		if b = append(b, p[:min(len(p), n-len(b))]...); len(b) == n {
			break
		}
	}
	return b
}

// release forgets the frame's packets, keeping the slices for the next frame.
func (fb *frameBuf) release() {
	clear(fb.parts) // keep no packet alive through the reused slice
	fb.parts, fb.size = fb.parts[:0], 0
}

// join returns a copy of the frame in progress.
func (fb *frameBuf) join() []byte {
	data := make([]byte, 0, fb.size)
	for _, p := range fb.parts {
		data = append(data, p...)
	}
	return data
}

// finish ends the frame in progress and appends it to dst unless it must be dropped.
func (a *Assembler) finish(dst []Frame) []Frame {
	fb := &a.cur
	fb.open = false
	defer fb.release()
	f, ok := Frame{}, !fb.broken
	if ok {
		switch a.codec {
		case CodecVP8:
			f, ok = completeVP8(fb)
		case CodecVP9:
			f, ok = completeVP9(fb)
		}
	}
	if !ok {
		a.stats.Incomplete++
		a.lose()
		return dst
	}
	if a.needKey && !f.Keyframe {
		a.stats.AwaitingKeyframe++
		return dst
	}
	a.needKey = false
	if f.Data == nil {
		f.Data = fb.join()
	}
	return a.deliver(dst, f)
}

func (a *Assembler) deliver(dst []Frame, f Frame) []Frame {
	a.stats.Frames++
	if f.Keyframe && a.codec.Video() {
		a.stats.Keyframes++
	}
	if !a.lastArrival.IsZero() {
		a.stats.WorstGap = max(a.stats.WorstGap, f.Arrival.Sub(a.lastArrival))
	}
	a.lastArrival = f.Arrival
	return append(dst, f)
}

// pushOpus delivers each packet as a frame (RFC 7587: one Opus packet per RTP packet).
func (a *Assembler) pushOpus(dst []Frame, p Packet) []Frame {
	return a.deliver(dst, Frame{
		Data:         append([]byte(nil), p.Payload...),
		RTPTimestamp: p.Timestamp,
		Keyframe:     true,
		Arrival:      p.Arrival,
	})
}
