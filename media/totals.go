package media

import "sync"

// Totals are the SFU's figures for metrics: counters since it started, summed over every
// track and peer it had (those gone included, so that they never go down), and the rooms,
// peers and published tracks it has now.
type Totals struct {
	PacketsIn, BytesIn   uint64 // RTP received from publishers, headers included
	PacketsOut, BytesOut uint64 // RTP written to subscribers
	NACKs                uint64 // NACKs received from subscribers
	PLIs                 uint64 // PLIs and FIRs received from subscribers
	Retransmits          uint64 // packets resent from the cache for NACKs
	KeyframeRequests     uint64 // keyframe requests sent to publishers (after throttling)
	Dropped              uint64 // packets dropped because a subscriber's queue was full
	// PacketsLost is the publishers' uplink loss, as their receiver reports tell it.
	PacketsLost uint64

	Rooms, Peers, Tracks int // now
}

func (t *Totals) addUp(u *upTrack) {
	t.PacketsIn += u.packets.Load()
	t.BytesIn += u.bytes.Load()
	t.NACKs += u.nacksIn.Load()
	t.PLIs += u.plisIn.Load() + u.firsIn.Load()
	t.Retransmits += u.retransmits.Load()
	t.KeyframeRequests += u.keyframesSent.Load()
	t.Dropped += u.dropped.Load()
	t.PacketsLost += u.lostSeen.Load()
}

func (t *Totals) addPeer(p *Peer) {
	t.PacketsOut += p.sentPackets.Load()
	t.BytesOut += p.sentBytes.Load()
}

// totals keeps the tracks and peers being counted and what those gone counted: a track or
// peer moves from the live sets into retired under one lock, so a reader never sees it
// twice or not at all.
type totals struct {
	mu      sync.Mutex
	ups     map[*upTrack]struct{}
	peers   map[*Peer]struct{}
	retired Totals
}

func (t *totals) enterUp(u *upTrack) {
	t.mu.Lock()
	if t.ups == nil {
		t.ups = map[*upTrack]struct{}{}
	}
	t.ups[u] = struct{}{}
	t.mu.Unlock()
}

func (t *totals) leaveUp(u *upTrack) {
	u.noteLost()
	t.mu.Lock()
	delete(t.ups, u)
	t.retired.addUp(u)
	t.mu.Unlock()
}

func (t *totals) enterPeer(p *Peer) {
	t.mu.Lock()
	if t.peers == nil {
		t.peers = map[*Peer]struct{}{}
	}
	t.peers[p] = struct{}{}
	t.mu.Unlock()
}

func (t *totals) leavePeer(p *Peer) {
	t.mu.Lock()
	delete(t.peers, p)
	t.retired.addPeer(p)
	t.mu.Unlock()
}

// noteLost keeps the largest uplink loss the receiver reports told, so that it still
// counts once the track's connection, and its reports, are gone.
func (u *upTrack) noteLost() {
	g := u.owner.stats.Load()
	if g == nil {
		return
	}
	in := (*g).Get(uint32(u.remote.SSRC()))
	if in == nil || in.InboundRTPStreamStats.PacketsLost <= 0 {
		return
	}
	lost := uint64(in.InboundRTPStreamStats.PacketsLost)
	for {
		cur := u.lostSeen.Load()
		if lost <= cur || u.lostSeen.CompareAndSwap(cur, lost) {
			return
		}
	}
}

// Totals sums the SFU's counters now. It reads atomics and takes no peer's or room's
// lock for long, so a scrape never holds up forwarding.
func (s *SFU) Totals() Totals {
	s.totals.mu.Lock()
	ups := make([]*upTrack, 0, len(s.totals.ups))
	for u := range s.totals.ups {
		ups = append(ups, u)
	}
	s.totals.mu.Unlock()
	for _, u := range ups {
		u.noteLost() // outside the lock: the interceptor's getter takes its own
	}
	s.totals.mu.Lock()
	t := s.totals.retired
	for u := range s.totals.ups {
		t.addUp(u)
	}
	for p := range s.totals.peers {
		t.addPeer(p)
	}
	s.totals.mu.Unlock()
	s.mu.Lock()
	rooms := make([]*room, 0, len(s.rooms))
	for _, r := range s.rooms {
		rooms = append(rooms, r)
	}
	s.mu.Unlock()
	t.Rooms = len(rooms)
	for _, r := range rooms {
		r.mu.Lock()
		t.Peers += len(r.peers)
		t.Tracks += len(r.tracks)
		r.mu.Unlock()
	}
	return t
}
