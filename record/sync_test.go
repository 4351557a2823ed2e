package record

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"conclave/media"
)

// fakeTrack is a SinkTrack without an SFU: what a session is told of a track, with the
// sender report and audio level id the test chooses.
type fakeTrack struct {
	info    media.TrackInfo
	codec   webrtc.RTPCodecParameters
	levelID uint8
	sr      *media.SenderReport
}

func (f *fakeTrack) Info() media.TrackInfo            { return f.info }
func (f *fakeTrack) Codec() webrtc.RTPCodecParameters { return f.codec }
func (f *fakeTrack) RequestKeyframe()                 {}
func (f *fakeTrack) Retransmit(...uint16) int         { return 0 }
func (f *fakeTrack) Dropped() uint64                  { return 0 }
func (f *fakeTrack) AudioLevelID() uint8              { return f.levelID }
func (f *fakeTrack) SenderReport() (media.SenderReport, bool) {
	if f.sr == nil {
		return media.SenderReport{}, false
	}
	return *f.sr, true
}

func micTrack(peer string) *fakeTrack {
	return &fakeTrack{
		info:  media.TrackInfo{Room: "r", Peer: peer, TrackID: "mic", Kind: "audio", Source: media.SourceMicrophone, MimeType: webrtc.MimeTypeOpus},
		codec: webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}},
	}
}

func camTrack(peer string) *fakeTrack {
	return &fakeTrack{
		info:  media.TrackInfo{Room: "r", Peer: peer, TrackID: "cam", Kind: "video", Source: media.SourceCamera, MimeType: webrtc.MimeTypeVP8},
		codec: webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}},
	}
}

// fakeSession is a session over fake tracks; stop ends it and returns its directory.
type fakeSession struct {
	s     *Session
	mu    sync.Mutex
	sinks []media.TrackSink
}

func newFakeSession(t testing.TB) *fakeSession {
	dir := t.TempDir()
	e := &Engine{opts: Options{Root: dir, FlushEvery: time.Second, Reorder: ReorderConfig{}},
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	fs := &fakeSession{}
	fs.s = newSession(e, Spec{ID: "rec", Room: "r", Who: func(id string) (string, string) { return "Name of " + id, "speaker" }}, dir, nil)
	fs.s.run(func() {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		for _, ts := range fs.sinks {
			ts.Close()
		}
	})
	return fs
}

func (fs *fakeSession) publish(t testing.TB, ft *fakeTrack) media.TrackSink {
	ts := fs.s.TrackPublished(ft)
	if ts == nil {
		t.Fatalf("track %s not taken", ft.info.TrackID)
	}
	fs.mu.Lock()
	fs.sinks = append(fs.sinks, ts)
	fs.mu.Unlock()
	return ts
}

// ptsOf is, per stream of the file ("video", "audio"), the time of each of its packets in
// file order, as ffprobe reads them.
func ptsOf(t *testing.T, path string) map[string][]float64 {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=index,codec_type",
		"-show_entries", "packet=stream_index,pts_time", "-of", "csv=p=0", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", path, err, out)
	}
	// Lines are "index,pts" for packets, then "index,kind," for streams.
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	kinds := map[string]string{}
	for _, line := range lines {
		if f := strings.Split(strings.TrimRight(line, ","), ","); len(f) == 2 && (f[1] == "video" || f[1] == "audio") {
			kinds[f[0]] = f[1]
		}
	}
	pts := map[string][]float64{}
	for _, line := range lines {
		f := strings.Split(line, ",")
		if len(f) != 2 {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		if k := kinds[f[0]]; k != "" {
			pts[k] = append(pts[k], v)
		}
	}
	return pts
}

// recordSkewed records three seconds of one participant whose camera's packets arrive
// 400 ms after the microphone's packets of the same moment (an encoder and a path slower
// for video), with or without the publisher's sender reports (one at the start of each
// track and one a second later, as browsers send them), and returns the recording's only
// file.
func recordSkewed(t *testing.T, withReports bool) string {
	fs := newFakeSession(t)
	mic, cam := micTrack("p"), camTrack("p")
	// The publisher's wallclock is nowhere near the server's: only its tracks' relation
	// to each other may be taken from it.
	wall := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	const micTS0, camTS0 = 1000, 50000
	report := func(n int) {
		if withReports {
			at := time.Duration(n) * time.Second
			mic.sr = &media.SenderReport{NTP: wall.Add(at), RTPTime: uint32(micTS0 + 48000*n), Received: time.Now()}
			cam.sr = &media.SenderReport{NTP: wall.Add(at), RTPTime: uint32(camTS0 + 90000*n), Received: time.Now()}
		}
	}
	report(1)
	ms, cs := fs.publish(t, mic), fs.publish(t, cam)
	start := fs.s.start
	pz := rtp.NewPacketizerWithOptions(1200, &codecs.VP8Payloader{EnablePictureID: true}, rtp.NewFixedSequencer(1), 90000)
	// Audio captured from 0 arrives from 100 ms, video from 500 ms; in arrival order.
	const dur = 3 * time.Second
	ai, vi, reported := 0, 0, false
	for {
		aAt := 100*time.Millisecond + time.Duration(ai)*20*time.Millisecond
		vAt := 500*time.Millisecond + time.Duration(vi)*time.Second/30
		if aAt > dur && vAt > dur {
			break
		}
		if !reported && min(aAt, vAt) > 1500*time.Millisecond {
			report(2)
			reported = true
		}
		if aAt <= vAt {
			ms.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: uint16(ai), Timestamp: uint32(micTS0 + 960*ai), SSRC: 1},
				Payload: []byte{0xf8, 0xff, 0xfe}}, start.Add(aAt))
			ai++
			continue
		}
		frame := vp8Inter(800)
		if vi%30 == 0 {
			frame = vp8Key(320, 240, 3000)
		}
		for _, p := range pz.Packetize(frame, 0) {
			p.Timestamp = uint32(camTS0 + 3000*vi)
			p.PayloadType, p.SSRC = 96, 2
			cs.WriteRTP(p, start.Add(vAt))
		}
		vi++
	}
	r := fs.s.Stop()
	if len(r.Streams) != 1 {
		t.Fatalf("recording has %d files, want one with camera and microphone: %+v", len(r.Streams), r)
	}
	return filepath.Join(fs.s.dir, r.Streams[0].File)
}

// TestSenderReportsPutMicrophoneAndCameraInSync: a participant's camera arriving later
// than its microphone is aligned with it by the publisher's sender reports, so that what
// was captured together plays together once the reports are in (the microphone waits for
// the camera); without reports each is placed at its arrival, 400 ms apart.
func TestSenderReportsPutMicrophoneAndCameraInSync(t *testing.T) {
	needFFmpeg(t)
	for _, tc := range []struct {
		reports bool
		skew    float64 // video after audio for the same moment of capture, in seconds
	}{{true, 0}, {false, 0.4}} {
		path := recordSkewed(t, tc.reports)
		pts := ptsOf(t, path)
		a, v := pts["audio"], pts["video"]
		// Captured 2.5 s in: the 125th audio packet (20 ms each), the 75th video frame.
		if len(a) <= 125 || len(v) <= 75 {
			t.Fatalf("reports=%v: %d audio packets, %d video frames", tc.reports, len(a), len(v))
		}
		if d := v[75] - a[125]; d < tc.skew-0.04 || d > tc.skew+0.04 {
			t.Errorf("reports=%v: video plays %.3f s after the audio captured with it, want %.1f s", tc.reports, d, tc.skew)
		}
		// Moving a track never gives two of its frames one time.
		for kind, ts := range pts {
			for i := 1; i < len(ts); i++ {
				if ts[i] <= ts[i-1] {
					t.Fatalf("reports=%v: %s packet %d at %.3f s, after one at %.3f s", tc.reports, kind, i, ts[i], ts[i-1])
				}
			}
		}
	}
}

// TestManifestSaysWhoSpokeWhen: the microphone's audio level (RFC 6464) becomes the
// participant's speaking intervals in the manifest: loud for the first second, quiet for
// one, loud again.
func TestManifestSaysWhoSpokeWhen(t *testing.T) {
	fs := newFakeSession(t)
	mic := micTrack("p")
	mic.levelID = 1
	ms := fs.publish(t, mic)
	quiet := micTrack("q") // a participant whose microphone sends only room noise
	quiet.levelID = 1
	qs := fs.publish(t, quiet)
	start := fs.s.start
	for i := range 150 { // 3 s of 20 ms packets
		at := time.Duration(i) * 20 * time.Millisecond
		level := byte(30) // -30 dBov: speech
		if at >= time.Second && at < 2*time.Second {
			level = 90
		}
		for _, x := range []struct {
			ts    media.TrackSink
			level byte
		}{{ms, level}, {qs, 70}} {
			p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: uint16(i), Timestamp: uint32(960 * i), SSRC: 1},
				Payload: []byte{0xf8, 0xff, 0xfe}}
			if err := p.SetExtension(1, []byte{0x80 | x.level}); err != nil {
				t.Fatal(err)
			}
			x.ts.WriteRTP(p, start.Add(at))
		}
	}
	fs.s.Stop()
	b, err := os.ReadFile(filepath.Join(fs.s.dir, manifestName))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	got := map[string][][2]float64{}
	for _, p := range m.Participants {
		if p.Speaking == nil {
			t.Fatalf("%s's microphone sent levels, but the manifest does not say whether it spoke", p.Identity)
		}
		got[p.Identity] = *p.Speaking
	}
	sp := got["p"]
	if len(sp) != 2 {
		t.Fatalf("p spoke in %v, want two intervals", sp)
	}
	near := func(x, want float64) bool { return x > want-0.05 && x < want+0.05 }
	if !near(sp[0][0], 0) || !near(sp[0][1], 1) || !near(sp[1][0], 2) || !near(sp[1][1], 3) {
		t.Errorf("p spoke in %v, want about [0 1] and [2 3]", sp)
	}
	if q, ok := got["q"]; !ok || len(q) != 0 {
		t.Errorf("q, whose microphone heard only noise, spoke in %v (listed: %v)", q, ok)
	}
}
