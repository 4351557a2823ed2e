package record

import (
	"bytes"
	"testing"
)

// bitWriter writes the fields of a VP9 uncompressed header, most significant bit first.
type bitWriter struct {
	b []byte
	n int
}

func (w *bitWriter) put(v uint64, bits int) {
	for i := bits - 1; i >= 0; i-- {
		if w.n%8 == 0 {
			w.b = append(w.b, 0)
		}
		if v>>i&1 != 0 {
			w.b[len(w.b)-1] |= 0x80 >> (w.n % 8)
		}
		w.n++
	}
}

// vp9Key is a VP9 profile 0 keyframe of w×h (VP9 bitstream specification 6.2), then n
// filler bytes.
func vp9Key(w, h, n int) []byte {
	var bw bitWriter
	bw.put(2, 2)         // frame_marker
	bw.put(0, 2)         // profile 0
	bw.put(0, 1)         // show_existing_frame
	bw.put(0, 1)         // frame_type: KEY_FRAME
	bw.put(1, 1)         // show_frame
	bw.put(0, 1)         // error_resilient_mode
	bw.put(0x498342, 24) // frame_sync_code
	bw.put(1, 3)         // color_space
	bw.put(0, 1)         // color_range
	bw.put(uint64(w-1), 16)
	bw.put(uint64(h-1), 16)
	return append(bw.b, repeatByte(n, 0x77)...)
}

// vp9Inter is a frame that is not a keyframe (frame_type NON_KEY_FRAME): an interframe,
// or an intra-only one.
func vp9Inter(n int) []byte { return append([]byte{0x86}, repeatByte(n, 0x88)...) }

func TestVP9NonFlexibleWithScalabilityStructure(t *testing.T) {
	key, inter := vp9Key(320, 240, 300), vp9Inter(100)
	ss := []byte{0x18, 0x01, 0x40, 0x00, 0xf0, // one layer, with its size (Y) and a group (G)
		0x02, 0x14, 0x01, 0x28, 0x01, 0x02} // N_G=2: one reference, then two
	tr := newSynthTrack(65535)
	tr.add(90, false, []byte{0x8a, 0x05}, ss, key[:150]) // I, B, V; picture ID 5
	tr.add(90, true, []byte{0x84, 0x05}, key[150:])      // I, E
	// P, with layer indices (TID 2, U) and TL0PICIDX, 15-bit picture ID: E no longer
	// ends the picture, the marker does.
	tr.add(3090, false, []byte{0xe8, 0x80, 0x06, 0x50, 0x33}, inter[:60])
	tr.add(3090, true, []byte{0xe4, 0x80, 0x06, 0x50, 0x33}, inter[60:])
	frames, a := assembleAll(CodecVP9, tr.out)
	if len(frames) != 2 {
		t.Fatalf("%d frames, %+v", len(frames), a.Stats())
	}
	if f := frames[0]; !bytes.Equal(f.Data, key) || !f.Keyframe || f.Width != 320 || f.Height != 240 || f.RTPTimestamp != 90 {
		t.Fatalf("keyframe: %d bytes, key %v, %dx%d", len(f.Data), f.Keyframe, f.Width, f.Height)
	}
	if f := frames[1]; !bytes.Equal(f.Data, inter) || f.Keyframe {
		t.Fatalf("interframe: %d bytes, key %v", len(f.Data), f.Keyframe)
	}
}

func TestVP9SingleLayerEndsAtEWithoutMarker(t *testing.T) {
	tr := newSynthTrack(7)
	tr.add(0, false, []byte{0x0c}, vp9Key(64, 64, 10)) // B and E, no layer indices
	a := NewAssembler(CodecVP9)
	if frames := a.Push(nil, tr.out[0]); len(frames) != 1 || !frames[0].Keyframe || frames[0].Width != 64 {
		t.Fatalf("a whole single-layer frame was not delivered at once: %+v", frames)
	}
}

func TestVP9FlexibleModeReferenceIndices(t *testing.T) {
	key, inter := vp9Key(320, 240, 20), vp9Inter(40)
	tr := newSynthTrack(1)
	tr.add(0, true, []byte{0x9c, 0x01}, key) // F, B, E; P clear
	// P: three reference indices, the first two saying another follows.
	tr.add(3000, true, []byte{0xdc, 0x02, 0x03, 0x05, 0x06}, inter)
	// P clear on a frame whose header says it is not a keyframe (intra-only, or a
	// payloader that never sets P): not a keyframe.
	tr.add(6000, true, []byte{0x9c, 0x03}, inter)
	// Four reference indices: malformed.
	tr.add(9000, true, []byte{0xdc, 0x04, 0x03, 0x03, 0x03, 0x02}, inter)
	frames, a := assembleAll(CodecVP9, tr.out)
	if len(frames) != 3 || !bytes.Equal(frames[1].Data, inter) || !bytes.Equal(frames[2].Data, inter) {
		t.Fatalf("%d frames, %+v", len(frames), a.Stats())
	}
	if !frames[0].Keyframe || frames[1].Keyframe || frames[2].Keyframe {
		t.Fatalf("keyframes %v %v %v, want only the first", frames[0].Keyframe, frames[1].Keyframe, frames[2].Keyframe)
	}
	if st := a.Stats(); st.Malformed != 1 || !a.WaitingKeyframe() {
		t.Fatalf("malformed %d, waiting %v", st.Malformed, a.WaitingKeyframe())
	}
}

func TestVP9SpatialLayersMakeOneSuperframe(t *testing.T) {
	l0, l1 := vp9Key(160, 120, 200), vp9Inter(300)
	tr := newSynthTrack(100)
	// Picture 1, layer 0 in two packets, with the scalability structure: two layers of
	// 160×120 and 320×240.
	tr.add(0, false, []byte{0xaa, 0x01, 0x00, 0x00, 0x30, 0x00, 0xa0, 0x00, 0x78, 0x01, 0x40, 0x00, 0xf0}, l0[:100])
	tr.add(0, false, []byte{0xa4, 0x01, 0x00, 0x00}, l0[100:])
	// Layer 1, predicted from layer 0 (D): the end of the picture.
	tr.add(0, true, []byte{0xac, 0x01, 0x03, 0x00}, l1)
	// Picture 2, both layers predicted from picture 1.
	tr.add(3000, false, []byte{0xec, 0x02, 0x00, 0x00}, l1[:50])
	tr.add(3000, true, []byte{0xec, 0x02, 0x03, 0x00}, l1[:70])
	frames, a := assembleAll(CodecVP9, tr.out)
	if len(frames) != 2 {
		t.Fatalf("%d frames, %+v", len(frames), a.Stats())
	}
	f := frames[0]
	if !f.Keyframe || f.Width != 320 || f.Height != 240 {
		t.Fatalf("picture 1: key %v, %dx%d; want a keyframe of the top layer's size", f.Keyframe, f.Width, f.Height)
	}
	if got := vp9Frames(f.Data, nil); len(got) != 2 || !bytes.Equal(got[0], l0) || !bytes.Equal(got[1], l1) {
		t.Fatalf("picture 1 is not a superframe of its two layer frames: %d frames", len(got))
	}
	if got := vp9Frames(frames[1].Data, nil); frames[1].Keyframe || len(got) != 2 || len(got[0]) != 50 || len(got[1]) != 70 {
		t.Fatalf("picture 2: key %v, %d frames", frames[1].Keyframe, len(got))
	}
}

func TestVP9SuperframeLayersAreFlattened(t *testing.T) {
	a, b, c := repeatByte(10, 1), repeatByte(300, 2), repeatByte(5, 3)
	inner, ok := vp9Superframe(append(append([]byte(nil), a...), b...), []int{10, 310})
	if !ok || len(inner) != 310+2+2*2 { // sizes up to 300 take two bytes each
		t.Fatalf("superframe of 2: %d bytes, %v", len(inner), ok)
	}
	outer, ok := vp9Superframe(append(append([]byte(nil), inner...), c...), []int{len(inner), len(inner) + 5})
	if !ok {
		t.Fatal("superframe of a superframe and a frame")
	}
	got := vp9Frames(outer, nil)
	if len(got) != 3 || !bytes.Equal(got[0], a) || !bytes.Equal(got[1], b) || !bytes.Equal(got[2], c) {
		t.Fatalf("flattened into %d frames", len(got))
	}
	// A last byte that looks like a marker, with sizes that do not fit, is no index.
	fake := []byte{1, 2, 3, 0xc1, 0x09, 0x09, 0xc1}
	if got := vp9Frames(fake, nil); len(got) != 1 || !bytes.Equal(got[0], fake) {
		t.Fatalf("a lying index split the frame into %d", len(got))
	}
}

func TestVP9LostLayerEndDropsThePicture(t *testing.T) {
	tr := newSynthTrack(1)
	tr.add(0, true, []byte{0x0c}, vp9Key(64, 64, 10))
	tr.add(3000, false, []byte{0x48}, vp9Inter(10)) // B; its E packet is lost
	tr.lose()
	tr.add(6000, true, []byte{0x4c}, vp9Inter(10))
	tr.add(9000, false, []byte{0x08}, vp9Key(64, 64, 10)) // B, and then E never comes:
	tr.add(9000, true, []byte{0x00}, repeatByte(3, 0))    // the marker without E
	tr.add(12000, true, []byte{0x0c}, vp9Key(64, 64, 10))
	frames, a := assembleAll(CodecVP9, tr.out)
	if len(frames) != 2 || frames[1].RTPTimestamp != 12000 {
		t.Fatalf("%d frames, %+v", len(frames), a.Stats())
	}
	if st := a.Stats(); st.Incomplete != 2 || st.AwaitingKeyframe != 1 {
		t.Fatalf("stats %+v", st)
	}
}
