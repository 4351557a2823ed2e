package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token lifetimes (SPEC 2.2).
const (
	AccessTokenTTL  = 2 * time.Hour
	RefreshTokenTTL = 24 * time.Hour
	MemberTokenTTL  = 2 * time.Hour
)

// Token kinds, carried in the "typ" claim so that one kind is never accepted as another.
const (
	tokenAccess  = "access"
	tokenRefresh = "refresh"
	tokenMember  = "member"
)

// Member-token subject kinds.
const (
	SubjectMember    = "member"    // an external member, or an internal user who is a member
	SubjectUser      = "user"      // a signed-in internal user (admin, owner, user access)
	SubjectAnonymous = "anonymous" // an anonymous access link
	SubjectAPIKey    = "apiKey"
)

// MemberClaims is what a room-member token says about its holder.
type MemberClaims struct {
	RoomID string `json:"room"`
	// SubjectKind is one of the Subject* constants.
	SubjectKind string `json:"sk"`
	// MemberID is the member's id, or the userId for SubjectUser.
	MemberID string `json:"mid,omitempty"`
	// Identity is the participant identity in the meeting.
	Identity        string      `json:"pid"`
	ParticipantName string      `json:"pname,omitempty"`
	Role            string      `json:"role,omitempty"` // moderator | speaker | ""
	Permissions     Permissions `json:"perms"`
	JoinMeeting     bool        `json:"join"`
	Grant           string      `json:"grant"`
	// Versions at issue time: the room's roles/access, the member's and the user's.
	RoomVersion   int64  `json:"rv"`
	MemberVersion int64  `json:"mv,omitempty"`
	UserVersion   int64  `json:"uv,omitempty"`
	UserID        string `json:"uid,omitempty"`
	// Incarnations at issue time. Versions start over when a member is added again or a
	// userId is created again; generations never repeat, so a token outlives neither.
	MemberGeneration string `json:"mg,omitempty"`
	UserGeneration   string `json:"ug,omitempty"`
	// What asked for the token: the user's sign-in session or the API key. The token, and
	// every refresh of it, is refused once that session ended or that key was deleted.
	SessionID string `json:"sid,omitempty"`
	APIKeyID  string `json:"kid,omitempty"`
	IssuedAt  int64  `json:"iatms"`
	ExpiresAt int64  `json:"expms"`
}

type accessClaims struct {
	Type       string `json:"typ"`
	UserID     string `json:"uid"`
	SessionID  string `json:"sid"`
	Version    int64  `json:"uv"`
	Generation string `json:"ug"`
	jwt.RegisteredClaims
}

type memberTokenClaims struct {
	Type string `json:"typ"`
	MemberClaims
	jwt.RegisteredClaims
}

// SigningKeyStore is implemented by a Store that keeps the token signing secret apart
// from its records. db does, in a file of its own beside the database, so that a copy of
// the database (a backup) holds no key to mint tokens for the live server with.
type SigningKeyStore interface {
	// SigningKey returns the secret (at least 32 bytes), creating it on first use; every
	// process sharing the store gets the same one.
	SigningKey(ctx context.Context) ([]byte, error)
}

// signingKey returns the server's HS256 secret, creating it on first use: from the store's
// SigningKeyStore when it has one, else from the settings, so that every process sharing
// the database accepts the same tokens.
func (s *Service) signingKey(ctx context.Context) ([]byte, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.key != nil {
		return s.key, nil
	}
	if ks, ok := s.store.(SigningKeyStore); ok {
		key, err := ks.SigningKey(ctx)
		if err != nil {
			return nil, fmt.Errorf("load token signing key: %w", err)
		}
		if len(key) < 32 {
			return nil, fmt.Errorf("token signing key is too short (%d bytes)", len(key))
		}
		s.key = key
		return key, nil
	}
	v, err := s.store.GetSetting(ctx, settingJWTSecret)
	if errors.Is(err, ErrNoRows) {
		buf := make([]byte, 32)
		if _, err := rand.Read(buf); err != nil {
			return nil, err
		}
		v = hex.EncodeToString(buf)
		err = s.store.InTx(ctx, func(tx Store) error {
			// Another process may have created it meanwhile: keep the first.
			if old, err := tx.GetSetting(ctx, settingJWTSecret); err == nil {
				v = old
				return nil
			}
			return tx.PutSetting(ctx, settingJWTSecret, v)
		})
	}
	if err != nil {
		return nil, fmt.Errorf("load token signing key: %w", err)
	}
	key, err := hex.DecodeString(v)
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("token signing key in database is corrupt")
	}
	s.key = key
	return key, nil
}

func (s *Service) sign(ctx context.Context, claims jwt.Claims) (string, error) {
	key, err := s.signingKey(ctx)
	if err != nil {
		return "", err
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
}

// parse verifies a token's signature, algorithm and expiry into claims.
func (s *Service) parse(ctx context.Context, token string, claims jwt.Claims) error {
	key, err := s.signingKey(ctx)
	if err != nil {
		return err
	}
	if len(token) > 8192 {
		return errors.New("token too long")
	}
	_, err = jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(s.now), jwt.WithExpirationRequired())
	return err
}

func (s *Service) issueAccess(ctx context.Context, u *User, sessionID string) (string, error) {
	now := s.now()
	return s.sign(ctx, accessClaims{
		Type: tokenAccess, UserID: u.UserID, SessionID: sessionID, Version: u.TokenVersion, Generation: u.Generation,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   u.UserID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(AccessTokenTTL)),
		},
	})
}

func (s *Service) issueRefresh(ctx context.Context, u *User, sess *Session) (string, error) {
	now := s.now()
	return s.sign(ctx, accessClaims{
		Type: tokenRefresh, UserID: u.UserID, SessionID: sess.ID, Version: u.TokenVersion, Generation: u.Generation,
		RegisteredClaims: jwt.RegisteredClaims{
			ID:        sess.RefreshJTI,
			Subject:   u.UserID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(time.UnixMilli(sess.Expires)),
		},
	})
}

func (s *Service) issueMemberToken(ctx context.Context, c MemberClaims) (string, error) {
	now := s.now()
	c.IssuedAt = now.UnixMilli()
	c.ExpiresAt = now.Add(MemberTokenTTL).UnixMilli()
	return s.sign(ctx, memberTokenClaims{
		Type: tokenMember, MemberClaims: c,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   c.Identity,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(time.UnixMilli(c.ExpiresAt)),
		},
	})
}

// newGeneration returns the id of a new incarnation of a user or member: 96 random bits,
// so that no two incarnations of one id ever share it.
func newGeneration() string {
	buf := make([]byte, 12)
	if _, err := rand.Read(buf); err != nil {
		panic("crypto/rand failed: " + err.Error()) // as in randomFrom
	}
	return hex.EncodeToString(buf)
}

// sameGeneration reports whether a token's generation is the identity's current one. A
// token without one predates generations and is refused: it may be of an earlier
// incarnation.
func sameGeneration(current, token string) bool {
	return token != "" && current == token
}

// randomID returns n characters of [a-z0-9] from a cryptographic source (5.17 bits each).
func randomID(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	return randomFrom(alphabet, n)
}

// randomSecret returns n characters of [A-Za-z0-9] (5.95 bits each).
func randomSecret(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	return randomFrom(alphabet, n)
}

func randomFrom(alphabet string, n int) string {
	out := make([]byte, n)
	buf := make([]byte, n*2)
	i := 0
	for i < n {
		if _, err := rand.Read(buf); err != nil {
			panic("crypto/rand failed: " + err.Error()) // the OS has no entropy: nothing is safe
		}
		for _, b := range buf {
			// Rejection sampling keeps every character equally likely.
			if int(b) >= 256-256%len(alphabet) {
				continue
			}
			out[i] = alphabet[int(b)%len(alphabet)]
			i++
			if i == n {
				break
			}
		}
	}
	return string(out)
}
