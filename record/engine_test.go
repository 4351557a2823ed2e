package record_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"conclave/conclavetest"
	"conclave/media"
	"conclave/media/mediatest"
	"conclave/record"
)

type probe struct {
	Streams []struct {
		CodecName  string `json:"codec_name"`
		CodecType  string `json:"codec_type"`
		Width      int    `json:"width"`
		Height     int    `json:"height"`
		SampleRate string `json:"sample_rate"`
	} `json:"streams"`
	Format struct {
		Duration string `json:"duration"`
	} `json:"format"`
}

// checkPlayable is what a user of the file would notice: the codecs, the length, no
// decoding error, and a seek into the middle that decodes.
func checkPlayable(t *testing.T, path string, want time.Duration) {
	t.Helper()
	var p probe
	if err := json.Unmarshal(conclavetest.Run(t, "ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", path), &p); err != nil {
		t.Fatal(err)
	}
	var codecs []string
	for _, s := range p.Streams {
		codecs = append(codecs, s.CodecName)
		if s.CodecType == "video" && (s.Width != 320 || s.Height != 240) {
			t.Errorf("%s: video %dx%d, want 320x240", path, s.Width, s.Height)
		}
	}
	if strings.Join(codecs, ",") != "vp8,opus" {
		t.Errorf("%s: streams %v, want vp8 and opus", path, codecs)
	}
	dur, _ := strconv.ParseFloat(p.Format.Duration, 64)
	if got := time.Duration(dur * float64(time.Second)); got < want-500*time.Millisecond || got > want+500*time.Millisecond {
		t.Errorf("%s: duration %v, want %v ± 0.5 s", path, got, want)
	}
	if out := conclavetest.Run(t, "ffmpeg", "-v", "error", "-i", path, "-f", "null", "-"); len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("%s: decoding printed errors:\n%s", path, out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte{0x1C, 0x53, 0xBB, 0x6B}) {
		t.Errorf("%s: no Cues element: not seekable", path)
	}
	mid := strconv.FormatFloat(dur/2, 'f', 2, 64)
	if out := conclavetest.Run(t, "ffmpeg", "-v", "error", "-ss", mid, "-i", path, "-frames:v", "5", "-f", "null", "-"); len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("%s: seek to %s s printed errors:\n%s", path, mid, out)
	}
}

// newEngine is an SFU on 127.0.0.1 and a recording engine over it writing under root;
// both stop when the test ends.
func newEngine(t *testing.T, root string) (*media.SFU, *record.Engine) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sfu, err := media.New(media.Config{UDPPort: 0, IPs: []string{"127.0.0.1"}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sfu.Close() })
	e, err := record.New(sfu, record.Options{Root: root, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	return sfu, e
}

// TestRecordingOfARealStream records a participant publishing real VP8 and Opus through
// the SFU, as the recorder does for a meeting: one file for its camera and microphone,
// playable, of the recorded length, seekable, and a manifest that lists it.
func TestRecordingOfARealStream(t *testing.T) {
	mediatest.NeedNetns(t)
	conclavetest.NeedFFmpeg(t)
	ivf, ogg := conclavetest.Sources(t, 8)
	root := t.TempDir()
	sfu, e := newEngine(t, root)
	stop := make(chan struct{})
	defer close(stop)
	conclavetest.Publish(t, sfu, "room-1", "alice", ivf, ogg, stop)
	time.Sleep(500 * time.Millisecond) // negotiated and flowing
	s, err := e.Start(record.Spec{ID: "room-1--r1", Room: "room-1", Dir: "room-1/r1", Layout: "grid",
		Who: func(id string) (string, string) { return "Alice", "moderator" }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	time.Sleep(5 * time.Second)
	res := s.Stop()
	took := time.Since(start)
	if res.Status != record.StatusComplete || res.Error != "" {
		t.Fatalf("recording ended %s: %s", res.Status, res.Error)
	}
	if len(res.Streams) != 1 || res.Streams[0].Kind != "camera" || res.Streams[0].Identity != "alice" || res.Main != res.Streams[0].File {
		t.Fatalf("streams %+v, main %q", res.Streams, res.Main)
	}
	if res.Duration < took-time.Second || res.Duration > took+500*time.Millisecond {
		t.Errorf("recording lasts %v, recorded for %v", res.Duration, took)
	}
	file := filepath.Join(root, "room-1/r1", res.Main)
	checkPlayable(t, file, res.Streams[0].Duration)
	var m struct {
		Participants []struct{ Identity, Name, Role string }
		Files        []struct {
			File   string
			Offset float64
		}
	}
	b, err := os.ReadFile(filepath.Join(root, "room-1/r1", "manifest.json"))
	if err != nil || json.Unmarshal(b, &m) != nil {
		t.Fatalf("manifest: %v %s", err, b)
	}
	if len(m.Files) != 1 || m.Files[0].File != res.Main || len(m.Participants) != 1 || m.Participants[0].Name != "Alice" {
		t.Fatalf("manifest %s", b)
	}
	// Files are the owner's only.
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v %v, want 0600", fi.Mode().Perm(), err)
	}
}

// lossy is an interceptor that loses a share of the RTP a publisher sends and swaps
// neighbours within a short delay, as a bad network would before the SFU.
type lossy struct {
	interceptor.NoOp
	loss, swap float64
	rnd        *rand.Rand
	mu         sync.Mutex
}

func (l *lossy) NewInterceptor(string) (interceptor.Interceptor, error) { return l, nil }

func (l *lossy) BindLocalStream(_ *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	var held *struct {
		h   rtp.Header
		p   []byte
		a   interceptor.Attributes
		ttl time.Time
	}
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		// The NACK responder resends through here too, from its own goroutine.
		l.mu.Lock()
		defer l.mu.Unlock()
		r := l.rnd.Float64()
		if r < l.loss {
			return len(payload), nil // lost on the way
		}
		if held == nil && r < l.loss+l.swap && h.Marker == false {
			held = &struct {
				h   rtp.Header
				p   []byte
				a   interceptor.Attributes
				ttl time.Time
			}{*h, append([]byte(nil), payload...), a, time.Now()}
			return len(payload), nil // sent after the next one
		}
		n, err := w.Write(h, payload, a)
		if held != nil {
			hh := held
			held = nil
			_, _ = w.Write(&hh.h, hh.p, hh.a)
		}
		return n, err
	})
}

// TestRecordingUnderLossAndReordering: 2 % of the publisher's packets lost and 5 %
// reordered before the SFU; the recording is one file that decodes without errors, and
// its report gives the worst gap (and how much never arrived, if anything).
func TestRecordingUnderLossAndReordering(t *testing.T) {
	mediatest.NeedNetns(t)
	conclavetest.NeedFFmpeg(t)
	ivf, ogg := conclavetest.Sources(t, 8)
	root := t.TempDir()
	sfu, e := newEngine(t, root)
	s, err := e.Start(record.Spec{ID: "room-2--r1", Room: "room-2", Dir: "room-2/r1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	bad := &lossy{loss: 0.02, swap: 0.05, rnd: rand.New(rand.NewPCG(1, 2))}
	conclavetest.Publish(t, sfu, "room-2", "bob", ivf, ogg, stop, func(o *mediatest.Options) {
		o.Interceptors = append(o.Interceptors, bad)
	})
	time.Sleep(6 * time.Second)
	res := s.Stop()
	// The camera and microphone start a moment apart: still one file.
	if res.Status != record.StatusComplete || len(res.Streams) != 1 {
		t.Fatalf("recording %s %s, streams %+v", res.Status, res.Error, res.Streams)
	}
	file := filepath.Join(root, "room-2/r1", res.Main)
	if out := conclavetest.Run(t, "ffmpeg", "-v", "error", "-i", file, "-f", "null", "-"); len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("decoding printed errors:\n%s", out)
	}
	// The SFU's NACKs usually get every lost packet back from the publisher; what did not
	// come back is counted and named in the details with the worst gap.
	if res.WorstGap <= 0 || res.Lost > 0 && !strings.Contains(res.Details, "worst gap") {
		t.Errorf("the worst gap is not reported: lost %d, gap %v, details %q", res.Lost, res.WorstGap, res.Details)
	}
	t.Logf("lost %d packets for good, worst gap %v, %v recorded", res.Lost, res.WorstGap, res.Duration)
}

// subscriber joins room as carol, who publishes nothing and receives everything.
func subscriber(t *testing.T, sfu *media.SFU, room string) *mediatest.Client {
	t.Helper()
	sub, err := mediatest.NewClient(mediatest.Options{Name: "carol", Fail: t.Errorf})
	if err != nil {
		t.Fatal(err)
	}
	peer, err := sfu.Join(room, "carol", media.PublishRights{}, func(sig media.Signal) { sub.Signal(string(sig.Type), sig.SDP) })
	if err != nil {
		t.Fatal(err)
	}
	sub.Start(conclavetest.DirectTransport{P: peer})
	t.Cleanup(func() { sub.Close(); peer.Leave() })
	return sub
}

// stillForwarding checks that sub keeps getting from's video: at least 20 packets in a
// second.
func stillForwarding(t *testing.T, sub *mediatest.Client, from string) {
	t.Helper()
	n := sub.Received(from, webrtc.RTPCodecTypeVideo)
	time.Sleep(time.Second)
	if m := sub.Received(from, webrtc.RTPCodecTypeVideo); m < n+20 {
		t.Fatalf("the subscriber got %d of %s's video packets in a second (from %d)", m-n, from, n)
	}
}

// TestFullDiskFailsTheRecordingNotTheMeeting: the recordings' disk fills up (a 128 KiB
// tmpfs); the recording ends as failed with the reason, and the SFU keeps forwarding the
// publisher to a subscriber.
func TestFullDiskFailsTheRecordingNotTheMeeting(t *testing.T) {
	mediatest.NeedNetns(t)
	conclavetest.NeedFFmpeg(t)
	root := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=128k,mode=0700", "tmpfs", root).CombinedOutput(); err != nil {
		if os.Getenv("CONCLAVE_E2E") == "1" {
			t.Fatalf("cannot mount a small tmpfs (needs root): %v %s", err, out)
		}
		t.Skipf("needs to mount a small tmpfs (root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", root).Run() })
	ivf, ogg := conclavetest.Sources(t, 4)
	sfu, e := newEngine(t, root)
	stop := make(chan struct{})
	defer close(stop)
	conclavetest.Publish(t, sfu, "room-3", "dan", ivf, ogg, stop)
	sub := subscriber(t, sfu, "room-3")
	ended := make(chan record.Result, 1)
	s, err := e.Start(record.Spec{ID: "room-3--r1", Room: "room-3", Dir: "room-3/r1"}, func(r record.Result) { ended <- r })
	if err != nil {
		t.Fatal(err)
	}
	var res record.Result
	select {
	case res = <-ended:
	case <-time.After(30 * time.Second):
		t.Fatalf("the recording did not end on a full disk: %+v", s.Stop())
	}
	if res.Status != record.StatusFailed || !strings.Contains(res.Error, "no space") {
		t.Fatalf("ended %s: %q", res.Status, res.Error)
	}
	if again := s.Stop(); again.Status != record.StatusFailed {
		t.Fatalf("Stop after the failure reports %s", again.Status)
	}
	stillForwarding(t, sub, "dan")
}

// TestLateJoinerGetsItsOwnFileAndOffset: a screen shared one second into the recording
// and a participant who starts publishing two seconds in each get their own file, placed
// at that offset in the result and the manifest; the camera files play.
func TestLateJoinerGetsItsOwnFileAndOffset(t *testing.T) {
	mediatest.NeedNetns(t)
	conclavetest.NeedFFmpeg(t)
	ivf, ogg := conclavetest.Sources(t, 4)
	root := t.TempDir()
	sfu, e := newEngine(t, root)
	stop := make(chan struct{})
	defer close(stop)
	ann := conclavetest.Publish(t, sfu, "room-4", "ann", ivf, ogg, stop)
	time.Sleep(500 * time.Millisecond)
	s, err := e.Start(record.Spec{ID: "room-4--r1", Room: "room-4", Dir: "room-4/r1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	conclavetest.PublishScreen(t, ann, ivf, stop)
	time.Sleep(time.Second)
	conclavetest.Publish(t, sfu, "room-4", "ben", ivf, ogg, stop)
	time.Sleep(3 * time.Second)
	res := s.Stop()
	if res.Status != record.StatusComplete || len(res.Streams) != 3 {
		t.Fatalf("recording %s %s, streams %+v", res.Status, res.Error, res.Streams)
	}
	offsets := map[string]time.Duration{}
	for _, st := range res.Streams {
		offsets[st.Identity+"/"+st.Kind] = st.Offset
		if st.Kind == "screen" {
			if len(st.Codecs) != 1 || st.Codecs[0] != "VP8" {
				t.Errorf("the screen share's file has %v, want VP8 alone", st.Codecs)
			}
			continue
		}
		checkPlayable(t, filepath.Join(root, "room-4/r1", st.File), st.Duration)
	}
	// Each is placed where its first frame came: after the moment it started (plus the
	// negotiation and the wait for a keyframe, long on a loaded machine).
	for who, from := range map[string]time.Duration{"ann/camera": 0, "ann/screen": time.Second, "ben/camera": 2 * time.Second} {
		if o, ok := offsets[who]; !ok || o < from-500*time.Millisecond || o > from+2500*time.Millisecond {
			t.Errorf("%s is placed at %v (present %v), want from %v on", who, o, ok, from)
		}
	}
	if offsets["ann/camera"] >= offsets["ann/screen"] {
		t.Errorf("the screen (%v) is placed before the camera that was there first (%v)", offsets["ann/screen"], offsets["ann/camera"])
	}
	var m struct {
		Files []struct {
			File, Identity, Kind string
			Offset               float64
		}
	}
	b, err := os.ReadFile(filepath.Join(root, "room-4/r1", "manifest.json"))
	if err != nil || json.Unmarshal(b, &m) != nil || len(m.Files) != 3 {
		t.Fatalf("manifest: %v %s", err, b)
	}
	for _, f := range m.Files {
		if d := time.Duration(f.Offset*float64(time.Second)) - offsets[f.Identity+"/"+f.Kind]; d > time.Millisecond || d < -time.Millisecond {
			t.Errorf("manifest places %s/%s at %.3f s, the result at %v", f.Identity, f.Kind, f.Offset, offsets[f.Identity+"/"+f.Kind])
		}
	}
}

// mangler is an interceptor that makes a publisher send garbage: payloads of random bytes,
// payload types never negotiated, absurd timestamp jumps and sequence jumps.
type mangler struct {
	interceptor.NoOp
	rnd *rand.Rand
	mu  sync.Mutex
}

func (m *mangler) NewInterceptor(string) (interceptor.Interceptor, error) { return m, nil }

func (m *mangler) BindLocalStream(_ *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	var seqJump uint16
	var tsJump uint32
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		m.mu.Lock()
		hh := *h
		p := payload
		switch r := m.rnd.IntN(100); {
		case r < 15:
			p = make([]byte, 1+m.rnd.IntN(1200))
			for i := range p {
				p[i] = byte(m.rnd.Uint32())
			}
		case r < 25:
			hh.PayloadType = 77
		case r < 28:
			tsJump += m.rnd.Uint32()
		case r < 31:
			seqJump += uint16(1000 + m.rnd.IntN(30000))
		case r < 36:
			hh.Marker = !hh.Marker
		}
		hh.SequenceNumber += seqJump
		hh.Timestamp += tsJump
		m.mu.Unlock()
		return w.Write(&hh, p, a)
	})
}

// TestGarbagePublisherSpoilsNothing: one participant sends garbage RTP (random payloads,
// wrong payload types, absurd timestamp and sequence jumps) while another publishes
// properly. The recording completes, the proper participant's file plays cleanly for the
// recorded time, the garbage is at worst its sender's own file, and forwarding goes on.
func TestGarbagePublisherSpoilsNothing(t *testing.T) {
	mediatest.NeedNetns(t)
	conclavetest.NeedFFmpeg(t)
	ivf, ogg := conclavetest.Sources(t, 6)
	root := t.TempDir()
	sfu, e := newEngine(t, root)
	stop := make(chan struct{})
	defer close(stop)
	conclavetest.Publish(t, sfu, "room-6", "ann", ivf, ogg, stop)
	conclavetest.Publish(t, sfu, "room-6", "mallory", ivf, ogg, stop, func(o *mediatest.Options) {
		o.Interceptors = append(o.Interceptors, &mangler{rnd: rand.New(rand.NewPCG(6, 6))})
	})
	sub := subscriber(t, sfu, "room-6")
	time.Sleep(500 * time.Millisecond)
	s, err := e.Start(record.Spec{ID: "room-6--r1", Room: "room-6", Dir: "room-6/r1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	time.Sleep(4 * time.Second)
	res := s.Stop()
	took := time.Since(start)
	if res.Status != record.StatusComplete {
		t.Fatalf("recording ended %s: %s", res.Status, res.Error)
	}
	var annFile string
	for _, st := range res.Streams {
		path := filepath.Join(root, "room-6/r1", st.File)
		if st.Identity == "ann" {
			annFile = path
			if st.Offset+st.Duration < took-time.Second {
				t.Errorf("ann's file ends at %v; %v were recorded", st.Offset+st.Duration, took)
			}
			checkPlayable(t, path, st.Duration)
			continue
		}
		// The garbage is the sender's own: its file, if any, is still a WebM ffprobe reads.
		if out, err := exec.Command("ffprobe", "-v", "quiet", "-show_entries", "format=duration", path).CombinedOutput(); err != nil {
			t.Errorf("mallory's file %s is not even a readable WebM: %v %s", st.File, err, out)
		}
	}
	if annFile == "" {
		t.Fatalf("no file of ann's: %+v", res.Streams)
	}
	stillForwarding(t, sub, "ann")
}
