package record

import "encoding/binary"

// pushVP8 adds a VP8 packet (RFC 7741). A frame starts with a packet whose S bit is set
// and partition index is 0, and ends at the marker bit or where the timestamp changes.
func (a *Assembler) pushVP8(dst []Frame, p Packet) []Frame {
	// codecs.VP8Packet resets every field on each call and allocates nothing, so one is
	// reused (its behaviour on the descriptor's extensions is checked in vp8_test.go).
	data, err := a.vp8.Unmarshal(p.Payload)
	if err != nil {
		a.malformed()
		return dst
	}
	start := a.vp8.S == 1 && a.vp8.PID == 0
	if a.cur.open && p.Timestamp != a.cur.ts {
		dst = a.finish(dst)
	}
	if a.cur.open && start {
		// A frame cannot start again inside one with the same timestamp.
		a.cur.broken = true
		dst = a.finish(dst)
	}
	if !a.cur.open {
		// A frame whose first packet was lost begins elsewhere: keep it out.
		a.open(p, !start)
	}
	a.add(data, p.Arrival)
	if p.Marker {
		dst = a.finish(dst)
	}
	return dst
}

// completeVP8 describes a whole VP8 frame; its Data is left to the caller to join, once
// the frame is known to be kept.
func completeVP8(fb *frameBuf) (Frame, bool) {
	if fb.size == 0 {
		return Frame{}, false
	}
	f := Frame{RTPTimestamp: fb.ts, Arrival: fb.arrival}
	f.Keyframe, f.Width, f.Height = vp8Keyframe(fb.head(10))
	return f, true
}

// vp8Keyframe reads the frame tag of a VP8 frame (RFC 6386 9.1): its P bit is clear on
// a keyframe, whose start code is followed by the picture size. A "keyframe" without the
// start code is not one a decoder could start from.
func vp8Keyframe(b []byte) (key bool, width, height int) {
	if len(b) < 10 || b[0]&0x01 != 0 {
		return false, 0, 0
	}
	if b[3] != 0x9d || b[4] != 0x01 || b[5] != 0x2a {
		return false, 0, 0
	}
	// The top two bits of each are the upscaling mode, not part of the size.
	width = int(binary.LittleEndian.Uint16(b[6:8]) & 0x3fff)
	height = int(binary.LittleEndian.Uint16(b[8:10]) & 0x3fff)
	return true, width, height
}
