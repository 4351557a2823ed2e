package web

import (
	"net"
	"net/http"
	"strings"

	"conclave/core"
)

// credSet says which credential headers a route accepts.
type credSet int

// Credential kinds (OpenAPI securitySchemes).
const (
	credAPIKey credSet = 1 << iota // X-API-KEY
	credAccess                     // Authorization: Bearer <access token>
	credMember                     // X-Room-Member-Token
	// credAnonymous lets a route run without credentials (login, member tokens with a
	// secret). Other routes answer 401 at once, before reading the body, so that a caller
	// without credentials learns that rather than the body's problems.
	credAnonymous
	// credCookie accepts the recording player's cookie (player.go) when no credential
	// header is present: a <video> cannot send headers.
	credCookie
)

// Credential headers.
const (
	headerAPIKey       = "X-API-KEY"
	headerMemberToken  = "X-Room-Member-Token"
	headerRefreshToken = "X-Refresh-Token"
)

// authenticate turns the request's credentials into a principal. Credentials a route
// accepts are tried in a fixed order (API key, room-member token, access token); the first
// one present decides, and an invalid one is a 401 rather than a silent fall-back to
// anonymous. With none present the caller is anonymous and core decides what that may do.
func (s *server) authenticate(r *http.Request, creds credSet) (*core.Principal, error) {
	meta := s.meta(r)
	ctx := r.Context()
	if creds&credAPIKey != 0 {
		if key := r.Header.Get(headerAPIKey); key != "" {
			return s.svc.AuthenticateAPIKey(ctx, key, meta)
		}
	}
	if creds&credMember != 0 {
		if tok := r.Header.Get(headerMemberToken); tok != "" {
			return s.svc.AuthenticateMemberToken(ctx, tok, meta)
		}
	}
	if creds&credAccess != 0 {
		if tok, ok := bearer(r); ok {
			return s.svc.AuthenticateAccessToken(ctx, tok, meta)
		}
	}
	if creds&credCookie != 0 {
		if p, ok, err := s.cookieCredential(r, meta); ok {
			return p, err
		}
	}
	if creds&credAnonymous == 0 {
		return nil, core.ErrUnauthenticated
	}
	return core.Anonymous(meta), nil
}

// bearer returns the token of an "Authorization: Bearer <token>" header. A header with
// another scheme counts as present but invalid, so that it is refused rather than ignored.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	scheme, tok, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "\x00invalid", true
	}
	return strings.TrimSpace(tok), true
}

// meta describes where a request came from, for the login limiter and the audit log.
func (s *server) meta(r *http.Request) core.RequestMeta {
	return core.RequestMeta{Source: s.clientIP(r), Device: truncate(r.UserAgent(), 200), Via: "http"}
}

// clientIP is the host part of the peer address or, behind a trusted proxy, the last
// address of X-Forwarded-For: the one that proxy appended. Earlier entries come from the
// client and could be anything.
func (s *server) clientIP(r *http.Request) string {
	if s.trustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
