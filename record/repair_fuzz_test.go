package record

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// syntheticImage returns a crash image made of fake frames (no ffmpeg
// needed): 3 s of 20 ms Opus-shaped packets and 30 fps VP8-shaped frames
// with a keyframe every second, flushed, not closed.
func syntheticImage(t testing.TB) []byte {
	path := filepath.Join(t.TempDir(), "synthetic.webm")
	w, err := CreateWebM(path, []WebMTrack{{Codec: CodecIDVP8}, {Codec: CodecIDOpus, Channels: 1}}, WebMOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.f.Close()
	key := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00, 1, 2, 3, 4}
	delta := []byte{0x11, 0x02, 0x00, 5, 6, 7, 8}
	opus := []byte{0xfc, 0xff, 0xfe, 9, 9, 9}
	var video, audio []mediaFrame
	for i := range 150 {
		audio = append(audio, mediaFrame{at: time.Duration(i) * 20 * time.Millisecond, key: true, data: opus})
	}
	for i := range 90 {
		f := mediaFrame{at: time.Duration(i) * time.Second / 30, data: delta}
		if i%30 == 0 {
			f.key, f.data = true, key
		}
		video = append(video, f)
	}
	for i, f := range interleave(video, audio) {
		if err := w.Write(f.track, f.at, f.key, f.data); err != nil {
			t.Fatal(err)
		}
		if i%40 == 39 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Files found on disk are input too: whatever bytes a file holds, repair
// neither panics nor writes a file that is not finished, and repairing its
// output again changes nothing.
func FuzzRepairWebM(f *testing.F) {
	img := syntheticImage(f)
	f.Add(img)
	f.Add(img[:len(img)/2])
	f.Add(img[:200])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.webm")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		res, err := RepairWebM(path)
		if err != nil || res.NoMedia || !res.Repaired {
			return
		}
		out, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer fi.Close()
		scan, err := scanWebM(fi, int64(len(out)))
		if err != nil || !scan.complete() || scan.blocks != res.Frames {
			t.Fatalf("repaired file: %v %v (result %+v)", scan, err, res)
		}
		again, err := RepairWebM(path)
		if err != nil || again.Repaired || again.Duration != res.Duration {
			t.Fatalf("second repair %+v %v, first %+v", again, err, res)
		}
	})
}

// The synthetic image, cut at every byte: repair always succeeds or finds
// no media, and what it writes is finished.
func TestRepairEveryCut(t *testing.T) {
	t.Parallel()
	img := syntheticImage(t)
	dir := t.TempDir()
	prev := time.Duration(-1)
	for cut := 0; cut <= len(img); cut += 7 {
		path := filepath.Join(dir, "cut.webm")
		if err := os.WriteFile(path, img[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		res, err := RepairWebM(path)
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		if res.NoMedia {
			if prev >= 0 {
				t.Fatalf("cut at %d: no media, but a shorter cut had %v", cut, prev)
			}
			continue
		}
		if res.Duration < prev {
			t.Fatalf("cut at %d: %v, shorter than a shorter cut's %v", cut, res.Duration, prev)
		}
		prev = res.Duration
		l := readLayout(t, path)
		checkFinished(t, l, 5*time.Second, true)
	}
	if prev < 2900*time.Millisecond {
		t.Errorf("the whole image repairs to %v, want 3 s", prev)
	}
}
