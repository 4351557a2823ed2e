package signal

import (
	"context"
	"errors"
	"time"

	"github.com/coder/websocket"

	"conclave/core"
	"conclave/media"
)

// takeoverWait bounds how long a resumed connection waits for the one it replaces to
// leave the SFU.
const takeoverWait = 10 * time.Second

// serve runs a participant's connection, which core has just seated, until it ends. With
// old, the connection resumed old's seat: core has closed old (4007), and the others see
// no departure.
func (c *conn) serve(pt *core.Participant, perms core.Permissions, old *conn) {
	defer close(c.done)
	c.mu.Lock()
	c.name, c.role, c.perms, c.resume = pt.Name, pt.MeetingRole, perms, pt.ResumeSecret()
	if old != nil {
		c.tracks = pt.Tracks() // so that the old peer's tracks going away are told
	}
	c.mu.Unlock()
	if old != nil {
		select {
		case <-old.done:
		case <-time.After(takeoverWait):
			c.s.log.Warn("replaced connection slow to leave", "room", c.roomID, "participant", c.identity)
		}
	}
	go c.writeLoop()
	go c.keepAlive()
	roomName := ""
	if room, _, err := c.s.svc.GetRoom(context.Background(), c.principal, c.roomID); err == nil {
		roomName = room.RoomName
	}
	others := []participantInfo{}
	for _, o := range c.s.conns(c.roomID) {
		if o != c {
			if info := o.info(); info.Name != "" { // a connection still joining announces itself
				others = append(others, info)
			}
		}
	}
	pc := perms
	c.mu.Lock()
	c.recording = c.s.svc.Recording(c.roomID)
	rec := c.recording
	c.mu.Unlock()
	port, ips := c.s.sfu.Endpoint()
	if ips == nil {
		ips = []string{}
	}
	c.send(outFrame{
		Type: outJoined, Identity: c.identity, Name: c.name, Role: c.role, Permissions: &pc,
		Room: &roomInfo{RoomID: c.roomID, RoomName: roomName}, Recording: &recordingInfo{Active: rec},
		Resume: c.resume, Media: &mediaInfo{UDPPort: port, Addresses: ips}, Participants: others,
	})
	if old == nil {
		c.s.log.Info("participant joined", "room", c.roomID, "participant", c.identity, "name", c.name)
		c.s.broadcast(c.roomID, c.identity, participantFrame(outParticipantJoined, c.info()))
	} else {
		c.s.log.Info("participant resumed", "room", c.roomID, "participant", c.identity, "name", c.name)
	}

	peer, err := c.s.sfu.Join(c.roomID, c.identity, rightsOf(perms), func(sig media.Signal) {
		c.send(outFrame{Type: string(sig.Type), SDP: sig.SDP})
	})
	if err != nil {
		c.s.log.Error("SFU join failed", "room", c.roomID, "participant", c.identity, "err", err)
		f := errorFrame(codeMediaFailed, "The media server refused the connection")
		c.finish(&f, closeMediaFailed, "media join failed")
	} else {
		c.mu.Lock()
		c.peer = peer
		c.mu.Unlock()
		go c.watchMedia(peer, port)
		c.readLoop(peer)
	}

	c.finish(nil, websocket.StatusNormalClosure, "")
	if peer != nil {
		peer.Leave() // while c holds its seat, so that the others hear of its tracks going
	}
	// A no-op when core took the participant out already (kick, end) or gave the seat to
	// a resumed connection.
	c.s.svc.LeaveMeeting(c.roomID, c.identity, c)
	if !c.isReplaced() {
		c.s.log.Info("participant left", "room", c.roomID, "participant", c.identity, "name", c.name, "why", c.closeWhyOr("left"))
		c.s.broadcast(c.roomID, c.identity, outFrame{Type: outParticipantLeft, Identity: c.identity, Name: c.name})
	}
	<-c.writerDone
}

// closeWhyOr is why the connection was closed, or def when it gave no reason.
func (c *conn) closeWhyOr(def string) string {
	select {
	case <-c.stop:
		if c.closeWhy != "" {
			return c.closeWhy
		}
	default:
	}
	return def
}

// watchMedia follows the participant's media connection: when it first comes up the
// others stop seeing the participant as connecting; when it ends while the participant
// is still in the meeting, that is a media failure, logged once and told to the client
// before its socket closes (4006).
func (c *conn) watchMedia(peer *media.Peer, port int) {
	select {
	case <-peer.Connected():
		c.mu.Lock()
		c.mediaUp = true
		c.mu.Unlock()
		c.s.broadcast(c.roomID, c.identity, participantFrame(outParticipantUpdated, c.info()))
	case <-peer.Done():
	case <-c.stop:
		return
	}
	select {
	case <-peer.Done():
		c.mu.Lock()
		up := c.mediaUp
		c.mu.Unlock()
		select {
		case <-c.stop:
			return // the participant was leaving anyway
		default:
		}
		c.s.log.Info("media connection failed", "room", c.roomID, "participant", c.identity, "name", c.name,
			"was_connected", up, "udp_port", port)
		f := errorFrame(codeMediaFailed, "The media connection ended")
		c.finish(&f, closeMediaFailed, "media connection ended")
	case <-c.stop:
	}
}

// Keep-alive: a socket that does not answer a ping in time is closed, so that a vanished
// client leaves the meeting.
const (
	pingEvery   = 10 * time.Second
	pingTimeout = 10 * time.Second
)

func (c *conn) keepAlive() {
	t := time.NewTicker(pingEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
			err := c.ws.Ping(ctx)
			cancel()
			if err != nil {
				select {
				case <-c.stop:
				default:
					c.s.log.Info("signalling client stopped answering", "room", c.roomID, "participant", c.identity)
					c.finish(nil, websocket.StatusPolicyViolation, "no answer to ping")
					_ = c.ws.CloseNow()
				}
				return
			}
		}
	}
}

func (c *conn) readLoop(peer *media.Peer) {
	ctx := context.Background()
	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusMessageTooBig {
				c.s.log.Info("signalling frame too large", "room", c.roomID, "participant", c.identity)
			}
			return
		}
		if !c.lim.frames.Allow() {
			if !c.overLimit("frames", "") {
				return
			}
			continue
		}
		if typ != websocket.MessageText {
			c.send(errorFrame(codeBadJSON, "Frames must be JSON text messages"))
			continue
		}
		if !c.handle(peer, data) {
			return
		}
	}
}

// handle acts on one client frame; false ends the connection.
func (c *conn) handle(peer *media.Peer, data []byte) bool {
	f, bad := decodeFrame(data)
	if bad != nil {
		c.send(*bad)
		return true
	}
	if b, kind := c.lim.bucket(f.Type); b != nil && !b.Allow() {
		return c.overLimit(kind, f.Ref)
	}
	var err error
	switch f.Type {
	case inOffer:
		err = peer.HandleOffer(f.SDP, f.Sources)
	case inAnswer:
		err = peer.HandleAnswer(f.SDP)
	case inCandidate:
		if err := peer.AddICECandidate(*f.Candidate); err != nil && !errors.Is(err, media.ErrClosed) {
			c.s.log.Info("signalling: candidate refused", "room", c.roomID, "participant", c.identity, "err", err)
			c.send(errorFrame(codeBadCandidate, "The ICE candidate could not be used"))
			return true
		}
	case inChat:
		c.chat(f.Text)
		return true
	case inMute, inUnmute:
		muted := f.Type == inMute && *f.Muted
		if err = c.setMuted(f.Source, muted); err == nil {
			c.announceMute(f.Source, muted)
		}
	case inHand:
		c.setHand(*f.Raised)
		return true
	case inLowerHand:
		c.lowerHand(f)
		return true
	case inKick, inMuteParticipant, inSetRole, inEndMeeting, inStartRecording, inStopRecording:
		c.moderate(f)
		return true
	case inLeave:
		return false
	}
	switch {
	case err == nil:
	case errors.Is(err, media.ErrClosed):
		return false
	default:
		c.send(c.mediaError(err, f.Type))
	}
	return true
}
