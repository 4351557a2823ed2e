package core

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Principal kinds.
const (
	PrincipalUser      = "user"
	PrincipalAPIKey    = "apiKey"
	PrincipalMember    = "roomMember" // holder of a room-member token
	PrincipalAnonymous = "anonymous"
	PrincipalSystem    = "system" // the janitor and other server-side work
	// PrincipalShareLink holds a recording share link, opened (with its password): it may
	// only play, and maybe download, that one recording (recshares.go).
	PrincipalShareLink = "shareLink"
)

// RequestMeta says where a request came from, for limiting and the audit log.
type RequestMeta struct {
	Source string // remote address (host only)
	Device string // user agent, or SSH client version
	Via    string // http | ssh | local
}

// Principal is an authenticated caller.
type Principal struct {
	Kind string
	// User is set for PrincipalUser only. API keys act as the root admin through their
	// kind (isAdmin, ownership by RootAdminID) without loading it on every request.
	User      *User
	SessionID string
	APIKey    *APIKey
	Member    *MemberClaims
	// Share is set for PrincipalShareLink only.
	Share *ShareGrant
	Meta  RequestMeta
}

// Anonymous returns a principal with no credentials.
func Anonymous(meta RequestMeta) *Principal { return &Principal{Kind: PrincipalAnonymous, Meta: meta} }

// System is the principal of work the server does on its own (the janitor).
func System() *Principal {
	return &Principal{Kind: PrincipalSystem, Meta: RequestMeta{Via: "system"}}
}

// Actor names the principal in the audit log.
func (p *Principal) Actor() string {
	switch p.Kind {
	case PrincipalUser:
		return "user:" + p.User.UserID
	case PrincipalAPIKey:
		return "apiKey:" + p.APIKey.Name
	case PrincipalMember:
		return "member:" + p.Member.Identity + "@" + p.Member.RoomID
	case PrincipalSystem:
		return "system"
	case PrincipalShareLink:
		if p.Share.UserID != "" {
			return "shareLink:" + p.Share.LinkID + "/user:" + p.Share.UserID
		}
		return "shareLink:" + p.Share.LinkID
	}
	return "anonymous"
}

// isAdmin reports whether p may do anything: API keys, admins and the server itself.
func (p *Principal) isAdmin() bool {
	switch p.Kind {
	case PrincipalAPIKey, PrincipalSystem:
		return true
	case PrincipalUser:
		return p.User.Role == RoleAdmin
	}
	return false
}

// userID is the signed-in user's id, "" when the principal is not a user.
func (p *Principal) userID() string {
	if p.Kind == PrincipalUser {
		return p.User.UserID
	}
	return ""
}

// active refuses principals that may not act yet: a user who must change its password
// can only change it (SPEC 2.1).
func (p *Principal) active() error {
	// A share link's holder acts only through RecordingRights, which judges it first.
	if p == nil || p.Kind == PrincipalAnonymous || p.Kind == PrincipalShareLink {
		return ErrUnauthenticated
	}
	if p.Kind == PrincipalUser && p.User.MustChangePassword {
		return &Error{Kind: KindForbidden, Title: "Authorization Error", Code: "password_change_required",
			Message: "You must change your password before doing anything else"}
	}
	return nil
}

// requireAdmin allows admins, API keys and the server.
func (p *Principal) requireAdmin() error {
	if err := p.active(); err != nil {
		return err
	}
	if !p.isAdmin() {
		return ErrForbidden
	}
	return nil
}

// LoginResult is what a successful sign-in hands back.
type LoginResult struct {
	User               *User
	AccessToken        string
	RefreshToken       string
	MustChangePassword bool
}

var errInvalidLogin = &Error{Kind: KindNotFound, Title: "Login Error", Message: "Invalid user ID or password"}

// CheckPassword verifies a user's password with failed-attempt limiting and audit; HTTP
// login and SSH both use it. An unknown user gets the same answer, after the same bcrypt
// work, as a wrong password.
func (s *Service) CheckPassword(ctx context.Context, userID, password string, meta RequestMeta) (*User, error) {
	now := s.now()
	if blocked, wait := s.limiter.blocked(userID, meta.Source, now); blocked {
		// Not audited one by one: a flood of refused guesses must not flood the log. The
		// failures that led here are in it.
		s.log.Warn("sign-in refused: too many failures", "user", userID, "source", meta.Source, "via", meta.Via)
		e := *ErrTooMany
		e.RetryAfterSeconds = int(wait/time.Second) + 1
		return nil, &e
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil && !isNoRows(err) {
		return nil, internal("load user", err)
	}
	hash := s.dummyHash
	if u != nil {
		hash = []byte(u.PasswordHash)
	}
	match := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
	if u == nil || !match {
		s.limiter.fail(userID, meta.Source, now)
		s.auditFailure(ctx, meta, "user:"+userID, "auth.login", "user:"+userID, "invalid credentials")
		return nil, errInvalidLogin
	}
	s.limiter.succeed(userID)
	return u, nil
}

// RecordSignIn audits a sign-in made by other means than Login (an SSH connection's first
// session), so that every way in leaves the same trace.
func (s *Service) RecordSignIn(ctx context.Context, userID string, meta RequestMeta) {
	u := &User{UserID: userID}
	if err := s.auditAs(ctx, s.store, &Principal{Kind: PrincipalUser, User: u, Meta: meta}, "auth.login", "user:"+userID, ""); err != nil {
		s.log.Error("audit append failed", "action", "auth.login", "err", err)
	}
}

// Login signs a user in and opens a session (SPEC 2.2).
func (s *Service) Login(ctx context.Context, userID, password string, meta RequestMeta) (*LoginResult, error) {
	var v validator
	if userID == "" {
		v.add("userId", "Required")
	}
	if password == "" {
		v.add("password", "Required")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	u, err := s.CheckPassword(ctx, userID, password, meta)
	if err != nil {
		return nil, err
	}
	res, err := s.openSession(ctx, u, meta)
	if err != nil {
		return nil, err
	}
	s.auditAs(ctx, s.store, &Principal{Kind: PrincipalUser, User: u, Meta: meta}, "auth.login", "user:"+u.UserID, "")
	return res, nil
}

func (s *Service) openSession(ctx context.Context, u *User, meta RequestMeta) (*LoginResult, error) {
	now := s.nowMS()
	sess := &Session{
		ID: randomSecret(22), UserID: u.UserID, RefreshJTI: randomSecret(22), Created: now,
		Expires: now + RefreshTokenTTL.Milliseconds(), Source: meta.Source, Device: truncate(meta.Device, 200),
	}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return nil, internal("create session", err)
	}
	access, err := s.issueAccess(ctx, u, sess.ID)
	if err != nil {
		return nil, err
	}
	refresh, err := s.issueRefresh(ctx, u, sess)
	if err != nil {
		return nil, err
	}
	return &LoginResult{User: u, AccessToken: access, RefreshToken: refresh, MustChangePassword: u.MustChangePassword}, nil
}

// AuthenticateAccessToken turns an access token into its user. Tokens of ended sessions,
// or issued before the user's role or password last changed, are refused.
func (s *Service) AuthenticateAccessToken(ctx context.Context, token string, meta RequestMeta) (*Principal, error) {
	token = strings.TrimPrefix(token, "Bearer ")
	var c accessClaims
	if err := s.parse(ctx, token, &c); err != nil || c.Type != tokenAccess {
		return nil, unauthenticated("Invalid or expired access token")
	}
	u, sess, err := s.checkSession(ctx, &c)
	if err != nil {
		return nil, err
	}
	return &Principal{Kind: PrincipalUser, User: u, SessionID: sess.ID, Meta: meta}, nil
}

func (s *Service) checkSession(ctx context.Context, c *accessClaims) (*User, *Session, error) {
	u, err := s.store.GetUser(ctx, c.UserID)
	if isNoRows(err) {
		return nil, nil, unauthenticated("The user of this token no longer exists")
	} else if err != nil {
		return nil, nil, internal("load user", err)
	}
	if !sameGeneration(u.Generation, c.Generation) {
		return nil, nil, unauthenticated("The user of this token was deleted since it was issued: sign in again")
	}
	if u.TokenVersion != c.Version {
		return nil, nil, unauthenticated("Token issued before the user's role or password changed: sign in again")
	}
	sess, err := s.store.GetSession(ctx, c.SessionID)
	if isNoRows(err) || (err == nil && (sess.UserID != u.UserID || sess.Expires <= s.nowMS())) {
		return nil, nil, unauthenticated("Session ended: sign in again")
	} else if err != nil {
		return nil, nil, internal("load session", err)
	}
	return u, sess, nil
}

// Refresh exchanges a refresh token for a new access token and a new refresh token
// (rotation). Presenting an already rotated refresh token ends the session: it was stolen
// or replayed.
func (s *Service) Refresh(ctx context.Context, refreshToken string, meta RequestMeta) (*LoginResult, error) {
	if refreshToken == "" {
		return nil, &Error{Kind: KindBadRequest, Title: "Refresh Token Error", Message: "No refresh token provided"}
	}
	var c accessClaims
	if err := s.parse(ctx, refreshToken, &c); err != nil || c.Type != tokenRefresh {
		return nil, &Error{Kind: KindBadRequest, Title: "Refresh Token Error", Message: "Invalid refresh token"}
	}
	var res *LoginResult
	reused := false
	err := s.store.InTx(ctx, func(tx Store) error {
		u, err := tx.GetUser(ctx, c.UserID)
		if err != nil || u.TokenVersion != c.Version || !sameGeneration(u.Generation, c.Generation) {
			return &Error{Kind: KindBadRequest, Title: "Refresh Token Error", Message: "Invalid refresh token: sign in again"}
		}
		sess, err := tx.GetSession(ctx, c.SessionID)
		if err != nil || sess.Expires <= s.nowMS() {
			return &Error{Kind: KindBadRequest, Title: "Refresh Token Error", Message: "Session ended: sign in again"}
		}
		if subtle.ConstantTimeCompare([]byte(sess.RefreshJTI), []byte(c.ID)) != 1 {
			// Reuse of a rotated token: end the session so neither copy works. The
			// deletion must commit, so the refusal is returned after the transaction.
			reused = true
			if err := tx.DeleteSession(ctx, sess.ID); err != nil {
				return internal("end session", err)
			}
			return nil
		}
		sess.RefreshJTI = randomSecret(22)
		if err := tx.UpdateSession(ctx, sess); err != nil {
			return internal("rotate session", err)
		}
		access, err := s.issueAccess(ctx, u, sess.ID)
		if err != nil {
			return err
		}
		refresh, err := s.issueRefresh(ctx, u, sess)
		if err != nil {
			return err
		}
		res = &LoginResult{User: u, AccessToken: access, RefreshToken: refresh, MustChangePassword: u.MustChangePassword}
		return nil
	})
	if err == nil && reused {
		s.auditFailure(ctx, meta, "user:"+c.UserID, "auth.refresh", "user:"+c.UserID, "rotated refresh token reused: session ended")
		return nil, &Error{Kind: KindBadRequest, Title: "Refresh Token Error", Message: "Refresh token already used: session ended, sign in again"}
	}
	return res, err
}

// Logout ends the principal's session; its access and refresh tokens stop working.
func (s *Service) Logout(ctx context.Context, p *Principal) error {
	if p == nil || p.Kind != PrincipalUser || p.SessionID == "" {
		return nil
	}
	if err := s.store.DeleteSession(ctx, p.SessionID); err != nil && !isNoRows(err) {
		return internal("end session", err)
	}
	s.auditAs(ctx, s.store, p, "auth.logout", "user:"+p.User.UserID, "")
	return nil
}

// LogoutRefresh ends the session a refresh token belongs to (logout without an access token).
func (s *Service) LogoutRefresh(ctx context.Context, refreshToken string) {
	var c accessClaims
	if s.parse(ctx, refreshToken, &c) == nil && c.Type == tokenRefresh {
		_ = s.store.DeleteSession(ctx, c.SessionID)
	}
}

// ChangePassword changes the principal's own password. It is the one thing a user who
// must change its password may do; afterwards its other sessions end, and a fresh session
// is returned when the change was required. Of changes racing each other, one wins and
// the others get a conflict (KindConflict).
func (s *Service) ChangePassword(ctx context.Context, p *Principal, current, next string) (*LoginResult, error) {
	if p == nil || p.Kind != PrincipalUser {
		return nil, ErrUnauthenticated
	}
	var v validator
	if current == "" {
		v.add("currentPassword", "Required")
	}
	s.checkPassword(&v, "newPassword", p.User.UserID, next)
	if err := v.err(); err != nil {
		return nil, err
	}
	checked, err := s.CheckPassword(ctx, p.User.UserID, current, p.Meta)
	if err != nil {
		if KindOf(err) == KindTooMany {
			return nil, err
		}
		return nil, &Error{Kind: KindBadRequest, Title: "Change Password Error", Message: "Invalid current password"}
	}
	if current == next {
		return nil, invalid("newPassword", "must differ from the current password")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(next), s.cfg.BcryptCost)
	if err != nil {
		return nil, internal("hash password", err)
	}
	var u *User
	err = s.store.InTx(ctx, func(tx Store) error {
		var err error
		u, err = tx.GetUser(ctx, p.User.UserID)
		if err != nil {
			return internal("load user", err)
		}
		u.PasswordHash = string(hash)
		u.MustChangePassword = false
		u.TokenVersion++
		// Only over the hash current was checked against: of changes racing each
		// other, the first wins and the others are told so, instead of every caller
		// hearing "changed" while only the last password works.
		if err := s.swapPassword(ctx, tx, u, checked.PasswordHash, "Change Password Error"); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ctx, u.UserID); err != nil {
			return internal("end sessions", err)
		}
		return s.auditAs(ctx, tx, p, "user.changePassword", "user:"+u.UserID, "")
	})
	if err != nil {
		return nil, err
	}
	s.bus.Publish(Event{Type: EventUserChanged, UserID: u.UserID})
	res, err := s.openSession(ctx, u, p.Meta)
	if err != nil {
		return nil, err
	}
	// OpenVidu Meet returns tokens only when the change was required; Conclave has ended
	// every other session, so it always hands the caller a fresh pair.
	return res, nil
}

// APIKeyPrefix starts every API key, so that leaked keys are easy to recognise.
const APIKeyPrefix = "conclave_"

// AuthenticateAPIKey checks an API key in constant time against the stored hash.
func (s *Service) AuthenticateAPIKey(ctx context.Context, key string, meta RequestMeta) (*Principal, error) {
	id, secret, ok := splitAPIKey(key)
	if !ok {
		return nil, unauthenticated("Invalid API key")
	}
	k, err := s.store.GetAPIKey(ctx, id)
	if isNoRows(err) {
		// Spend the same hashing work as for a known id.
		sum := sha256.Sum256([]byte(secret))
		_ = subtle.ConstantTimeCompare(sum[:], sum[:])
		return nil, unauthenticated("Invalid API key")
	} else if err != nil {
		return nil, internal("load API key", err)
	}
	sum := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(sum[:], k.Hash) != 1 {
		return nil, unauthenticated("Invalid API key")
	}
	if now := s.nowMS(); now-k.LastUsed > time.Minute.Milliseconds() {
		_ = s.store.TouchAPIKey(ctx, k.ID, now) // best effort: a usage hint, not a record
	}
	return &Principal{Kind: PrincipalAPIKey, APIKey: k, Meta: meta}, nil
}

func splitAPIKey(key string) (id, secret string, ok bool) {
	rest, found := strings.CutPrefix(key, APIKeyPrefix)
	if !found {
		return "", "", false
	}
	id, secret, found = strings.Cut(rest, "_")
	if !found || len(id) != 12 || len(secret) < 32 || len(secret) > 128 {
		return "", "", false
	}
	return id, secret, true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
