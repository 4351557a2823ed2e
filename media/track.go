package media

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// upTrack is a track a peer publishes: read by one goroutine and handed to the send queue of
// every subscriber and every sink.
type upTrack struct {
	owner    *Peer
	remote   *webrtc.TrackRemote
	receiver *webrtc.RTPReceiver
	id       string // the track id subscribers see
	source   Source
	codec    webrtc.RTPCodecParameters

	allowed atomic.Bool // publish rights permit forwarding
	muted   atomic.Bool // a moderator stopped forwarding
	// published is owned by the owner's goroutine.
	published bool

	downsMu sync.Mutex                   // serialises writers of downs
	downs   atomic.Pointer[[]*downTrack] // read lock-free on every packet
	sinksMu sync.Mutex                   // serialises writers of sinks
	sinks   atomic.Pointer[[]*sinkTrack] // likewise; nil when no sink takes the track

	cache     *nackCache                   // video only: recent packets for subscribers' NACKs
	kf        chan struct{}                // coalesced keyframe requests
	useFIR    bool                         // the publisher understands FIR but not PLI
	levelID   uint8                        // the audio level extension's id in its packets, 0 if none
	sr        atomic.Pointer[SenderReport] // the publisher's latest, for sinks
	done      chan struct{}
	closeOnce sync.Once

	packets, bytes, dropped atomic.Uint64
	plisIn, firsIn, nacksIn atomic.Uint64 // from subscribers
	retransmits             atomic.Uint64 // packets resent from the cache
	keyframesSent           atomic.Uint64 // to the publisher
	lostSeen                atomic.Uint64 // the largest uplink loss reported (totals.go)
	statsLast               statsSample   // owned by the stats loop
}

func (u *upTrack) kind() webrtc.RTPCodecType { return u.remote.Kind() }

func (u *upTrack) info() TrackInfo {
	return TrackInfo{Room: u.owner.roomID, Peer: u.owner.id, TrackID: u.id,
		Kind: u.kind().String(), Source: u.source, MimeType: u.codec.MimeType}
}

func (u *upTrack) close() { u.closeOnce.Do(func() { close(u.done) }) }

func (u *upTrack) addDown(d *downTrack)     { cowAdd(&u.downsMu, &u.downs, d) }
func (u *upTrack) removeDown(d *downTrack)  { cowRemove(&u.downsMu, &u.downs, d) }
func (u *upTrack) addSink(st *sinkTrack)    { cowAdd(&u.sinksMu, &u.sinks, st) }
func (u *upTrack) removeSink(st *sinkTrack) { cowRemove(&u.sinksMu, &u.sinks, st) }

// cowAdd and cowRemove change a list the read loop loads without a lock on every packet:
// writers, serialised by mu, store a fresh copy and never touch one a reader may hold.
func cowAdd[T comparable](mu *sync.Mutex, list *atomic.Pointer[[]T], x T) {
	mu.Lock()
	defer mu.Unlock()
	var cur []T
	if old := list.Load(); old != nil {
		cur = *old
	}
	next := append(append(make([]T, 0, len(cur)+1), cur...), x)
	list.Store(&next)
}

// cowRemove stores nil once the list is empty, so the read loop's check stays one load.
func cowRemove[T comparable](mu *sync.Mutex, list *atomic.Pointer[[]T], x T) {
	mu.Lock()
	defer mu.Unlock()
	old := list.Load()
	if old == nil {
		return
	}
	next := make([]T, 0, len(*old))
	for _, y := range *old {
		if y != x {
			next = append(next, y)
		}
	}
	if len(next) == 0 {
		list.Store(nil)
		return
	}
	list.Store(&next)
}

func (u *upTrack) subscribers() int {
	if d := u.downs.Load(); d != nil {
		return len(*d)
	}
	return 0
}

// onTrack runs on a Pion goroutine when the client starts sending a track.
func (p *Peer) onTrack(remote *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	mid := ""
	for _, t := range p.pc.GetTransceivers() {
		if t.Receiver() == receiver {
			mid = t.Mid()
			break
		}
	}
	p.mu.Lock()
	declared := p.sources[mid]
	p.mu.Unlock()
	codec := remote.Codec()
	src := sourceFor(remote.Kind(), declared)
	u := &upTrack{
		owner: p, remote: remote, receiver: receiver, source: src, codec: codec,
		id:   fmt.Sprintf("%s-%s", src, mid),
		done: make(chan struct{}),
	}
	if remote.Kind() == webrtc.RTPCodecTypeVideo {
		u.kf = make(chan struct{}, 1) // audio needs no keyframes
		u.cache = &nackCache{}        // nor retransmissions (browsers negotiate NACK for video)
	}
	u.useFIR = hasFeedback(codec, "ccm", "fir") && !hasFeedback(codec, "nack", "pli")
	for _, h := range receiver.GetParameters().HeaderExtensions {
		if h.URI == sdp.AudioLevelURI && h.ID > 0 && h.ID < 256 {
			u.levelID = uint8(h.ID)
		}
	}
	// Read RTCP from the publisher too, so receiver-side interceptors see sender reports.
	if !p.goTracked(u.readLoop) || !p.goTracked(u.readRTCP) ||
		(remote.Kind() == webrtc.RTPCodecTypeVideo && !p.goTracked(u.keyframeLoop)) {
		return
	}
	p.post(func() { p.addUp(u) })
}

func hasFeedback(c webrtc.RTPCodecParameters, typ, param string) bool {
	for _, fb := range c.RTCPFeedback {
		if strings.EqualFold(fb.Type, typ) && strings.EqualFold(fb.Parameter, param) {
			return true
		}
	}
	return false
}

// addUp registers a new track of this peer and publishes it if its rights allow.
func (p *Peer) addUp(u *upTrack) {
	select {
	case <-u.done:
		return // ended before we got to it
	default:
	}
	p.ups = append(p.ups, u)
	p.mu.Lock()
	r := p.rights
	p.mu.Unlock()
	if !r.allows(u.kind(), u.source) {
		p.log.Warn("refusing track the peer may not publish", "kind", u.kind().String(), "source", u.source)
	}
	p.applyRights(u, r)
}

func (p *Peer) applyRights(u *upTrack, r PublishRights) {
	ok := r.allows(u.kind(), u.source)
	u.allowed.Store(ok)
	switch {
	case ok && !u.published:
		u.published = true
		p.room.publish(u)
	case !ok && u.published:
		u.published = false
		p.room.unpublish(u)
	}
}

// removeUp forgets a track whose client stopped sending it.
func (p *Peer) removeUp(u *upTrack) {
	for i, x := range p.ups {
		if x == u {
			p.ups = append(p.ups[:i:i], p.ups[i+1:]...)
			break
		}
	}
	if u.published {
		u.published = false
		p.room.unpublish(u)
	}
	u.close()
}

// readLoop forwards the publisher's packets until the track ends.
func (u *upTrack) readLoop() {
	defer u.owner.post(func() { u.owner.removeUp(u) })
	u.owner.sfu.totals.enterUp(u)
	defer u.owner.sfu.totals.leaveUp(u)
	pt := uint8(u.codec.PayloadType)
	for {
		pkt, _, err := u.remote.ReadRTP()
		if err != nil {
			return
		}
		u.packets.Add(1)
		u.bytes.Add(uint64(pkt.MarshalSize()))
		// Only the negotiated codec goes through: nothing smuggled under another payload type.
		if !u.allowed.Load() || u.muted.Load() || pkt.PayloadType != pt {
			continue
		}
		// Extension ids are per connection; the subscriber's interceptors add their own.
		// Sinks of an audio track with the audio level (RFC 6464, for a recorder's speaker
		// detection) keep them: they get a copy of the header, taken before the extensions
		// go. Video packets, most of them, need no copy.
		forSinks := pkt
		if ss := u.sinks.Load(); ss != nil && len(*ss) > 0 && pkt.Extension && u.levelID != 0 {
			cp := *pkt
			forSinks = &cp
		}
		pkt.Extension, pkt.Extensions, pkt.ExtensionProfile = false, nil, 0
		if u.cache != nil {
			u.cache.put(pkt)
		}
		if ds := u.downs.Load(); ds != nil {
			for _, d := range *ds {
				d.sub.out.push(d, pkt)
			}
		}
		if ss := u.sinks.Load(); ss != nil {
			now := time.Now() // only paid for while a sink takes the track
			for _, st := range *ss {
				st.conn.push(st, forSinks, now)
			}
		}
	}
}

// readRTCP drains the publisher's RTCP for the interceptors and keeps its latest sender
// report of this track for sinks.
func (u *upTrack) readRTCP() {
	ssrc := uint32(u.remote.SSRC())
	for {
		pkts, _, err := u.receiver.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			if sr, ok := p.(*rtcp.SenderReport); ok && sr.SSRC == ssrc {
				u.sr.Store(&SenderReport{NTP: ntpTime(sr.NTPTime), RTPTime: sr.RTPTime, Received: time.Now()})
			}
		}
	}
}

// ntpTime converts a 64-bit NTP timestamp (seconds since 1900 in its high word, the
// fraction in its low word) to a time.
func ntpTime(ntp uint64) time.Time {
	const ntpEpochOffset = 2208988800 // seconds from 1900 to 1970
	secs := int64(ntp>>32) - ntpEpochOffset
	frac := (ntp & 0xffffffff) * uint64(time.Second) >> 32
	return time.Unix(secs, int64(frac))
}
