package signal

import (
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"
)

// Rate is a token bucket: PerSecond sustained, Burst at once.
type Rate struct {
	PerSecond float64
	Burst     int
}

// Limits bound what one connection may send, so that no participant can flood the server
// or, through the frames its acts fan out, the others (docs/signalling.md, "Limits").
type Limits struct {
	// Frames bounds every frame a connection sends, whatever its type, bad ones included.
	Frames Rate
	// Per kind of frame: offers and answers, ICE candidates, mute and unmute, moderation
	// acts (kick, muteParticipant, setRole, endMeeting), chat messages.
	Negotiation, Candidates, Mutes, Moderation, Chat Rate
	// Strikes is how many frames of a connection may be refused for its limits within
	// StrikeWindow; one more and the connection is closed (1008).
	Strikes      int
	StrikeWindow time.Duration
	// MuteFanout is the shortest time between two trackMuted frames the others get about
	// one source of a participant: toggles in between are coalesced into the latest state.
	MuteFanout time.Duration
}

// DefaultLimits are generous for a browser (which sends a few offers and a burst of
// candidates when it joins, and a mute when someone clicks) and tight for a script.
func DefaultLimits() Limits {
	return Limits{
		Frames:      Rate{PerSecond: 50, Burst: 100},
		Negotiation: Rate{PerSecond: 5, Burst: 20},
		Candidates:  Rate{PerSecond: 20, Burst: 100},
		Mutes:       Rate{PerSecond: 5, Burst: 10},
		Moderation:  Rate{PerSecond: 5, Burst: 10},
		Chat:        Rate{PerSecond: 5, Burst: 10},
		Strikes:     50, StrikeWindow: 10 * time.Second,
		MuteFanout: 250 * time.Millisecond,
	}
}

// withDefaults fills the zero members of l from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	for _, r := range []struct{ v, d *Rate }{
		{&l.Frames, &d.Frames}, {&l.Negotiation, &d.Negotiation}, {&l.Candidates, &d.Candidates},
		{&l.Mutes, &d.Mutes}, {&l.Moderation, &d.Moderation}, {&l.Chat, &d.Chat},
	} {
		if r.v.PerSecond <= 0 || r.v.Burst <= 0 {
			*r.v = *r.d
		}
	}
	if l.Strikes <= 0 {
		l.Strikes = d.Strikes
	}
	if l.StrikeWindow <= 0 {
		l.StrikeWindow = d.StrikeWindow
	}
	if l.MuteFanout <= 0 {
		l.MuteFanout = d.MuteFanout
	}
	return l
}

func (r Rate) limiter() *rate.Limiter { return rate.NewLimiter(rate.Limit(r.PerSecond), r.Burst) }

// limiter is one connection's buckets; only its reading goroutine uses it.
type limiter struct {
	l                              Limits
	frames                         *rate.Limiter
	negotiation, candidates, mutes *rate.Limiter
	moderation, chat               *rate.Limiter
	strikes                        int
	windowStart, lastLog           time.Time
}

func newLimiter(l Limits) *limiter {
	return &limiter{l: l, frames: l.Frames.limiter(), negotiation: l.Negotiation.limiter(),
		candidates: l.Candidates.limiter(), mutes: l.Mutes.limiter(), moderation: l.Moderation.limiter(),
		chat: l.Chat.limiter()}
}

// bucket is the limiter of a frame type (nil for leave, which ends the connection).
func (lm *limiter) bucket(typ string) (*rate.Limiter, string) {
	switch typ {
	case inOffer, inAnswer:
		return lm.negotiation, "negotiation"
	case inCandidate:
		return lm.candidates, "candidates"
	case inMute, inUnmute, inHand:
		return lm.mutes, "mutes"
	case inKick, inMuteParticipant, inSetRole, inEndMeeting, inStartRecording, inStopRecording, inLowerHand:
		return lm.moderation, "moderation"
	case inChat:
		return lm.chat, "chat"
	}
	return nil, ""
}

// strike counts a refused frame; it reports whether the connection is past its strikes
// and whether this offender should be logged now (once per window).
func (lm *limiter) strike(now time.Time) (closeNow, logNow bool) {
	if now.Sub(lm.windowStart) > lm.l.StrikeWindow {
		lm.windowStart, lm.strikes = now, 0
	}
	lm.strikes++
	if now.Sub(lm.lastLog) > lm.l.StrikeWindow {
		lm.lastLog, logNow = now, true
	}
	return lm.strikes > lm.l.Strikes, logNow
}

// overLimit answers a frame refused for the limit of kind (ref is the frame's, if any);
// false when the connection is past its strikes and is being closed.
func (c *conn) overLimit(kind, ref string) bool {
	closeNow, logNow := c.lim.strike(time.Now())
	if logNow {
		c.s.log.Warn("signalling client over its limit", "room", c.roomID, "participant", c.identity, "limit", kind)
	}
	if closeNow {
		f := errorFrame(codeRateLimited, "Too many frames: the connection is closed")
		c.finish(&f, websocket.StatusPolicyViolation, "too many frames")
		return false
	}
	code, msg := codeRateLimited, "Too many "+kind+" frames: slow down"
	if kind == "chat" {
		code, msg = codeChatRateLimited, "Too many chat messages: slow down"
	}
	e := errorFrame(code, msg)
	e.Ref = ref
	c.send(e)
	return true
}
