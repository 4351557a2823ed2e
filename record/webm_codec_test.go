package record

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4/pkg/media/oggreader"
)

// The OpusHead read back by an independent parser (Pion's, from Ogg).
func TestOpusHead(t *testing.T) {
	for _, ch := range []int{1, 2} {
		h, err := oggreader.ParseOpusHead(opusHead(ch))
		if err != nil {
			t.Fatal(err)
		}
		if h.Version != 1 || int(h.Channels) != ch || h.PreSkip != 312 || h.SampleRate != 48000 || h.OutputGain != 0 || h.ChannelMap != 0 {
			t.Errorf("OpusHead for %d channels: %+v", ch, h)
		}
	}
	if opusCodecDelay != 6500000 || opusSeekPreRoll != 80000000 {
		t.Errorf("CodecDelay %d ns, SeekPreRoll %d ns", opusCodecDelay, opusSeekPreRoll)
	}
}

func TestOpusPacketDuration(t *testing.T) {
	for _, c := range []struct {
		p    []byte
		want time.Duration
	}{
		{[]byte{0xfc}, 20 * time.Millisecond},       // CELT FB 20 ms stereo, one frame
		{[]byte{0xf8}, 20 * time.Millisecond},       // the same, mono
		{[]byte{0xe0}, 2500 * time.Microsecond},     // CELT 2.5 ms
		{[]byte{0x08}, 20 * time.Millisecond},       // SILK NB 20 ms
		{[]byte{0x18}, 60 * time.Millisecond},       // SILK NB 60 ms
		{[]byte{0x09}, 40 * time.Millisecond},       // two 20 ms frames
		{[]byte{0x0b, 0x03}, 60 * time.Millisecond}, // code 3, three frames
		{[]byte{0x1b, 0x03}, 0},                     // 3 x 60 ms: over the limit
		{[]byte{0x0b}, 0},                           // code 3 without its count
		{nil, 0},
	} {
		if got := opusPacketDuration(c.p); got != c.want {
			t.Errorf("%x: %v, want %v", c.p, got, c.want)
		}
	}
}

func TestVPXFrameInfo(t *testing.T) {
	vp8Key := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00}
	if key, w, h, ok := vpxFrameInfo(CodecIDVP8, vp8Key); !key || w != 320 || h != 240 || !ok {
		t.Errorf("VP8 keyframe: %v %dx%d %v", key, w, h, ok)
	}
	if key, _, _, ok := vpxFrameInfo(CodecIDVP8, []byte{0x11, 0, 0}); key || !ok {
		t.Errorf("VP8 delta frame: %v %v", key, ok)
	}
	if _, _, _, ok := vpxFrameInfo(CodecIDVP8, []byte{0x10, 0, 0, 1, 2, 3, 4, 5, 6, 7}); ok {
		t.Error("VP8 keyframe without its start code accepted")
	}
	// VP9 profile 0 keyframe, 640x360: marker 10, profile 00, show_existing
	// 0, frame_type 0, show 1, error_res 0, sync code, color_space 000,
	// color_range 0, then width-1 and height-1 in 16 bits each.
	var bits []byte
	put := func(v uint32, n int) {
		for i := n - 1; i >= 0; i-- {
			bits = append(bits, byte(v>>i&1))
		}
	}
	put(2, 2)
	put(0, 2)
	put(0, 1)
	put(0, 1)
	put(1, 1)
	put(0, 1)
	put(0x498342, 24)
	put(0, 3)
	put(0, 1)
	put(639, 16)
	put(359, 16)
	vp9 := make([]byte, (len(bits)+7)/8)
	for i, b := range bits {
		vp9[i/8] |= b << (7 - i%8)
	}
	if key, w, h, ok := vpxFrameInfo(CodecIDVP9, vp9); !key || w != 640 || h != 360 || !ok {
		t.Errorf("VP9 keyframe: %v %dx%d %v", key, w, h, ok)
	}
	if _, _, _, ok := vpxFrameInfo(CodecIDVP9, vp9[:5]); ok {
		t.Error("truncated VP9 keyframe accepted")
	}
	if key, _, _, ok := vpxFrameInfo(CodecIDVP9, []byte{0x86}); key || !ok {
		t.Errorf("VP9 inter frame: %v %v", key, ok)
	}
}
