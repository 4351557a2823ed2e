package record

import (
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// BenchmarkSessionPath measures what a recording costs per packet once the SFU has handed
// it over: a camera of about 1.5 Mbit/s (30 frames/s in 1,200-byte packets) and its
// microphone through the session's reorder buffers, assemblers and WebM writer into a
// file, as a sink's goroutine calls it. The ns/op is per packet.
func BenchmarkSessionPath(b *testing.B) {
	fs := newFakeSession(b)
	mic, cam := micTrack("p"), camTrack("p")
	mic.levelID = 1
	ms, cs := fs.publish(b, mic), fs.publish(b, cam)
	pz := rtp.NewPacketizerWithOptions(1200, &codecs.VP8Payloader{EnablePictureID: true}, rtp.NewFixedSequencer(1), 90000)
	type sent struct {
		audio bool
		pkt   *rtp.Packet
		at    time.Duration
	}
	var cycle []sent // two seconds: 60 video frames and 100 audio packets, in time order
	vi, ai := 0, 0
	for vi < 60 || ai < 100 {
		vAt, aAt := time.Duration(vi)*time.Second/30, time.Duration(ai)*20*time.Millisecond
		if ai < 100 && (vi >= 60 || aAt <= vAt) {
			p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: uint16(ai), Timestamp: uint32(960 * ai)},
				Payload: make([]byte, 120)}
			_ = p.SetExtension(1, []byte{0x80 | 40})
			cycle = append(cycle, sent{true, p, aAt})
			ai++
			continue
		}
		frame := vp8Inter(6000)
		if vi == 0 {
			frame = vp8Key(1280, 720, 40000)
		}
		for _, p := range pz.Packetize(frame, 0) {
			p.Timestamp = uint32(3000 * vi)
			cycle = append(cycle, sent{false, p, vAt})
		}
		vi++
	}
	start := fs.s.start
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		round := n / len(cycle)
		c := cycle[n%len(cycle)]
		n++
		p := *c.pkt
		at := start.Add(time.Duration(round)*2*time.Second + c.at)
		if c.audio {
			p.SequenceNumber += uint16(round * 100)
			p.Timestamp += uint32(round * 96000)
			ms.WriteRTP(&p, at)
		} else {
			p.SequenceNumber += uint16(round * (len(cycle) - 100))
			p.Timestamp += uint32(round * 180000)
			cs.WriteRTP(&p, at)
		}
	}
	b.StopTimer()
	fs.s.Stop()
}
