package media

import (
	"testing"

	"github.com/pion/rtp"
)

func TestNackCacheKeepsRecentPacketsOnly(t *testing.T) {
	var c nackCache
	pkt := func(seq uint16) *rtp.Packet { return &rtp.Packet{Header: rtp.Header{SequenceNumber: seq}} }
	for seq := uint16(65000); seq != 200; seq++ { // across the wrap of sequence numbers
		c.put(pkt(seq))
	}
	if p := c.get(199); p == nil || p.SequenceNumber != 199 {
		t.Fatalf("latest packet not cached: %v", p)
	}
	if p := c.get(200 - nackCacheSize + 65536); p == nil {
		t.Fatal("the oldest packet still in the ring is missing")
	}
	if p := c.get(200 - nackCacheSize - 1 + 65536); p != nil {
		t.Fatalf("packet %d outlived the ring", p.SequenceNumber)
	}
	if c.get(200) != nil {
		t.Fatal("a packet never sent was found")
	}
}
