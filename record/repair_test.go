package record

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// crashImage writes feeds with a Flush every second and returns the file's
// bytes right after the Flush at stop, as a crash (kill -9, power cut
// after the fsync) would leave it: no Close, so no Duration, no Cues, the
// last cluster of unknown size.
func crashImage(t *testing.T, feeds []feed, stop time.Duration) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "live.webm")
	w, err := CreateWebM(path, camTracks, WebMOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.f.Close() // abandoned, never closed: that is the crash
	next := time.Second
	for _, f := range feeds {
		if f.at >= next {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if next == stop {
				break
			}
			next += time.Second
		}
		if err := w.Write(f.track, f.at, f.key, f.data); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkRepaired asserts what a user of a repaired file notices, and that a
// second repair changes nothing.
func checkRepaired(t *testing.T, path string, res RepairResult, want time.Duration) {
	t.Helper()
	if !res.Repaired || res.NoMedia {
		t.Fatalf("result %+v", res)
	}
	if d := res.Duration - want; d < -50*time.Millisecond || d > 50*time.Millisecond {
		t.Errorf("repair reports %v, want %v", res.Duration, want)
	}
	p := ffprobe(t, path)
	if d := p.duration(t) - want; d < -100*time.Millisecond || d > 100*time.Millisecond {
		t.Errorf("ffprobe duration %v, want %v ± 0.1 s", p.duration(t), want)
	}
	if len(p.Streams) != 2 || p.Streams[0].CodecName != "vp8" || p.Streams[1].CodecName != "opus" {
		t.Errorf("streams %+v", p.Streams)
	}
	decodeClean(t, path)
	if want > 2*time.Second {
		mid := strconv.FormatFloat(want.Seconds()/2, 'f', 3, 64)
		ffmpegQuiet(t, "-ss", mid, "-i", path, "-frames:v", "1", "-f", "null", "-")
	}
	l := readLayout(t, path)
	checkFinished(t, l, 5*time.Second, true)
	if len(l.clusters) != res.Clusters {
		t.Errorf("%d clusters, result says %d", len(l.clusters), res.Clusters)
	}
	if info := mkvinfo(t, path); info != "" && !strings.Contains(info, "Cue point") {
		t.Error("mkvinfo finds no cue point")
	}
	t.Logf("repaired: %v (ffprobe %s s), %d clusters, %d frames, %d bytes cut",
		res.Duration, p.Format.Duration, res.Clusters, res.Frames, res.BytesCut)

	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	again, err := RepairWebM(path)
	if err != nil || again.Repaired || again.NoMedia || again.Duration != res.Duration {
		t.Errorf("second repair: %+v %v (first reported %v)", again, err, res.Duration)
	}
	sameBytes(t, path, before)
}

func TestRepairAfterFlushWithoutClose(t *testing.T) {
	needFFmpeg(t)
	t.Parallel()
	feeds := interleave(videoFrames(t, "libvpx", 8, 30), opusFrames(t, 8))
	img := crashImage(t, feeds, 6*time.Second)
	path := filepath.Join(t.TempDir(), "cam.webm")
	if err := os.WriteFile(path, img, 0o600); err != nil {
		t.Fatal(err)
	}
	l := readLayout(t, path)
	if l.hasDur || l.cuesPos >= 0 || l.segSize != sizeUnknown || l.clusters[len(l.clusters)-1].knownSize {
		t.Fatalf("the crash image is already finished: %+v", l)
	}
	res, err := RepairWebM(path)
	if err != nil {
		t.Fatal(err)
	}
	if res.BytesCut != 0 {
		t.Errorf("%d bytes cut from a file flushed whole", res.BytesCut)
	}
	// Everything given before the Flush at 6 s survives.
	checkRepaired(t, path, res, 6*time.Second)
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
}

// Cuts at many bytes of the crash image: inside the last cluster's header,
// its Timecode, a block's header, a block's data (a keyframe's too), at a
// block boundary, inside an earlier cluster.
func TestRepairTornTail(t *testing.T) {
	needFFmpeg(t)
	t.Parallel()
	feeds := interleave(videoFrames(t, "libvpx", 8, 30), opusFrames(t, 8))
	img := crashImage(t, feeds, 7*time.Second)
	dir := t.TempDir()
	src := filepath.Join(dir, "image.webm")
	if err := os.WriteFile(src, img, 0o600); err != nil {
		t.Fatal(err)
	}
	l := readLayout(t, src)
	last := l.clusters[len(l.clusters)-1]
	prev := l.clusters[len(l.clusters)-2]
	lastStart := l.segData + last.pos
	lb := last.blocks[len(last.blocks)-1]
	mid := prev.blocks[len(prev.blocks)/2]
	key := last.blocks[0]
	cuts := map[string]int64{
		"in the last block's data":           lb.off + (lb.end-lb.off)/2,
		"in the last block's header":         lb.off + 1,
		"at the last block's start":          lb.off,
		"one byte before the end":            int64(len(img)) - 1,
		"in the last cluster's size":         lastStart + 5,
		"in the last cluster's Timecode":     lastStart + 13,
		"in the last cluster's keyframe":     key.off + (key.end-key.off)/2,
		"in a block of the previous cluster": mid.off + 3,
	}
	for name, cut := range cuts {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cam.webm")
			if err := os.WriteFile(path, img[:cut], 0o600); err != nil {
				t.Fatal(err)
			}
			// What should survive: every block that ends before the cut.
			var kept fileLayout
			kept.tracks = l.tracks
			var keptEnd int64
			for _, c := range l.clusters {
				var kc layoutCluster
				for _, b := range c.blocks {
					if b.end <= cut {
						kc.blocks = append(kc.blocks, b)
						keptEnd = max(keptEnd, b.end)
					}
				}
				kept.clusters = append(kept.clusters, kc)
			}
			want := kept.lastEnd()
			res, err := RepairWebM(path)
			if err != nil {
				t.Fatal(err)
			}
			if res.BytesCut != cut-keptEnd {
				t.Errorf("cut %d bytes, want %d", res.BytesCut, cut-keptEnd)
			}
			checkRepaired(t, path, res, want)
		})
	}
}

func TestRepairNoMedia(t *testing.T) {
	needFFmpeg(t)
	t.Parallel()
	feeds := interleave(videoFrames(t, "libvpx", 2, 30), opusFrames(t, 2))
	img := crashImage(t, feeds, time.Second)
	dir := t.TempDir()
	src := filepath.Join(dir, "image.webm")
	if err := os.WriteFile(src, img, 0o600); err != nil {
		t.Fatal(err)
	}
	l := readLayout(t, src)
	first := l.segData + l.clusters[0].pos
	for name, b := range map[string][]byte{
		"empty":                   nil,
		"in the EBML header":      img[:3],
		"after the EBML header":   img[:headerEnd(t, img)],
		"in the Segment header":   img[:headerEnd(t, img)+6],
		"in Tracks":               img[:l.segData+l.tracksPos+10],
		"header only":             img[:first],
		"cluster without a block": img[:first+15],
		"first block torn":        img[:first+30],
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".webm")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		res, err := RepairWebM(path)
		if err != nil || !res.NoMedia || res.Repaired {
			t.Errorf("%s: %+v %v, want NoMedia", name, res, err)
		}
		sameBytes(t, path, b)
	}
}

func TestRepairNotWebM(t *testing.T) {
	dir := t.TempDir()
	for name, b := range map[string][]byte{
		"text":         []byte("this is not a video\n"),
		"zeros":        make([]byte, 4096),
		"matroska-ish": append([]byte{0x1A, 0x45, 0xDF, 0xA3, 0x84, 0x42, 0x82, 0x81, 'x'}, make([]byte, 100)...),
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		res, err := RepairWebM(path)
		if !errors.Is(err, ErrNotWebM) || !res.NoMedia || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %+v %v", name, res, err)
		}
		sameBytes(t, path, b)
	}
	if _, err := RepairWebM(filepath.Join(dir, "missing.webm")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestRepairCompleteFileIsNoop(t *testing.T) {
	needFFmpeg(t)
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cam.webm")
	writeWebM(t, path, camTracks, interleave(videoFrames(t, "libvpx", 3, 30), opusFrames(t, 3)), WebMOptions{}, 3*time.Second)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := RepairWebM(path)
	if err != nil || res.Repaired || res.NoMedia || res.Duration != 3*time.Second || res.Clusters != 3 {
		t.Errorf("repair of a complete file: %+v %v", res, err)
	}
	sameBytes(t, path, before)
}

// The real crash: a process writing a recording (a Flush every second of
// media) is killed with SIGKILL; the file it leaves is repaired to the last
// second flushed.
func TestRepairAfterKill(t *testing.T) {
	needFFmpeg(t)
	if path := os.Getenv("RECORD_WEBM_CHILD"); path != "" {
		killedWriter(t, path)
		return
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cam.webm")
	cmd := exec.Command(os.Args[0], "-test.run=^TestRepairAfterKill$", "-test.count=1")
	cmd.Env = append(os.Environ(), "RECORD_WEBM_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const killAfter = 4 * time.Second
	var flushed time.Duration
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if ms, ok := strings.CutPrefix(sc.Text(), "FLUSHED "); ok {
			n, _ := strconv.Atoi(ms)
			flushed = time.Duration(n) * time.Millisecond
			if flushed >= killAfter {
				break
			}
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if flushed < killAfter {
		t.Fatalf("the writer process stopped after flushing %v", flushed)
	}
	res, err := RepairWebM(path)
	if err != nil {
		t.Fatal(err)
	}
	// All that was flushed survives, and at most the second after it.
	if res.Duration < flushed-50*time.Millisecond || res.Duration > flushed+time.Second+50*time.Millisecond {
		t.Errorf("repaired to %v after a kill at %v flushed", res.Duration, flushed)
	}
	checkRepaired(t, path, res, res.Duration)
}

// killedWriter is the child of TestRepairAfterKill: it records 10 s of
// media at ten times real time, reports each Flush, and waits to be killed.
func killedWriter(t *testing.T, path string) {
	feeds := interleave(videoFrames(t, "libvpx", 10, 30), opusFrames(t, 10))
	w, err := CreateWebM(path, camTracks, WebMOptions{})
	if err != nil {
		t.Fatal(err)
	}
	next := time.Second
	for _, f := range feeds {
		if f.at >= next {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			fmt.Printf("FLUSHED %d\n", next.Milliseconds())
			next += time.Second
			time.Sleep(100 * time.Millisecond)
		}
		if err := w.Write(f.track, f.at, f.key, f.data); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Minute)
	t.Fatal("not killed")
}
