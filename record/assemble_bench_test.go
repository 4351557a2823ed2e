package record

import (
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// BenchmarkRecordPath measures the recorder's RTP side per packet: a 1.5 Mbit/s VP8
// stream (30 frames/s, keyframe every 2 s) through Reorder and Assembler, with one
// packet in 50 arriving late by a few packets, as a jittery network delivers it.
func BenchmarkRecordPath(b *testing.B) {
	pz := rtp.NewPacketizerWithOptions(1200, &codecs.VP8Payloader{EnablePictureID: true},
		rtp.NewFixedSequencer(1), 90000)
	var pkts []*rtp.Packet
	for i := range 60 {
		frame := vp8Inter(6000)
		if i == 0 {
			frame = vp8Key(1280, 720, 60000)
		}
		pkts = append(pkts, pz.Packetize(frame, 3000)...)
	}
	for i := 25; i+3 < len(pkts); i += 50 {
		pkts[i], pkts[i+3] = pkts[i+3], pkts[i]
	}
	r, a := NewReorder(ReorderConfig{}), NewAssembler(CodecVP8)
	ring := make([]rtp.Packet, 4096)
	var ready []Packet
	var frames []Frame
	at := rtpT0
	bytes := 0
	for _, p := range pkts {
		bytes += len(p.Payload)
	}
	b.SetBytes(int64(bytes / len(pkts)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		// The same packets again and again, renumbered so they follow on; the copies
		// are recycled once the buffer has long released them.
		p := &ring[i%len(ring)]
		*p = *pkts[i%len(pkts)]
		p.SequenceNumber += uint16(i / len(pkts) * len(pkts))
		p.Timestamp += uint32(i/len(pkts)) * 60 * 3000
		at = at.Add(500 * time.Microsecond)
		r.Push(p, at)
		ready, _ = r.Pop(ready[:0], at)
		for _, q := range ready {
			frames = a.Push(frames[:0], q)
		}
	}
	if a.Stats().Frames == 0 {
		b.Fatal("no frames")
	}
}
