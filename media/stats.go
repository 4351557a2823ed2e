package media

import "time"

// TrackStats are one published track's figures, reported every Config.StatsInterval.
// Counters are totals since the track was published; Bitrate covers the last interval.
type TrackStats struct {
	TrackInfo
	Bitrate     float64       // bits per second received from the publisher
	Packets     uint64        // RTP packets received from the publisher
	Bytes       uint64        // RTP bytes received, headers included
	PacketsLost int64         // as seen on the publisher's uplink
	Jitter      time.Duration // interarrival jitter on the uplink
	NACKs       uint64        // NACKs received from subscribers (answered from the cache)
	PLIs        uint64        // PLIs and FIRs received from subscribers
	Keyframes   uint64        // keyframe requests sent to the publisher (after throttling)
	Dropped     uint64        // packets dropped because a subscriber's queue was full
	Subscribers int
}

type statsSample struct {
	at    time.Time
	bytes uint64
}

func (s *SFU) statsLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.StatsInterval)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case now := <-t.C:
			s.reportStats(now)
		}
	}
}

func (s *SFU) reportStats(now time.Time) {
	s.mu.Lock()
	rooms := make([]*room, 0, len(s.rooms))
	for _, r := range s.rooms {
		rooms = append(rooms, r)
	}
	s.mu.Unlock()
	for _, r := range rooms {
		for _, u := range r.published() {
			s.cfg.OnStats(u.snapshot(now))
		}
	}
}

// snapshot is called only from the stats loop, which owns statsLast.
func (u *upTrack) snapshot(now time.Time) TrackStats {
	bytes := u.bytes.Load()
	st := TrackStats{
		TrackInfo: u.info(), Packets: u.packets.Load(), Bytes: bytes,
		NACKs: u.nacksIn.Load(), PLIs: u.plisIn.Load() + u.firsIn.Load(),
		Keyframes: u.keyframesSent.Load(), Dropped: u.dropped.Load(), Subscribers: u.subscribers(),
	}
	if last := u.statsLast; !last.at.IsZero() {
		if secs := now.Sub(last.at).Seconds(); secs > 0 {
			st.Bitrate = float64(bytes-last.bytes) * 8 / secs
		}
	}
	u.statsLast = statsSample{at: now, bytes: bytes}
	if g := u.owner.stats.Load(); g != nil {
		if in := (*g).Get(uint32(u.remote.SSRC())); in != nil {
			st.PacketsLost = in.InboundRTPStreamStats.PacketsLost
			st.Jitter = time.Duration(in.InboundRTPStreamStats.Jitter * float64(time.Second))
		}
	}
	return st
}
