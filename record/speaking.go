package record

import (
	"time"

	"github.com/pion/rtp"
)

// Speaking detection from the audio level header extension (RFC 6464) that publishers send
// with their microphone's packets: who spoke when, for the player's timeline and, later,
// the composed recording's speaker layout. No audio is decoded.

const (
	// speakingLevel is the loudest-to-quietest bound, in -dBov, of a packet that counts
	// as speech: 0 is the loudest a packet can be, 127 silence. Browsers measure speech
	// at about 20-45; room noise is quieter than 55.
	speakingLevel = 50
	// speakingHangover keeps an interval open over the pauses between words.
	speakingHangover = 600 * time.Millisecond
	// maxSpeakingIntervals bounds what one participant's timeline keeps: about a week
	// of talking in ten-second turns. Later speech is not listed (and says so).
	maxSpeakingIntervals = 50000
)

// Interval is a span of a recording, from its start.
type Interval struct {
	Start, End time.Duration
}

// speech is one participant's speaking timeline.
type speech struct {
	spans     []Interval
	open      bool // the last span is still going
	last      time.Duration
	truncated bool
}

// loud reports whether a packet of a track whose audio level extension has this id
// carries speech.
func loud(pkt *rtp.Packet, id uint8) bool {
	if id == 0 || !pkt.Extension {
		return false
	}
	ext := pkt.GetExtension(id)
	if len(ext) < 1 {
		return false
	}
	return ext[0]&0x7f <= speakingLevel
}

// heard notes a loud packet at this time of the recording.
func (sp *speech) heard(at time.Duration) {
	if sp.open && at-sp.last <= speakingHangover {
		if at > sp.last {
			sp.last = at
			sp.spans[len(sp.spans)-1].End = at
		}
		return
	}
	if len(sp.spans) >= maxSpeakingIntervals {
		sp.truncated = true
		return
	}
	sp.spans = append(sp.spans, Interval{Start: at, End: at})
	sp.open, sp.last = true, at
}

// intervals is the timeline as it stands: each span ends at its last loud packet, plus
// the 20 ms that packet lasts.
func (sp *speech) intervals() []Interval {
	out := make([]Interval, len(sp.spans))
	for i, s := range sp.spans {
		out[i] = Interval{Start: s.Start, End: s.End + 20*time.Millisecond}
	}
	return out
}
