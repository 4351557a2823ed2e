package record

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtp"

	"conclave/media"
)

// Session is one recording being made: a media sink of its room. Every track goes
// through its reorder buffer and assembler into the file of its stream: a participant's
// camera and microphone share one file, a screen share and its audio another. All files
// share one clock, the recording's start.
//
// The sink's goroutine calls TrackPublished, WriteRTP and Close; a ticker flushes the
// files every second and watches the disk. mu guards everything below.
type Session struct {
	e     *Engine
	spec  Spec
	dir   string
	ended func(Result)
	start time.Time

	detach func()
	quit   chan struct{}
	wg     sync.WaitGroup

	mu      sync.Mutex
	groups  map[string]*group
	files   []*streamFile // in the order they were opened: the manifest's
	tracks  map[*trackRec]struct{}
	names   map[string]int // files opened per group, for their names
	failed  error
	limit   bool
	dropped uint64 // packets the sink lost to a full queue, of tracks that ended
	lost    uint64 // packets given up on by the reorder buffers of tracks that ended
	gap     time.Duration
	// speech is who spoke when, by identity; sync is, by identity, what to add to a
	// time on the publisher's wallclock (its sender reports) to have it on the
	// recording's clock: the first of its tracks with a report sets it, the others are
	// placed by it, so a participant's microphone and camera stay in sync.
	speech      map[string]*speech
	speechDirty bool // the manifest lacks some of it
	sync        map[string]time.Duration

	endOnce sync.Once
	result  Result
}

// group is one stream of a participant: camera (with microphone) or screen (with audio).
type group struct {
	identity, kind string
	tracks         []*trackRec
	file           *streamFile
	// A browser publishes its camera and microphone in one negotiation, but their tracks
	// start a moment apart: the file waits settle after the latest track appeared, holding
	// the frames that come meanwhile, so that both go into one file.
	settleUntil time.Time
	pending     []heldFrame
}

type heldFrame struct {
	t  *trackRec
	at time.Duration
	f  Frame
}

// settle is how long a stream's file waits for the stream's other track.
const settle = 500 * time.Millisecond

// maxPending bounds the frames held while a stream settles (a second and a half of
// audio and video, far more than settle lets in).
const maxPending = 300

// streamFile is one WebM file.
type streamFile struct {
	w        *WebMWriter
	name     string
	identity string
	kind     string
	offset   time.Duration // from the recording's start
	end      time.Duration // latest frame, from the file's start
	index    map[*trackRec]int
	codecs   []string
	closed   bool
}

// trackRec is one published track being recorded.
type trackRec struct {
	s       *Session
	g       *group
	st      media.SinkTrack
	codec   Codec
	rate    int64
	reorder *Reorder
	asm     *Assembler
	pkts    []Packet
	frames  []Frame

	haveBase bool
	baseRTP  int64         // extended RTP timestamp of the first frame
	baseAt   time.Duration // its time on the recording's clock
	lastTS   uint32
	extTS    int64
	lastAt   time.Duration
	lastKey  time.Time // last keyframe request, for throttling
	levelID  uint8     // the audio level extension's id for a microphone, else 0
	srSeen   time.Time // when the last sender report applied was received
	// frameTicks is the RTP time between the track's latest two frames.
	frameTicks int64
}

func newSession(e *Engine, spec Spec, dir string, ended func(Result)) *Session {
	return &Session{e: e, spec: spec, dir: dir, ended: ended, start: time.Now(), quit: make(chan struct{}),
		groups: map[string]*group{}, tracks: map[*trackRec]struct{}{}, names: map[string]int{},
		speech: map[string]*speech{}, sync: map[string]time.Duration{}}
}

// run starts the flusher once the sink is attached.
func (s *Session) run(detach func()) {
	s.detach = detach
	s.wg.Add(1)
	go s.flushLoop()
}

// groupKind is the stream a source belongs to.
func groupKind(src media.Source) string {
	if src == media.SourceScreen || src == media.SourceScreenAudio {
		return "screen"
	}
	return "camera"
}

// TrackPublished takes a track of the room (media.Sink).
func (s *Session) TrackPublished(t media.SinkTrack) media.TrackSink {
	info := t.Info()
	codec, ok := CodecFromMime(info.MimeType)
	if !ok {
		s.e.log.Warn("track not recorded: codec not supported", "recording", s.spec.ID, "participant", info.Peer, "mime", info.MimeType)
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := info.Peer + "/" + groupKind(info.Source)
	g := s.groups[key]
	if g == nil {
		g = &group{identity: info.Peer, kind: groupKind(info.Source)}
		s.groups[key] = g
	}
	rate := int64(t.Codec().ClockRate)
	if rate <= 0 {
		rate = 90000
		if !codec.Video() {
			rate = 48000
		}
	}
	tr := &trackRec{s: s, g: g, st: t, codec: codec, rate: rate,
		reorder: NewReorder(s.e.opts.Reorder), asm: NewAssembler(codec)}
	if info.Source == media.SourceMicrophone {
		tr.levelID = t.AudioLevelID()
		if tr.levelID != 0 && s.speech[info.Peer] == nil {
			s.speech[info.Peer] = &speech{} // its level is known: silence is known too
		}
	}
	g.tracks = append(g.tracks, tr)
	if g.file == nil {
		g.settleUntil = time.Now().Add(settle)
	}
	s.tracks[tr] = struct{}{}
	if codec.Video() {
		t.RequestKeyframe() // a file starts at a keyframe
		tr.lastKey = time.Now()
	}
	return tr
}

// WriteRTP takes one packet of the track, already decrypted (media.TrackSink).
func (t *trackRec) WriteRTP(pkt *rtp.Packet, arrival time.Time) {
	s := t.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed != nil || s.limit {
		return
	}
	if t.levelID != 0 && loud(pkt, t.levelID) {
		sp := s.speech[t.g.identity]
		if sp == nil {
			sp = &speech{}
			s.speech[t.g.identity] = sp
		}
		sp.heard(max(arrival.Sub(s.start), 0))
		s.speechDirty = true
	}
	res := t.reorder.Push(pkt, arrival)
	if len(res.Missing) > 0 {
		t.st.Retransmit(res.Missing...)
	}
	t.drain(arrival, false) // arrival is now, give or take the sink's batching
}

// Close ends the track (media.TrackSink): what it still holds goes to its file.
func (t *trackRec) Close() {
	s := t.s
	s.mu.Lock()
	defer s.mu.Unlock()
	t.drain(time.Now(), true)
	if g := t.g; len(g.pending) > 0 && s.failed == nil {
		s.writePending(g) // what it held while settling goes into the file first
	}
	d := t.st.Dropped()
	s.dropped += d
	s.e.dropped.Add(d)
	s.noteTrack(t)
	delete(s.tracks, t)
	g := t.g
	for i, x := range g.tracks {
		if x == t {
			g.tracks = append(g.tracks[:i:i], g.tracks[i+1:]...)
			break
		}
	}
	if len(g.tracks) == 0 && g.file != nil {
		s.closeFile(g.file)
		g.file = nil
	}
}

// drain releases what the reorder buffer has ready (all of it when final) into frames
// and writes them. The caller holds s.mu.
func (t *trackRec) drain(now time.Time, final bool) {
	var loss Loss
	if final {
		t.pkts, loss = t.reorder.Flush(t.pkts[:0])
	} else {
		t.pkts, loss = t.reorder.Pop(t.pkts[:0], now)
	}
	t.frames = t.frames[:0]
	for _, p := range t.pkts {
		t.frames = t.asm.Push(t.frames, p)
	}
	if final {
		t.frames = t.asm.Flush(t.frames)
	}
	if t.codec.Video() && (loss.Broken() || t.asm.WaitingKeyframe()) {
		t.wantKeyframe(now)
	}
	for _, f := range t.frames {
		t.s.writeFrame(t, f)
		if t.s.failed != nil {
			return
		}
	}
}

// noteTrack adds an ended track's losses to the recording's report: packets given up on,
// and the worst gap a viewer sees (between two frames written, or across a hole).
func (s *Session) noteTrack(t *trackRec) {
	rs, as := t.reorder.Stats(), t.asm.Stats()
	s.lost += rs.Lost
	s.gap = max(s.gap, rs.MaxGapTime, as.WorstGap)
}

// wantKeyframe asks the publisher for a keyframe, at most once a second.
func (t *trackRec) wantKeyframe(now time.Time) {
	if now.Sub(t.lastKey) >= time.Second {
		t.lastKey = now
		t.st.RequestKeyframe()
	}
}

// at is a frame's time on the recording's clock, from its RTP timestamp (unwrapped past
// 2^32) relative to the track's first frame, which is placed at its arrival. A timestamp
// that runs far from the arrival clock (a publisher that restarted it, or garbage) places
// the track anew at its arrival; time never goes back on a track.
func (t *trackRec) at(f Frame) time.Duration {
	arrival := f.Arrival.Sub(t.s.start)
	if !t.haveBase {
		t.haveBase, t.lastTS, t.extTS = true, f.RTPTimestamp, int64(f.RTPTimestamp)
		t.baseRTP, t.baseAt = t.extTS, max(arrival, 0)
	} else {
		d := int64(int32(f.RTPTimestamp - t.lastTS))
		t.extTS += d
		t.lastTS = f.RTPTimestamp
		if d > 0 {
			t.frameTicks = d
		}
	}
	at := t.baseAt + time.Duration((t.extTS-t.baseRTP)*int64(time.Second)/t.rate)
	if d := at - arrival; d > 5*time.Second || d < -5*time.Second {
		t.baseRTP, t.baseAt = t.extTS, max(arrival, 0)
		at = t.baseAt
	}
	if sr, ok := t.st.SenderReport(); ok && sr.Received != t.srSeen {
		t.srSeen = sr.Received
		at = t.syncTo(sr, at)
	}
	if at < t.lastAt {
		at = t.lastAt
	}
	t.lastAt = at
	return at
}

// maxSyncShift bounds how far a sender report may move a track: more than this is not
// drift between a publisher's tracks but a report that does not describe them.
const maxSyncShift = time.Second

// syncTo places the track by the publisher's sender report. On the publisher's
// wallclock the frame at at (whose extended timestamp is t.extTS) was captured at the
// report's time plus the RTP ticks between them; the difference between the two clocks
// is the track's lag. The publisher's most lagging track (usually its camera, whose
// frames take longer to encode and send) keeps its place and sets the publisher's lag; the
// others move later to match it. Tracks only ever move later (a short gap in the file),
// never back, so no two frames of a file share a time.
func (t *trackRec) syncTo(sr media.SenderReport, at time.Duration) time.Duration {
	srExt := t.extTS + int64(int32(sr.RTPTime-t.lastTS))
	wall := sr.NTP.Add(time.Duration((t.extTS - srExt) * int64(time.Second) / t.rate))
	lag := t.s.start.Add(at).Sub(wall)
	id := t.g.identity
	off, ok := t.s.sync[id]
	switch {
	case !ok:
		t.s.sync[id] = lag
		return at
	case lag > off+maxSyncShift:
		return at // not the same clock as the publisher's other reports
	case lag >= off:
		t.s.sync[id] = lag // this track lags the most: the others will follow it
		return at
	}
	shift := off - lag
	if t.codec.Video() && t.frameTicks > 0 {
		// By whole frames: a video's frames keep their phase, so a player (or ffmpeg)
		// that maps them onto a constant frame rate never sees two in one frame's time.
		// Within half a frame (at most ~17 ms at 30 fps) is in sync.
		frame := time.Duration(t.frameTicks * int64(time.Second) / t.rate)
		shift = (shift + frame/2) / frame * frame
	}
	t.baseAt += shift
	return at + shift
}

// writeFrame writes a frame to its stream's file, opening one (from this moment) when the
// stream has none or its file lacks this track (a camera started later). The caller
// holds s.mu.
func (s *Session) writeFrame(t *trackRec, f Frame) {
	at := t.at(f)
	g := t.g
	if g.file == nil && time.Now().Before(g.settleUntil) && len(g.pending) < maxPending {
		f.Data = append([]byte(nil), f.Data...)
		g.pending = append(g.pending, heldFrame{t, at, f})
		return
	}
	s.writeAt(t, at, f)
}

// openSettled writes the frames of streams that have settled (the flusher calls it, so a
// stream whose frames stop still gets its file). The caller holds s.mu.
func (s *Session) openSettled(now time.Time) {
	for _, g := range s.groups {
		if g.file == nil && len(g.pending) > 0 && !now.Before(g.settleUntil) {
			s.writePending(g)
		}
	}
}

// writePending writes the frames a stream held while it settled.
func (s *Session) writePending(g *group) {
	held := g.pending
	g.pending = nil
	for _, p := range held {
		if s.failed != nil {
			return
		}
		s.writeAt(p.t, p.at, p.f)
	}
}

// writeAt writes a frame at time at of the recording. The caller holds s.mu.
func (s *Session) writeAt(t *trackRec, at time.Duration, f Frame) {
	g := t.g
	if g.file == nil && len(g.pending) > 0 {
		s.writePending(g) // the held frames come first
		if s.failed != nil {
			return
		}
	}
	if g.file == nil || g.file.index[t] == 0 {
		if g.file != nil {
			s.closeFile(g.file)
		}
		file, err := s.openFile(g, at)
		if err != nil {
			s.fail(err)
			return
		}
		g.file = file
	}
	file := g.file
	fileAt := max(at-file.offset, 0)
	if err := file.w.Write(file.index[t]-1, fileAt, f.Keyframe, f.Data); err != nil {
		if errors.Is(err, ErrFrameOrder) {
			return // late for its track: dropped and counted by the writer
		}
		s.fail(err)
		return
	}
	file.end = max(file.end, fileAt)
}

// openFile starts a file for g's tracks as they are now, at time at of the recording.
func (s *Session) openFile(g *group, at time.Duration) (*streamFile, error) {
	key := g.identity + "-" + g.kind
	s.names[key]++
	name := fmt.Sprintf("%s-%d.webm", sanitize(key), s.names[key])
	file := &streamFile{name: name, identity: g.identity, kind: g.kind, offset: at, index: map[*trackRec]int{}}
	var specs []WebMTrack
	haveVideo, haveAudio := false, false
	// Video first, then audio: players pick the first video track. One of each kind.
	for _, video := range []bool{true, false} {
		for _, t := range g.tracks {
			if t.codec.Video() != video || video && haveVideo || !video && haveAudio {
				continue
			}
			haveVideo, haveAudio = haveVideo || video, haveAudio || !video
			specs = append(specs, WebMTrack{Codec: webmCodec(t.codec), Name: string(t.st.Info().Source)})
			file.index[t] = len(specs)
			file.codecs = append(file.codecs, t.codec.String())
		}
	}
	var kf func()
	for t := range file.index {
		if t.codec.Video() {
			vt := t
			kf = func() { vt.st.RequestKeyframe() }
		}
	}
	w, err := CreateWebM(filepath.Join(s.dir, name), specs, WebMOptions{Date: s.start, Title: s.spec.ID,
		WritingApp: "Conclave", KeyframeWanted: kf, Written: &s.e.written})
	if err != nil {
		return nil, err
	}
	file.w = w
	s.files = append(s.files, file)
	if err := s.writeManifest(); err != nil {
		s.e.log.Error("recording manifest not written", "recording", s.spec.ID, "err", err)
	}
	return file, nil
}

func webmCodec(c Codec) CodecID {
	switch c {
	case CodecVP8:
		return CodecIDVP8
	case CodecVP9:
		return CodecIDVP9
	}
	return CodecIDOpus
}

// sanitize keeps a file name to letters, digits, '-', '_' and '.'.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
}

// closeFile finishes a file (Duration, Cues). The caller holds s.mu.
func (s *Session) closeFile(f *streamFile) {
	if f.closed {
		return
	}
	f.closed = true
	if err := f.w.Close(f.end); err != nil && !errors.Is(err, ErrWebMClosed) {
		s.fail(err)
	}
}

// fail ends the recording as failed (the caller holds s.mu); the end runs on its own
// goroutine, since detaching waits for the sink's, which may be this one.
func (s *Session) fail(err error) {
	if s.failed != nil {
		return
	}
	s.failed = err
	s.e.log.Error("recording failed", "recording", s.spec.ID, "err", err)
	go s.endOnItsOwn(Result{Status: StatusFailed, Error: "Writing the recording failed: " + err.Error()})
}

// flushLoop flushes the files every FlushEvery, gives up gaps whose time ran out and
// watches the free disk.
func (s *Session) flushLoop() {
	defer s.wg.Done()
	tick := time.NewTicker(s.e.opts.FlushEvery)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-s.quit:
			return
		case <-tick.C:
		}
		s.mu.Lock()
		now := time.Now()
		for t := range s.tracks {
			if s.failed == nil {
				t.drain(now, false)
			}
		}
		if s.failed == nil {
			s.openSettled(now)
		}
		for _, f := range s.files {
			if !f.closed && s.failed == nil {
				if err := f.w.Flush(); err != nil {
					s.fail(err)
				}
			}
		}
		if n%5 == 4 && s.speechDirty && s.failed == nil {
			// The timeline reaches the manifest every few seconds, so a crash keeps it.
			s.speechDirty = false
			if err := s.writeManifest(); err != nil {
				s.e.log.Warn("recording manifest not updated", "recording", s.spec.ID, "err", err)
			}
		}
		low := false
		if n%5 == 0 && s.e.opts.MinFreeDisk > 0 && s.failed == nil && !s.limit {
			if free, err := s.e.FreeBytes(); err == nil && free < s.e.opts.MinFreeDisk {
				s.limit, low = true, true
			}
		}
		s.mu.Unlock()
		if low {
			s.e.log.Warn("recording stopped: free disk below the guard", "recording", s.spec.ID, "min", s.e.opts.MinFreeDisk)
			go s.endOnItsOwn(Result{Status: StatusLimitReached,
				Error: fmt.Sprintf("Free disk fell below %d MiB (--min-free-disk)", s.e.opts.MinFreeDisk>>20)})
			return
		}
	}
}

func (s *Session) endOnItsOwn(r Result) {
	ended := false
	s.endOnce.Do(func() {
		s.result = s.finish(r)
		ended = true
	})
	if ended && s.ended != nil {
		s.ended(s.result)
	}
}

// Stop finishes the recording's files and the manifest and reports the outcome (the one
// it ended with, if it ended on its own before).
func (s *Session) Stop() Result {
	s.endOnce.Do(func() { s.result = s.finish(Result{Status: StatusComplete}) })
	return s.result
}

// finish detaches the sink (its tracks close, flushing into their files), closes every
// file and writes the manifest.
func (s *Session) finish(r Result) Result {
	close(s.quit)
	s.wg.Wait()
	s.detach() // not under s.mu: the tracks' Close takes it
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.files {
		s.closeFile(f)
	}
	if r.Status == StatusComplete && s.failed != nil {
		r = Result{Status: StatusFailed, Error: "Writing the recording failed: " + s.failed.Error()}
	}
	end := time.Since(s.start)
	r.Streams, r.Duration, r.Size = s.streams()
	r.Duration = max(r.Duration, 0)
	if len(r.Streams) == 0 && r.Status == StatusComplete {
		r.Status, r.Error = StatusAborted, "No one published audio or video while the meeting was recorded"
	}
	r.Main = mainFile(r.Streams)
	if s.dropped > 0 {
		r.Details = joinDetails(r.Details, fmt.Sprintf("%d packets were lost by the recorder (it fell behind)", s.dropped))
	}
	r.Lost, r.WorstGap = s.lost, s.gap
	if s.lost > 0 {
		r.Details = joinDetails(r.Details, fmt.Sprintf("%d packets never arrived; the worst gap was %v", s.lost, s.gap.Round(time.Millisecond)))
	}
	if err := s.writeManifestAt(end); err != nil {
		s.e.log.Error("recording manifest not written", "recording", s.spec.ID, "err", err)
	}
	return r
}

func joinDetails(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// streams describes the files in manifest order with their sizes, and the recording's
// length (the end of its latest file).
func (s *Session) streams() ([]StreamInfo, time.Duration, int64) {
	var out []StreamInfo
	var dur time.Duration
	var size int64
	for _, f := range s.files {
		fi, err := os.Stat(filepath.Join(s.dir, f.name))
		if err != nil {
			continue
		}
		name, role := "", ""
		if s.spec.Who != nil {
			name, role = s.spec.Who(f.identity)
		}
		out = append(out, StreamInfo{File: f.name, Identity: f.identity, Name: name, Role: role, Kind: f.kind,
			Offset: f.offset, Duration: f.end, Size: fi.Size(), Codecs: f.codecs})
		dur = max(dur, f.offset+f.end)
		size += fi.Size()
	}
	return out, dur, size
}

// mainFile is the recording's media: its first camera stream, else its first file.
func mainFile(streams []StreamInfo) string {
	for _, st := range streams {
		if st.Kind == "camera" {
			return st.File
		}
	}
	if len(streams) > 0 {
		return streams[0].File
	}
	return ""
}
