package media

import "github.com/pion/webrtc/v4"

// SignalType says what a Signal carries.
type SignalType string

// Signals the server sends to a client.
const (
	SignalOffer  SignalType = "offer"  // answer it with Peer.HandleAnswer
	SignalAnswer SignalType = "answer" // the answer to the client's last offer
)

// Signal is a session description from the server to one client. It holds all the server's
// ICE candidates.
type Signal struct {
	Type SignalType
	SDP  string
}

// Candidate is an ICE candidate from the client, in the browser's RTCIceCandidateInit JSON
// form, so the signalling layer can decode it without importing Pion.
type Candidate = webrtc.ICECandidateInit

// TrackInfo describes a published track.
type TrackInfo struct {
	Room     string
	Peer     string // publisher; also the MediaStream id subscribers see
	TrackID  string // the track id subscribers see
	Kind     string // "audio" or "video"
	Source   Source
	MimeType string // e.g. "video/VP8"
}
