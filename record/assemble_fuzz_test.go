package record

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

// fuzzPacket is one packet of a fuzzed stream: flags (bit 0 marker, bit 1 next
// timestamp, bit 2 a lost packet before it), then a length byte and the payload.
type fuzzPacket struct {
	flags   byte
	payload []byte
}

func fuzzStream(pkts ...fuzzPacket) []byte {
	var b []byte
	for _, p := range pkts {
		b = append(b, p.flags, byte(len(p.payload)))
		b = append(b, p.payload...)
	}
	return b
}

func joinBytes(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// FuzzAssemble feeds the assembler streams of arbitrary payloads, flags and losses. It
// must never panic, and what it delivers must be what a writer can trust: non-empty
// frames, a video stream that starts (and restarts after a loss) at a keyframe, sizes
// only on keyframes.
func FuzzAssemble(f *testing.F) {
	key8, inter8 := vp8Key(320, 240, 40), vp8Inter(30)
	f.Add(byte(CodecVP8), fuzzStream(
		fuzzPacket{0, joinBytes(vp8Start, key8[:20])},
		fuzzPacket{1, joinBytes(vp8Cont, key8[20:])},
		fuzzPacket{3, joinBytes([]byte{0x90, 0xf0, 0x81, 0x23, 0x07, 0xa5}, inter8)},
		fuzzPacket{2 | 4, joinBytes(vp8Start, inter8)},
		fuzzPacket{3, joinBytes(vp8Start, key8)},
		fuzzPacket{0, nil},
	))
	key9, inter9 := vp9Key(320, 240, 40), vp9Inter(30)
	f.Add(byte(CodecVP9), fuzzStream(
		fuzzPacket{0, joinBytes([]byte{0x8a, 0x05, 0x18, 0x01, 0x40, 0x00, 0xf0, 0x02, 0x14, 0x01, 0x28, 0x01, 0x02}, key9[:20])},
		fuzzPacket{1, joinBytes([]byte{0x84, 0x05}, key9[20:])},
		fuzzPacket{3, joinBytes([]byte{0xdc, 0x02, 0x03, 0x05, 0x06}, inter9)},
		fuzzPacket{2, joinBytes([]byte{0xaa, 0x01, 0x00, 0x00, 0x30, 0x00, 0xa0, 0x00, 0x78, 0x01, 0x40, 0x00, 0xf0}, key9[:20])},
		fuzzPacket{0, joinBytes([]byte{0xa4, 0x01, 0x00, 0x00}, key9[20:])},
		fuzzPacket{1, joinBytes([]byte{0xac, 0x01, 0x03, 0x00}, inter9)},
		fuzzPacket{2 | 4, joinBytes([]byte{0xe4, 0x01, 0x00, 0x00}, inter9)},
	))
	f.Add(byte(CodecOpus), fuzzStream(fuzzPacket{0, []byte{0xfc, 1, 2}}, fuzzPacket{6, []byte{0x78}}, fuzzPacket{2, nil}))
	f.Add(byte(CodecVP9), []byte{0, 1, 0xff, 1, 2, 0xc1, 0xc1, 0x01, 0xc1})

	f.Fuzz(func(t *testing.T, codec byte, data []byte) {
		c := Codec(codec%3 + 1)
		a := NewAssembler(c)
		var seq uint16 = 65530
		var ts uint32
		at := rtpT0
		mustKey := c.Video()
		var frames []Frame
		for len(data) >= 2 {
			flags, n := data[0], int(data[1])
			data = data[2:]
			n = min(n, len(data))
			payload := data[:n]
			data = data[n:]
			if flags&4 != 0 {
				seq++
				mustKey = c.Video()
			}
			if flags&2 != 0 {
				ts += 3000
			}
			at = at.Add(time.Millisecond)
			p := &rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: ts, Marker: flags&1 != 0}, Payload: payload}
			seq++
			frames = a.Push(frames[:0], Packet{Packet: p, Arrival: at})
			for _, fr := range frames {
				checkFuzzFrame(t, c, fr, mustKey)
				mustKey = false
			}
		}
		for _, fr := range a.Flush(frames[:0]) {
			checkFuzzFrame(t, c, fr, mustKey)
		}
	})
}

func checkFuzzFrame(t *testing.T, c Codec, f Frame, mustKey bool) {
	t.Helper()
	if len(f.Data) == 0 && c.Video() {
		t.Fatal("an empty video frame")
	}
	if len(f.Data) > maxFrameSize {
		t.Fatalf("a frame of %d bytes", len(f.Data))
	}
	if mustKey && !f.Keyframe {
		t.Fatal("a video stream (re)starting at a frame that is not a keyframe")
	}
	if !f.Keyframe && (f.Width != 0 || f.Height != 0) {
		t.Fatal("a size on a frame that is not a keyframe")
	}
	if c == CodecVP8 && f.Keyframe {
		if key, w, h := vp8Keyframe(f.Data); !key || w != f.Width || h != f.Height {
			t.Fatal("a VP8 keyframe whose header says otherwise")
		}
	}
}
