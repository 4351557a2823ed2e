package record

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Write errors: each is returned (wrapped, naming the file), sticks, and
// nothing panics; what reached the disk before is still repairable.

// failingFile is a file that runs out of space after limit bytes.
type failingFile struct {
	*os.File
	limit int64
}

func (f *failingFile) WriteAt(b []byte, off int64) (int, error) {
	if end := off + int64(len(b)); end > f.limit {
		n := max(0, f.limit-off)
		if n > 0 {
			_, _ = f.File.WriteAt(b[:n], off)
		}
		return int(n), &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return f.File.WriteAt(b, off)
}

// writeUntilError feeds frames, flushing every second, and returns the
// first error (from Write, Flush or Close) with where it happened.
func writeUntilError(w *WebMWriter, feeds []feed, end time.Duration) (string, error) {
	next := time.Second
	for _, f := range feeds {
		if f.at >= next {
			if err := w.Flush(); err != nil {
				return "Flush", err
			}
			next += time.Second
		}
		if err := w.Write(f.track, f.at, f.key, f.data); err != nil {
			return "Write", err
		}
	}
	if err := w.Close(end); err != nil {
		return "Close", err
	}
	return "", nil
}

// A disk that fills, as a writer over a file that fails after N bytes (the
// portable way; the tmpfs test below is the real thing where it can run).
func TestWebMWriteErrorDiskFull(t *testing.T) {
	needFFmpeg(t)
	t.Parallel()
	feeds := interleave(videoFrames(t, "libvpx", 4, 30), opusFrames(t, 4))
	tracks := []WebMTrack{{Codec: CodecIDVP8, Width: 320, Height: 240}, {Codec: CodecIDOpus}}
	ref := filepath.Join(t.TempDir(), "ref.webm")
	writeWebM(t, ref, tracks, feeds, WebMOptions{}, 4*time.Second)
	fi, err := os.Stat(ref)
	if err != nil {
		t.Fatal(err)
	}
	// Limits inside the header, the first cluster, a later cluster, and
	// the Cues that Close writes.
	for _, limit := range []int64{50, 300, 20000, 70000, fi.Size() - 10} {
		path := filepath.Join(t.TempDir(), "cam.webm")
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		w, err := newWebMWriter(&failingFile{File: f, limit: limit}, path, tracks, WebMOptions{})
		if err != nil {
			f.Close()
			if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), path) {
				t.Errorf("limit %d: header error %v", limit, err)
			}
			continue
		}
		where, err := writeUntilError(w, feeds, 4*time.Second)
		if err == nil {
			t.Errorf("limit %d: no error", limit)
			continue
		}
		if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), path) {
			t.Errorf("limit %d: %s returned %v; want ENOSPC naming the file", limit, where, err)
		}
		// The error sticks.
		if err2 := w.Write(0, 10*time.Second, true, feeds[0].data); !errors.Is(err2, syscall.ENOSPC) && !errors.Is(err2, ErrWebMClosed) {
			t.Errorf("limit %d: Write after the error: %v", limit, err2)
		}
		if where != "Close" {
			if err2 := w.Flush(); !errors.Is(err2, syscall.ENOSPC) {
				t.Errorf("limit %d: Flush after the error: %v", limit, err2)
			}
			if err2 := w.Close(4 * time.Second); !errors.Is(err2, syscall.ENOSPC) {
				t.Errorf("limit %d: Close after the error: %v", limit, err2)
			}
		}
		t.Logf("limit %d: %s failed: %v", limit, where, err)
		// What reached the disk is as a crash leaves it: repairable.
		res, err := RepairWebM(path)
		if err != nil {
			t.Fatalf("limit %d: repair: %v", limit, err)
		}
		if res.NoMedia {
			continue
		}
		decodeClean(t, path)
		checkFinished(t, readLayout(t, path), 5*time.Second, true)
		t.Logf("limit %d: repaired to %v, %d clusters", limit, res.Duration, res.Clusters)
	}
}

// The file closed under the writer (a descriptor closed by mistake).
func TestWebMWriteErrorClosedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mic.webm")
	w, err := CreateWebM(path, []WebMTrack{{Codec: CodecIDOpus}}, WebMOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.f.(*os.File).Close()
	pkt := []byte{0xfc, 0xff, 0xfe}
	for i := range 10 {
		if err := w.Write(0, time.Duration(i)*20*time.Millisecond, true, pkt); err != nil {
			t.Fatalf("a buffered Write failed: %v", err)
		}
	}
	err = w.Flush()
	if !errors.Is(err, os.ErrClosed) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Flush over a closed file: %v", err)
	}
	if err := w.Write(0, time.Second, true, pkt); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after the error: %v", err)
	}
	if err := w.Close(time.Second); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Close after the error: %v", err)
	}
}

// A real full disk: a 200 KiB tmpfs, where mounting one is allowed (root
// on Linux); elsewhere the failing-file test above stands in for it.
func TestWebMWriteErrorTmpfsFull(t *testing.T) {
	needFFmpeg(t)
	t.Parallel()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); TestWebMWriteErrorDiskFull covers a full disk", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	feeds := interleave(videoFrames(t, "libvpx", 8, 30), opusFrames(t, 8))
	path := filepath.Join(dir, "cam.webm")
	w, err := CreateWebM(path, []WebMTrack{{Codec: CodecIDVP8, Width: 320, Height: 240}, {Codec: CodecIDOpus}}, WebMOptions{})
	if err != nil {
		t.Fatal(err)
	}
	where, err := writeUntilError(w, feeds, 8*time.Second)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), path) {
		t.Fatalf("%s on a full tmpfs: %v", where, err)
	}
	_ = w.Close(0)
	t.Logf("%s failed at %d bytes: %v", where, w.Stats().Bytes, err)

	// Repair needs room for its copy: on the full disk it fails and leaves
	// the original as it was.
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RepairWebM(path); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("repair on a full disk: %v", err)
	}
	sameBytes(t, path, before)
	if _, err := os.Stat(path + ".repair"); !os.IsNotExist(err) {
		t.Errorf("repair left its copy: %v", err)
	}
	// With room again, it succeeds.
	if out, err := exec.Command("mount", "-o", "remount,size=1m", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v %s", err, out)
	}
	res, err := RepairWebM(path)
	if err != nil || !res.Repaired {
		t.Fatalf("repair: %+v %v", res, err)
	}
	decodeClean(t, path)
	checkFinished(t, readLayout(t, path), 5*time.Second, true)
	t.Logf("repaired: %+v", res)
}
