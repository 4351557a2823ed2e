package record

// vpxFrameInfo reads what a VP8 or VP9 frame says about itself: whether it
// is a keyframe and, for a keyframe, its size in pixels. ok is false when
// the bytes are too short or not a frame of that codec. The writer uses it
// to learn a video track's size from the first keyframe, since a recording
// opens its file (and starts writing audio) before any video has arrived.
func vpxFrameInfo(codec CodecID, b []byte) (key bool, width, height int, ok bool) {
	switch codec {
	case CodecIDVP8:
		return vp8FrameInfo(b)
	case CodecIDVP9:
		return vp9FrameInfo(b)
	}
	return false, 0, 0, false
}

// vp8FrameInfo parses the frame tag and, for a keyframe, the start code and
// dimensions (RFC 6386 section 9.1).
func vp8FrameInfo(b []byte) (key bool, width, height int, ok bool) {
	if len(b) < 3 {
		return false, 0, 0, false
	}
	if b[0]&1 != 0 {
		return false, 0, 0, true
	}
	if len(b) < 10 || b[3] != 0x9d || b[4] != 0x01 || b[5] != 0x2a {
		return false, 0, 0, false
	}
	width = int(b[6]) | int(b[7]&0x3f)<<8
	height = int(b[8]) | int(b[9]&0x3f)<<8
	return true, width, height, true
}

// bitReader reads big-endian bit fields, as VP9's uncompressed header is.
type bitReader struct {
	b   []byte
	pos int // in bits
}

func (r *bitReader) read(n int) (uint32, bool) {
	var v uint32
	for range n {
		if r.pos >= 8*len(r.b) {
			return 0, false
		}
		bit := r.b[r.pos/8] >> (7 - r.pos%8) & 1
		v = v<<1 | uint32(bit)
		r.pos++
	}
	return v, true
}

// vp9FrameInfo parses the start of VP9's uncompressed header (VP9 bitstream
// specification, section 6.2) up to the frame size of a keyframe. In a
// superframe the first frame comes first, so the same parse applies.
func vp9FrameInfo(b []byte) (key bool, width, height int, ok bool) {
	r := &bitReader{b: b}
	get := func(n int) uint32 {
		v, good := r.read(n)
		ok = ok && good
		return v
	}
	ok = true
	if get(2) != 2 { // frame_marker
		return false, 0, 0, false
	}
	profile := get(1)
	profile |= get(1) << 1
	if profile == 3 {
		get(1) // reserved_zero
	}
	if get(1) == 1 { // show_existing_frame: shows an older frame, not a keyframe
		return false, 0, 0, ok
	}
	if get(1) != 0 { // frame_type: 0 is KEY_FRAME
		return false, 0, 0, ok
	}
	get(1) // show_frame
	get(1) // error_resilient_mode
	if get(8) != 0x49 || get(8) != 0x83 || get(8) != 0x42 {
		return false, 0, 0, false
	}
	// color_config
	if profile >= 2 {
		get(1) // ten_or_twelve_bit
	}
	const csRGB = 7
	if get(3) != csRGB {
		get(1) // color_range
		if profile == 1 || profile == 3 {
			get(3) // subsampling_x, subsampling_y, reserved_zero
		}
	} else if profile == 1 || profile == 3 {
		get(1) // reserved_zero
	}
	w := get(16)
	h := get(16)
	if !ok {
		return false, 0, 0, false
	}
	return true, int(w) + 1, int(h) + 1, true
}
