package record

import (
	"encoding/binary"
	"errors"

	"github.com/pion/rtp/codecs/vp9"
)

var errVP9Short = errors.New("VP9 payload descriptor cut short")

// vp9Descriptor is what the recorder needs of a VP9 payload descriptor (RFC 9628 4.2).
type vp9Descriptor struct {
	P, L, B, E, V, D bool
	SID              uint8
	// Width and Height of the highest spatial layer, from the scalability structure
	// when it carries sizes (0 otherwise).
	Width, Height int
}

// parseVP9 parses a VP9 payload descriptor and returns it with the VP9 data after it.
// Pion's codecs.VP9Packet is not used: reused, it appends every packet's reference
// indices to the previous ones' and then rejects valid packets ("too many PDiff"), and a
// new one per packet allocates.
func parseVP9(b []byte) (d vp9Descriptor, data []byte, err error) {
	if len(b) < 1 {
		return d, nil, errVP9Short
	}
	h := b[0]
	i, f := h&0x80 != 0, h&0x10 != 0
	d.P, d.L, d.B, d.E, d.V = h&0x40 != 0, h&0x20 != 0, h&0x08 != 0, h&0x04 != 0, h&0x02 != 0
	pos := 1
	if i { // picture ID, 7 or 15 bits
		if pos >= len(b) {
			return d, nil, errVP9Short
		}
		if b[pos]&0x80 != 0 {
			pos++
		}
		pos++
	}
	if d.L { // layer indices, and TL0PICIDX in non-flexible mode
		if pos >= len(b) {
			return d, nil, errVP9Short
		}
		d.SID, d.D = (b[pos]>>1)&0x07, b[pos]&0x01 != 0
		pos++
		if !f {
			pos++
		}
	}
	if f && d.P { // up to three reference indices, each saying whether another follows
		for n := 0; ; n++ {
			if pos >= len(b) || n == 3 {
				return d, nil, errVP9Short
			}
			more := b[pos]&0x01 != 0
			pos++
			if !more {
				break
			}
		}
	}
	if d.V {
		if pos, err = d.parseSS(b, pos); err != nil {
			return d, nil, err
		}
	}
	if pos > len(b) {
		return d, nil, errVP9Short
	}
	return d, b[pos:], nil
}

// parseSS parses the scalability structure (RFC 9628 4.2.1), keeping the size of the
// highest spatial layer, which is what a decoder of all the layers shows.
func (d *vp9Descriptor) parseSS(b []byte, pos int) (int, error) {
	if pos >= len(b) {
		return pos, errVP9Short
	}
	layers := int(b[pos]>>5) + 1
	y, g := b[pos]&0x10 != 0, b[pos]&0x08 != 0
	pos++
	if y {
		if pos+4*layers > len(b) {
			return pos, errVP9Short
		}
		for range layers {
			d.Width = int(binary.BigEndian.Uint16(b[pos:]))
			d.Height = int(binary.BigEndian.Uint16(b[pos+2:]))
			pos += 4
		}
	}
	if g {
		if pos >= len(b) {
			return pos, errVP9Short
		}
		pictures := int(b[pos])
		pos++
		for range pictures {
			if pos >= len(b) {
				return pos, errVP9Short
			}
			refs := int(b[pos]>>2) & 0x03
			pos += 1 + refs
		}
	}
	return pos, nil
}

// pushVP9 adds a VP9 packet. A picture is made of one layer frame per spatial layer,
// each from a packet with B set to one with E set; it ends at the marker bit, where the
// timestamp changes, or after its layer frame when the descriptor has no layer indices
// (a single layer).
func (a *Assembler) pushVP9(dst []Frame, p Packet) []Frame {
	d, data, err := parseVP9(p.Payload)
	if err != nil {
		a.malformed()
		return dst
	}
	if a.cur.open && p.Timestamp != a.cur.ts {
		dst = a.finish(dst)
	}
	if !a.cur.open {
		a.open(p, !d.B)
		a.cur.first = d
	}
	fb := &a.cur
	switch {
	case d.B && fb.layerOpen, !d.B && !fb.layerOpen:
		fb.broken = true // a layer frame's end or start was lost
	case d.B:
		fb.layerOpen = true
	}
	a.add(data, p.Arrival)
	if d.V && d.Width > 0 {
		fb.width, fb.height = d.Width, d.Height
	}
	if d.E && fb.layerOpen {
		fb.layerOpen = false
		if len(fb.layerEnds) == vp9MaxFrames {
			fb.broken = true
		}
		fb.layerEnds = append(fb.layerEnds, fb.size)
	}
	if p.Marker || (d.E && !d.L) {
		dst = a.finish(dst)
	}
	return dst
}

// completeVP9 describes a whole VP9 picture; the Data of a single-layer one is left to
// the caller to join, once the picture is known to be kept.
func completeVP9(fb *frameBuf) (Frame, bool) {
	if fb.layerOpen || len(fb.layerEnds) == 0 || fb.layerEnds[0] == 0 {
		return Frame{}, false
	}
	f := Frame{RTPTimestamp: fb.ts, Arrival: fb.arrival}
	// A picture is a keyframe when its first layer frame is not predicted from another
	// picture nor another layer; the frame header must agree, since an intra-only frame
	// is not one to start decoding from (and Pion's flexible-mode payloader never sets
	// P, so the descriptor alone would call every frame a keyframe).
	first := fb.first
	if !first.P && (first.SID == 0 || !first.D) {
		var h vp9.Header
		// The header up to the frame size takes at most 10 bytes.
		if h.Unmarshal(fb.head(min(16, fb.layerEnds[0]))) == nil && !h.ShowExistingFrame && !h.NonKeyFrame {
			f.Keyframe = true
			f.Width, f.Height = int(h.Width()), int(h.Height())
			if fb.width > 0 {
				f.Width, f.Height = fb.width, fb.height
			}
		}
	}
	if len(fb.layerEnds) > 1 {
		var ok bool
		if f.Data, ok = vp9Superframe(fb.join(), fb.layerEnds); !ok {
			return Frame{}, false
		}
	}
	return f, true
}

// vp9MaxFrames is how many frames a superframe index can list.
const vp9MaxFrames = 8

// vp9Superframe joins the layer frames of a picture (data split at ends) into one
// superframe (VP9 bitstream specification, annex B), as a WebM block must hold a whole
// picture and decoders find its frames through the index. Layer frames that are
// superframes themselves are flattened into it.
func vp9Superframe(data []byte, ends []int) ([]byte, bool) {
	var framesBuf [vp9MaxFrames][]byte
	frames := framesBuf[:0]
	start := 0
	for _, end := range ends {
		frames = vp9Frames(data[start:end], frames)
		start = end
	}
	largest := 0
	for _, f := range frames {
		if len(f) == 0 {
			return nil, false
		}
		largest = max(largest, len(f))
	}
	if len(frames) > vp9MaxFrames {
		return nil, false
	}
	mag := 1
	for largest >= 1<<(8*mag) {
		mag++
	}
	if mag > 4 {
		return nil, false
	}
	marker := byte(0xc0 | (mag-1)<<3 | (len(frames) - 1))
	out := make([]byte, 0, len(data)+2+mag*len(frames))
	for _, f := range frames {
		out = append(out, f...)
	}
	out = append(out, marker)
	for _, f := range frames {
		for i := range mag {
			out = append(out, byte(len(f)>>(8*i)))
		}
	}
	return append(out, marker), true
}

// vp9Frames appends to dst the frames of a superframe, or b itself when it has no
// (valid) superframe index.
func vp9Frames(b []byte, dst [][]byte) [][]byte {
	n := len(b)
	if n == 0 || b[n-1]&0xe0 != 0xc0 {
		return append(dst, b)
	}
	marker := b[n-1]
	count := int(marker&0x07) + 1
	mag := int(marker>>3&0x03) + 1
	index := 2 + mag*count
	if n < index || b[n-index] != marker {
		return append(dst, b)
	}
	sizes := b[n-index+1 : n-1]
	payload := n - index
	mark := len(dst)
	start := 0
	for i := range count {
		size := 0
		for j := range mag {
			size |= int(sizes[i*mag+j]) << (8 * j)
		}
		if size > payload-start {
			return append(dst[:mark], b) // an index that lies: not a superframe
		}
		dst = append(dst, b[start:start+size])
		start += size
	}
	return dst
}
