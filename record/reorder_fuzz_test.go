package record

import (
	"testing"
	"time"
)

// FuzzReorder feeds the reorder buffer arbitrary sequence numbers and arrival times. It
// must never panic, never release a packet out of order or twice between resets, and
// account for every packet pushed.
func FuzzReorder(f *testing.F) {
	f.Add([]byte{0, 1, 5, 0, 2, 5, 0, 0xff, 5, 0, 3, 100})              // in order, a step back
	f.Add([]byte{0x80, 0xff, 0xfe, 0, 1, 1, 0, 1, 1, 0, 1, 60})         // across the wrap
	f.Add([]byte{0, 1, 1, 0x80, 0x80, 0x00, 0x80, 0x80, 0x01, 0, 1, 1}) // a jump, confirmed
	f.Add([]byte{0, 5, 1, 0, 100, 1, 0, 0x9c, 1, 0, 1, 200})            // gaps, and a full window
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := ReorderConfig{MaxPackets: 64, MaxDelay: 50 * time.Millisecond, MaxJump: 200}
		r := NewReorder(cfg)
		var seq uint16 = 1000
		at := rtpT0
		var prev uint16
		released := false
		var out []Packet
		// Consecutive releases are never further apart than a jump and a window, so
		// their 16-bit difference tells their order, across the wrap too. A reset
		// releases the old numbering, then the new one, in the same Pop.
		check := func(pkts []Packet, loss Loss) {
			for _, p := range pkts {
				s := p.SequenceNumber
				if released && !loss.Reset && int16(s-prev) < 1 {
					t.Fatalf("released %d after %d", s, prev)
				}
				prev, released = s, true
			}
		}
		for len(data) >= 3 {
			if data[0]&0x80 != 0 {
				seq = uint16(data[1])<<8 | uint16(data[2])
			} else {
				seq += uint16(int8(data[1]))
			}
			at = at.Add(time.Duration(data[2]) * time.Millisecond)
			data = data[3:]
			r.Push(seqPacket(seq), at)
			var loss Loss
			out, loss = r.Pop(out[:0], at)
			check(out, loss)
		}
		out, loss := r.Flush(out[:0])
		check(out, loss)
		st := r.Stats()
		if st.Held != 0 || st.In != st.Out+st.Late+st.Duplicates+st.Stray {
			t.Fatalf("packets unaccounted for: %+v", st)
		}
	})
}
