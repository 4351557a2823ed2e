// Package signal is Conclave's WebSocket signalling (docs/signalling.md): one connection per
// participant, which joins or resumes a seat in core's registry of live meetings, carries
// session descriptions to and from the participant's SFU peer, relays chat and carries out
// moderation frames through core.
//
// A connection is a core.Client: core keeps the one list of who is in which meeting, and
// everything it decides about a participant (kick, end, promotion, mute, tracks changed)
// reaches the connection through that interface. This package keeps no list of its own;
// to reach the others of a meeting it asks core (Service.MeetingClients). The recorder will
// be one more core.Client of a meeting, fed by the SFU through a media sink.
//
// Core's errors become client error codes in one table (errors.go), by sentinel, never by
// their text; errors nobody expected are logged here and reach the client as a generic
// coded error.
package signal

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/coder/websocket"

	"conclave/core"
	"conclave/media"
)

// Server accepts signalling connections. Build it with New once core and the SFU exist.
type Server struct {
	svc    *core.Service
	sfu    *media.SFU
	log    *slog.Logger
	limits Limits
}

// Options configure the signalling server; the zero value is usable.
type Options struct {
	// Logger receives connection and error logs (slog.Default when nil).
	Logger *slog.Logger
	// Limits bound what one connection may send; zero members take DefaultLimits'.
	Limits Limits
}

// New returns the signalling server over core's live meetings and the SFU.
func New(svc *core.Service, sfu *media.SFU, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Server{svc: svc, sfu: sfu, log: opts.Logger, limits: opts.Limits.withDefaults()}
}

// ServeWS is GET <base>/ws?token=<room-member token>[&resume=<secret>]: the signalling
// connection of one participant. meta says where the request came from (the HTTP layer
// knows whether to trust a proxy's headers).
func (s *Server) ServeWS(w http.ResponseWriter, r *http.Request, meta core.RequestMeta) {
	token := r.URL.Query().Get("token")
	resume := r.URL.Query().Get("resume")
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept has answered
	}
	ws.SetReadLimit(maxFrameBytes)
	ctx := context.Background()

	if token == "" {
		refuse(ws, closeUnauthenticated, codeUnauthenticated, "A room member token is required (?token=)")
		return
	}
	p, err := s.svc.AuthenticateMemberToken(ctx, token, meta)
	if err != nil {
		refuse(ws, closeUnauthenticated, codeUnauthenticated, s.clientError(err, "authenticate", nil).Message)
		return
	}
	c := s.newConn(ws, p)
	if resume != "" {
		old := s.connOf(p.Member.RoomID, p.Member.Identity)
		pt, perms, err := s.svc.ResumeMeeting(ctx, p, resume, c)
		switch {
		case err == nil:
			c.serve(pt, perms, old)
			return
		case errors.Is(err, core.ErrBadResume):
			refuse(ws, closeRefused, codeBadResume, "This connection cannot be resumed")
			return
		}
		// core let the participant go meanwhile: join afresh.
	}
	pt, err := s.svc.JoinMeeting(ctx, p, c)
	if err != nil {
		f := s.clientError(err, "join meeting", []any{"room", p.Member.RoomID, "participant", p.Member.Identity})
		refuse(ws, closeRefused, f.Code, f.Message)
		return
	}
	c.serve(pt, p.Member.Permissions, nil)
}

// conns returns the signalling connections of a room's meeting, from core's registry;
// with identities, only theirs. Clients of other kinds (a recorder) are not connections.
func (s *Server) conns(roomID string, identities ...string) []*conn {
	var out []*conn
	for _, cl := range s.svc.MeetingClients(roomID) {
		c, ok := cl.(*conn)
		if !ok {
			continue
		}
		if identities == nil {
			out = append(out, c)
			continue
		}
		for _, id := range identities {
			if c.identity == id {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// connOf returns the identity's connection in the room, if any.
func (s *Server) connOf(roomID, identity string) *conn {
	if cs := s.conns(roomID, identity); len(cs) > 0 {
		return cs[0]
	}
	return nil
}

// broadcast sends f to every connection of the room but except's.
func (s *Server) broadcast(roomID, except string, f outFrame) {
	for _, c := range s.conns(roomID) {
		if c.identity != except {
			c.send(f)
		}
	}
}
