package record

import (
	"bytes"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// synthTrack builds the packets of a synthetic stream, one sequence number after the other.
type synthTrack struct {
	seq uint16
	at  time.Time
	out []Packet
}

func newSynthTrack(seq uint16) *synthTrack { return &synthTrack{seq: seq, at: rtpT0} }

// add appends a packet; lose appends nothing but spends its sequence number.
func (tr *synthTrack) add(ts uint32, marker bool, payload ...[]byte) {
	tr.at = tr.at.Add(time.Millisecond)
	p := &rtp.Packet{
		Header:  rtp.Header{Version: 2, SequenceNumber: tr.seq, Timestamp: ts, Marker: marker},
		Payload: bytes.Join(payload, nil),
	}
	tr.out = append(tr.out, Packet{Packet: p, Arrival: tr.at})
	tr.seq++
}

func (tr *synthTrack) lose() { tr.seq++ }

func assembleAll(c Codec, pkts []Packet) ([]Frame, *Assembler) {
	a := NewAssembler(c)
	var frames []Frame
	for _, p := range pkts {
		frames = a.Push(frames, p)
	}
	return a.Flush(frames), a
}

func repeatByte(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }

func TestCodecFromMime(t *testing.T) {
	for mime, want := range map[string]Codec{"video/VP8": CodecVP8, "video/vp9": CodecVP9, "audio/opus": CodecOpus} {
		if c, ok := CodecFromMime(mime); !ok || c != want {
			t.Errorf("%s: %v %v", mime, c, ok)
		}
	}
	if _, ok := CodecFromMime("video/H264"); ok {
		t.Error("H264 is not recorded yet")
	}
}

func TestOpusEachPacketIsAFrameEvenAfterLoss(t *testing.T) {
	tr := newSynthTrack(65534)
	var want [][]byte
	for i := range 10 {
		payload := repeatByte(20+i, byte(i))
		if i == 4 {
			tr.lose()
			continue
		}
		tr.add(uint32(960*i), i == 0, payload)
		want = append(want, payload)
	}
	frames, a := assembleAll(CodecOpus, tr.out)
	if len(frames) != len(want) {
		t.Fatalf("%d frames, want %d", len(frames), len(want))
	}
	for i, f := range frames {
		if !bytes.Equal(f.Data, want[i]) || !f.Keyframe {
			t.Fatalf("frame %d: %x key %v", i, f.Data, f.Keyframe)
		}
	}
	if st := a.Stats(); st.Incomplete != 0 || st.AwaitingKeyframe != 0 || a.WaitingKeyframe() {
		t.Fatalf("audio dropped frames or waits for a keyframe: %+v", st)
	}
	// The frame owns its data: the packet shared with the SFU's subscribers is intact
	// whatever the writer does with it.
	frames[0].Data[0] ^= 0xff
	if tr.out[0].Payload[0] != 0 {
		t.Fatal("the frame aliases the packet's payload")
	}
}
