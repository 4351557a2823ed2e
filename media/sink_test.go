package media

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"conclave/media/mediatest"
)

// testSink records what the SFU gives a sink and every breach of the Sink contract.
type testSink struct {
	ignore  webrtc.RTPCodecType // tracks of this kind are refused; 0 takes everything
	block   chan struct{}       // when set, every WriteRTP waits until it is closed
	blocked atomic.Bool         // a WriteRTP is waiting on block
	inCall  atomic.Int32

	mu      sync.Mutex
	offered []TrackInfo
	tracks  []*sunkTrack
	misuse  []string
}

// sunkTrack is what one TrackSink of a testSink received.
type sunkTrack struct {
	sink   *testSink
	st     SinkTrack
	info   TrackInfo
	closed chan struct{}
	writes atomic.Int64

	mu       sync.Mutex
	seqs     []uint16
	arrivals []time.Time
	levels   []byte // the audio level extension's byte, where there is one
	lastTS   uint32
}

// lastTimestamp is the RTP timestamp of the latest packet received.
func (tr *sunkTrack) lastTimestamp() (uint32, bool) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.lastTS, len(tr.seqs) > 0
}

func (s *testSink) breach(format string, args ...any) {
	s.mu.Lock()
	s.misuse = append(s.misuse, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

// enter and leave catch the SFU calling one sink from two goroutines at once.
func (s *testSink) enter(what string) {
	if s.inCall.Add(1) != 1 {
		s.breach("%s called while another call to the sink was running", what)
	}
}

func (s *testSink) leave() { s.inCall.Add(-1) }

func (s *testSink) TrackPublished(st SinkTrack) TrackSink {
	s.enter("TrackPublished")
	defer s.leave()
	info := st.Info()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offered = append(s.offered, info)
	if info.Kind == s.ignore.String() {
		return nil
	}
	tr := &sunkTrack{sink: s, st: st, info: info, closed: make(chan struct{})}
	s.tracks = append(s.tracks, tr)
	return tr
}

func (tr *sunkTrack) WriteRTP(pkt *rtp.Packet, arrival time.Time) {
	tr.sink.enter("WriteRTP")
	defer tr.sink.leave()
	select {
	case <-tr.closed:
		tr.sink.breach("%s: packet %d after Close", tr.info.TrackID, pkt.SequenceNumber)
	default:
	}
	tr.mu.Lock()
	tr.seqs = append(tr.seqs, pkt.SequenceNumber)
	tr.arrivals = append(tr.arrivals, arrival)
	tr.lastTS = pkt.Timestamp
	if id := tr.st.AudioLevelID(); id != 0 {
		if ext := pkt.GetExtension(id); len(ext) == 1 {
			tr.levels = append(tr.levels, ext[0])
		}
	}
	tr.mu.Unlock()
	tr.writes.Add(1)
	if tr.sink.block != nil {
		tr.sink.blocked.Store(true)
		<-tr.sink.block
	}
}

func (tr *sunkTrack) Close() {
	tr.sink.enter("Close")
	defer tr.sink.leave()
	select {
	case <-tr.closed:
		tr.sink.breach("%s closed twice", tr.info.TrackID)
	default:
		close(tr.closed)
	}
}

// track returns the latest track of this peer and kind the sink took, or nil.
func (s *testSink) track(peer string, kind webrtc.RTPCodecType) *sunkTrack {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.tracks) - 1; i >= 0; i-- {
		if tr := s.tracks[i]; tr.info.Peer == peer && tr.info.Kind == kind.String() {
			return tr
		}
	}
	return nil
}

// receiving waits until the sink gets packets of peer's track of this kind.
func (s *testSink) receiving(t *testing.T, peer string, kind webrtc.RTPCodecType) *sunkTrack {
	t.Helper()
	var tr *sunkTrack
	waitFor(t, fmt.Sprintf("the sink to receive %s from %s", kind, peer), func() bool {
		tr = s.track(peer, kind)
		return tr != nil && tr.writes.Load() >= 5
	})
	return tr
}

// check reports every breach of the contract seen so far.
func (s *testSink) check(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.misuse {
		t.Error(m)
	}
}

func (tr *sunkTrack) count(seq uint16) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	n := 0
	for _, s := range tr.seqs {
		if s == seq {
			n++
		}
	}
	return n
}

func (tr *sunkTrack) lastSeq() uint16 {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.seqs[len(tr.seqs)-1]
}

func (tr *sunkTrack) waitClosed(t *testing.T, why string) {
	t.Helper()
	select {
	case <-tr.closed:
	case <-time.After(waitLong):
		t.Fatalf("%s: the sink's %s receiver was not closed", why, tr.info.TrackID)
	}
}

// attach attaches sink to room and detaches it at cleanup.
func attach(t *testing.T, s *SFU, room string, sink Sink) func() {
	t.Helper()
	detach, err := s.AttachSink(room, sink)
	if err != nil {
		t.Fatalf("AttachSink: %v", err)
	}
	t.Cleanup(detach)
	return detach
}

// sinkGoroutines counts the goroutines delivering to sinks.
func sinkGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "media.(*sinkConn).run(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

func TestSinkGetsEveryPacketInOrder(t *testing.T) {
	s := newTestSFU(t, Config{})
	a := join(t, s, "room", "a", everything)
	mic := a.publish(audio, SourceMicrophone)
	cam := a.publish(video, SourceCamera)
	// Attached once the tracks are flowing: it must be given those already published.
	sink := &testSink{}
	attached := time.Now()
	attach(t, s, "room", sink)
	at := sink.receiving(t, "a", audio)
	vt := sink.receiving(t, "a", video)
	waitFor(t, "a second of video at the sink", func() bool { return vt.writes.Load() >= 100 })

	mic.Stop()
	cam.Stop()
	time.Sleep(100 * time.Millisecond) // the senders notice and write nothing more
	for _, c := range []struct {
		p    *mediatest.Pub
		tr   *sunkTrack
		mime string
		rate uint32
	}{{mic, at, webrtc.MimeTypeOpus, 48000}, {cam, vt, webrtc.MimeTypeVP8, 90000}} {
		last := uint16(c.p.LastSeq.Load())
		waitFor(t, fmt.Sprintf("%s packet %d at the sink", c.p.Kind, last), func() bool { return c.tr.count(last) > 0 })
		c.tr.mu.Lock()
		if a, now := c.tr.arrivals[0], time.Now(); a.Before(attached) || c.tr.arrivals[len(c.tr.arrivals)-1].After(now) {
			t.Errorf("%s: arrival times from %v to %v, outside the %v the sink was attached",
				c.p.Kind, a, c.tr.arrivals[len(c.tr.arrivals)-1], now.Sub(attached))
		}
		first := c.tr.seqs[0]
		for i, seq := range c.tr.seqs {
			if want := first + uint16(i); seq != want {
				c.tr.mu.Unlock()
				t.Fatalf("%s: sink's packet %d has sequence number %d, want %d (lost, repeated or out of order)", c.p.Kind, i, seq, want)
			}
			if i > 0 && c.tr.arrivals[i].Before(c.tr.arrivals[i-1]) {
				t.Errorf("%s: arrival time of packet %d goes back %v", c.p.Kind, seq, c.tr.arrivals[i-1].Sub(c.tr.arrivals[i]))
			}
		}
		if got := c.tr.seqs[len(c.tr.seqs)-1]; got != last {
			t.Errorf("%s: sink's last packet %d, publisher's last %d", c.p.Kind, got, last)
		}
		c.tr.mu.Unlock()
		info := c.tr.st.Info()
		if info.Peer != "a" || info.Room != "room" || info.Source != Source(c.p.Source) ||
			info.TrackID != c.p.Source+"-"+c.p.Transceiver.Mid() || info.MimeType != c.mime {
			t.Errorf("track info %+v", info)
		}
		if codec := c.tr.st.Codec(); codec.MimeType != c.mime || codec.ClockRate != c.rate {
			t.Errorf("%s codec %s/%d, want %s/%d", c.p.Kind, codec.MimeType, codec.ClockRate, c.mime, c.rate)
		}
		if n := c.tr.st.Dropped(); n != 0 {
			t.Errorf("%s: %d packets dropped on loopback", c.p.Kind, n)
		}
	}

	a.leave()
	at.waitClosed(t, "publisher left")
	vt.waitClosed(t, "publisher left")
	sink.check(t)
}

func TestSinkAttachedBeforeAnyoneJoined(t *testing.T) {
	s := newTestSFU(t, Config{})
	sink := &testSink{ignore: audio}
	detach := attach(t, s, "room", sink)

	a := join(t, s, "room", "a", everything)
	a.publish(audio, SourceMicrophone)
	a.publish(video, SourceCamera)
	vt := sink.receiving(t, "a", video)
	waitFor(t, "the sink to be offered the audio", func() bool {
		sink.mu.Lock()
		defer sink.mu.Unlock()
		return len(sink.offered) == 2
	})
	for _, u := range s.room("room").published() {
		if u.kind() == audio && u.sinks.Load() != nil {
			t.Error("the read loop still hands the refused audio to the sink")
		}
	}

	// The room outlives its last peer while the sink waits on it.
	a.leave()
	vt.waitClosed(t, "publisher left")
	b := join(t, s, "room", "b", everything)
	b.publish(video, SourceCamera)
	sink.receiving(t, "b", video)
	b.leave()

	detach()
	if s.room("room") != nil {
		t.Error("room kept after its last peer left and its sink was detached")
	}
	sink.check(t)
}

func TestSinkObeysMuteAndRights(t *testing.T) {
	s := newTestSFU(t, Config{})
	sink := &testSink{}
	attach(t, s, "room", sink)
	a := join(t, s, "room", "a", everything)
	a.publish(video, SourceCamera)
	vt := sink.receiving(t, "a", video)

	if err := a.peer.SetMuted(SourceCamera, true); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // what was queued before the mute
	n := vt.writes.Load()
	time.Sleep(300 * time.Millisecond)
	if got := vt.writes.Load() - n; got != 0 {
		t.Errorf("sink got %d packets of a muted camera", got)
	}
	if err := a.peer.SetMuted(SourceCamera, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the unmuted camera at the sink", func() bool { return vt.writes.Load() > n+5 })

	if err := a.peer.SetPublishRights(PublishRights{Audio: true}); err != nil {
		t.Fatal(err)
	}
	vt.waitClosed(t, "video right revoked")
	if err := a.peer.SetPublishRights(everything); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the republished camera at the sink, through a new receiver", func() bool {
		tr := sink.track("a", video)
		return tr != vt && tr.writes.Load() >= 5
	})
	sink.check(t)
}

func TestBlockedSinkDoesNotDelaySubscriber(t *testing.T) {
	s := newTestSFU(t, Config{QueueLength: 32, SinkQueueLength: 32})
	release := make(chan struct{})
	sink := &testSink{block: release}
	attach(t, s, "room", sink)
	a := join(t, s, "room", "a", everything)
	cam := a.publish(video, SourceCamera)
	b := join(t, s, "room", "b", everything)
	// Cleanups run last-first: this one before the clients leave, in case a stuck sink
	// holds up the publisher's read loop.
	t.Cleanup(func() { close(release) })
	r := b.receiving(t, "a", video)
	waitFor(t, "the sink to block", sink.blocked.Load)
	st := sink.track("a", video).st
	waitFor(t, "the sink's queue to overflow", func() bool { return st.Dropped() > 0 })

	r.ResetLatencies()
	dropped, got, sent := st.Dropped(), r.Packets.Load(), cam.Sent.Load()
	time.Sleep(time.Second)
	dropped, got, sent = st.Dropped()-dropped, r.Packets.Load()-got, cam.Sent.Load()-sent
	if sent < 20 {
		t.Fatalf("publisher sent only %d packets in a second", sent)
	}
	// Allow for the packets in flight at either end of the second.
	if got+5 < sent {
		t.Errorf("subscriber got %d of the %d packets sent in a second while a sink is stuck", got, sent)
	}
	if dropped == 0 {
		t.Error("the stuck sink's losses stopped growing: its packets went nowhere")
	}
	if worst := worstLatency(r); worst > 250*time.Millisecond {
		t.Errorf("subscriber's worst latency %v while a sink is stuck", worst)
	}
}

func TestSinkKeyframeRequestAndRetransmit(t *testing.T) {
	s := newTestSFU(t, Config{})
	a := join(t, s, "room", "a", everything)
	cam := a.publish(video, SourceCamera)
	a.publish(audio, SourceMicrophone)
	sink := &testSink{}
	attach(t, s, "room", sink)
	vt := sink.receiving(t, "a", video)
	at := sink.receiving(t, "a", audio)

	// Nobody subscribes, so any keyframe request is the sink's.
	if n := cam.PLIs.Load(); n != 0 {
		t.Fatalf("publisher got %d keyframe requests before the sink asked", n)
	}
	vt.st.RequestKeyframe()
	waitFor(t, "the sink's keyframe request at the publisher", func() bool { return cam.PLIs.Load() > 0 })

	seq := vt.lastSeq()
	if n := vt.st.Retransmit(seq, seq-1000); n != 1 {
		t.Errorf("Retransmit of a recent and a long-gone packet found %d, want 1", n)
	}
	waitFor(t, fmt.Sprintf("video packet %d a second time at the sink", seq), func() bool { return vt.count(seq) == 2 })
	if n := at.st.Retransmit(at.lastSeq()); n != 0 {
		t.Errorf("Retransmit of audio found %d packets; audio has no cache", n)
	}
	sink.check(t)
}

func TestSinkDetachAndCloseLeaveNoGoroutine(t *testing.T) {
	s := newTestSFU(t, Config{})
	a := join(t, s, "room", "a", everything)
	a.publish(audio, SourceMicrophone)
	a.publish(video, SourceCamera)
	one, two := &testSink{}, &testSink{}
	detachOne := attach(t, s, "room", one)
	detachTwo := attach(t, s, "room", two)
	for _, sink := range []*testSink{one, two} {
		sink.receiving(t, "a", audio)
		sink.receiving(t, "a", video)
	}
	waitFor(t, "one goroutine per sink", func() bool { return sinkGoroutines() == 2 })

	detachOne()
	var writes int64
	for _, tr := range one.tracks {
		select {
		case <-tr.closed:
		default:
			t.Errorf("detach returned before closing the %s receiver", tr.info.TrackID)
		}
		writes += tr.writes.Load()
	}
	waitFor(t, "the detached sink's goroutine to end", func() bool { return sinkGoroutines() == 1 })
	detachOne() // idempotent
	v := two.track("a", video)
	before := v.writes.Load()
	time.Sleep(200 * time.Millisecond)
	var after int64
	for _, tr := range one.tracks {
		after += tr.writes.Load()
	}
	if after != writes {
		t.Errorf("detached sink got %d more packets", after-writes)
	}
	if v.writes.Load() == before {
		t.Error("detaching one sink stopped the other")
	}

	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitLong):
		t.Fatal("SFU.Close did not return with a sink attached")
	}
	for _, tr := range two.tracks {
		select {
		case <-tr.closed:
		default:
			t.Errorf("Close returned before closing the %s receiver", tr.info.TrackID)
		}
	}
	waitFor(t, "every sink goroutine to end", func() bool { return sinkGoroutines() == 0 })
	detachTwo() // after Close: returns at once
	if _, err := s.AttachSink("room", &testSink{}); !errors.Is(err, ErrClosed) {
		t.Errorf("AttachSink after Close = %v, want ErrClosed", err)
	}
	one.check(t)
	two.check(t)
	// The cleanup checks that nothing else was left behind.
}

func TestAttachSinkRefusesBadRoomID(t *testing.T) {
	s := newTestSFU(t, Config{})
	if _, err := s.AttachSink("a b", &testSink{}); !errors.Is(err, ErrBadID) {
		t.Errorf("AttachSink(%q) = %v, want ErrBadID", "a b", err)
	}
}

// TestSinkGetsTheAudioLevel: the audio level a publisher sends (RFC 6464, negotiated with
// it) reaches sinks, which the composed recording's speaker detection needs.
func TestSinkGetsTheAudioLevel(t *testing.T) {
	s := newTestSFU(t, Config{})
	sink := &testSink{ignore: video}
	attach(t, s, "room", sink)
	a := join(t, s, "room", "a", everything, withAudioLevel())
	a.publish(audio, SourceMicrophone)
	tr := sink.receiving(t, "a", audio)
	if tr.st.AudioLevelID() == 0 {
		t.Fatal("the audio level extension was not negotiated with the publisher")
	}
	waitFor(t, "levels at the sink", func() bool {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		return len(tr.levels) >= 10
	})
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, l := range tr.levels {
		if l != 0x80|mediatest.AudioLevelDB {
			t.Fatalf("the sink got level byte %#x, the publisher sent %#x", l, 0x80|mediatest.AudioLevelDB)
		}
	}
	sink.check(t)
}

// TestSinkGetsTheSenderReport: the publisher's RTCP sender reports reach sinks as the
// mapping of its RTP clock to its wallclock, which a recorder needs to put a publisher's
// microphone and camera in sync.
func TestSinkGetsTheSenderReport(t *testing.T) {
	s := newTestSFU(t, Config{})
	sink := &testSink{ignore: video}
	attach(t, s, "room", sink)
	a := join(t, s, "room", "a", everything)
	a.publish(audio, SourceMicrophone)
	tr := sink.receiving(t, "a", audio)
	var sr SenderReport
	waitFor(t, "a sender report at the sink", func() bool {
		var ok bool
		sr, ok = tr.st.SenderReport()
		return ok
	})
	// Publisher and SFU share this machine's clock, so the report's wallclock is now-ish.
	if d := time.Since(sr.NTP); d < -time.Second || d > 5*time.Second {
		t.Errorf("sender report wallclock %v is %v from now", sr.NTP, d)
	}
	if d := time.Since(sr.Received); d < 0 || d > 5*time.Second {
		t.Errorf("sender report received %v ago", d)
	}
	// Its RTP time is the track's clock: within a couple of seconds of the packets sent.
	tr.mu.Lock()
	n := len(tr.seqs)
	tr.mu.Unlock()
	if n == 0 {
		t.Fatal("no packets before the sender report")
	}
	ts, ok := tr.lastTimestamp()
	if !ok {
		t.Fatal("no timestamp recorded")
	}
	if d := int32(ts - sr.RTPTime); d < -2*48000 || d > 2*48000 {
		t.Errorf("sender report RTP time %d is %d ticks from the stream's %d", sr.RTPTime, d, ts)
	}
	sink.check(t)
}
