package record

import "time"

// opusPacketDuration returns how much audio an Opus packet holds, from its
// TOC byte and, for code 3 packets, its frame count (RFC 6716 section 3.1).
// Repair uses it to end a file exactly where its last audio packet ends.
// It returns 0 for an empty or malformed packet.
func opusPacketDuration(p []byte) time.Duration {
	if len(p) == 0 {
		return 0
	}
	config := p[0] >> 3
	var frame time.Duration
	switch {
	case config < 12: // SILK: 10, 20, 40, 60 ms
		frame = [...]time.Duration{10, 20, 40, 60}[config%4] * time.Millisecond
	case config < 16: // hybrid: 10, 20 ms
		frame = [...]time.Duration{10, 20}[config%2] * time.Millisecond
	default: // CELT: 2.5, 5, 10, 20 ms
		frame = [...]time.Duration{2500, 5000, 10000, 20000}[config%4] * time.Microsecond
	}
	var frames int
	switch p[0] & 3 {
	case 0:
		frames = 1
	case 1, 2:
		frames = 2
	default:
		if len(p) < 2 {
			return 0
		}
		frames = int(p[1] & 0x3f)
	}
	d := time.Duration(frames) * frame
	if d > 120*time.Millisecond { // the most one packet may hold
		return 0
	}
	return d
}
