package media

import (
	"fmt"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// downTrack is one publisher track as sent to one subscriber.
type downTrack struct {
	up     *upTrack
	sub    *Peer
	local  *webrtc.TrackLocalStaticRTP
	sender *webrtc.RTPSender
}

type outPacket struct {
	d   *downTrack
	pkt *rtp.Packet // shared by all subscribers; never modified after the read loop
}

// sendQueue holds a subscriber's packets waiting to be written. Publishers never wait on it:
// when it is full the packet is dropped for this subscriber only.
type sendQueue struct{ ch chan outPacket }

func newSendQueue(n int) *sendQueue { return &sendQueue{ch: make(chan outPacket, n)} }

func (q *sendQueue) push(d *downTrack, pkt *rtp.Packet) {
	select {
	case q.ch <- outPacket{d, pkt}:
	default:
		d.up.dropped.Add(1)
		// The subscriber's picture is now broken until the next keyframe.
		d.up.requestKeyframe()
	}
}

// writeLoop is the subscriber's single writer.
func (p *Peer) writeLoop() {
	defer p.wg.Done()
	p.sfu.totals.enterPeer(p)
	defer p.sfu.totals.leavePeer(p)
	hook := p.sfu.cfg.writeHook
	for {
		select {
		case <-p.quit:
			return
		case o := <-p.out.ch:
			if hook != nil {
				hook(p.id)
			}
			// Errors mean the subscription is not bound yet or is going away.
			if o.d.local.WriteRTP(o.pkt) == nil {
				p.sentPackets.Add(1)
				p.sentBytes.Add(uint64(o.pkt.MarshalSize()))
			}
		}
	}
}

// addDown subscribes this peer to u; the next offer carries it.
func (p *Peer) addDown(u *upTrack) {
	if _, ok := p.downs[u]; ok || u.owner == p {
		return
	}
	local, err := webrtc.NewTrackLocalStaticRTP(u.codec.RTPCodecCapability, u.id, u.owner.id)
	if err != nil {
		p.log.Error("creating subscription", "err", err)
		return
	}
	tr, err := p.pc.AddTransceiverFromTrack(local,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		p.log.Error("adding subscription", "track", u.id, "err", err)
		return
	}
	// Our m-lines get mids of their own ("s1", "s2", …) that can never equal a client's
	// numeric mid: a client that assigned a mid to a transceiver in an offer we refused as
	// glare must not find it matched to one of ours when our offer arrives.
	p.mids++
	if err := tr.SetMid(fmt.Sprintf("s%d", p.mids)); err != nil {
		p.log.Error("naming subscription", "err", err)
	}
	d := &downTrack{up: u, sub: p, local: local, sender: tr.Sender()}
	if !p.goTracked(d.readRTCP) {
		return
	}
	p.downs[u] = d
	u.addDown(d)
	p.needOffer = true
}

// removeDown unsubscribes this peer from u; the next offer marks its m-line inactive.
func (p *Peer) removeDown(u *upTrack) {
	d, ok := p.downs[u]
	if !ok {
		return
	}
	delete(p.downs, u)
	u.removeDown(d)
	if err := p.pc.RemoveTrack(d.sender); err != nil {
		p.log.Debug("removing subscription", "err", err)
	}
	p.needOffer = true
}

// readRTCP reads the subscriber's feedback for one track: NACKs are answered from the
// track's shared cache through the subscriber's send queue; keyframe requests go upstream,
// throttled.
func (d *downTrack) readRTCP() {
	for {
		pkts, _, err := d.sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, pkt := range pkts {
			switch pkt := pkt.(type) {
			case *rtcp.PictureLossIndication:
				d.up.plisIn.Add(1)
				d.up.requestKeyframe()
			case *rtcp.FullIntraRequest:
				d.up.firsIn.Add(1)
				d.up.requestKeyframe()
			case *rtcp.TransportLayerNack:
				d.up.nacksIn.Add(1)
				d.resend(pkt)
			}
		}
	}
}

// resend queues the packets a subscriber reports lost that are still cached. The forwarded
// stream keeps the publisher's sequence numbers, so they name the cached packets directly.
func (d *downTrack) resend(n *rtcp.TransportLayerNack) {
	c := d.up.cache
	if c == nil {
		return
	}
	for _, pair := range n.Nacks {
		for _, seq := range pair.PacketList() {
			if pkt := c.get(seq); pkt != nil {
				d.up.retransmits.Add(1)
				d.sub.out.push(d, pkt)
			}
		}
	}
}
