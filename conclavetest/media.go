package conclavetest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"

	"conclave/media"
	"conclave/media/mediatest"
)

// Real media for the recording tests: files ffmpeg makes, published through the SFU by
// the shared Pion client.

// NeedFFmpeg skips without ffmpeg and ffprobe, unless CONCLAVE_E2E=1 (CI installs them).
func NeedFFmpeg(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CONCLAVE_E2E") == "1" {
				t.Fatalf("CONCLAVE_E2E=1 but %s is missing (install Debian's ffmpeg)", tool)
			}
			t.Skipf("needs %s (Debian's ffmpeg) to make and check real media", tool)
		}
	}
}

// Run runs a tool and returns what it printed, failing the test if it fails.
func Run(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// Sources makes a few seconds of real VP8 video and Opus audio with ffmpeg.
func Sources(t testing.TB, seconds int) (ivf, ogg string) {
	t.Helper()
	dir := t.TempDir()
	ivf, ogg = filepath.Join(dir, "v.ivf"), filepath.Join(dir, "a.ogg")
	d := strconv.Itoa(seconds)
	Run(t, "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-t", d,
		"-c:v", "libvpx", "-g", "30", "-b:v", "300k", ivf)
	Run(t, "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", d,
		"-c:a", "libopus", "-frame_duration", "20", "-page_duration", "20000", ogg) // one Opus packet per Ogg page, as PublishFiles sends pages
	return ivf, ogg
}

// DirectTransport carries a Pion client's negotiation straight to its SFU peer.
type DirectTransport struct{ P *media.Peer }

func (d DirectTransport) Offer(sdp string, sources map[string]string) (bool, error) {
	src := map[string]media.Source{}
	for mid, s := range sources {
		src[mid] = media.Source(s)
	}
	err := d.P.HandleOffer(sdp, src)
	if errors.Is(err, media.ErrGlare) {
		return true, nil
	}
	return false, err
}

func (d DirectTransport) Answer(sdp string) error {
	if err := d.P.HandleAnswer(sdp); err != nil && !errors.Is(err, media.ErrClosed) {
		return err
	}
	return nil
}

func (d DirectTransport) Candidate(c webrtc.ICECandidateInit) error { return d.P.AddICECandidate(c) }

// Publish joins room as identity (allowed a camera, a microphone and a screen) and sends
// the files' frames at their pace until stop; opts may change the client (an interceptor
// that loses packets, say). It returns the client, to share a screen with, say.
func Publish(t testing.TB, sfu *media.SFU, room, identity, ivf, ogg string, stop <-chan struct{}, opts ...func(*mediatest.Options)) *mediatest.Client {
	t.Helper()
	o := mediatest.Options{Name: identity, Fail: t.Errorf}
	for _, f := range opts {
		f(&o)
	}
	c, err := mediatest.NewClient(o)
	if err != nil {
		t.Fatal(err)
	}
	peer, err := sfu.Join(room, identity, media.PublishRights{Audio: true, Video: true, Screen: true}, func(sig media.Signal) { c.Signal(string(sig.Type), sig.SDP) })
	if err != nil {
		t.Fatal(err)
	}
	c.Start(DirectTransport{P: peer})
	t.Cleanup(func() { c.Close(); peer.Leave() })
	PublishFiles(t, c, ivf, ogg, stop)
	return c
}

// PublishScreen makes c share a screen (the file's VP8 frames, without audio) too, until
// stop.
func PublishScreen(t testing.TB, c *mediatest.Client, ivf string, stop <-chan struct{}) {
	t.Helper()
	screen, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "screen", c.Name)
	if err != nil {
		t.Fatal(err)
	}
	c.Do(func() {
		if _, err := c.AddTrackLocal(screen, "screen"); err != nil {
			t.Error(err)
		}
		c.Negotiate()
	})
	go func() {
		for playIVF(t, ivf, screen, stop) {
		}
	}()
}

// PublishFiles makes c publish a camera and a microphone and sends the files' frames
// (VP8 in IVF, Opus in Ogg) at their pace until stop, playing them again when they end.
func PublishFiles(t testing.TB, c *mediatest.Client, ivf, ogg string, stop <-chan struct{}) {
	t.Helper()
	identity := c.Name
	video, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "camera", identity)
	if err != nil {
		t.Fatal(err)
	}
	audio, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "microphone", identity)
	if err != nil {
		t.Fatal(err)
	}
	c.Do(func() {
		for _, tr := range []struct {
			local webrtc.TrackLocal
			src   string
		}{{video, "camera"}, {audio, "microphone"}} {
			if _, err := c.AddTrackLocal(tr.local, tr.src); err != nil {
				t.Error(err)
			}
		}
		c.Negotiate()
	})
	go func() {
		for playIVF(t, ivf, video, stop) {
		}
	}()
	go func() {
		for playOgg(t, ogg, audio, stop) {
		}
	}()
}

// playIVF sends the file's VP8 frames at 30 a second; it reports whether it reached the
// end of the file (to play it again) rather than stop or an error.
func playIVF(t testing.TB, path string, track *webrtc.TrackLocalStaticSample, stop <-chan struct{}) bool {
	f, err := os.Open(path)
	if err != nil {
		t.Error(err)
		return false
	}
	defer f.Close()
	r, _, err := ivfreader.NewWith(f)
	if err != nil {
		t.Error(err)
		return false
	}
	tick := time.NewTicker(time.Second / 30)
	defer tick.Stop()
	for {
		frame, _, err := r.ParseNextFrame()
		if err == io.EOF {
			return true
		} else if err != nil {
			t.Error(err)
			return false
		}
		select {
		case <-stop:
			return false
		case <-tick.C:
		}
		_ = track.WriteSample(pionmedia.Sample{Data: frame, Duration: time.Second / 30})
	}
}

// playOgg sends the file's Opus packets (one per page) at their pace, as playIVF does.
func playOgg(t testing.TB, path string, track *webrtc.TrackLocalStaticSample, stop <-chan struct{}) bool {
	f, err := os.Open(path)
	if err != nil {
		t.Error(err)
		return false
	}
	defer f.Close()
	r, _, err := oggreader.NewWith(f)
	if err != nil {
		t.Error(err)
		return false
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last uint64
	for {
		page, hdr, err := r.ParseNextPage()
		if err == io.EOF {
			return true
		} else if err != nil {
			t.Error(err)
			return false
		}
		d := time.Duration(hdr.GranulePosition-last) * time.Second / 48000
		last = hdr.GranulePosition
		if d <= 0 || d > time.Second {
			continue // the header pages
		}
		select {
		case <-stop:
			return false
		case <-tick.C:
		}
		_ = track.WriteSample(pionmedia.Sample{Data: page, Duration: d})
	}
}

// JoinOverWS connects a Pion client to a server's signalling at url (…/ws?token=…), as a
// browser would, and returns it and its identity once the server sent `joined`. Frames other than
// negotiation ones are passed to frames (nil drops them). Everything closes when the test
// ends.
func JoinOverWS(t testing.TB, url, name string, frames chan<- map[string]any) (c *mediatest.Client, identity string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	ws.SetReadLimit(1 << 20)
	c, err = mediatest.NewClient(mediatest.Options{Name: name, Fail: t.Errorf})
	if err != nil {
		t.Fatal(err)
	}
	write := func(f map[string]any) error {
		f["v"] = 1
		b, _ := json.Marshal(f)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return ws.Write(ctx, websocket.MessageText, b)
	}
	joined := make(chan string, 1)
	go func() {
		for {
			_, data, err := ws.Read(context.Background())
			if err != nil {
				return
			}
			var m map[string]any
			if json.Unmarshal(data, &m) != nil {
				continue
			}
			switch typ, _ := m["type"].(string); {
			case typ == "offer" || typ == "answer":
				sdp, _ := m["sdp"].(string)
				c.Signal(typ, sdp)
			case typ == "error" && m["code"] == "glare":
				c.Glare()
			case typ == "joined":
				id, _ := m["identity"].(string)
				joined <- id
			default:
				if frames != nil {
					select {
					case frames <- m:
					default:
					}
				}
			}
		}
	}()
	c.Start(wsTransport{write})
	t.Cleanup(func() { c.Close(); _ = ws.Close(websocket.StatusNormalClosure, "") })
	select {
	case identity = <-joined:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no joined frame", name)
	}
	return c, identity
}

type wsTransport struct{ write func(map[string]any) error }

func (w wsTransport) Offer(sdp string, sources map[string]string) (bool, error) {
	return false, w.write(map[string]any{"type": "offer", "sdp": sdp, "sources": sources})
}

func (w wsTransport) Answer(sdp string) error {
	return w.write(map[string]any{"type": "answer", "sdp": sdp})
}

func (w wsTransport) Candidate(c webrtc.ICECandidateInit) error {
	return w.write(map[string]any{"type": "candidate", "candidate": c})
}
