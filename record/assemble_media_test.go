package record

import (
	"bytes"
	"container/heap"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"
)

// These tests send media encoded by Debian's ffmpeg (libvpx, libopus) through Pion's
// payloaders, a network that reorders and loses packets, the reorder buffer and the
// assembler, and compare the frames that come out with those that went in.

// noisyTestsrc is a test picture with noise, so that frames are large enough to span packets.
const noisyTestsrc = "testsrc=size=320x240:rate=30,noise=alls=20:allf=t"

// ffmpegEncode encodes into a new file name of a temporary directory (ffmpegRun).
func ffmpegEncode(t *testing.T, name string, args ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	ffmpegRun(t, append(args, out)...)
	return out
}

func ivfFrames(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, _, err := ivfreader.NewWith(f)
	if err != nil {
		t.Fatal(err)
	}
	var frames [][]byte
	for {
		frame, _, err := r.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			return frames
		}
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, frame)
	}
}

// ffprobeKeyframes asks ffprobe which frames of a file are keyframes: an oracle that does
// not share the assembler's parsing.
func ffprobeKeyframes(t *testing.T, path string) []bool {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0",
		"-show_entries", "packet=flags", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var keys []bool
	for _, line := range strings.Fields(string(out)) {
		keys = append(keys, strings.HasPrefix(line, "K"))
	}
	return keys
}

func oggPackets(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, _, err := oggreader.NewWith(f)
	if err != nil {
		t.Fatal(err)
	}
	var packets [][]byte
	var granule uint64
	for {
		page, h, err := r.ParseNextPage()
		if errors.Is(err, io.EOF) {
			return packets
		}
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(page, []byte("OpusTags")) {
			granule = h.GranulePosition
			continue
		}
		// oggreader returns pages, not packets: ffmpeg was told to put one 20 ms packet
		// on each page, which the granule positions confirm (the last page may be short).
		if step := h.GranulePosition - granule; step > 960 {
			t.Fatalf("an Ogg page of %d samples: more than one packet", step)
		}
		granule = h.GranulePosition
		packets = append(packets, page)
	}
}

// mediaTrack is an encoded stream, packetized.
type mediaTrack struct {
	codec    Codec
	frames   [][]byte
	keys     []bool // per frame; nil for audio
	interval time.Duration
	samples  uint32
	ts0      uint32
	firstSeq uint16

	pkts    []*rtp.Packet
	frameOf []int // the frame each packet carries part of
}

func (m *mediaTrack) packetize(t *testing.T, pl rtp.Payloader, clock uint32) {
	t.Helper()
	m.ts0, m.firstSeq = 0xfffff000, 65535-100 // both wrap during the test
	pz := rtp.NewPacketizerWithOptions(1200, pl, rtp.NewFixedSequencer(m.firstSeq), clock,
		rtp.WithSSRC(0x1234), rtp.WithPayloadType(96), rtp.WithTimestamp(m.ts0))
	multi := 0
	for i, f := range m.frames {
		ps := pz.Packetize(f, m.samples)
		if len(ps) == 0 {
			t.Fatalf("frame %d (%d bytes) gave no packets", i, len(f))
		}
		if len(ps) > 1 {
			multi++
		}
		for _, p := range ps {
			m.pkts = append(m.pkts, p)
			m.frameOf = append(m.frameOf, i)
		}
	}
	if m.codec.Video() && multi < len(m.frames)/2 {
		t.Fatalf("only %d of %d frames span packets: the test would not exercise assembly", multi, len(m.frames))
	}
}

// netEvent is a packet reaching the recorder.
type netEvent struct {
	at  time.Time
	idx int
	n   int // tie-breaker: the order events were made in
}

type netEvents []netEvent

func (e netEvents) Len() int { return len(e) }
func (e netEvents) Less(i, j int) bool {
	if !e[i].at.Equal(e[j].at) {
		return e[i].at.Before(e[j].at)
	}
	return e[i].n < e[j].n
}
func (e netEvents) Swap(i, j int) { e[i], e[j] = e[j], e[i] }
func (e *netEvents) Push(x any)   { *e = append(*e, x.(netEvent)) }
func (e *netEvents) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

// lossyNet is what happens between the publisher and the recorder: each packet is
// delayed by up to jitter (so they arrive out of order), those in lost never arrive,
// and those in resendable arrive only when the recorder asks the SFU's cache for them.
type lossyNet struct {
	jitter     time.Duration
	lost       map[int]bool
	resendable map[int]bool
}

type trackResult struct {
	frames  []Frame
	reorder ReorderStats
	asm     AssemblerStats
	resent  int
	broken  int // losses the reorder buffer reported
}

// deliverTrack plays the track through the network into a Reorder and an Assembler, as the
// recorder will: Push, then Pop on each packet and on a 10 ms timer.
func deliverTrack(m *mediaTrack, nw lossyNet, rng *rand.Rand) trackResult {
	var q netEvents
	n := 0
	schedule := func(at time.Time, idx int) {
		heap.Push(&q, netEvent{at: at, idx: idx, n: n})
		n++
	}
	var last time.Time
	for idx, f := range m.frameOf {
		sent := rtpT0.Add(time.Duration(f)*m.interval + time.Duration(idx)*100*time.Microsecond)
		last = sent
		if nw.lost[idx] || nw.resendable[idx] {
			continue
		}
		at := sent
		if idx > 0 {
			at = at.Add(time.Duration(rng.Int64N(int64(nw.jitter))))
		}
		schedule(at, idx)
	}
	end := last.Add(2 * time.Second)

	r, a := NewReorder(ReorderConfig{}), NewAssembler(m.codec)
	var out trackResult
	var ready []Packet
	asked := map[int]bool{}
	take := func(pkts []Packet, loss Loss) {
		if loss.Broken() {
			out.broken++
		}
		for _, p := range pkts {
			out.frames = a.Push(out.frames, p)
		}
	}
	tick := rtpT0
	for q.Len() > 0 {
		e := heap.Pop(&q).(netEvent)
		for ; tick.Before(e.at); tick = tick.Add(10 * time.Millisecond) {
			ready, loss := r.Pop(ready[:0], tick)
			take(ready, loss)
		}
		res := r.Push(m.pkts[e.idx], e.at)
		for _, s := range res.Missing {
			idx := int(s - m.firstSeq)
			if nw.resendable[idx] && !asked[idx] {
				// media.SinkTrack.Retransmit: the cache queues it for this sink again.
				asked[idx] = true
				out.resent++
				schedule(e.at.Add(15*time.Millisecond), idx)
			}
		}
		ready, loss := r.Pop(ready[:0], e.at)
		take(ready, loss)
	}
	for ; !tick.After(end); tick = tick.Add(10 * time.Millisecond) {
		ready, loss := r.Pop(ready[:0], tick)
		take(ready, loss)
	}
	ready, loss := r.Flush(ready[:0])
	take(ready, loss)
	out.frames = a.Flush(out.frames)
	out.reorder, out.asm = r.Stats(), a.Stats()
	return out
}

// pickLosses loses forGood packets for good and, for video, pct % that the cache can
// send again; never the first packet (older ones would be late, by design) nor the last
// (whose loss nothing after it would show).
func pickLosses(m *mediaTrack, rng *rand.Rand, forGood, pct int) lossyNet {
	nw := lossyNet{jitter: 30 * time.Millisecond, lost: map[int]bool{}, resendable: map[int]bool{}}
	for len(nw.lost) < forGood {
		nw.lost[1+rng.IntN(len(m.pkts)-2)] = true
	}
	for m.codec.Video() && len(nw.resendable) < len(m.pkts)*pct/100 {
		if i := 1 + rng.IntN(len(m.pkts)-2); !nw.lost[i] {
			nw.resendable[i] = true
		}
	}
	return nw
}

// expect returns the frames a recording should hold: not those that lost a packet for
// good and, for video, none until the next keyframe after such a loss.
func (m *mediaTrack) expect(lost map[int]bool) (want []int, incomplete, awaiting int) {
	broken, got := map[int]bool{}, map[int]int{}
	for idx, f := range m.frameOf {
		if lost[idx] {
			broken[f] = true
		} else {
			got[f]++
		}
	}
	waiting := m.codec.Video()
	for f := range m.frames {
		switch {
		case broken[f]:
			if got[f] > 0 {
				incomplete++ // a frame lost whole is not seen at all
			}
			waiting = m.codec.Video()
		case waiting && !m.keys[f]:
			awaiting++
		default:
			waiting = false
			want = append(want, f)
		}
	}
	return want, incomplete, awaiting
}

func checkTrack(t *testing.T, m *mediaTrack, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed+1))
	// 2 % of the packets lost, most of them recovered from the SFU's cache (there is
	// none for audio).
	nw := pickLosses(m, rng, max(3, len(m.pkts)/200), 2)
	got := deliverTrack(m, nw, rng)
	want, incomplete, awaiting := m.expect(nw.lost)
	if m.codec.Video() && (awaiting == 0 || incomplete == 0) {
		t.Fatalf("the losses chosen spoil no frame in a way worth testing (incomplete %d, awaiting %d)", incomplete, awaiting)
	}
	t.Logf("%d frames in %d packets: %d lost, %d resent; %d frames expected, %d incomplete, %d awaiting a keyframe",
		len(m.frames), len(m.pkts), len(nw.lost), got.resent, len(want), incomplete, awaiting)

	if len(got.frames) != len(want) {
		t.Fatalf("%d frames came out, want %d (%+v)", len(got.frames), len(want), got.asm)
	}
	for k, f := range got.frames {
		i := want[k]
		if !bytes.Equal(f.Data, m.frames[i]) {
			t.Fatalf("frame %d (#%d out): %d bytes differ from the %d encoded", i, k, len(f.Data), len(m.frames[i]))
		}
		if ts := m.ts0 + uint32(i)*m.samples; f.RTPTimestamp != ts {
			t.Fatalf("frame %d: timestamp %d, want %d", i, f.RTPTimestamp, ts)
		}
		key := m.keys == nil || m.keys[i]
		if f.Keyframe != key {
			t.Fatalf("frame %d: keyframe %v, ffprobe says %v", i, f.Keyframe, key)
		}
		if m.codec.Video() && key && (f.Width != 320 || f.Height != 240) {
			t.Fatalf("keyframe %d: %dx%d, want 320x240", i, f.Width, f.Height)
		}
	}
	if m.codec.Video() && !got.frames[0].Keyframe {
		t.Fatal("the recording does not start with a keyframe")
	}
	if st := got.asm; st.Incomplete != uint64(incomplete) || st.AwaitingKeyframe != uint64(awaiting) || st.Malformed != 0 {
		t.Fatalf("assembler counted %d incomplete, %d awaiting a keyframe, %d malformed; want %d, %d, 0",
			st.Incomplete, st.AwaitingKeyframe, st.Malformed, incomplete, awaiting)
	}
	st := got.reorder
	if st.Lost != uint64(len(nw.lost)) || st.Late != 0 || st.Duplicates != 0 || st.Resets != 0 {
		t.Fatalf("reorder buffer: %+v; want %d lost and nothing late, duplicated or reset", st, len(nw.lost))
	}
	if got.resent != len(nw.resendable) || st.Out != uint64(len(m.pkts)-len(nw.lost)) {
		t.Fatalf("%d of %d resendable packets asked for; %d released, want %d",
			got.resent, len(nw.resendable), st.Out, len(m.pkts)-len(nw.lost))
	}
	if got.broken == 0 || st.MaxGapPackets < 1 {
		t.Fatalf("losses reported %d times, worst gap %d packets", got.broken, st.MaxGapPackets)
	}
}

func TestAssembleRealVP8(t *testing.T) {
	needFFmpeg(t)
	path := ffmpegEncode(t, "vp8.ivf", "-f", "lavfi", "-i", noisyTestsrc, "-t", "5",
		"-pix_fmt", "yuv420p", "-c:v", "libvpx", "-b:v", "1M", "-g", "30", "-deadline", "realtime", "-cpu-used", "8")
	m := &mediaTrack{codec: CodecVP8, frames: ivfFrames(t, path), keys: ffprobeKeyframes(t, path),
		interval: time.Second / 30, samples: 3000}
	if len(m.keys) != len(m.frames) || len(m.frames) < 140 {
		t.Fatalf("%d frames, ffprobe saw %d", len(m.frames), len(m.keys))
	}
	// Picture IDs on: 0 sends none, then 7 bits, then 15 bits past 127.
	m.packetize(t, &codecs.VP8Payloader{EnablePictureID: true}, 90000)
	checkTrack(t, m, 7)
}

func TestAssembleRealVP9(t *testing.T) {
	needFFmpeg(t)
	// What a browser sends: profile 0, encoded in real time.
	path := ffmpegEncode(t, "vp9.ivf", "-f", "lavfi", "-i", noisyTestsrc, "-t", "3", "-pix_fmt", "yuv420p",
		"-c:v", "libvpx-vp9", "-b:v", "1M", "-g", "30", "-deadline", "realtime", "-cpu-used", "8")
	frames, keys := ivfFrames(t, path), ffprobeKeyframes(t, path)
	if len(keys) != len(frames) || len(frames) < 85 {
		t.Fatalf("%d frames, ffprobe saw %d", len(frames), len(keys))
	}
	for _, flexible := range []bool{false, true} {
		name := map[bool]string{false: "non-flexible", true: "flexible"}[flexible]
		t.Run(name, func(t *testing.T) {
			m := &mediaTrack{codec: CodecVP9, frames: frames, keys: keys, interval: time.Second / 30, samples: 3000}
			m.packetize(t, &codecs.VP9Payloader{FlexibleMode: flexible}, 90000)
			checkTrack(t, m, 11)
		})
	}
}

func TestAssembleRealOpus(t *testing.T) {
	needFFmpeg(t)
	path := ffmpegEncode(t, "opus.ogg", "-f", "lavfi", "-i", "sine=frequency=440", "-t", "3",
		"-c:a", "libopus", "-page_duration", "20000")
	m := &mediaTrack{codec: CodecOpus, frames: oggPackets(t, path), interval: 20 * time.Millisecond, samples: 960}
	if len(m.frames) < 145 {
		t.Fatalf("%d Opus packets in 3 s, want 150", len(m.frames))
	}
	m.packetize(t, &codecs.OpusPayloader{}, 48000)
	checkTrack(t, m, 13)
}
