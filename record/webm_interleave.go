package record

// The interleaver. A file's two tracks reach the writer through separate
// reorder buffers, so one track's frames can arrive a few hundred
// milliseconds ahead of the other's. Written as they come, a cluster that
// starts at a video keyframe would be preceded by audio from after that
// keyframe, which a seek to it then misses. So a frame waits until the other
// track has caught up with its time, or until it is InterleaveWindow older
// than the newest frame, or until Flush, which writes everything: waiting
// never costs durability, only order, and order across tracks is a nicety
// (per track it is guaranteed by the caller).

// pendingFrame is a frame waiting to be written.
type pendingFrame struct {
	track int
	t     int64 // ticks
	key   bool
	data  []byte
}

// before orders frames by time; at the same tick video goes first, so that
// a cluster starting at a keyframe has the keyframe as its first block.
func (w *WebMWriter) before(a, b pendingFrame) bool {
	if a.t != b.t {
		return a.t < b.t
	}
	return a.track == w.video && b.track != w.video
}

// enqueue inserts fr in time order (after frames it does not precede, which
// keeps each track's own order).
func (w *WebMWriter) enqueue(fr pendingFrame) {
	i := len(w.queue)
	for i > 0 && w.before(fr, w.queue[i-1]) {
		i--
	}
	w.queue = append(w.queue, pendingFrame{})
	copy(w.queue[i+1:], w.queue[i:])
	w.queue[i] = fr
}

// releasable reports whether fr may be written now: every other track is
// at or past its time, or fr has waited out the window. A track that has
// not started yet counts as behind, since at a file's start audio usually
// comes first and video's first frames are on their way; if they are not,
// the window (or the next Flush) lets the audio go.
func (w *WebMWriter) releasable(fr pendingFrame) bool {
	if w.window < 0 {
		return true
	}
	newest := int64(-1)
	behind := false
	for k, t := range w.latest {
		newest = max(newest, t)
		if k != fr.track && t < fr.t {
			behind = true
		}
	}
	return !behind || newest-fr.t >= w.window
}

// release writes the frames at the head of the queue that may go, or all of
// them when force is set.
func (w *WebMWriter) release(force bool) (want bool, err error) {
	n := 0
	for n < len(w.queue) && (force || w.releasable(w.queue[n])) {
		var more bool
		more, err = w.writeFrame(w.queue[n])
		want = want || more
		n++
		if err != nil {
			break
		}
	}
	if n > 0 {
		rest := copy(w.queue, w.queue[n:])
		clear(w.queue[rest:])
		w.queue = w.queue[:rest]
	}
	return want, err
}
