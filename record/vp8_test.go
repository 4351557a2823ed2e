package record

import (
	"bytes"
	"slices"
	"testing"
)

// vp8Key is the start of a VP8 keyframe of w×h (RFC 6386 9.1), then n filler bytes.
func vp8Key(w, h, n int) []byte {
	b := []byte{0x10, 0x00, 0x00, 0x9d, 0x01, 0x2a, byte(w), byte(w >> 8), byte(h), byte(h >> 8)}
	return append(b, repeatByte(n, 0x55)...)
}

// vp8Inter is an interframe of n bytes: its frame tag's P bit set.
func vp8Inter(n int) []byte { return append([]byte{0x11, 0, 0}, repeatByte(n, 0x66)...) }

// Descriptors (RFC 7741 4.2): first packet of a frame; a continuation.
var (
	vp8Start = []byte{0x10}
	vp8Cont  = []byte{0x00}
)

func TestVP8DescriptorExtensionsAreStripped(t *testing.T) {
	key := vp8Key(320|2<<14, 240, 100) // upscaling bits must not count in the size
	inter := vp8Inter(50)
	for name, d := range map[string]struct{ start, cont, part1 []byte }{
		"none": {vp8Start, vp8Cont, []byte{0x11}},
		// X; I with a 7-bit picture ID.
		"I7": {[]byte{0x90, 0x80, 0x05}, []byte{0x80, 0x80, 0x05}, []byte{0x91, 0x80, 0x05}},
		// X; I with a 15-bit picture ID, L (TL0PICIDX), T and K (one byte for both).
		"I15LTK": {[]byte{0x90, 0xf0, 0x81, 0x23, 0x07, 0xa5}, []byte{0x80, 0xf0, 0x81, 0x23, 0x07, 0xa5}, []byte{0x91, 0xf0, 0x81, 0x23, 0x07, 0xa5}},
		// X with only K, and N (discardable) set.
		"K": {[]byte{0xb0, 0x10, 0x1f}, []byte{0xa0, 0x10, 0x1f}, []byte{0xb1, 0x10, 0x1f}},
	} {
		t.Run(name, func(t *testing.T) {
			tr := newSynthTrack(100)
			// A keyframe of three packets, the third starting partition 1 (S set, PID 1),
			// which must not be taken for a new frame.
			tr.add(1000, false, d.start, key[:40])
			tr.add(1000, false, d.cont, key[40:80])
			tr.add(1000, true, d.part1, key[80:])
			tr.add(4000, true, d.start, inter)
			frames, a := assembleAll(CodecVP8, tr.out)
			if len(frames) != 2 {
				t.Fatalf("%d frames, want 2 (%+v)", len(frames), a.Stats())
			}
			if f := frames[0]; !bytes.Equal(f.Data, key) || !f.Keyframe || f.Width != 320 || f.Height != 240 || f.RTPTimestamp != 1000 {
				t.Fatalf("keyframe: %d bytes, key %v, %dx%d, ts %d", len(f.Data), f.Keyframe, f.Width, f.Height, f.RTPTimestamp)
			}
			if f := frames[1]; !bytes.Equal(f.Data, inter) || f.Keyframe || f.Width != 0 {
				t.Fatalf("interframe: %d bytes, key %v", len(f.Data), f.Keyframe)
			}
		})
	}
}

func TestVP8FrameEndsWhereTheTimestampChanges(t *testing.T) {
	tr := newSynthTrack(10)
	key := vp8Key(64, 48, 30)
	tr.add(0, false, vp8Start, key[:20]) // no marker bit on the last packet
	tr.add(0, false, vp8Cont, key[20:])
	tr.add(3000, false, vp8Start, vp8Inter(5))
	a := NewAssembler(CodecVP8)
	var frames []Frame
	for _, p := range tr.out {
		frames = a.Push(frames, p)
	}
	if len(frames) != 1 || !bytes.Equal(frames[0].Data, key) {
		t.Fatalf("%d frames, want the keyframe ended by the next timestamp", len(frames))
	}
	// The last frame never got its marker: at the end of the track it is incomplete.
	if frames = a.Flush(frames); len(frames) != 1 || a.Stats().Incomplete != 1 {
		t.Fatalf("flush: %d frames, %+v", len(frames), a.Stats())
	}
}

func TestVP8LossDropsFramesUntilTheNextKeyframe(t *testing.T) {
	tr := newSynthTrack(65530) // and across the wrap
	key, inter := vp8Key(320, 240, 200), vp8Inter(100)
	tr.add(0, false, vp8Start, key[:100])
	tr.add(0, true, vp8Cont, key[100:])
	tr.add(3000, false, vp8Start, inter[:50])
	tr.add(3000, true, vp8Cont, inter[50:])
	tr.add(6000, false, vp8Start, inter[:50]) // its second packet is lost
	tr.lose()
	tr.add(9000, true, vp8Start, inter) // whole, but follows the loss
	tr.add(12000, false, vp8Start, key[:100])
	tr.add(12000, true, vp8Cont, key[100:])
	tr.add(15000, true, vp8Start, inter)

	a := NewAssembler(CodecVP8)
	var frames []Frame
	waiting := []bool{}
	for _, p := range tr.out {
		frames = a.Push(frames, p)
		waiting = append(waiting, a.WaitingKeyframe())
	}
	var ts []uint32
	for _, f := range frames {
		ts = append(ts, f.RTPTimestamp)
	}
	if want := []uint32{0, 3000, 12000, 15000}; !slices.Equal(ts, want) {
		t.Fatalf("frames %v, want %v", ts, want)
	}
	// The frame owns its data: the packets, shared with the SFU's subscribers and its
	// cache, stay intact whatever the writer does with it.
	frames[0].Data[0] ^= 0xff
	if tr.out[0].Payload[1] != key[0] {
		t.Fatal("a frame aliases a packet's payload")
	}
	st := a.Stats()
	if st.Incomplete != 1 || st.AwaitingKeyframe != 1 || st.Keyframes != 2 || st.Frames != 4 {
		t.Fatalf("stats %+v", st)
	}
	if waiting[0] != true || waiting[1] || !waiting[5] || waiting[7] {
		t.Fatalf("waiting for a keyframe after each packet: %v", waiting)
	}
}

func TestVP8StartsAtTheFirstKeyframe(t *testing.T) {
	tr := newSynthTrack(1)
	tr.add(0, false, vp8Cont, vp8Inter(10)) // the end of a frame begun before the sink
	tr.add(0, true, vp8Cont, vp8Inter(10))
	tr.add(3000, true, vp8Start, vp8Inter(10))
	tr.add(6000, true, vp8Start, vp8Key(32, 32, 10))
	tr.add(6000, false, nil) // padding to probe bandwidth: no payload at all
	tr.add(9000, true, vp8Start, vp8Inter(10))
	frames, a := assembleAll(CodecVP8, tr.out)
	if len(frames) != 2 || !frames[0].Keyframe || frames[0].RTPTimestamp != 6000 || frames[1].RTPTimestamp != 9000 {
		t.Fatalf("%d frames (%+v)", len(frames), a.Stats())
	}
	if st := a.Stats(); st.AwaitingKeyframe != 1 || st.Incomplete != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestVP8MalformedPacketsBreakTheFrame(t *testing.T) {
	tr := newSynthTrack(1)
	tr.add(0, true, vp8Start, vp8Key(32, 32, 10))
	tr.add(3000, false, vp8Start, vp8Inter(10))
	tr.add(3000, true, []byte{0x80}) // X set, and nothing after
	tr.add(6000, true, vp8Start, vp8Inter(10))
	tr.add(9000, true, vp8Start, []byte{0x10, 0, 0, 1, 2, 3}) // "keyframe" without start code
	frames, a := assembleAll(CodecVP8, tr.out)
	if st := a.Stats(); len(frames) != 1 || st.Malformed != 1 || st.Incomplete != 1 || st.AwaitingKeyframe != 2 {
		t.Fatalf("%d frames, %+v", len(frames), st)
	}
}
