package main

import (
	"encoding/binary"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// window gates counting: packets are only recorded while a measurement is running, so setup
// (ICE, DTLS, negotiation) and teardown do not pollute the numbers.
type window struct {
	on        atomic.Bool
	sentVideo atomic.Int64 // packets the publisher sent while on
	sentAudio atomic.Int64
}

// seqStats follows one received stream: packets, sequence gaps and latency.
type seqStats struct {
	w *window

	mu               sync.Mutex
	started          bool
	last             int64 // extended (unwrapped) sequence number of the last packet
	lowest, highest  int64
	count            int64
	lat              []time.Duration
	packetsAnyWindow atomic.Int64 // also counted outside the window: "is it flowing yet?"
	// stampAt is where the send time sits in the payload: after the VP8 descriptor and
	// frame header in video (videoStampAt), at the start in audio.
	stampAt int
}

// record notes one packet. Payloads start with the send time (see stampPayload).
func (s *seqStats) record(seq uint16, payload []byte, now time.Time) {
	s.packetsAnyWindow.Add(1)
	if !s.w.on.Load() || len(payload) < s.stampAt+8 {
		return
	}
	sent := int64(binary.BigEndian.Uint64(payload[s.stampAt:]))
	s.mu.Lock()
	defer s.mu.Unlock()
	// Unwrap the 16-bit sequence number relative to the last one; reordering within ±32767
	// is handled, which on loopback is plenty.
	ext := int64(seq)
	if s.started {
		ext = s.last + int64(int16(seq-uint16(s.last)))
	} else {
		s.started, s.lowest, s.highest = true, ext, ext
	}
	s.last = ext
	s.lowest, s.highest = min(s.lowest, ext), max(s.highest, ext)
	s.count++
	s.lat = append(s.lat, now.Sub(time.Unix(0, sent)))
}

// totals returns received packets and the number expected from the span of sequence numbers
// seen: the difference is loss (gaps), not counting packets lost at the very edges of the
// window.
func (s *seqStats) totals() (received, expected int64, lat []time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		return 0, 0, nil
	}
	return s.count, s.highest - s.lowest + 1, s.lat
}

// stampPayload fills a synthetic payload of n bytes starting with the send time.
func stampPayload(n int) []byte {
	b := make([]byte, n)
	binary.BigEndian.PutUint64(b, uint64(time.Now().UnixNano()))
	for i := 8; i < n; i++ {
		b[i] = byte(i) // arbitrary non-zero filler; nothing decodes it
	}
	return b
}

// videoStampAt is where video payloads carry their send time.
const videoStampAt = 16

// vp8Payload is a synthetic video payload of n bytes shaped as VP8 as far as a recorder
// looks (RFC 7741 descriptor, and the frame tag and keyframe start code of the first
// packet of a frame), so that recording it costs what recording real video costs. The
// send time sits at videoStampAt. seq counts from 1; a frame is 5 packets and every 30th
// frame is a keyframe.
func vp8Payload(n int, seq uint16) []byte {
	b := stampPayloadAt(n, videoStampAt)
	if (seq-1)%5 != 0 {
		b[0] = 0x00 // a continuation of the frame
		return b
	}
	b[0] = 0x10 // S: the start of partition 0
	key := ((seq-1)/5)%30 == 0
	b[1], b[2], b[3] = 0x11, 0, 0 // frame tag: an interframe, shown
	if key {
		b[1] = 0x10 // P clear: a keyframe
		copy(b[4:11], []byte{0x9d, 0x01, 0x2a, 320 & 0xff, 320 >> 8, 240, 0})
	}
	return b
}

func stampPayloadAt(n, at int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	binary.BigEndian.PutUint64(b[at:], uint64(time.Now().UnixNano()))
	return b
}

// pace calls send for every video and audio packet of the stream until stop closes. Video
// goes out evenly at videoPPS rather than in per-frame bursts: a simplification, since the
// SFU forwards packet by packet and bursts only stress socket buffers.
func pace(stop <-chan struct{}, w *window, send func(video bool, seq uint16)) {
	vt := time.NewTicker(time.Second / videoPPS)
	at := time.NewTicker(time.Second / audioPPS)
	defer vt.Stop()
	defer at.Stop()
	var vseq, aseq uint16
	for {
		select {
		case <-stop:
			return
		case <-vt.C:
			vseq++
			if w.on.Load() {
				w.sentVideo.Add(1)
			}
			send(true, vseq)
		case <-at.C:
			aseq++
			if w.on.Load() {
				w.sentAudio.Add(1)
			}
			send(false, aseq)
		}
	}
}

// measure sums a set of received streams into the window's report.
func measure(streams []*seqStats, w *window, fanout int) report {
	rep := report{Sent: w.sentVideo.Load() + w.sentAudio.Load(), Fanout: fanout}
	var lat []time.Duration
	for _, s := range streams {
		r, e, l := s.totals()
		rep.Received += r
		rep.Expected += e
		lat = append(lat, l...)
	}
	slices.Sort(lat)
	rep.P50, rep.P99 = int64(percentile(lat, 0.50)), int64(percentile(lat, 0.99))
	return rep
}

// percentile returns the p-th percentile (0..1) of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)-1))
	return sorted[i]
}

// cpuTime is this process's user+system CPU so far (RUSAGE_SELF: its children are not
// counted, so the server's figure excludes the clients process). getrusage gives the same
// utime+stime as /proc/self/stat, but in microseconds rather than 10 ms clock ticks, which
// matters for 5-second windows.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
