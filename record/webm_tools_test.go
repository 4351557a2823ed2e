package record

import (
	"bytes"
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

	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"
)

// Helpers shared by the WebM writer and repair tests: real media made by
// ffmpeg, read back with Pion's readers, and checked with ffprobe/ffmpeg,
// the tools a user would play the files with.

// needFFmpeg skips the test when ffmpeg or ffprobe is missing, unless
// CONCLAVE_E2E=1, where a missing tool fails it (CI installs them).
func needFFmpeg(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CONCLAVE_E2E") == "1" {
				t.Fatalf("%s is required with CONCLAVE_E2E=1: %v", tool, err)
			}
			t.Skipf("%s not installed (apt-get install ffmpeg); skipping the real-media WebM test", tool)
		}
	}
}

// camTracks is a camera and its microphone.
var camTracks = []WebMTrack{{Codec: CodecIDVP8, Width: 320, Height: 240}, {Codec: CodecIDOpus}}

// mediaFrame is one encoded frame and its time from the start.
type mediaFrame struct {
	at   time.Duration
	key  bool
	data []byte
}

// ffmpegRun runs ffmpeg with args and fails the test on an error.
func ffmpegRun(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("ffmpeg", append([]string{"-v", "error", "-nostdin", "-y"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// videoFrames encodes secs seconds of a 320x240 30 fps test pattern with
// codec ("libvpx" or "libvpx-vp9"), a keyframe every gop frames, and returns
// its frames with their IVF timestamps.
func videoFrames(t *testing.T, codec string, secs, gop int) []mediaFrame {
	t.Helper()
	path := filepath.Join(t.TempDir(), "v.ivf")
	args := []string{"-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-t", strconv.Itoa(secs),
		"-c:v", codec, "-g", strconv.Itoa(gop), "-keyint_min", strconv.Itoa(gop), "-b:v", "300k"}
	if codec == "libvpx-vp9" {
		args = append(args, "-deadline", "realtime", "-cpu-used", "8")
	}
	ffmpegRun(t, append(args, path)...)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, h, err := ivfreader.NewWith(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []mediaFrame
	for {
		data, fh, err := r.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		// ivfreader scales the pts by den/num; undo that, then pts*num/den
		// is the time in seconds.
		pts := fh.Timestamp * uint64(h.TimebaseNumerator) / uint64(h.TimebaseDenominator)
		at := time.Duration(pts) * time.Second * time.Duration(h.TimebaseNumerator) / time.Duration(h.TimebaseDenominator)
		c := CodecIDVP8
		if codec == "libvpx-vp9" {
			c = CodecIDVP9
		}
		key, _, _, ok := vpxFrameInfo(c, data)
		if !ok {
			t.Fatalf("frame at %v does not parse as %s", at, c)
		}
		out = append(out, mediaFrame{at: at, key: key, data: data})
	}
	if len(out) == 0 || !out[0].key {
		t.Fatalf("%s: no frames, or the first is no keyframe", codec)
	}
	return out
}

// opusFrames encodes secs seconds of a 440 Hz tone to Opus (20 ms packets,
// one per Ogg page so that Pion's page reader yields packets) and returns
// the packets with their times.
func opusFrames(t *testing.T, secs int) []mediaFrame {
	t.Helper()
	path := filepath.Join(t.TempDir(), "a.ogg")
	ffmpegRun(t, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", strconv.Itoa(secs),
		"-c:a", "libopus", "-b:a", "32k", "-page_duration", "20000", path)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, _, err := oggreader.NewWith(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []mediaFrame
	var at time.Duration
	for {
		page, _, err := r.ParseNextPage()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(page, []byte("OpusTags")) {
			continue
		}
		d := opusPacketDuration(page)
		if d != 20*time.Millisecond {
			t.Fatalf("Ogg page at %v holds %v of audio, not one 20 ms packet", at, d)
		}
		out = append(out, mediaFrame{at: at, key: true, data: page})
		at += d
	}
	if len(out) == 0 {
		t.Fatal("no Opus packets")
	}
	return out
}

// feed is a frame for a given writer track.
type feed struct {
	track int
	mediaFrame
}

// interleave merges the tracks' frames in time order, the way a recorder
// hands them over.
func interleave(tracks ...[]mediaFrame) []feed {
	var out []feed
	idx := make([]int, len(tracks))
	for {
		best := -1
		for k, fr := range tracks {
			if idx[k] < len(fr) && (best < 0 || fr[idx[k]].at < tracks[best][idx[best]].at) {
				best = k
			}
		}
		if best < 0 {
			return out
		}
		out = append(out, feed{track: best, mediaFrame: tracks[best][idx[best]]})
		idx[best]++
	}
}

// probe is the part of ffprobe's report the tests look at.
type probe struct {
	Streams []struct {
		CodecName  string `json:"codec_name"`
		CodecType  string `json:"codec_type"`
		Width      int    `json:"width"`
		Height     int    `json:"height"`
		SampleRate string `json:"sample_rate"`
		Channels   int    `json:"channels"`
	} `json:"streams"`
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
	} `json:"format"`
}

func (p probe) duration(t *testing.T) time.Duration {
	t.Helper()
	s, err := strconv.ParseFloat(p.Format.Duration, 64)
	if err != nil {
		t.Fatalf("ffprobe duration %q: %v", p.Format.Duration, err)
	}
	return time.Duration(s * float64(time.Second))
}

// ffprobe runs ffprobe on path; anything it prints on stderr fails the test.
func ffprobe(t *testing.T, path string) probe {
	t.Helper()
	cmd := exec.Command("ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("ffprobe %s: %v\n%s", path, err, stderr.String())
	}
	var p probe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("ffprobe output: %v\n%s", err, out)
	}
	return p
}

// decodeClean decodes path (after extra input options such as -ss) with
// ffmpeg and fails if ffmpeg says anything at all at level error.
func decodeClean(t *testing.T, path string, inputOpts ...string) {
	t.Helper()
	ffmpegQuiet(t, append(inputOpts, "-i", path, "-f", "null", "-")...)
}

// ffmpegQuiet runs ffmpeg at level error and fails if it prints anything.
func ffmpegQuiet(t *testing.T, args ...string) {
	t.Helper()
	args = append([]string{"-v", "error", "-nostdin"}, args...)
	out, err := exec.Command("ffmpeg", args...).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("ffmpeg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// decodedFrames counts the video frames ffmpeg decodes from path.
func decodedFrames(t *testing.T, path string, inputOpts ...string) int {
	t.Helper()
	args := append([]string{"-v", "error", "-select_streams", "v:0", "-count_frames",
		"-show_entries", "stream=nb_read_frames", "-of", "csv=p=0"}, inputOpts...)
	out, err := exec.Command("ffprobe", append(args, path)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe -count_frames: %v\n%s", err, out)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("ffprobe -count_frames: %q", out)
	}
	return n
}

// mkvinfo returns mkvinfo's report on path when mkvtoolnix is installed
// (an independent reader of the file's structure), or "" when it is not.
func mkvinfo(t *testing.T, path string) string {
	t.Helper()
	if _, err := exec.LookPath("mkvinfo"); err != nil {
		return ""
	}
	out, err := exec.Command("mkvinfo", "-v", "-v", path).CombinedOutput()
	if err != nil {
		t.Fatalf("mkvinfo %s: %v\n%s", path, err, out)
	}
	return string(out)
}
