package media

import (
	"time"

	"github.com/pion/rtcp"
)

// requestKeyframe asks the publisher for a keyframe. Requests are coalesced and throttled by
// keyframeLoop, so any number of subscribers asking at once costs the publisher one.
func (u *upTrack) requestKeyframe() {
	if u.kf == nil {
		return
	}
	select {
	case u.kf <- struct{}{}:
	default:
	}
}

// keyframeLoop sends at most one keyframe request per KeyframeInterval; a request arriving
// during the pause is sent when it ends rather than lost.
func (u *upTrack) keyframeLoop() {
	interval := u.owner.sfu.keyframeInterval()
	ssrc := uint32(u.remote.SSRC())
	var firSeq uint8
	for {
		select {
		case <-u.done:
			return
		case <-u.kf:
		}
		var pkt rtcp.Packet = &rtcp.PictureLossIndication{MediaSSRC: ssrc}
		if u.useFIR {
			firSeq++
			pkt = &rtcp.FullIntraRequest{MediaSSRC: ssrc,
				FIR: []rtcp.FIREntry{{SSRC: ssrc, SequenceNumber: firSeq}}}
		}
		if err := u.owner.pc.WriteRTCP([]rtcp.Packet{pkt}); err == nil {
			u.keyframesSent.Add(1)
		}
		t := time.NewTimer(interval)
		select {
		case <-u.done:
			t.Stop()
			return
		case <-t.C:
		}
	}
}
