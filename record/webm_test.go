package record

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// writeWebM writes feeds through a WebMWriter, flushing every second of
// media as the recorder does, and closes the file at end.
func writeWebM(t *testing.T, path string, tracks []WebMTrack, feeds []feed, opts WebMOptions, end time.Duration) WebMStats {
	t.Helper()
	w, err := CreateWebM(path, tracks, opts)
	if err != nil {
		t.Fatal(err)
	}
	next := time.Second
	for _, f := range feeds {
		if f.at >= next {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			next += time.Second
		}
		if err := w.Write(f.track, f.at, f.key, f.data); err != nil {
			t.Fatalf("frame of track %d at %v: %v", f.track, f.at, err)
		}
	}
	if err := w.Close(end); err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	if err := w.Close(end); !errors.Is(err, ErrWebMClosed) {
		t.Errorf("second Close: %v, want ErrWebMClosed", err)
	}
	return st
}

// checkPlayable is what a user notices: ffprobe sees the streams and the
// duration, ffmpeg decodes it all without a word, and a seek into the
// middle decodes.
func checkPlayable(t *testing.T, path string, want time.Duration, streams ...string) probe {
	t.Helper()
	p := ffprobe(t, path)
	var got []string
	for _, s := range p.Streams {
		switch s.CodecType {
		case "video":
			got = append(got, s.CodecName+" "+strconv.Itoa(s.Width)+"x"+strconv.Itoa(s.Height))
		case "audio":
			got = append(got, s.CodecName+" "+s.SampleRate)
		}
	}
	if strings.Join(got, ", ") != strings.Join(streams, ", ") {
		t.Errorf("streams %q, want %q", got, streams)
	}
	if !strings.Contains(p.Format.FormatName, "webm") {
		t.Errorf("format %q", p.Format.FormatName)
	}
	if d := p.duration(t); d < want-100*time.Millisecond || d > want+100*time.Millisecond {
		t.Errorf("ffprobe duration %v, want %v ± 0.1 s", d, want)
	}
	t.Logf("%s: ffprobe %v, duration %s s", filepath.Base(path), got, p.Format.Duration)
	decodeClean(t, path)
	mid := strconv.FormatFloat(want.Seconds()/2, 'f', 3, 64)
	decodeClean(t, path, "-ss", mid)
	if strings.Contains(strings.Join(streams, ""), "x") {
		ffmpegQuiet(t, "-ss", mid, "-i", path, "-frames:v", "1", "-f", "null", "-")
	}
	if info := mkvinfo(t, path); info != "" {
		for _, want := range []string{"Cues", "Cue point", "Duration"} {
			if !strings.Contains(info, want) {
				t.Errorf("mkvinfo does not report %q", want)
			}
		}
	}
	return p
}

func TestWebMVP8Opus(t *testing.T) {
	needFFmpeg(t)
	t.Parallel()
	video := videoFrames(t, "libvpx", 6, 30)
	audio := opusFrames(t, 6)
	path := filepath.Join(t.TempDir(), "cam.webm")
	st := writeWebM(t, path, []WebMTrack{
		{Codec: CodecIDVP8, Width: 320, Height: 240, Name: "camera"},
		{Codec: CodecIDOpus, Channels: 2, Name: "microphone"},
	}, interleave(video, audio), WebMOptions{}, 6*time.Second)
	if st.Frames != int64(len(video)+len(audio)) || st.Dropped != 0 {
		t.Errorf("stats %+v, %d frames given", st, len(video)+len(audio))
	}
	checkPlayable(t, path, 6*time.Second, "vp8 320x240", "opus 48000")
	l := readLayout(t, path)
	checkFinished(t, l, 5*time.Second, true)
	if len(l.clusters) != 6 || len(l.cues) != 6 {
		t.Errorf("%d clusters and %d cues, want one per keyframe (6)", len(l.clusters), len(l.cues))
	}
	if n := decodedFrames(t, path); n != len(video) {
		t.Errorf("ffprobe decodes %d video frames, %d written", n, len(video))
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 || fi.Size() < st.Bytes {
		t.Errorf("mode %v size %d (stats %d)", fi.Mode().Perm(), fi.Size(), st.Bytes)
	}
}

func TestWebMVP9OpusSizeFromKeyframe(t *testing.T) {
	needFFmpeg(t)
	t.Parallel()
	video := videoFrames(t, "libvpx-vp9", 6, 60)
	audio := opusFrames(t, 6)
	path := filepath.Join(t.TempDir(), "cam.webm")
	// No size given: the writer reads 320x240 from the first keyframe.
	writeWebM(t, path, []WebMTrack{{Codec: CodecIDVP9}, {Codec: CodecIDOpus}},
		interleave(video, audio), WebMOptions{}, 6*time.Second)
	checkPlayable(t, path, 6*time.Second, "vp9 320x240", "opus 48000")
	l := readLayout(t, path)
	checkFinished(t, l, 5*time.Second, true)
	if len(l.cues) != 3 {
		t.Errorf("%d cues, want 3 (a keyframe every 2 s)", len(l.cues))
	}
}

func TestWebMAudioOnly(t *testing.T) {
	needFFmpeg(t)
	t.Parallel()
	audio := opusFrames(t, 12)
	path := filepath.Join(t.TempDir(), "mic.webm")
	writeWebM(t, path, []WebMTrack{{Codec: CodecIDOpus, Channels: 1}}, interleave(audio), WebMOptions{}, 12*time.Second)
	p := checkPlayable(t, path, 12*time.Second, "opus 48000")
	if p.Streams[0].Channels != 1 {
		t.Errorf("%d channels, want 1", p.Streams[0].Channels)
	}
	l := readLayout(t, path)
	checkFinished(t, l, 5*time.Second, false)
	// Cut every 5 s: clusters at 0, 5 and 10 s, each in Cues.
	var tcs []int64
	for _, c := range l.clusters {
		tcs = append(tcs, c.tc)
	}
	if len(tcs) != 3 || tcs[1] != 5000 || tcs[2] != 10000 || len(l.cues) != 3 {
		t.Errorf("clusters at %v ms with %d cues, want 0, 5000, 10000 and 3", tcs, len(l.cues))
	}
}

func TestWebMVideoOnly(t *testing.T) {
	needFFmpeg(t)
	t.Parallel()
	video := videoFrames(t, "libvpx", 6, 45)
	path := filepath.Join(t.TempDir(), "screen.webm")
	writeWebM(t, path, []WebMTrack{{Codec: CodecIDVP8, Width: 320, Height: 240}}, interleave(video), WebMOptions{}, 6*time.Second)
	checkPlayable(t, path, 6*time.Second, "vp8 320x240")
	l := readLayout(t, path)
	checkFinished(t, l, 5*time.Second, true)
	if len(l.cues) != 4 {
		t.Errorf("%d cues, want 4 (keyframes at 0, 1.5, 3, 4.5 s)", len(l.cues))
	}
}

// A keyframe every 10 s: clusters are still cut at 5 s (those cuts are not
// in Cues, since nothing can be decoded from them), and the writer asks for
// a keyframe in time.
func TestWebMClusterCutWithoutKeyframe(t *testing.T) {
	needFFmpeg(t)
	t.Parallel()
	video := videoFrames(t, "libvpx", 12, 300)
	audio := opusFrames(t, 12)
	path := filepath.Join(t.TempDir(), "cam.webm")
	var wanted atomic.Int32
	writeWebM(t, path, []WebMTrack{{Codec: CodecIDVP8, Width: 320, Height: 240}, {Codec: CodecIDOpus}},
		interleave(video, audio), WebMOptions{KeyframeWanted: func() { wanted.Add(1) }}, 12*time.Second)
	checkPlayable(t, path, 12*time.Second, "vp8 320x240", "opus 48000")
	l := readLayout(t, path)
	checkFinished(t, l, 5*time.Second, false)
	if len(l.clusters) < 3 || len(l.cues) != 2 {
		t.Errorf("%d clusters, %d cues; want at least 3 clusters and 2 cues (keyframes at 0 and 10 s)", len(l.clusters), len(l.cues))
	}
	if wanted.Load() == 0 {
		t.Error("KeyframeWanted never called")
	}
}

// Audio handed over 300 ms ahead of video, as two reorder buffers of
// different depth deliver it: the file is still in time order and every
// cluster starts with its keyframe.
func TestWebMInterleavesSkewedTracks(t *testing.T) {
	needFFmpeg(t)
	t.Parallel()
	video := videoFrames(t, "libvpx", 6, 30)
	audio := opusFrames(t, 6)
	feeds := interleave(video, audio)
	// Reorder the hand-over: a video frame is given when audio 300 ms
	// later has been.
	var skewed []feed
	var pendingVideo []feed
	for _, f := range feeds {
		if f.track == 0 {
			pendingVideo = append(pendingVideo, f)
			continue
		}
		for len(pendingVideo) > 0 && pendingVideo[0].at <= f.at-300*time.Millisecond {
			skewed = append(skewed, pendingVideo[0])
			pendingVideo = pendingVideo[1:]
		}
		skewed = append(skewed, f)
	}
	skewed = append(skewed, pendingVideo...)
	path := filepath.Join(t.TempDir(), "cam.webm")
	w, err := CreateWebM(path, []WebMTrack{{Codec: CodecIDVP8, Width: 320, Height: 240}, {Codec: CodecIDOpus}}, WebMOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range skewed {
		if err := w.Write(f.track, f.at, f.key, f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(6 * time.Second); err != nil {
		t.Fatal(err)
	}
	checkPlayable(t, path, 6*time.Second, "vp8 320x240", "opus 48000")
	l := readLayout(t, path)
	checkFinished(t, l, 5*time.Second, true)
	last := int64(-1)
	for _, c := range l.clusters {
		for _, b := range c.blocks {
			if b.t < last {
				t.Fatalf("block at %d ms after one at %d ms", b.t, last)
			}
			last = b.t
		}
	}
}

// Video that starts with delta frames (the keyframe request still on its
// way) is dropped until the keyframe: ffmpeg would complain about them.
func TestWebMDropsVideoBeforeKeyframe(t *testing.T) {
	needFFmpeg(t)
	t.Parallel()
	video := videoFrames(t, "libvpx", 4, 60)
	audio := opusFrames(t, 4)
	// Start at frame 10: 20 delta frames before the keyframe at 2 s.
	video = video[10:]
	path := filepath.Join(t.TempDir(), "cam.webm")
	var wanted atomic.Int32
	st := writeWebM(t, path, []WebMTrack{{Codec: CodecIDVP8, Width: 320, Height: 240}, {Codec: CodecIDOpus}},
		interleave(video, audio), WebMOptions{KeyframeWanted: func() { wanted.Add(1) }}, 4*time.Second)
	if st.Dropped != 50 {
		t.Errorf("dropped %d frames, want 50", st.Dropped)
	}
	if wanted.Load() == 0 {
		t.Error("KeyframeWanted not called for video without a keyframe")
	}
	checkPlayable(t, path, 4*time.Second, "vp8 320x240", "opus 48000")
	checkFinished(t, readLayout(t, path), 5*time.Second, false)
}

func TestWebMRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.webm")
	for _, tracks := range [][]WebMTrack{
		nil,
		{{Codec: "V_AV1"}},
		{{Codec: CodecIDVP8}, {Codec: CodecIDVP9}},
		{{Codec: CodecIDOpus, Channels: 6}},
		{{Codec: CodecIDVP8, Width: 320}},
		{{Codec: CodecIDOpus}, {Codec: CodecIDOpus}, {Codec: CodecIDVP8}},
	} {
		if w, err := CreateWebM(path, tracks, WebMOptions{}); err == nil {
			w.Close(0)
			t.Errorf("tracks %+v accepted", tracks)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a refused CreateWebM left %s", path)
	}
	w, err := CreateWebM(path, []WebMTrack{{Codec: CodecIDOpus}}, WebMOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CreateWebM(path, []WebMTrack{{Codec: CodecIDOpus}}, WebMOptions{}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("CreateWebM over an existing file: %v", err)
	}
	pkt := []byte{0xfc, 0xff, 0xfe}
	if err := w.Write(0, time.Second, true, pkt); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(0, 500*time.Millisecond, true, pkt); !errors.Is(err, ErrFrameOrder) {
		t.Errorf("earlier frame: %v", err)
	}
	if err := w.Write(0, -time.Second, true, pkt); !errors.Is(err, ErrFrameOrder) {
		t.Errorf("negative time: %v", err)
	}
	if err := w.Write(1, 2*time.Second, true, pkt); err == nil {
		t.Error("frame for a track that does not exist accepted")
	}
	if err := w.Write(0, 2*time.Second, true, nil); err == nil {
		t.Error("empty frame accepted")
	}
	// Refused frames leave the writer usable.
	if err := w.Write(0, 2*time.Second, true, pkt); err != nil {
		t.Errorf("after refused frames: %v", err)
	}
	if err := w.Close(3 * time.Second); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"Write": w.Write(0, 4*time.Second, true, pkt),
		"Flush": w.Flush(),
		"Close": w.Close(0),
	} {
		if !errors.Is(err, ErrWebMClosed) {
			t.Errorf("%s after Close: %v", name, err)
		}
	}
}

// A camera that starts 2 s after its microphone, and one that never sends
// a frame: the audio before the video is in Cues (seekable), the rest as
// usual.
func TestWebMVideoStartsLate(t *testing.T) {
	needFFmpeg(t)
	t.Parallel()
	audio := opusFrames(t, 6)
	video := videoFrames(t, "libvpx", 4, 30)
	for i := range video {
		video[i].at += 2 * time.Second
	}
	path := filepath.Join(t.TempDir(), "cam.webm")
	writeWebM(t, path, camTracks, interleave(video, audio), WebMOptions{}, 6*time.Second)
	checkPlayable(t, path, 6*time.Second, "vp8 320x240", "opus 48000")
	l := readLayout(t, path)
	checkFinished(t, l, 5*time.Second, true)
	if l.cues[0].track != 2 || l.cues[1].track != 1 || l.cues[1].time != 2000 {
		t.Errorf("cues %+v: want audio at 0, then video from 2 s", l.cues)
	}

	path = filepath.Join(t.TempDir(), "nocam.webm")
	writeWebM(t, path, []WebMTrack{{Codec: CodecIDVP8}, {Codec: CodecIDOpus}}, interleave(nil, audio), WebMOptions{}, 6*time.Second)
	checkPlayable(t, path, 6*time.Second, "vp8 0x0", "opus 48000")
	l = readLayout(t, path)
	checkFinished(t, l, 5*time.Second, true)
	if len(l.cues) != 2 {
		t.Errorf("%d cues for 6 s of audio in 5 s clusters", len(l.cues))
	}
}
