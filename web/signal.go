package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"conclave/core"
	"conclave/media"
)

// writeTimeout bounds one frame written to a client.
const writeTimeout = 5 * time.Second

// Meetings is the live side of meetings: the signalling connections of every room, by
// participant identity, over the SFU. It implements core.Meetings, so that moderation done
// through core (REST, control room) reaches the participants.
type Meetings struct {
	svc *core.Service
	sfu *media.SFU
	log *slog.Logger

	mu    sync.Mutex
	rooms map[string]map[string]*sigConn
}

var _ core.Meetings = (*Meetings)(nil)

// newMeetings connects the signalling layer to svc and sfu.
func newMeetings(svc *core.Service, sfu *media.SFU, log *slog.Logger) *Meetings {
	return &Meetings{svc: svc, sfu: sfu, log: log, rooms: map[string]map[string]*sigConn{}}
}

// register adds c to its room and returns the others already there; false when the
// identity is already connected. With old (a resumed connection), c takes old's place if
// old is still the identity's connection, and old is marked replaced.
func (m *Meetings) register(c, old *sigConn) ([]participantInfo, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.rooms[c.roomID]
	if r == nil {
		r = map[string]*sigConn{}
		m.rooms[c.roomID] = r
	}
	if cur := r[c.identity]; cur != nil {
		if old == nil || cur != old {
			return nil, false
		}
		old.mu.Lock()
		old.replaced = true
		old.mu.Unlock()
	}
	others := []participantInfo{}
	for _, o := range r {
		if o.identity != c.identity {
			others = append(others, o.info())
		}
	}
	r[c.identity] = c
	return others, true
}

// lookup returns the identity's connection in the room, if any.
func (m *Meetings) lookup(roomID, identity string) *sigConn {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rooms[roomID][identity]
}

func (m *Meetings) unregister(c *sigConn) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.rooms[c.roomID]; r != nil && r[c.identity] == c {
		delete(r, c.identity)
		if len(r) == 0 {
			delete(m.rooms, c.roomID)
		}
	}
}

// conns returns the room's connections; with identities, only theirs.
func (m *Meetings) conns(roomID string, identities ...string) []*sigConn {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.rooms[roomID]
	var out []*sigConn
	if identities == nil {
		for _, c := range r {
			out = append(out, c)
		}
		return out
	}
	for _, id := range identities {
		if c := r[id]; c != nil {
			out = append(out, c)
		}
	}
	return out
}

// broadcast sends f to every connection of the room but except's.
func (m *Meetings) broadcast(roomID, except string, f outFrame) {
	for _, c := range m.conns(roomID) {
		if c.identity != except {
			c.send(f)
		}
	}
}

// End closes every connection of the room with an `ended` frame.
func (m *Meetings) End(roomID, reason string) {
	for _, c := range m.conns(roomID) {
		c.finish(&outFrame{Type: outEnded, Reason: reason}, closeEnded, reason, true)
	}
}

// GoingAway closes every connection of every room with a `goingAway` frame (shutdown).
func (m *Meetings) GoingAway(reason string) {
	m.mu.Lock()
	var all []*sigConn
	for _, r := range m.rooms {
		for _, c := range r {
			all = append(all, c)
		}
	}
	m.mu.Unlock()
	for _, c := range all {
		c.finish(&outFrame{Type: outGoingAway, Reason: reason}, websocket.StatusGoingAway, reason, true)
	}
}

// Expel closes the connections of identities with a `kicked` frame.
func (m *Meetings) Expel(roomID string, identities []string, reason string) {
	if len(identities) == 0 {
		return
	}
	for _, c := range m.conns(roomID, identities...) {
		c.finish(&outFrame{Type: outKicked, Reason: reason}, closeKicked, reason, true)
	}
}

// Update applies a participant's new permissions: what it may publish and chat. The
// participant is told with `permissions`, the others with `participantUpdated`.
func (m *Meetings) Update(roomID string, p core.Participant, perms core.Permissions) {
	for _, c := range m.conns(roomID, p.Identity) {
		c.mu.Lock()
		c.perms = perms
		c.role = p.MeetingRole
		peer := c.peer
		c.mu.Unlock()
		if peer != nil {
			if err := peer.SetPublishRights(rightsOf(perms)); err != nil && !errors.Is(err, media.ErrClosed) {
				m.log.Warn("publish rights not applied", "room", roomID, "participant", p.Identity, "err", err)
			}
		}
		pc := perms
		c.send(outFrame{Type: outPermissions, Role: p.MeetingRole, Permissions: &pc})
		m.broadcast(roomID, c.identity, participantFrame(outParticipantUpdated, c.info()))
	}
}

// Mute stops forwarding the participant's media of one kind and tells it and the others
// so.
func (m *Meetings) Mute(roomID, identity, kind string) {
	for _, c := range m.conns(roomID, identity) {
		for _, src := range sourcesOfKind(kind) {
			if err := c.setMuted(src, true); err != nil && !errors.Is(err, media.ErrClosed) {
				m.log.Warn("mute not applied", "room", roomID, "participant", identity, "err", err)
			}
			c.send(outFrame{Type: outMuted, Kind: kind, Source: src})
			muted := true
			m.broadcast(roomID, "", outFrame{Type: outTrackMuted, Identity: identity, Source: src, Muted: &muted, Moderator: true})
		}
	}
}

// TracksChanged tells the others which of the participant's tracks appeared or went.
func (m *Meetings) TracksChanged(roomID string, p core.Participant) {
	c := m.lookup(roomID, p.Identity)
	if c == nil {
		return
	}
	now := p.Tracks()
	c.mu.Lock()
	before := c.tracks
	c.tracks = now
	c.mu.Unlock()
	for _, t := range now {
		if !hasTrack(before, t.TrackID) {
			ti := c.trackInfo(t)
			m.broadcast(roomID, c.identity, outFrame{Type: outTrackPublished, Identity: c.identity, Track: &ti})
		}
	}
	for _, t := range before {
		if !hasTrack(now, t.TrackID) {
			ti := c.trackInfo(t)
			m.broadcast(roomID, c.identity, outFrame{Type: outTrackUnpublished, Identity: c.identity, Track: &ti})
		}
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

// sigConn is one participant's signalling connection. One goroutine (the handler) reads;
// every write goes through the writer goroutine's bounded queue.
type sigConn struct {
	m                      *Meetings
	ws                     *websocket.Conn
	roomID, identity, name string

	out        chan outFrame
	stop       chan struct{} // closed by finish
	stopOnce   sync.Once
	writerDone chan struct{}
	// Set by finish before stop is closed.
	final      *outFrame
	closeCode  websocket.StatusCode
	closeWhy   string
	leftByCore bool // core already removed the participant (kick, end)

	principal *core.Principal
	resume    string        // the secret that lets a new connection take this one's place
	done      chan struct{} // closed once the connection has left the SFU and the meeting

	mu       sync.Mutex
	perms    core.Permissions
	role     string // meeting role
	peer     *media.Peer
	tracks   []core.TrackStat // published tracks as last told to the others
	muted    map[media.Source]bool
	replaced bool // a resumed connection took this one's place

	// Chat token bucket, used by the reading goroutine only.
	tokens   float64
	lastChat time.Time
}

// info describes c's participant for the others.
func (c *sigConn) info() participantInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	pi := participantInfo{Identity: c.identity, Name: c.name, Role: c.role, Tracks: []trackInfo{}}
	for _, t := range c.tracks {
		pi.Tracks = append(pi.Tracks, trackInfo{TrackID: t.TrackID, Source: media.Source(t.Source), Kind: t.Kind, Muted: c.muted[media.Source(t.Source)]})
	}
	return pi
}

// trackInfo describes one of c's tracks.
func (c *sigConn) trackInfo(t core.TrackStat) trackInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return trackInfo{TrackID: t.TrackID, Source: media.Source(t.Source), Kind: t.Kind, Muted: c.muted[media.Source(t.Source)]}
}

// setMuted stops or resumes forwarding src and remembers it for the others' lists.
func (c *sigConn) setMuted(src media.Source, muted bool) error {
	c.mu.Lock()
	c.muted[src] = muted
	peer := c.peer
	c.mu.Unlock()
	if peer == nil {
		return nil
	}
	return peer.SetMuted(src, muted)
}

func (c *sigConn) isReplaced() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.replaced
}

// send queues f without blocking; a client whose queue is full is disconnected.
func (c *sigConn) send(f outFrame) {
	f.V = protocolVersion
	select {
	case <-c.stop:
		return
	default:
	}
	select {
	case c.out <- f:
	default:
		c.m.log.Warn("signalling client too slow, disconnecting", "room", c.roomID, "participant", c.identity)
		c.finish(nil, websocket.StatusPolicyViolation, "too slow", false)
		go func() { _ = c.ws.CloseNow() }() // the writer may be stuck on this client
	}
}

// finish makes the writer send what is queued, then final (if any), then close with code.
// Only the first call counts.
func (c *sigConn) finish(final *outFrame, code websocket.StatusCode, why string, byCore bool) {
	c.stopOnce.Do(func() {
		if final != nil {
			final.V = protocolVersion
		}
		c.final, c.closeCode, c.closeWhy, c.leftByCore = final, code, closeReason(why), byCore
		close(c.stop)
	})
}

func (c *sigConn) writeLoop() {
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

func (c *sigConn) write(f outFrame) bool {
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

// messageOf is what a client may be told of err.
func messageOf(err error) string {
	var e *core.Error
	if errors.As(err, &e) && core.KindOf(err) != core.KindInternal {
		return e.Message
	}
	return "Internal error"
}

// serveSignal is GET <base>/ws?token=<room-member token>[&resume=<secret>]: the
// signalling connection of one participant (docs/signalling.md).
func (s *server) serveSignal(m *Meetings) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, _ *core.Principal) error {
		token := r.URL.Query().Get("token")
		resume := r.URL.Query().Get("resume")
		meta := s.meta(r)
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return nil // Accept has answered
		}
		ws.SetReadLimit(maxFrameBytes)
		ctx := context.Background()

		if token == "" {
			refuse(ws, closeUnauthenticated, codeUnauthenticated, "A room member token is required (?token=)")
			return nil
		}
		p, err := s.svc.AuthenticateMemberToken(ctx, token, meta)
		if err != nil {
			refuse(ws, closeUnauthenticated, codeUnauthenticated, messageOf(err))
			return nil
		}
		if resume != "" {
			if old := m.lookup(p.Member.RoomID, p.Member.Identity); old != nil {
				if subtle.ConstantTimeCompare([]byte(resume), []byte(old.resume)) != 1 {
					refuse(ws, closeRefused, codeBadResume, "This connection cannot be resumed")
					return nil
				}
				if pt, perms, err := s.svc.ResumeMeeting(ctx, p); err == nil {
					m.serveConn(ws, p, pt, perms, old)
					return nil
				}
				// core let the participant go meanwhile: join afresh.
			}
		}
		pt, err := s.svc.JoinMeeting(ctx, p)
		if err != nil {
			code := codeInternal
			var ce *core.Error
			switch {
			case errors.As(err, &ce) && ce.Code == "room_closed":
				code = codeRoomClosed
			case errors.As(err, &ce) && ce.Code == "participant_already_joined":
				code = codeAlreadyJoined
			case core.KindOf(err) == core.KindForbidden:
				code = codeForbidden
			case core.KindOf(err) == core.KindUnauthenticated:
				code = codeUnauthenticated
			case core.KindOf(err) == core.KindNotFound:
				code = codeNotFound
			default:
				s.log.Error("join meeting failed", "room", p.Member.RoomID, "err", err)
			}
			refuse(ws, closeRefused, code, messageOf(err))
			return nil
		}
		m.serveConn(ws, p, pt, p.Member.Permissions, nil)
		return nil
	}
}

// takeoverWait bounds how long a resumed connection waits for the one it replaces to
// leave the SFU.
const takeoverWait = 10 * time.Second

// serveConn runs a joined participant's connection until it ends. With old, the
// connection resumes old's seat: old is closed (4007) and the others see no departure.
func (m *Meetings) serveConn(ws *websocket.Conn, p *core.Principal, pt *core.Participant, perms core.Permissions, old *sigConn) {
	c := &sigConn{
		m: m, ws: ws, roomID: pt.RoomID, identity: pt.Identity, name: pt.Name, principal: p,
		out: make(chan outFrame, sendQueueLen), stop: make(chan struct{}), writerDone: make(chan struct{}),
		done: make(chan struct{}), resume: rand.Text(),
		perms: perms, role: pt.MeetingRole, muted: map[media.Source]bool{},
		tokens: chatBurst, lastChat: time.Now(),
	}
	defer close(c.done)
	if old != nil {
		old.mu.Lock()
		c.tracks = old.tracks // so that the old peer's tracks going away are told
		old.mu.Unlock()
	}
	others, ok := m.register(c, old)
	if !ok {
		// core let it in, so this is a connection of a participant core forgot, or the
		// connection to resume went meanwhile: refuse without touching the other one.
		refuse(ws, closeRefused, codeAlreadyJoined, "This participant is already connected")
		return
	}
	if old != nil {
		old.finish(nil, closeReplaced, "resumed on another connection", true)
		go func() { // its socket is likely dead: do not wait long for its close handshake
			select {
			case <-old.done:
			case <-time.After(time.Second):
				_ = old.ws.CloseNow()
			}
		}()
		select {
		case <-old.done:
		case <-time.After(takeoverWait):
			m.log.Warn("replaced connection slow to leave", "room", c.roomID, "participant", c.identity)
		}
	}
	go c.writeLoop()
	go c.keepAlive()
	roomName := ""
	if room, _, err := m.svc.GetRoom(context.Background(), p, c.roomID); err == nil {
		roomName = room.RoomName
	}
	pc := perms
	c.send(outFrame{
		Type: outJoined, Identity: c.identity, Name: c.name, Role: c.role, Permissions: &pc,
		Room: &roomInfo{RoomID: c.roomID, RoomName: roomName}, Recording: &recordingInfo{},
		Resume: c.resume, Participants: others,
	})
	if old == nil {
		m.broadcast(c.roomID, c.identity, participantFrame(outParticipantJoined, c.info()))
	}

	peer, err := m.sfu.Join(c.roomID, c.identity, rightsOf(perms), func(sig media.Signal) {
		c.send(outFrame{Type: string(sig.Type), SDP: sig.SDP})
	})
	if err != nil {
		m.log.Error("SFU join failed", "room", c.roomID, "participant", c.identity, "err", err)
		f := errorFrame(codeMediaFailed, "The media server refused the connection")
		c.finish(&f, closeMediaFailed, "media join failed", false)
	} else {
		c.mu.Lock()
		c.peer = peer
		c.mu.Unlock()
		go func() {
			select {
			case <-peer.Done():
				f := errorFrame(codeMediaFailed, "The media connection ended")
				c.finish(&f, closeMediaFailed, "media connection ended", false)
			case <-c.stop:
			}
		}()
		c.readLoop(peer)
	}

	c.finish(nil, websocket.StatusNormalClosure, "", false)
	if peer != nil {
		peer.Leave() // while c is registered, so that the others hear of its tracks going
	}
	m.unregister(c)
	if !c.leftByCore && !c.isReplaced() {
		m.svc.LeaveMeeting(c.roomID, c.identity)
	}
	if !c.isReplaced() {
		m.broadcast(c.roomID, c.identity, outFrame{Type: outParticipantLeft, Identity: c.identity, Name: c.name})
	}
	<-c.writerDone
}

// Keep-alive: a socket that does not answer a ping in time is closed, so that a vanished
// client leaves the meeting.
const (
	pingEvery   = 10 * time.Second
	pingTimeout = 10 * time.Second
)

func (c *sigConn) keepAlive() {
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
					c.m.log.Info("signalling client stopped answering", "room", c.roomID, "participant", c.identity)
					c.finish(nil, websocket.StatusPolicyViolation, "no answer to ping", false)
					_ = c.ws.CloseNow()
				}
				return
			}
		}
	}
}

func (c *sigConn) readLoop(peer *media.Peer) {
	ctx := context.Background()
	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusMessageTooBig {
				c.m.log.Info("signalling frame too large", "room", c.roomID, "participant", c.identity)
			}
			return
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
func (c *sigConn) handle(peer *media.Peer, data []byte) bool {
	f, bad := decodeFrame(data)
	if bad != nil {
		c.send(*bad)
		return true
	}
	var err error
	switch f.Type {
	case inOffer:
		err = peer.HandleOffer(f.SDP, f.Sources)
	case inAnswer:
		err = peer.HandleAnswer(f.SDP)
	case inCandidate:
		if err := peer.AddICECandidate(*f.Candidate); err != nil && !errors.Is(err, media.ErrClosed) {
			c.send(errorFrame(codeBadCandidate, err.Error()))
			return true
		}
	case inChat:
		c.chat(f.Text)
		return true
	case inMute, inUnmute:
		muted := f.Type == inMute && *f.Muted
		if err = c.setMuted(f.Source, muted); err == nil {
			c.m.broadcast(c.roomID, "", outFrame{Type: outTrackMuted, Identity: c.identity, Source: f.Source, Muted: &muted})
		}
	case inKick, inMuteParticipant, inSetRole, inEndMeeting:
		c.moderate(f)
		return true
	case inLeave:
		return false
	}
	switch {
	case err == nil:
	case errors.Is(err, media.ErrClosed):
		return false
	case errors.Is(err, media.ErrGlare):
		c.send(errorFrame(codeGlare, err.Error()))
	case errors.Is(err, media.ErrNoOffer):
		c.send(errorFrame(codeNoOffer, err.Error()))
	case errors.Is(err, media.ErrBadSource):
		c.send(errorFrame(codeBadSource, err.Error()))
	case errors.Is(err, media.ErrTooMany):
		c.send(errorFrame(codeTooManyTracks, err.Error()))
	default:
		c.send(errorFrame(codeBadSDP, err.Error()))
	}
	return true
}

// chat relays a chat message to everyone in the room who may read chat, the sender
// included.
func (c *sigConn) chat(text string) {
	c.mu.Lock()
	perms := c.perms
	c.mu.Unlock()
	switch {
	case !perms.ChatWrite:
		c.send(errorFrame(codeChatForbidden, "You may not write in this meeting's chat"))
		return
	case strings.TrimSpace(text) == "":
		c.send(errorFrame(codeChatEmpty, "A chat message needs text"))
		return
	case utf8.RuneCountInString(text) > maxChatRunes:
		c.send(errorFrame(codeChatTooLong, "A chat message is at most 2000 characters"))
		return
	}
	now := time.Now()
	c.tokens = min(chatBurst, c.tokens+now.Sub(c.lastChat).Seconds()*chatRate)
	c.lastChat = now
	if c.tokens < 1 {
		c.send(errorFrame(codeChatRateLimited, "Too many chat messages: slow down"))
		return
	}
	c.tokens--
	f := outFrame{Type: outChat, From: c.identity, Name: c.name, Text: text, Time: now.UnixMilli()}
	for _, o := range c.m.conns(c.roomID) {
		o.mu.Lock()
		read := o.perms.ChatRead
		o.mu.Unlock()
		if read {
			o.send(f)
		}
	}
}
