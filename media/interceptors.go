package media

import (
	"fmt"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/stats"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Payload types follow what browsers commonly use, which keeps SDP diffs readable.
const (
	ptOpus = 111
	ptVP8  = 96
	ptVP9  = 98
)

// newAPI builds a Pion API for one peer: its own media engine and interceptor registry, so
// NACK caches, report state and statistics are never shared between PeerConnections, and the
// stats getter can be tied to the peer.
func (s *SFU) newAPI(p *Peer) (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	codecs := []struct {
		c    webrtc.RTPCodecParameters
		kind webrtc.RTPCodecType
	}{
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1"}, PayloadType: ptOpus}, webrtc.RTPCodecTypeAudio},
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: ptVP8}, webrtc.RTPCodecTypeVideo},
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeVP9, ClockRate: 90000, SDPFmtpLine: "profile-id=0"},
			PayloadType: ptVP9}, webrtc.RTPCodecTypeVideo},
	}
	for _, c := range codecs {
		if err := me.RegisterCodec(c.c, c.kind); err != nil {
			return nil, fmt.Errorf("media: register %s: %w", c.c.MimeType, err)
		}
	}
	// Publishers' audio level (RFC 6464), for sinks: the composed recording follows the
	// active speaker by it. Only received: browsers work out levels themselves, so the SFU
	// neither offers it to subscribers nor forwards it.
	if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.AudioLevelURI},
		webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverDirectionRecvonly); err != nil {
		return nil, fmt.Errorf("media: register the audio level extension: %w", err)
	}
	// Feedback is registered after the codecs, which is when Pion applies it to them.
	me.RegisterFeedback(webrtc.RTCPFeedback{Type: "ccm", Parameter: "fir"}, webrtc.RTPCodecTypeVideo)

	// NACKs: a generator asks publishers for what they lost; what subscribers lose is
	// answered from each track's shared cache (nackcache.go) rather than by Pion's responder,
	// which copies every packet once per subscriber.
	reg := &interceptor.Registry{}
	gen, err := nack.NewGeneratorInterceptor()
	if err != nil {
		return nil, fmt.Errorf("media: nack: %w", err)
	}
	me.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack"}, webrtc.RTPCodecTypeVideo)
	me.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack", Parameter: "pli"}, webrtc.RTPCodecTypeVideo)
	reg.Add(gen)
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		return nil, fmt.Errorf("media: rtcp reports: %w", err)
	}
	if err := webrtc.ConfigureTWCCSender(me, reg); err != nil {
		return nil, fmt.Errorf("media: twcc: %w", err)
	}
	st, err := stats.NewInterceptor(stats.WithLoggerFactory(s.pionLogs))
	if err != nil {
		return nil, fmt.Errorf("media: stats: %w", err)
	}
	st.OnNewPeerConnection(func(_ string, g stats.Getter) { p.stats.Store(&g) })
	reg.Add(st)

	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(s.settings)), nil
}
