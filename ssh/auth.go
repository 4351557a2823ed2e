package sshd

import (
	"errors"
	"fmt"
	"net"

	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"

	"conclave/core"
)

// userExtension carries the authenticated userId from the authentication callback to the
// sessions, inside the connection's Permissions: the ssh library hands on the permissions
// of the method that succeeded, and only those, so a key that was merely offered and never
// proven cannot leave a user behind.
const userExtension = "conclave-user"

// methodExtension records how the user signed in, for the log.
const methodExtension = "conclave-method"

// errDenied is the one answer to a failed sign-in, whatever the reason, so that a client
// cannot tell an unknown user from a wrong password or key.
var errDenied = errors.New("permission denied")

// serverConfig builds the x/crypto/ssh configuration of one connection. The callbacks are
// set here rather than through the ssh library's boolean handlers because only an error
// can carry a banner, and a client refused by the login limiter deserves to know why its
// right password no longer works.
func (s *Server) serverConfig(ctx ssh.Context) *gossh.ServerConfig {
	st := stateOf(ctx)
	return &gossh.ServerConfig{
		ServerVersion: "SSH-2.0-Conclave",
		MaxAuthTries:  6,
		PreAuthConnCallback: func(c gossh.ServerPreAuthConn) {
			// The key exchange is done: the connection now has until the login deadline.
			if st.conn != nil {
				st.conn.keyed()
			}
			if s.signedIn.Load() < int64(s.opts.MaxConnections) {
				return
			}
			st.refused.Store(true)
			s.refuseSignedIn(st)
			_ = c.SendAuthBanner(s.tooManyConnections())
		},
		PasswordCallback: func(c gossh.ConnMetadata, password []byte) (*gossh.Permissions, error) {
			if st.refused.Load() {
				return nil, errDenied
			}
			u, err := s.svc.CheckPassword(ctx, c.User(), string(password), metaOf(c))
			if err != nil {
				return nil, s.authFailure(c, "password", err)
			}
			return s.permit(st, c, "password", u)
		},
		PublicKeyCallback: func(c gossh.ConnMetadata, key gossh.PublicKey) (*gossh.Permissions, error) {
			if st.refused.Load() {
				return nil, errDenied
			}
			u, err := s.svc.AuthenticatePublicKey(ctx, c.User(), key.Marshal(), metaOf(c))
			if err != nil {
				return nil, s.authFailure(c, "publickey", err)
			}
			return s.permit(st, c, "publickey", u)
		},
		AuthLogCallback: func(c gossh.ConnMetadata, _ string, err error) {
			if err != nil {
				return
			}
			// Signed in (for a public key, the signature checked too): the connection
			// leaves the pre-authentication limits, and its address is one that signs in.
			s.leavePreAuth(st)
			s.gate.remember(st.source)
		},
		// No KeyboardInteractiveCallback: passwords come through the password method only,
		// where the login limiter and the audit log see them.
	}
}

func (s *Server) permit(st *connState, c gossh.ConnMetadata, method string, u *core.User) (*gossh.Permissions, error) {
	// Only a successful check reaches here; for a public key the library has yet to verify
	// the signature, so the sign-in itself is logged when the first session starts.
	if !s.takeSignedIn(st) {
		if st.slot.Load() == slotGone {
			return nil, errDenied // closed meanwhile: nobody to tell
		}
		// Others signed in since this connection arrived.
		st.refused.Store(true)
		s.refuseSignedIn(st)
		return nil, &gossh.BannerError{Err: errDenied, Message: s.tooManyConnections()}
	}
	s.log.Debug("ssh credentials accepted", "user", u.UserID, "method", method, "source", hostOf(c.RemoteAddr()))
	return &gossh.Permissions{Extensions: map[string]string{userExtension: u.UserID, methodExtension: method}}, nil
}

// tooManyConnections is the banner of a connection refused over MaxConnections.
func (s *Server) tooManyConnections() string {
	return fmt.Sprintf("Conclave: too many connections (limit %d); try again later.\r\n", s.opts.MaxConnections)
}

// refuseSignedIn logs a connection refused over MaxConnections and closes it once its
// banner had time to arrive.
func (s *Server) refuseSignedIn(st *connState) {
	s.refusals.note("too many connections signed in", st.source, "limit", s.opts.MaxConnections)
	st.closeSoon()
}

// authFailure turns a refused sign-in into the error the client sees. Every refusal looks
// the same except the login limiter's, which says when to try again: a client locked out
// must not keep guessing (or typing its right password) in vain.
func (s *Server) authFailure(c gossh.ConnMetadata, method string, err error) error {
	var ce *core.Error
	switch {
	case errors.As(err, &ce) && ce.Kind == core.KindTooMany:
		return &gossh.BannerError{Err: errDenied, Message: fmt.Sprintf(
			"Conclave: too many failed sign-ins for this user or address; try again in %d seconds.\r\n", ce.RetryAfterSeconds)}
	case core.KindOf(err) == core.KindInternal:
		s.log.Error("ssh sign-in check failed", "user", c.User(), "method", method, "err", err)
	default:
		s.log.Debug("ssh sign-in refused", "user", c.User(), "method", method, "source", hostOf(c.RemoteAddr()))
	}
	return errDenied
}

// metaOf describes a connection for the limiter and the audit log.
func metaOf(c gossh.ConnMetadata) core.RequestMeta {
	return core.RequestMeta{Source: hostOf(c.RemoteAddr()), Device: string(c.ClientVersion()), Via: "ssh"}
}

// hostOf is the host part of an address: the limiter counts failures per address, and a
// client picks a new source port for every connection.
func hostOf(a net.Addr) string {
	if a == nil {
		return ""
	}
	if host, _, err := net.SplitHostPort(a.String()); err == nil {
		return host
	}
	return a.String()
}

// sessionUser is the userId a session's connection signed in as.
func sessionUser(sess ssh.Session) string {
	p := sess.Permissions()
	if p.Permissions == nil {
		return ""
	}
	return p.Extensions[userExtension]
}

// sessionMethod is how a session's connection signed in: password or publickey.
func sessionMethod(sess ssh.Session) string {
	p := sess.Permissions()
	if p.Permissions == nil {
		return ""
	}
	return p.Extensions[methodExtension]
}

// sessionMeta describes a session's connection for core.
func sessionMeta(sess ssh.Session) core.RequestMeta {
	return core.RequestMeta{Source: hostOf(sess.RemoteAddr()), Device: sess.Context().ClientVersion(), Via: "ssh"}
}
