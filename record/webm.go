package record

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/at-wat/ebml-go"
)

// CodecID is a Matroska codec ID that a WebM track can carry.
type CodecID string

// The codecs a recording writes, as WebRTC delivers them (no transcoding).
const (
	CodecIDVP8  CodecID = "V_VP8"
	CodecIDVP9  CodecID = "V_VP9"
	CodecIDOpus CodecID = "A_OPUS"
)

// IsVideo reports whether c is a video codec.
func (c CodecID) IsVideo() bool { return c == CodecIDVP8 || c == CodecIDVP9 }

// WebMTrack describes one track of a WebM file: a file has at most one video
// and one audio track (a camera and its microphone, or a screen share and
// its audio), or just one of them.
type WebMTrack struct {
	Codec CodecID
	// Name is an optional track name shown by players.
	Name string
	// Width and Height are the video size in pixels. Zero (both) means
	// "not known yet": the writer takes them from the first keyframe, since
	// the recorder opens a file before any video frame has arrived.
	Width, Height int
	// Channels is the Opus channel count, 1 or 2; zero means 2, which is
	// what WebRTC negotiates (opus/48000/2) and decodes any Opus stream.
	Channels int
}

// WebMOptions tunes a WebMWriter; the zero value is what recordings use.
type WebMOptions struct {
	// MaxCluster bounds a cluster's duration (default and at most 5 s is
	// what SPEC asks; the format's limit is 32.767 s). A file with video
	// starts a cluster at every video keyframe, and also here if no
	// keyframe came in time.
	MaxCluster time.Duration
	// InterleaveWindow is how long a frame may wait for the other track to
	// catch up so that the file is in time order (default 500 ms; negative:
	// write frames as they come). Flush writes waiting frames regardless,
	// so it never delays durability.
	InterleaveWindow time.Duration
	// KeyframeWanted, if set, is called when the writer would like a video
	// keyframe: video frames arrived before any keyframe (they are dropped),
	// or the current cluster nears MaxCluster without one. At most once per
	// second of media. It is called without the writer's lock held, from
	// the goroutine that called Write, and must not block.
	KeyframeWanted func()
	// Date is the recording's start, written as DateUTC (optional).
	Date time.Time
	// Title is the Segment title (optional).
	Title string
	// WritingApp names the application in the file (optional).
	WritingApp string
	// Written, when set, counts the bytes the writer hands to the file (an engine's
	// total, for metrics); rewrites of earlier bytes (sizes, cues) do not count.
	Written *atomic.Uint64
}

// WebMStats is what a WebMWriter has done so far.
type WebMStats struct {
	Bytes    int64         // size of the file, including bytes not flushed yet
	Frames   int64         // frames written
	Dropped  int64         // frames refused: video before its first keyframe, or too late for their cluster
	Clusters int           // clusters started
	Last     time.Duration // time of the latest frame written
}

// Errors a WebMWriter returns for a frame it refuses; the writer stays
// usable. Write errors from the file are different: they are wrapped with
// the file's name and end the writer (every later call returns them).
var (
	// ErrWebMClosed is returned by every call after Close.
	ErrWebMClosed = errors.New("record: webm writer closed")
	// ErrFrameOrder is returned for a frame earlier than the one before it
	// on the same track, or before the file's start.
	ErrFrameOrder = errors.New("record: frame out of order")
)

// webmFile is what the writer needs of its file; *os.File has it, and tests
// substitute files that fail.
type webmFile interface {
	io.WriterAt
	Sync() error
	Close() error
}

const (
	// flushThreshold bounds the writer's own buffer between Flushes.
	flushThreshold = 256 << 10
	// maxRelative is the largest block timecode relative to its cluster
	// (a signed 16-bit count of ticks).
	maxRelative = 1<<15 - 1
	// keyframeThrottle spaces KeyframeWanted calls, in ticks.
	keyframeThrottle = 1000
	// minKeyframeCluster is the youngest a cluster is cut at a keyframe, in
	// ticks: an encoder answering loss with keyframes in quick succession
	// would otherwise make a cluster (and a Cues entry) per frame.
	minKeyframeCluster = 250
)

// WebMWriter writes one WebM file from frames. Its methods are safe for
// concurrent use (a recorder calls Write from its disk goroutine and Flush
// from a ticker).
//
// It is built on ebml-go's marshaller (headers, Cues, SimpleBlocks) rather
// than on its webm.NewSimpleBlockWriter, which does not fit a recording
// that must survive a crash: that writer runs its own goroutine, reports
// write errors through a callback that panics by default and then stops
// reading frames (a later Write blocks forever), has no flush or fsync,
// shifts every timestamp to its first frame, makes clusters at non-keyframes
// into Cues entries and keeps Cues in space reserved up front, downsampling
// them when a long recording outgrows it. Here Cues go at the end, where
// they always fit, and the few fields that are known only at the end are
// fixed-width placeholders patched in place (see webm_layout.go).
type WebMWriter struct {
	mu   sync.Mutex
	path string
	f    webmFile

	maxCluster int64 // ticks
	window     int64 // ticks; < 0: no interleaving
	wanted     func()

	tracks []WebMTrack
	video  int // index of the video track, -1 if none

	// The file: buf holds the bytes from bufOff to pos not yet written.
	buf    []byte
	bufOff int64
	pos    int64
	dirty  bool // written since the last fsync

	segStart     int64 // offset of the Segment ID
	segData      int64 // offset of the Segment's data
	infoPos      int64
	tracksPos    int64
	durationSlot int64
	widthOff     int64 // -1: the size is known, or there is no video
	heightOff    int64

	cl   cluster
	cues []cuePoint

	latest  []int64 // per track: latest time received, -1 before any
	keySeen bool    // the video track has had a keyframe
	// videoWritten: a video frame is in the file; from then on only
	// clusters that start at a keyframe are in Cues.
	videoWritten bool
	queue        []pendingFrame
	lastWanted   int64

	stats   WebMStats
	written *atomic.Uint64 // WebMOptions.Written
	err     error          // sticky: the first write error
	closed  bool
}

// cluster is the state of the cluster being written.
type cluster struct {
	open     bool
	start    int64 // offset of its ID
	tc       int64
	hasVideo bool
	cue      int  // its entry in cues, -1 if none
	wanted   bool // KeyframeWanted already asked for this cluster
}

// CreateWebM creates the file at path (which must not exist: a recording
// never overwrites one) and writes its header, durable at once. The file is
// mode 0600. If the header cannot be written the file is removed, since it
// holds nothing.
func CreateWebM(path string, tracks []WebMTrack, opts WebMOptions) (*WebMWriter, error) {
	if _, err := checkTracks(tracks); err != nil {
		return nil, fmt.Errorf("record: %s: %w", path, err)
	}
	if opts.MaxCluster > maxRelative*time.Millisecond || opts.MaxCluster < 0 {
		return nil, fmt.Errorf("record: %s: cluster duration %v out of range", path, opts.MaxCluster)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("record: creating %s: %w", path, err)
	}
	w, err := newWebMWriter(f, path, tracks, opts)
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return nil, err
	}
	return w, nil
}

// checkTracks validates the track list and fills in defaults.
func checkTracks(in []WebMTrack) ([]WebMTrack, error) {
	if len(in) == 0 || len(in) > 2 {
		return nil, fmt.Errorf("a WebM file takes one or two tracks, not %d", len(in))
	}
	out := append([]WebMTrack(nil), in...)
	var videos, audios int
	for i := range out {
		t := &out[i]
		switch {
		case t.Codec.IsVideo():
			videos++
			if t.Width < 0 || t.Height < 0 || t.Width > 0xFFFF || t.Height > 0xFFFF || (t.Width == 0) != (t.Height == 0) {
				return nil, fmt.Errorf("track %d: bad video size %dx%d", i, t.Width, t.Height)
			}
		case t.Codec == CodecIDOpus:
			audios++
			if t.Channels == 0 {
				t.Channels = 2
			}
			if t.Channels != 1 && t.Channels != 2 {
				return nil, fmt.Errorf("track %d: Opus with %d channels (1 or 2)", i, t.Channels)
			}
		default:
			return nil, fmt.Errorf("track %d: codec %q not supported", i, t.Codec)
		}
	}
	if videos > 1 || audios > 1 {
		return nil, fmt.Errorf("at most one video and one audio track")
	}
	return out, nil
}

// newWebMWriter writes the header to f and returns the writer.
func newWebMWriter(f webmFile, path string, tracks []WebMTrack, opts WebMOptions) (*WebMWriter, error) {
	tracks, err := checkTracks(tracks)
	if err != nil {
		return nil, fmt.Errorf("record: %s: %w", path, err)
	}
	w := &WebMWriter{
		path:       path,
		f:          f,
		maxCluster: int64(opts.MaxCluster / time.Millisecond),
		window:     int64(opts.InterleaveWindow / time.Millisecond),
		wanted:     opts.KeyframeWanted,
		written:    opts.Written,
		tracks:     tracks,
		video:      -1,
		widthOff:   -1,
		heightOff:  -1,
		lastWanted: -keyframeThrottle,
	}
	if w.maxCluster == 0 {
		w.maxCluster = 5000
	}
	if opts.InterleaveWindow == 0 {
		w.window = 500
	}
	uids := make([]uint64, len(tracks))
	for i, t := range tracks {
		w.latest = append(w.latest, -1)
		if t.Codec.IsVideo() {
			w.video = i
		}
		uids[i] = rand.Uint64() | 1 // a TrackUID must not be 0
	}

	head, err := ebmlHeader()
	if err != nil {
		return nil, fmt.Errorf("record: %s: %w", path, err)
	}
	info, err := infoBytes(opts.WritingApp, opts.Title, opts.Date)
	if err != nil {
		return nil, fmt.Errorf("record: %s: %w", path, err)
	}
	tr, wOff, hOff, err := tracksBytes(tracks, uids)
	if err != nil {
		return nil, fmt.Errorf("record: %s: %w", path, err)
	}
	w.put(head)
	w.segStart = w.pos
	w.put(appendID(nil, idSegment))
	w.put(unknownSize8)
	w.segData = w.pos
	w.infoPos = w.segData + seekHeadReserve
	w.tracksPos = w.infoPos + int64(len(info))
	sh, err := seekHeadRegion(w.infoPos-w.segData, w.tracksPos-w.segData, -1)
	if err != nil {
		return nil, fmt.Errorf("record: %s: %w", path, err)
	}
	w.put(sh)
	w.put(info)
	w.durationSlot = w.pos - durationLen
	w.put(tr)
	if w.video >= 0 && tracks[w.video].Width == 0 && wOff >= 0 && hOff >= 0 {
		w.widthOff = w.tracksPos + int64(wOff)
		w.heightOff = w.tracksPos + int64(hOff)
	}
	if err := w.flushBuf(); err != nil {
		return nil, err
	}
	if err := w.sync(); err != nil {
		return nil, err
	}
	return w, nil
}

// Path returns the file's path.
func (w *WebMWriter) Path() string { return w.path }

// Write adds a frame of track (an index into the tracks given to CreateWebM)
// at time at since the file's start. Times must not decrease on a track;
// the two tracks' frames may come interleaved in any order within the
// interleave window. keyframe matters for video only (every Opus packet is
// one). Video frames before the track's first keyframe are dropped and
// counted, since nothing could decode them. data is copied when the frame
// has to wait, so the caller may reuse it.
func (w *WebMWriter) Write(track int, at time.Duration, keyframe bool, data []byte) error {
	w.mu.Lock()
	want, err := w.write(track, at, keyframe, data)
	w.mu.Unlock()
	if want && w.wanted != nil {
		w.wanted()
	}
	return err
}

func (w *WebMWriter) write(track int, at time.Duration, keyframe bool, data []byte) (want bool, err error) {
	switch {
	case w.closed:
		return false, ErrWebMClosed
	case w.err != nil:
		return false, w.err
	case track < 0 || track >= len(w.tracks):
		return false, fmt.Errorf("record: %s: no track %d", w.path, track)
	case len(data) == 0:
		return false, fmt.Errorf("record: %s: empty frame on track %d", w.path, track)
	case at < 0:
		return false, fmt.Errorf("record: %s: track %d at %v: %w", w.path, track, at, ErrFrameOrder)
	}
	t := int64((at + time.Millisecond/2) / time.Millisecond)
	if t < w.latest[track] {
		return false, fmt.Errorf("record: %s: track %d at %v after %v: %w",
			w.path, track, at, time.Duration(w.latest[track])*time.Millisecond, ErrFrameOrder)
	}
	w.latest[track] = t
	if track != w.video {
		keyframe = true
	} else if !w.keySeen {
		if !keyframe {
			w.stats.Dropped++
			return w.askKeyframe(t), nil
		}
		w.keySeen = true
		if err := w.learnVideoSize(data); err != nil {
			return false, err
		}
	}

	fr := pendingFrame{track: track, t: t, key: keyframe, data: data}
	if len(w.queue) == 0 && w.releasable(fr) {
		want, err = w.writeFrame(fr)
	} else {
		fr.data = append([]byte(nil), data...)
		w.enqueue(fr)
	}
	if err == nil {
		var more bool
		more, err = w.release(false)
		want = want || more
	}
	return want, err
}

// askKeyframe reports whether to call KeyframeWanted now, at most once per
// keyframeThrottle of media time.
func (w *WebMWriter) askKeyframe(t int64) bool {
	if w.video < 0 || t-w.lastWanted < keyframeThrottle {
		return false
	}
	w.lastWanted = t
	return true
}

// learnVideoSize patches the pixel size in from the first keyframe when it
// was not given. A keyframe that cannot be parsed leaves it at 0x0, which
// players tolerate: the decoder knows the size from the stream.
func (w *WebMWriter) learnVideoSize(data []byte) error {
	if w.widthOff < 0 {
		return nil
	}
	_, width, height, ok := vpxFrameInfo(w.tracks[w.video].Codec, data)
	if !ok || width == 0 || height == 0 {
		return nil
	}
	if err := w.patch(w.widthOff, []byte{byte(width >> 8), byte(width)}); err != nil {
		return err
	}
	if err := w.patch(w.heightOff, []byte{byte(height >> 8), byte(height)}); err != nil {
		return err
	}
	w.tracks[w.video].Width, w.tracks[w.video].Height = width, height
	w.widthOff, w.heightOff = -1, -1
	return nil
}

// writeFrame puts one frame in the file, starting a cluster first when the
// frame is a video keyframe (in a file with video), when the cluster has
// reached MaxCluster, or when there is none yet.
func (w *WebMWriter) writeFrame(fr pendingFrame) (want bool, err error) {
	isVideo := fr.track == w.video
	rel := fr.t - w.cl.tc
	switch {
	case !w.cl.open:
		err = w.startCluster(fr)
	case isVideo && fr.key && rel > 0 && (rel >= minKeyframeCluster || !w.cl.hasVideo):
		err = w.startCluster(fr)
	case rel >= w.maxCluster:
		// No keyframe in time: cut anyway, so that a cluster never spans
		// more than MaxCluster. Once video has started, such a cluster
		// gets no Cues entry: a seek there could not decode.
		err = w.startCluster(fr)
	case rel < -maxRelative-1:
		// Too far before its cluster to be expressed; only a track stalled
		// for half a minute behind the other gets here.
		w.stats.Dropped++
		return false, nil
	case isVideo && fr.key && rel == 0 && !w.cl.hasVideo:
		// The cluster was opened by audio at this very tick: for seeking,
		// it starts at this keyframe.
		if w.cl.cue >= 0 {
			w.cues[w.cl.cue].track = fr.track + 1
		} else {
			w.cl.cue = len(w.cues)
			w.cues = append(w.cues, cuePoint{time: w.cl.tc, track: fr.track + 1, pos: w.cl.start - w.segData})
		}
	}
	if err != nil {
		return false, err
	}
	rel = fr.t - w.cl.tc

	size := 4 + len(fr.data) // track number (1 byte), timecode, flags
	hdr := appendSize([]byte{idSimpleBlock}, uint64(size))
	w.put(hdr)
	blk := ebml.Block{
		TrackNumber: uint64(fr.track + 1),
		Timecode:    int16(rel),
		Keyframe:    fr.key,
		Data:        [][]byte{fr.data},
	}
	if err := ebml.MarshalBlock(&blk, (*bufWriter)(w)); err != nil {
		return false, w.fail(err)
	}
	w.stats.Frames++
	if d := time.Duration(fr.t) * time.Millisecond; d > w.stats.Last {
		w.stats.Last = d
	}
	if isVideo {
		w.cl.hasVideo = true
		w.videoWritten = true
	}
	if w.video >= 0 && w.keySeen && !w.cl.wanted && rel >= w.maxCluster-keyframeLead(w.maxCluster) {
		w.cl.wanted = true
		want = w.askKeyframe(fr.t)
	}
	if len(w.buf) >= flushThreshold {
		err = w.flushBuf()
	}
	return want, err
}

// keyframeLead is how long before MaxCluster to ask for a keyframe, so that
// it arrives in time to start the next cluster.
func keyframeLead(maxCluster int64) int64 {
	return min(1000, maxCluster/2)
}

// startCluster finishes the open cluster and begins one at fr. It goes
// into Cues when it starts at a video keyframe, or, until the first video
// frame (always, in a file without video), at whatever it starts with:
// then a seek lands on audio that decodes from any packet.
func (w *WebMWriter) startCluster(fr pendingFrame) error {
	if err := w.endCluster(); err != nil {
		return err
	}
	hdr, err := clusterHeader(fr.t)
	if err != nil {
		return w.fail(err)
	}
	w.cl = cluster{open: true, start: w.pos, tc: fr.t, cue: -1}
	w.put(hdr)
	if (fr.track == w.video && fr.key) || !w.videoWritten {
		w.cl.cue = len(w.cues)
		w.cues = append(w.cues, cuePoint{time: fr.t, track: fr.track + 1, pos: w.cl.start - w.segData})
	}
	w.stats.Clusters++
	return nil
}

// endCluster patches the open cluster's size in, now that it is known, so
// that only the last cluster of a crashed file has an unknown size.
func (w *WebMWriter) endCluster() error {
	if !w.cl.open {
		return nil
	}
	w.cl.open = false
	size := w.pos - (w.cl.start + 4 + sizeFieldLen)
	return w.patch(w.cl.start+4, appendSize8(nil, uint64(size)))
}

// Flush writes every frame given so far, waiting ones included, and fsyncs
// the file: after it returns, a crash loses nothing written before. The
// recorder calls it every second. A cluster still open stays open, with an
// unknown size; Repair keeps its complete blocks.
func (w *WebMWriter) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.closed:
		return ErrWebMClosed
	case w.err != nil:
		return w.err
	}
	if _, err := w.release(true); err != nil {
		return err
	}
	if err := w.flushBuf(); err != nil {
		return err
	}
	return w.sync()
}

// Close ends the file at time end (the recording's length for this file;
// the latest frame's time if that is later): it writes the remaining
// frames, Cues, the SeekHead entry for them, Duration and the Segment's
// size, fsyncs and closes the file. After a write error it closes the file
// and returns that error; the file is then as a crash would leave it, for
// Repair. Close always releases the file; a second Close returns
// ErrWebMClosed.
func (w *WebMWriter) Close(end time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrWebMClosed
	}
	w.closed = true
	err := w.finish(end)
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = w.fail(cerr)
	}
	return err
}

func (w *WebMWriter) finish(end time.Duration) error {
	if w.err != nil {
		return w.err
	}
	if _, err := w.release(true); err != nil {
		return err
	}
	if err := w.endCluster(); err != nil {
		return err
	}
	// Cues first, made durable, and only then the header fields that point
	// at them and declare the file complete: a crash in between leaves a
	// file that Repair finishes, never one that claims Cues it lacks.
	cuesPos := int64(-1)
	if len(w.cues) > 0 {
		c, err := cuesBytes(w.cues)
		if err != nil {
			return w.fail(err)
		}
		cuesPos = w.pos - w.segData
		w.put(c)
	}
	if err := w.flushBuf(); err != nil {
		return err
	}
	if err := w.sync(); err != nil {
		return err
	}
	sh, err := seekHeadRegion(w.infoPos-w.segData, w.tracksPos-w.segData, cuesPos)
	if err != nil {
		return w.fail(err)
	}
	if err := w.patch(w.segData, sh); err != nil {
		return err
	}
	ticks := max(int64(end/time.Millisecond), int64(w.stats.Last/time.Millisecond))
	if err := w.patch(w.durationSlot, durationBytes(float64(ticks))); err != nil {
		return err
	}
	if err := w.patch(w.segStart+4, appendSize8(nil, uint64(w.pos-w.segData))); err != nil {
		return err
	}
	return w.sync()
}

// Stats returns what the writer has done so far.
func (w *WebMWriter) Stats() WebMStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stats
	s.Bytes = w.pos
	return s
}

// put appends bytes to the file (through the buffer).
func (w *WebMWriter) put(b []byte) {
	w.buf = append(w.buf, b...)
	w.pos += int64(len(b))
}

// bufWriter lets ebml.MarshalBlock write straight into the buffer.
type bufWriter WebMWriter

func (b *bufWriter) Write(p []byte) (int, error) {
	(*WebMWriter)(b).put(p)
	return len(p), nil
}

// flushBuf writes the buffer to the file (without fsync).
func (w *WebMWriter) flushBuf() error {
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := w.f.WriteAt(w.buf, w.bufOff); err != nil {
		return w.fail(err)
	}
	w.bufOff += int64(len(w.buf))
	if w.written != nil {
		w.written.Add(uint64(len(w.buf)))
	}
	w.buf = w.buf[:0]
	w.dirty = true
	return nil
}

// patch overwrites len(b) bytes at off, which were written before: in the
// file, in the buffer, or across both.
func (w *WebMWriter) patch(off int64, b []byte) error {
	if off+int64(len(b)) > w.pos {
		return w.fail(fmt.Errorf("patch at %d past the end %d", off, w.pos))
	}
	if off < w.bufOff {
		n := min(int64(len(b)), w.bufOff-off)
		if _, err := w.f.WriteAt(b[:n], off); err != nil {
			return w.fail(err)
		}
		w.dirty = true
		b, off = b[n:], off+n
	}
	if len(b) > 0 {
		copy(w.buf[off-w.bufOff:], b)
	}
	return nil
}

func (w *WebMWriter) sync() error {
	if !w.dirty {
		return nil
	}
	if err := w.f.Sync(); err != nil {
		return w.fail(err)
	}
	w.dirty = false
	return nil
}

// fail records the first write error, naming the file; the writer refuses
// everything after it.
func (w *WebMWriter) fail(err error) error {
	if w.err == nil {
		// The os package's errors already name the file.
		if pe := (*os.PathError)(nil); errors.As(err, &pe) && pe.Path == w.path {
			w.err = fmt.Errorf("record: %w", err)
		} else {
			w.err = fmt.Errorf("record: writing %s: %w", w.path, err)
		}
	}
	return w.err
}

// syncDir fsyncs a directory so that a file just created in it survives a
// crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("record: syncing %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("record: syncing %s: %w", dir, err)
	}
	return nil
}
