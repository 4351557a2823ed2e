package record

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWebMPixelSizeFromKeyframe checks that a video track created without a size gets
// its PixelWidth and PixelHeight from the first keyframe in the file's own headers:
// browsers (Chromium's WebM parser) drop a video track that has none, playing only the
// sound, while ffprobe reads the size from the bitstream and would not notice.
func TestWebMPixelSizeFromKeyframe(t *testing.T) {
	needFFmpeg(t)
	for _, c := range []struct {
		codec CodecID
		lib   string
	}{{CodecIDVP8, "libvpx"}, {CodecIDVP9, "libvpx-vp9"}} {
		t.Run(string(c.codec), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cam.webm")
			writeWebM(t, path, []WebMTrack{{Codec: c.codec}, {Codec: CodecIDOpus}},
				interleave(videoFrames(t, c.lib, 2, 30), opusFrames(t, 2)), WebMOptions{}, 2*time.Second)
			info := mkvinfo(t, path)
			if info == "" {
				if os.Getenv("CONCLAVE_E2E") == "1" {
					t.Fatal("CONCLAVE_E2E=1 but mkvinfo (mkvtoolnix) is missing")
				}
				t.Skip("needs mkvinfo (mkvtoolnix) to read the track headers")
			}
			if !strings.Contains(info, "Pixel width: 320") || !strings.Contains(info, "Pixel height: 240") {
				t.Fatalf("the video track's headers carry no 320x240 size:\n%.3000s", info)
			}
		})
	}
}
