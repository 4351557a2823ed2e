package signal

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/coder/websocket"

	"conclave/core"
	"conclave/media"
)

// writeTimeout bounds one frame written to a client.
const writeTimeout = 5 * time.Second

// conn is one participant's signalling connection and, through it, its SFU peer: the
// core.Client of that participant. One goroutine (serve) reads; every write goes through
// the writer goroutine's bounded queue.
type conn struct {
	s                      *Server
	ws                     *websocket.Conn
	roomID, identity, name string

	out        chan outFrame
	stop       chan struct{} // closed by finish
	stopOnce   sync.Once
	writerDone chan struct{}
	// Set by finish before stop is closed.
	final     *outFrame
	closeCode websocket.StatusCode
	closeWhy  string

	principal *core.Principal
	done      chan struct{} // closed once the connection has left the SFU and the meeting

	mu        sync.Mutex
	resume    string // the secret that lets a new connection take this one's place
	perms     core.Permissions
	role      string // meeting role
	peer      *media.Peer
	tracks    []core.TrackStat // published tracks as last told to the others
	muted     map[media.Source]bool
	replaced  bool // a resumed connection took this one's place
	recording bool // whether the participant was last told the meeting is being recorded
	mediaUp   bool // the participant's media connection has come up (peer.Connected)
	hand      bool // the participant's hand is raised

	// lim is the connection's frame limits, used by the reading goroutine only.
	lim *limiter

	fanMu sync.Mutex
	fan   map[media.Source]*muteFan // trackMuted frames to the others, coalesced
}

var _ core.Client = (*conn)(nil)

// newConn makes the connection of p's participant, ready to be handed to core (whose
// calls may come before serve starts: they only queue frames).
func (s *Server) newConn(ws *websocket.Conn, p *core.Principal) *conn {
	return &conn{
		s: s, ws: ws, roomID: p.Member.RoomID, identity: p.Member.Identity, principal: p,
		out: make(chan outFrame, sendQueueLen), stop: make(chan struct{}), writerDone: make(chan struct{}),
		done: make(chan struct{}), muted: map[media.Source]bool{},
		lim: newLimiter(s.limits), fan: map[media.Source]*muteFan{},
	}
}

// Close is core removing the participant from the meeting (or giving its seat to a
// resumed connection): the client is told why, the socket closes and the peer leaves.
func (c *conn) Close(why core.CloseReason, message string) {
	switch why {
	case core.CloseKicked:
		c.finish(&outFrame{Type: outKicked, Reason: message}, closeKicked, message)
	case core.CloseEnded:
		c.finish(&outFrame{Type: outEnded, Reason: message}, closeEnded, message)
	case core.CloseGoingAway:
		c.finish(&outFrame{Type: outGoingAway, Reason: message}, websocket.StatusGoingAway, message)
	case core.CloseReplaced:
		c.mu.Lock()
		c.replaced = true
		c.mu.Unlock()
		c.finish(nil, closeReplaced, message)
		go func() { // its socket is likely dead: do not wait long for its close handshake
			select {
			case <-c.done:
			case <-time.After(time.Second):
				_ = c.ws.CloseNow()
			}
		}()
	}
}

// Update applies the participant's new permissions: what it may publish and chat. The
// participant is told with `permissions`, the others with `participantUpdated`.
func (c *conn) Update(p core.Participant, perms core.Permissions) {
	c.mu.Lock()
	c.perms = perms
	c.role = p.MeetingRole
	peer := c.peer
	c.mu.Unlock()
	if peer != nil {
		if err := peer.SetPublishRights(rightsOf(perms)); err != nil && !errors.Is(err, media.ErrClosed) {
			c.s.log.Warn("publish rights not applied", "room", c.roomID, "participant", c.identity, "err", err)
		}
	}
	pc := perms
	c.send(outFrame{Type: outPermissions, Role: p.MeetingRole, Permissions: &pc})
	c.s.broadcast(c.roomID, c.identity, participantFrame(outParticipantUpdated, c.info()))
}

// Mute stops forwarding the participant's media of one kind and tells it and the others
// so.
func (c *conn) Mute(kind string) {
	for _, src := range sourcesOfKind(kind) {
		if err := c.setMuted(src, true); err != nil && !errors.Is(err, media.ErrClosed) {
			c.s.log.Warn("mute not applied", "room", c.roomID, "participant", c.identity, "err", err)
		}
		c.send(outFrame{Type: outMuted, Kind: kind, Source: src})
		muted := true
		c.s.broadcast(c.roomID, "", outFrame{Type: outTrackMuted, Identity: c.identity, Source: src, Muted: &muted, Moderator: true})
	}
}

// TracksChanged tells the others which of the participant's tracks appeared or went.
func (c *conn) TracksChanged(p core.Participant) {
	now := p.Tracks()
	c.mu.Lock()
	before := c.tracks
	c.tracks = now
	c.mu.Unlock()
	for _, t := range now {
		if !hasTrack(before, t.TrackID) {
			ti := c.trackInfo(t)
			c.s.broadcast(c.roomID, c.identity, outFrame{Type: outTrackPublished, Identity: c.identity, Track: &ti})
		}
	}
	for _, t := range before {
		if !hasTrack(now, t.TrackID) {
			ti := c.trackInfo(t)
			c.s.broadcast(c.roomID, c.identity, outFrame{Type: outTrackUnpublished, Identity: c.identity, Track: &ti})
		}
	}
}

// RecordingChanged tells the participant whether the meeting is being recorded (its
// recording indicator), once per change (a recording goes through starting, active and
// ending while being made).
func (c *conn) RecordingChanged(active bool) {
	c.mu.Lock()
	same := c.recording == active
	c.recording = active
	c.mu.Unlock()
	if !same {
		c.send(outFrame{Type: outRecording, Active: &active})
	}
}

func hasTrack(ts []core.TrackStat, id string) bool {
	for _, t := range ts {
		if t.TrackID == id {
			return true
		}
	}
	return false
}

// info describes c's participant for the others.
func (c *conn) info() participantInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	pi := participantInfo{Identity: c.identity, Name: c.name, Role: c.role, Tracks: []trackInfo{}, Connecting: !c.mediaUp, HandRaised: c.hand}
	for _, t := range c.tracks {
		pi.Tracks = append(pi.Tracks, trackInfo{TrackID: t.TrackID, Source: media.Source(t.Source), Kind: t.Kind, Muted: c.muted[media.Source(t.Source)]})
	}
	return pi
}

// trackInfo describes one of c's tracks.
func (c *conn) trackInfo(t core.TrackStat) trackInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return trackInfo{TrackID: t.TrackID, Source: media.Source(t.Source), Kind: t.Kind, Muted: c.muted[media.Source(t.Source)]}
}

// setMuted stops or resumes forwarding src and remembers it for the others' lists.
func (c *conn) setMuted(src media.Source, muted bool) error {
	c.mu.Lock()
	c.muted[src] = muted
	peer := c.peer
	c.mu.Unlock()
	c.s.svc.SourceMuted(c.roomID, c.identity, string(src), muted)
	if peer == nil {
		return nil
	}
	return peer.SetMuted(src, muted)
}

func (c *conn) isReplaced() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.replaced
}

// send queues f without blocking; a client whose queue is full is disconnected.
func (c *conn) send(f outFrame) {
	f.V = protocolVersion
	select {
	case <-c.stop:
		return
	default:
	}
	select {
	case c.out <- f:
	default:
		c.s.log.Warn("signalling client too slow, disconnecting", "room", c.roomID, "participant", c.identity)
		c.finish(nil, websocket.StatusPolicyViolation, "too slow")
		go func() { _ = c.ws.CloseNow() }() // the writer may be stuck on this client
	}
}

// finish makes the writer send what is queued, then final (if any), then close with code.
// Only the first call counts.
func (c *conn) finish(final *outFrame, code websocket.StatusCode, why string) {
	c.stopOnce.Do(func() {
		if final != nil {
			final.V = protocolVersion
		}
		c.final, c.closeCode, c.closeWhy = final, code, closeReason(why)
		close(c.stop)
	})
}

func (c *conn) writeLoop() {
	defer close(c.writerDone)
	for {
		select {
		case f := <-c.out:
			if !c.write(f) {
				_ = c.ws.CloseNow()
				return
			}
		case <-c.stop:
			for flushed := false; !flushed; {
				select {
				case f := <-c.out:
					if !c.write(f) {
						_ = c.ws.CloseNow()
						return
					}
				default:
					flushed = true
				}
			}
			if c.final != nil {
				c.write(*c.final)
			}
			_ = c.ws.Close(c.closeCode, c.closeWhy)
			return
		}
	}
}

func (c *conn) write(f outFrame) bool {
	return writeFrame(c.ws, f) == nil
}

func writeFrame(ws *websocket.Conn, f outFrame) error {
	f.V = protocolVersion
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	return ws.Write(ctx, websocket.MessageText, b)
}

// refuse answers a connection that cannot join: an error frame, then a close.
func refuse(ws *websocket.Conn, status websocket.StatusCode, code, message string) {
	_ = writeFrame(ws, errorFrame(code, message))
	_ = ws.Close(status, closeReason(message))
}

// muteFan coalesces the trackMuted frames the others get about one source.
type muteFan struct {
	last      time.Time // when the others were last told
	announced bool      // what they were told
	want      bool      // the latest state, to tell when the timer fires
	timer     *time.Timer
}

// announceMute tells everyone (the participant included) that its source was muted or
// unmuted by itself. The first change is told at once; changes within MuteFanout of the
// last one told are coalesced into one frame with the latest state, so that toggling
// cannot flood the others.
func (c *conn) announceMute(src media.Source, muted bool) {
	tell := func(m bool) {
		c.s.broadcast(c.roomID, "", outFrame{Type: outTrackMuted, Identity: c.identity, Source: src, Muted: &m})
	}
	gap := c.s.limits.MuteFanout
	c.fanMu.Lock()
	st := c.fan[src]
	if st == nil {
		st = &muteFan{}
		c.fan[src] = st
	}
	now := time.Now()
	if st.timer == nil && now.Sub(st.last) >= gap {
		st.last, st.announced = now, muted
		c.fanMu.Unlock()
		tell(muted)
		return
	}
	st.want = muted
	if st.timer == nil {
		st.timer = time.AfterFunc(st.last.Add(gap).Sub(now), func() {
			c.fanMu.Lock()
			st.timer = nil
			m, changed := st.want, st.want != st.announced
			st.last, st.announced = time.Now(), st.want
			c.fanMu.Unlock()
			select {
			case <-c.stop:
				return // gone: the others were told it left
			default:
			}
			if changed {
				tell(m)
			}
		})
	}
	c.fanMu.Unlock()
}
