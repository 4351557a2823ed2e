package record

import (
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"conclave/media"
)

// benchTrack is a SinkTrack of the benchmark: the SFU is not in the picture, only what a
// recording keeps per stream.
type benchTrack struct {
	info  media.TrackInfo
	codec webrtc.RTPCodecParameters
}

func (b *benchTrack) Info() media.TrackInfo                    { return b.info }
func (b *benchTrack) Codec() webrtc.RTPCodecParameters         { return b.codec }
func (b *benchTrack) RequestKeyframe()                         {}
func (b *benchTrack) Retransmit(...uint16) int                 { return 0 }
func (b *benchTrack) Dropped() uint64                          { return 0 }
func (b *benchTrack) AudioLevelID() uint8                      { return 0 }
func (b *benchTrack) SenderReport() (media.SenderReport, bool) { return media.SenderReport{}, false }

// BenchmarkMemoryPerRecordedStream reports the heap a recording keeps per stream (a
// camera of about 1.5 Mbit/s in 1,200-byte packets and its file) once it runs steadily:
// 20 streams recorded together for two seconds of media.
func BenchmarkMemoryPerRecordedStream(b *testing.B) {
	const streams = 20
	pz := rtp.NewPacketizerWithOptions(1200, &codecs.VP8Payloader{EnablePictureID: true}, rtp.NewFixedSequencer(1), 90000)
	var frames [][]*rtp.Packet
	for i := range 60 {
		frame := vp8Inter(6000)
		if i%30 == 0 {
			frame = vp8Key(1280, 720, 40000)
		}
		frames = append(frames, pz.Packetize(frame, 3000))
	}
	for b.Loop() {
		e := &Engine{opts: Options{Root: b.TempDir(), FlushEvery: time.Second}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		s := newSession(e, Spec{ID: "bench", Room: "bench"}, e.opts.Root, nil)
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		var sinks []media.TrackSink
		for i := range streams {
			sinks = append(sinks, s.TrackPublished(&benchTrack{
				info:  media.TrackInfo{Room: "bench", Peer: "p" + string(rune('a'+i)), TrackID: "camera-0", Kind: "video", Source: media.SourceCamera, MimeType: webrtc.MimeTypeVP8},
				codec: webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}},
			}))
		}
		start := time.Now()
		for f := range 60 {
			for _, sink := range sinks {
				for _, p := range frames[f] {
					cp := *p
					sink.WriteRTP(&cp, start.Add(time.Duration(f)*33*time.Millisecond))
				}
			}
		}
		s.mu.Lock()
		s.openSettled(time.Now().Add(time.Hour))
		for _, f := range s.files {
			_ = f.w.Flush()
		}
		s.mu.Unlock()
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/streams/1024, "KiB/stream")
		for _, sink := range sinks {
			sink.Close()
		}
	}
}
