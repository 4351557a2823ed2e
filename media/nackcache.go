package media

import (
	"sync/atomic"

	"github.com/pion/rtp"
)

// nackCacheSize is how many of a video track's latest packets are kept for retransmission:
// about 3 s at 1.5 Mbit/s, longer than a retransmission is still useful.
const nackCacheSize = 512

// nackCache holds a published video track's recent packets, once for all its subscribers.
// Pion's NACK responder keeps a copy of every packet per subscriber, which at 240
// subscribers was 13 % of the SFU's CPU (copying) and as many copies of the memory; the
// packets the read loop hands out are never modified afterwards, so one shared ring of
// pointers answers every subscriber's NACKs.
type nackCache struct {
	slots [nackCacheSize]atomic.Pointer[rtp.Packet]
}

// put remembers p; only the track's read loop calls it.
func (c *nackCache) put(p *rtp.Packet) { c.slots[p.SequenceNumber%nackCacheSize].Store(p) }

// get returns the packet with sequence number seq, if it is still cached.
func (c *nackCache) get(seq uint16) *rtp.Packet {
	if p := c.slots[seq%nackCacheSize].Load(); p != nil && p.SequenceNumber == seq {
		return p
	}
	return nil
}
