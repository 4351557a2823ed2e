package media

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
	"go.uber.org/goleak"

	"conclave/media/mediatest"
)

// Test scaffolding: the shared Pion test client (mediatest.Client), which follows the
// negotiation model of the package doc as a browser client would, talking to a Peer
// directly (no signalling layer).

const waitLong = 10 * time.Second

// room returns the SFU's room (nil if none), for white-box checks.
func (s *SFU) room(id string) *room {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rooms[id]
}

// newTestSFU starts an SFU on 127.0.0.1 and, at cleanup, closes it and checks that no
// goroutine was left behind.
func newTestSFU(t *testing.T, cfg Config) *SFU {
	t.Helper()
	mediatest.NeedNetns(t)
	// Taken now: a snapshot taken at cleanup would excuse whatever was left running.
	before := goleak.IgnoreCurrent()
	cfg.IPs = []string{"127.0.0.1"}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		goleak.VerifyNone(t, before)
	})
	return s
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", waitLong, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// testClient is the shared Pion test client joined to a Peer of the SFU directly.
type testClient struct {
	*mediatest.Client
	peer *Peer
}

type clientOpt func(*mediatest.Options)

// withAudioLevel makes a publisher whose audio carries its level (RFC 6464).
func withAudioLevel() clientOpt { return func(o *mediatest.Options) { o.AudioLevel = true } }

func withSettings(f func(*webrtc.SettingEngine)) clientOpt {
	return func(o *mediatest.Options) { o.Settings = append(o.Settings, f) }
}

// withInterceptor puts f closest to the network, before Pion's own interceptors.
func withInterceptor(f interceptor.Factory) clientOpt {
	return func(o *mediatest.Options) { o.Interceptors = append(o.Interceptors, f) }
}

// withLossBeforeDecryption lets a test drop packets above SRTP as if the network had: without
// it SRTP replay protection would discard the retransmission of a packet already decrypted.
func withLossBeforeDecryption() func(*webrtc.SettingEngine) {
	return func(se *webrtc.SettingEngine) { se.DisableSRTPReplayProtection(true) }
}

func withoutReading() clientOpt {
	return func(o *mediatest.Options) { o.NoRead = true }
}

func join(t *testing.T, s *SFU, room, name string, rights PublishRights, opts ...clientOpt) *testClient {
	t.Helper()
	o := mediatest.Options{Name: name, Fail: t.Errorf}
	for _, f := range opts {
		f(&o)
	}
	mc, err := mediatest.NewClient(o)
	if err != nil {
		t.Fatal(err)
	}
	c := &testClient{Client: mc}
	peer, err := s.Join(room, name, rights, func(sig Signal) { c.Signal(string(sig.Type), sig.SDP) })
	if err != nil {
		c.Close()
		t.Fatalf("join %s: %v", name, err)
	}
	c.peer = peer
	c.Start(directTransport{peer})
	t.Cleanup(c.leave)
	return c
}

// directTransport hands the client's signalling to its Peer.
type directTransport struct{ peer *Peer }

func (d directTransport) Offer(sdp string, sources map[string]string) (bool, error) {
	srcs := make(map[string]Source, len(sources))
	for mid, s := range sources {
		srcs[mid] = Source(s)
	}
	// On success the server's answer is already signalled, ahead of any later server offer.
	err := d.peer.HandleOffer(sdp, srcs)
	if errors.Is(err, ErrGlare) {
		return true, nil
	}
	return false, err
}

func (d directTransport) Answer(sdp string) error {
	if err := d.peer.HandleAnswer(sdp); err != nil && !errors.Is(err, ErrClosed) {
		return err
	}
	return nil
}

func (d directTransport) Candidate(c webrtc.ICECandidateInit) error {
	return d.peer.AddICECandidate(c)
}

// publish starts sending a synthetic track of src (see mediatest.Client.Publish).
func (c *testClient) publish(kind webrtc.RTPCodecType, src Source) *mediatest.Pub {
	return c.Publish(kind, string(src))
}

// receiving waits until packets of `from`'s track of this kind arrive here.
func (c *testClient) receiving(t *testing.T, from string, kind webrtc.RTPCodecType) *mediatest.RecvTrack {
	t.Helper()
	var r *mediatest.RecvTrack
	deadline := time.Now().Add(waitLong)
	for {
		r = c.Track(from, kind)
		if r != nil && r.Packets.Load() >= 5 {
			return r
		}
		if time.Now().After(deadline) {
			var downs []string
			_ = c.peer.call(func() error {
				for u, d := range c.peer.downs {
					downs = append(downs, fmt.Sprintf("%s/%s bound=%v", u.owner.id, u.id, d.sender.GetParameters().Codecs != nil))
				}
				return nil
			})
			var got []string
			for _, r := range c.Tracks() {
				got = append(got, fmt.Sprintf("%s/%s:%d", r.Stream, r.ID, r.Packets.Load()))
			}
			t.Fatalf("%s not receiving %s from %s; server signaling %s client %s; server downs %v; client tracks %v",
				c.Name, kind, from, c.peer.pc.SignalingState(), c.PC.SignalingState(), downs, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// worstLatency is the longest send-to-receive delay measured on r (0 if none).
func worstLatency(r *mediatest.RecvTrack) time.Duration {
	var worst time.Duration
	for _, l := range r.Latencies() {
		worst = max(worst, l)
	}
	return worst
}

// leave closes the client, then has its Peer leave the SFU.
func (c *testClient) leave() {
	c.Close()
	c.peer.Leave()
}
