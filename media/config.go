package media

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pion/webrtc/v4"
)

// DefaultUDPPort is the UDP port main passes by default: every peer's media uses it.
const DefaultUDPPort = 7882

// Config configures an SFU. Callbacks are called from SFU goroutines and must return quickly;
// they may be nil.
type Config struct {
	// UDPPort is the single UDP port all peers share; 0 picks a free port (tests).
	UDPPort int
	// IPs restricts the addresses listened on and announced as host candidates; empty means
	// every local address.
	IPs []string
	// PublicIP, when set, is announced instead of the local addresses (NAT 1:1).
	PublicIP string
	// Logger receives the SFU's and Pion's messages; slog.Default when nil.
	Logger *slog.Logger
	// KeyframeInterval is the shortest gap between two keyframe requests sent to one
	// publisher track, however many subscribers ask; 500 ms when zero.
	KeyframeInterval time.Duration
	// StatsInterval is how often OnStats is called per published track; 5 s when zero,
	// never when negative.
	StatsInterval time.Duration
	// NoBatch writes every outgoing datagram with its own syscall, as before egress batching
	// (see batchconn.go); it exists to measure what batching gains.
	NoBatch bool
	// QueueLength is the number of packets a subscriber may have waiting to be written
	// before further packets to it are dropped; 512 when zero.
	QueueLength int
	// SinkQueueLength is the number of packets a sink (all its tracks together) may have
	// waiting before further packets to it are dropped; 4096 when zero. A sink takes its
	// packets in batches (see SinkBatch), so it needs the room to hold one.
	SinkQueueLength int
	// SinkBatch is how long a sink's goroutine lets packets gather before it takes them
	// again, once it has taken some: the recorder is not in a hurry, and waking once per
	// batch rather than once per packet is most of what a sink costs. 10 ms when zero;
	// negative for no wait.
	SinkBatch time.Duration

	// OnTrackPublished is called when a track starts being forwarded to the room.
	OnTrackPublished func(TrackInfo)
	// OnTrackUnpublished is called when a track stops being forwarded (ended, revoked, left).
	OnTrackUnpublished func(TrackInfo)
	// OnStats is called every StatsInterval for every published track.
	OnStats func(TrackStats)
	// OnPeerClosed is called once a peer is gone, whether it left or its connection failed.
	OnPeerClosed func(room, peer string)

	// writeHook, when set, runs before every packet written to a subscriber; tests use it to
	// make one subscriber slow.
	writeHook func(peer string)
}

// PublishRights say which kinds of track a peer may publish.
type PublishRights struct {
	Audio  bool // microphone
	Video  bool // camera
	Screen bool // screen share, video and its audio
}

// allows reports whether a track of this kind and source may be forwarded.
func (r PublishRights) allows(kind webrtc.RTPCodecType, src Source) bool {
	switch {
	case kind == webrtc.RTPCodecTypeAudio && src == SourceScreenAudio:
		return r.Screen
	case kind == webrtc.RTPCodecTypeAudio:
		return r.Audio
	case kind == webrtc.RTPCodecTypeVideo && src == SourceScreen:
		return r.Screen
	case kind == webrtc.RTPCodecTypeVideo:
		return r.Video
	}
	return false
}

// Source is what a published track carries, as declared by the client per m-line.
type Source string

// Sources a client may declare. An undeclared or mismatched source falls back to
// microphone (audio) or camera (video), so a false declaration never grants more.
const (
	SourceMicrophone  Source = "microphone"
	SourceCamera      Source = "camera"
	SourceScreen      Source = "screen"
	SourceScreenAudio Source = "screen_audio"
)

// sourceFor resolves the declared source of a track of the given kind.
func sourceFor(kind webrtc.RTPCodecType, declared Source) Source {
	if kind == webrtc.RTPCodecTypeAudio {
		if declared == SourceScreenAudio {
			return declared
		}
		return SourceMicrophone
	}
	if declared == SourceScreen {
		return declared
	}
	return SourceCamera
}

func validSource(s Source) bool {
	switch s {
	case SourceMicrophone, SourceCamera, SourceScreen, SourceScreenAudio:
		return true
	}
	return false
}

// Errors returned by the SFU; the signalling layer maps them to messages for the client.
var (
	ErrClosed      = errors.New("media: closed")
	ErrPeerExists  = errors.New("media: a peer with this id is already in the room")
	ErrBadID       = errors.New("media: ids must be 1-64 letters, digits, '-', '_' or '.'")
	ErrGlare       = errors.New("media: offer ignored, the server's offer is outstanding; answer it, then offer again")
	ErrNoOffer     = errors.New("media: answer without an outstanding offer")
	ErrBadSource   = errors.New("media: unknown track source")
	ErrTooMany     = fmt.Errorf("media: an offer may publish at most %d tracks", MaxPublished)
	errGatherStuck = errors.New("media: ICE gathering did not complete")
)

// validID keeps ids usable as MediaStream ids (SDP msid tokens) and in logs.
func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}

func (c *Config) withDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.KeyframeInterval <= 0 {
		c.KeyframeInterval = 500 * time.Millisecond
	}
	if c.StatsInterval == 0 {
		c.StatsInterval = 5 * time.Second
	}
	if c.SinkQueueLength <= 0 {
		c.SinkQueueLength = 4096
	}
	if c.SinkBatch == 0 {
		c.SinkBatch = 10 * time.Millisecond
	}
	if c.QueueLength <= 0 {
		c.QueueLength = 512
	}
}
