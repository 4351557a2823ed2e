package core

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/url"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"
)

// Share-link access kinds (SPEC 7.3).
const (
	ShareAccessPublic  = "public"  // anyone holding the link
	ShareAccessPrivate = "private" // a signed-in internal user holding the link
)

// Where a share link came from.
const (
	ShareOriginShare = "share" // POST …/recordings/{id}/shares
	ShareOriginURL   = "url"   // OpenVidu Meet's GET …/recordings/{id}/url
)

// Share-link limits: what one client can repeat is bounded.
const (
	MaxShareLinksPerRecording = 100 // links in force (neither revoked nor expired) at once
	MaxShareUses              = 1_000_000
	MaxSharePasswordBytes     = 72 // bcrypt's limit
	MaxShareExpiry            = 10 * 365 * 24 * time.Hour
	// ShareTokenTTL is how long the token an opened link hands out plays media, at most
	// (never past the link's expiry). The link itself is checked on every request.
	ShareTokenTTL = 2 * time.Hour
)

// ShareLink is a capability to play, and maybe download, one recording. Only a hash of
// its secret is kept; the secret is shown once, when the link is made.
type ShareLink struct {
	LinkID        string
	RecordingID   string
	RoomID        string
	SecretHash    []byte // SHA-256 of the secret: 190 random bits need no slow hash
	Access        string // ShareAccessPublic | ShareAccessPrivate
	PasswordHash  string // bcrypt, "" for none
	AllowDownload bool
	ExpiresAt     int64 // epoch ms, 0 = never
	MaxUses       int64 // 0 = unlimited
	Uses          int64
	LastUsed      int64
	CreatedAt     int64
	CreatedBy     string
	RevokedAt     int64 // 0 while in force; once set, never cleared
	RevokedBy     string
	Origin        string // ShareOriginShare | ShareOriginURL
}

// State says whether the link works at now: "active", "revoked", "expired" or "usedUp".
func (l *ShareLink) State(now int64) string {
	switch {
	case l.RevokedAt != 0:
		return "revoked"
	case l.ExpiresAt != 0 && now >= l.ExpiresAt:
		return "expired"
	case l.MaxUses != 0 && l.Uses >= l.MaxUses:
		return "usedUp"
	}
	return "active"
}

// ShareLinkState is l.State now, by core's clock.
func (s *Service) ShareLinkState(l *ShareLink) string { return l.State(s.nowMS()) }

// ShareLinkQuery lists one recording's share links, newest first.
type ShareLinkQuery struct {
	ListOptions
	RecordingID string
}

// ShareLinkStore keeps the recordings' share links. A revoked link stays revoked: the
// store never clears RevokedAt.
type ShareLinkStore interface {
	CreateShareLink(ctx context.Context, l *ShareLink) error
	GetShareLink(ctx context.Context, linkID string) (*ShareLink, error)
	ListShareLinks(ctx context.Context, q ShareLinkQuery) (Page[ShareLink], error)
	// CountLiveShareLinks counts a recording's links neither revoked nor expired at now.
	CountLiveShareLinks(ctx context.Context, recordingID string, now int64) (int, error)
	// UseShareLink counts one use at now, only while the link is unrevoked, unexpired
	// and not used up; ErrNoRows otherwise.
	UseShareLink(ctx context.Context, linkID string, now int64) error
	// RevokeShareLink revokes a link in force; ErrNoRows when it is absent or revoked.
	RevokeShareLink(ctx context.Context, linkID string, now int64, by string) error
	// RevokeShareLinks revokes every link of a recording still unrevoked; it returns the
	// ids revoked.
	RevokeShareLinks(ctx context.Context, recordingID string, now int64, by string) ([]string, error)
}

// ShareGrant is what an opened share link lets its holder do (Principal.Share).
type ShareGrant struct {
	LinkID      string
	RecordingID string
	// UserID is the signed-in user who opened a private link ("" for public ones).
	UserID string
}

// NewShareLink is a request for a share link; nil fields take their defaults.
type NewShareLink struct {
	Access        string  // "" = public
	Password      *string // nil = none; "" is refused
	ExpiresAt     *int64  // epoch ms
	AllowDownload bool
	MaxUses       *int64
}

// Share-link refusals, with codes the player page tells apart.
var (
	ErrShareNotFound      = &Error{Kind: KindNotFound, Title: "Share Link Error", Code: "share_link_not_found", Message: "Share link not found"}
	ErrShareRevoked       = &Error{Kind: KindGone, Title: "Share Link Error", Code: "share_link_revoked", Message: "This share link was revoked"}
	ErrShareExpired       = &Error{Kind: KindGone, Title: "Share Link Error", Code: "share_link_expired", Message: "This share link has expired"}
	ErrShareUsedUp        = &Error{Kind: KindGone, Title: "Share Link Error", Code: "share_link_used_up", Message: "This share link has been used as many times as it allows"}
	ErrShareSignIn        = &Error{Kind: KindUnauthenticated, Title: "Share Link Error", Code: "share_link_sign_in_required", Message: "This share link is for signed-in users: sign in first"}
	ErrSharePasswordNeed  = &Error{Kind: KindUnauthenticated, Title: "Share Link Error", Code: "share_password_required", Message: "This share link needs its password"}
	ErrSharePasswordWrong = &Error{Kind: KindUnauthenticated, Title: "Share Link Error", Code: "share_password_wrong", Message: "Wrong password for this share link"}
)

func shareErr(base *Error) error {
	e := *base
	return &e
}

func hashShareSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// ShareLinkURL is the page a share link opens: the player, told the link and its secret.
func (s *Service) ShareLinkURL(l *ShareLink, secret string) string {
	return s.BaseURL() + "/recording/" + url.PathEscape(l.RecordingID) + "?share=" + url.QueryEscape(l.LinkID) + "&secret=" + url.QueryEscape(secret)
}

// CreateShareLink makes a share link of a recording (recordingShare; a link that allows
// downloading also needs recordingDownload: nobody hands out more than it holds). It
// returns the link and its secret, shown this once.
func (s *Service) CreateShareLink(ctx context.Context, p *Principal, recordingID string, in NewShareLink) (*ShareLink, string, error) {
	rec, err := s.loadRecording(ctx, recordingID)
	if err != nil {
		return nil, "", err
	}
	if err := s.checkRight(ctx, p, rec, RecActShare); err != nil {
		return nil, "", err
	}
	if in.AllowDownload {
		if err := s.checkRight(ctx, p, rec, RecActDownload); err != nil {
			return nil, "", err
		}
	}
	now := s.nowMS()
	var v validator
	if in.Access == "" {
		in.Access = ShareAccessPublic
	}
	checkEnum(&v, "access", in.Access, ShareAccessPublic, ShareAccessPrivate)
	l := &ShareLink{
		LinkID: "shr_" + randomID(16), RecordingID: rec.RecordingID, RoomID: rec.RoomID,
		Access: in.Access, AllowDownload: in.AllowDownload, CreatedAt: now, CreatedBy: p.Actor(),
		Origin: ShareOriginShare,
	}
	if in.Password != nil {
		switch pw := *in.Password; {
		case pw == "":
			v.add("password", "must not be empty: leave it out for a link without password")
		case len(pw) > MaxSharePasswordBytes:
			v.add("password", "must be at most %d bytes", MaxSharePasswordBytes)
		}
	}
	if in.ExpiresAt != nil {
		switch e := *in.ExpiresAt; {
		case e <= now:
			v.add("expiresAt", "must be in the future (epoch milliseconds)")
		case e > now+MaxShareExpiry.Milliseconds():
			v.add("expiresAt", "must be at most 10 years ahead")
		default:
			l.ExpiresAt = e
		}
	}
	if in.MaxUses != nil {
		if n := *in.MaxUses; n < 1 || n > MaxShareUses {
			v.add("maxUses", "must be from 1 to %d (leave it out for no limit)", MaxShareUses)
		} else {
			l.MaxUses = n
		}
	}
	if err := v.err(); err != nil {
		return nil, "", err
	}
	if in.Access == ShareAccessPublic {
		if err := s.publicShareAllowed(ctx, rec); err != nil {
			return nil, "", err
		}
	}
	if in.Password != nil {
		hash, err := bcrypt.GenerateFromPassword([]byte(*in.Password), s.cfg.BcryptCost)
		if err != nil {
			return nil, "", internal("hash share password", err)
		}
		l.PasswordHash = string(hash)
	}
	secret, err := s.storeShareLink(ctx, p, rec, l, AccessShareCreate)
	if err != nil {
		return nil, "", err
	}
	return l, secret, nil
}

// publicShareAllowed refuses public links of a room whose recordings are for internal
// members only.
func (s *Service) publicShareAllowed(ctx context.Context, rec *Recording) error {
	room, err := s.store.GetRoom(ctx, rec.RoomID)
	if err != nil && !isNoRows(err) {
		return internal("load room", err)
	}
	if room != nil && room.Config.Recording.InternalMembersOnly {
		return forbidden("The recordings of room %q are for its internal members only: make a private link", rec.RoomID)
	}
	return nil
}

// storeShareLink gives l a secret and stores it with its access-log and audit entries.
func (s *Service) storeShareLink(ctx context.Context, p *Principal, rec *Recording, l *ShareLink, action string) (string, error) {
	secret := randomSecret(32)
	l.SecretHash = hashShareSecret(secret)
	err := s.store.InTx(ctx, func(tx Store) error {
		n, err := tx.CountLiveShareLinks(ctx, rec.RecordingID, l.CreatedAt)
		if err != nil {
			return internal("count share links", err)
		}
		if n >= MaxShareLinksPerRecording {
			return conflict("Share Link Error", "Recording %q has %d share links in force already: revoke some first", rec.RecordingID, n)
		}
		if err := tx.CreateShareLink(ctx, l); err != nil {
			return internal("create share link", err)
		}
		detail := map[string]any{"access": l.Access, "allowDownload": l.AllowDownload, "password": l.PasswordHash != "",
			"expiresAt": l.ExpiresAt, "maxUses": l.MaxUses, "origin": l.Origin}
		if err := s.logRecordingAccess(ctx, tx, p, AccessEntry{Action: action, RecordingID: rec.RecordingID, RoomID: rec.RoomID, LinkID: l.LinkID, Detail: detail}); err != nil {
			return err
		}
		return s.auditAs(ctx, tx, p, "recording.share.create", "recording:"+rec.RecordingID, map[string]any{"linkId": l.LinkID, "access": l.Access})
	})
	if err != nil {
		return "", err
	}
	s.bus.Publish(Event{Type: EventRecordingChanged, RoomID: rec.RoomID, RecordingID: rec.RecordingID})
	return secret, nil
}

// RecordingURL is OpenVidu Meet's GET …/recordings/{id}/url: a link to the recording's
// page for people without access to it, private (signed-in users) or public (anyone;
// only while the room's anonymous recording access is on). Each call makes a new share
// link (origin "url"), listed and revocable with the others; it allows downloading where
// the room's speakers may download, as the anonymous recording link does.
func (s *Service) RecordingURL(ctx context.Context, p *Principal, recordingID string, private bool) (string, error) {
	rec, err := s.loadRecording(ctx, recordingID)
	if err != nil {
		return "", err
	}
	if err := s.checkRight(ctx, p, rec, RecActShare); err != nil {
		return "", err
	}
	room, err := s.store.GetRoom(ctx, rec.RoomID)
	if err != nil && !isNoRows(err) {
		return "", internal("load room", err)
	}
	l := &ShareLink{
		LinkID: "shr_" + randomID(16), RecordingID: rec.RecordingID, RoomID: rec.RoomID,
		Access: ShareAccessPrivate, CreatedAt: s.nowMS(), CreatedBy: p.Actor(), Origin: ShareOriginURL,
	}
	if room != nil {
		l.AllowDownload = room.Roles.Speaker.Permissions.RecordingDownload
	}
	if !private {
		if room == nil || !room.Access.Recording.Enabled {
			return "", &Error{Kind: KindForbidden, Title: "Room Error", Code: "anonymous_recording_disabled",
				Message: "Anonymous access in room '" + rec.RoomID + "' is disabled for recordings"}
		}
		if err := s.publicShareAllowed(ctx, rec); err != nil {
			return "", err
		}
		l.Access = ShareAccessPublic
	}
	secret, err := s.storeShareLink(ctx, p, rec, l, AccessURL)
	if err != nil {
		return "", err
	}
	return s.ShareLinkURL(l, secret), nil
}

// ListShareLinks lists a recording's share links with their uses (recordingShare).
func (s *Service) ListShareLinks(ctx context.Context, p *Principal, recordingID string, o ListOptions) (Page[ShareLink], error) {
	rec, err := s.loadRecording(ctx, recordingID)
	if err != nil {
		return Page[ShareLink]{}, err
	}
	if err := s.checkRight(ctx, p, rec, RecActShare); err != nil {
		return Page[ShareLink]{}, err
	}
	if o, err = checkList(o, "createdAt"); err != nil {
		return Page[ShareLink]{}, err
	}
	page, err := s.store.ListShareLinks(ctx, ShareLinkQuery{ListOptions: o, RecordingID: recordingID})
	return page, listErr("share links", err)
}

// RevokeShareLink revokes one link of a recording (recordingShare), at once and for
// ever. A link of another recording is not found.
func (s *Service) RevokeShareLink(ctx context.Context, p *Principal, recordingID, linkID string) error {
	rec, err := s.loadRecording(ctx, recordingID)
	if err != nil {
		return err
	}
	if err := s.checkRight(ctx, p, rec, RecActShare); err != nil {
		return err
	}
	now := s.nowMS()
	err = s.store.InTx(ctx, func(tx Store) error {
		l, err := tx.GetShareLink(ctx, linkID)
		if isNoRows(err) || (err == nil && l.RecordingID != recordingID) {
			return notFoundShare(linkID, recordingID)
		} else if err != nil {
			return internal("load share link", err)
		}
		if l.RevokedAt != 0 {
			return shareErr(ErrShareRevoked)
		}
		if err := tx.RevokeShareLink(ctx, linkID, now, p.Actor()); err != nil {
			return internal("revoke share link", err)
		}
		if err := s.logRecordingAccess(ctx, tx, p, AccessEntry{Action: AccessShareRevoke, RecordingID: recordingID, RoomID: rec.RoomID, LinkID: linkID}); err != nil {
			return err
		}
		return s.auditAs(ctx, tx, p, "recording.share.revoke", "recording:"+recordingID, map[string]any{"linkId": linkID})
	})
	if err == nil {
		s.bus.Publish(Event{Type: EventRecordingChanged, RoomID: rec.RoomID, RecordingID: rec.RecordingID})
	}
	return err
}

// RevokeShareLinks revokes every link of a recording still in force (recordingShare)
// and returns how many.
func (s *Service) RevokeShareLinks(ctx context.Context, p *Principal, recordingID string) (int, error) {
	rec, err := s.loadRecording(ctx, recordingID)
	if err != nil {
		return 0, err
	}
	if err := s.checkRight(ctx, p, rec, RecActShare); err != nil {
		return 0, err
	}
	var n int
	err = s.store.InTx(ctx, func(tx Store) error {
		ids, err := tx.RevokeShareLinks(ctx, recordingID, s.nowMS(), p.Actor())
		if err != nil {
			return internal("revoke share links", err)
		}
		n = len(ids)
		for _, id := range ids {
			if err := s.logRecordingAccess(ctx, tx, p, AccessEntry{Action: AccessShareRevoke, RecordingID: recordingID, RoomID: rec.RoomID, LinkID: id}); err != nil {
				return err
			}
		}
		return s.auditAs(ctx, tx, p, "recording.share.revokeAll", "recording:"+recordingID, map[string]any{"revoked": n})
	})
	if err == nil && n > 0 {
		s.bus.Publish(Event{Type: EventRecordingChanged, RoomID: rec.RoomID, RecordingID: rec.RecordingID})
	}
	return n, err
}

func notFoundShare(linkID, recordingID string) error {
	e := *ErrShareNotFound
	e.Message = "Share link '" + linkID + "' not found for recording '" + recordingID + "'"
	return &e
}

// SharedRecording is what opening a share link gives: the recording, the link's terms
// and a token that plays its media (and downloads it, when the link allows).
type SharedRecording struct {
	Recording      *Recording
	Link           *ShareLink
	Token          string
	TokenExpiresAt int64
}

// OpenShareLink resolves a share link's id and secret (and password, when it has one)
// into a token for its recording's media, counting one use. caller is whoever asks:
// anonymous for a public link, a signed-in internal user for a private one. Refusals
// say why (codes share_link_*, share_password_*): not found (unknown id or wrong secret,
// which look the same), revoked or expired or used up (410), sign-in or password needed
// (401), too many wrong passwords (429).
func (s *Service) OpenShareLink(ctx context.Context, caller *Principal, linkID, secret, password string) (*SharedRecording, error) {
	if caller == nil {
		caller = Anonymous(RequestMeta{})
	}
	if linkID == "" || len(linkID) > 64 || secret == "" || len(secret) > 200 {
		return nil, shareErr(ErrShareNotFound)
	}
	if len(password) > 1024 {
		return nil, invalid("password", "must be at most %d bytes", MaxSharePasswordBytes)
	}
	l, err := s.store.GetShareLink(ctx, linkID)
	if isNoRows(err) {
		return nil, shareErr(ErrShareNotFound)
	} else if err != nil {
		return nil, internal("load share link", err)
	}
	if subtle.ConstantTimeCompare(hashShareSecret(secret), l.SecretHash) != 1 {
		return nil, shareErr(ErrShareNotFound)
	}
	now := s.nowMS()
	switch l.State(now) {
	case "revoked":
		return nil, shareErr(ErrShareRevoked)
	case "expired":
		return nil, shareErr(ErrShareExpired)
	}
	grant := &ShareGrant{LinkID: l.LinkID, RecordingID: l.RecordingID}
	var user *User
	sessionID := ""
	if l.Access == ShareAccessPrivate {
		if caller.Kind != PrincipalUser {
			return nil, shareErr(ErrShareSignIn)
		}
		if err := caller.active(); err != nil {
			return nil, err
		}
		user, grant.UserID, sessionID = caller.User, caller.User.UserID, caller.SessionID
	}
	holder := &Principal{Kind: PrincipalShareLink, Share: grant, Meta: caller.Meta}
	rec, err := s.loadRecording(ctx, l.RecordingID)
	if err != nil {
		return nil, err
	}
	if l.PasswordHash != "" {
		if err := s.checkSharePassword(ctx, holder, l, password); err != nil {
			return nil, err
		}
	}
	if d, err := s.recordingDecision(ctx, s.store, holder, rec, RecActPlay); err != nil {
		return nil, err
	} else if !d.Allowed {
		return nil, d.Err
	}
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.UseShareLink(ctx, l.LinkID, now); isNoRows(err) {
			// Used up, or revoked or expired since it was read.
			if cur, gerr := tx.GetShareLink(ctx, l.LinkID); gerr == nil && cur.State(now) == "revoked" {
				return shareErr(ErrShareRevoked)
			} else if gerr == nil && cur.State(now) == "expired" {
				return shareErr(ErrShareExpired)
			}
			return shareErr(ErrShareUsedUp)
		} else if err != nil {
			return internal("count share link use", err)
		}
		return s.logRecordingAccess(ctx, tx, holder, AccessEntry{Action: AccessShareUse, RecordingID: rec.RecordingID, RoomID: rec.RoomID})
	})
	if err != nil {
		return nil, err
	}
	l.Uses++
	l.LastUsed = now
	exp := s.now().Add(ShareTokenTTL).UnixMilli()
	if l.ExpiresAt != 0 && l.ExpiresAt < exp {
		exp = l.ExpiresAt
	}
	c := shareTokenClaims{Type: tokenShare, LinkID: l.LinkID, RecordingID: l.RecordingID,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   l.LinkID,
			IssuedAt:  jwt.NewNumericDate(s.now()),
			ExpiresAt: jwt.NewNumericDate(time.UnixMilli(exp)),
		}}
	if user != nil {
		c.UserID, c.UserVersion, c.UserGeneration, c.SessionID = user.UserID, user.TokenVersion, user.Generation, sessionID
	}
	tok, err := s.sign(ctx, c)
	if err != nil {
		return nil, internal("sign share token", err)
	}
	return &SharedRecording{Recording: rec, Link: l, Token: tok, TokenExpiresAt: exp}, nil
}

// checkSharePassword compares a share link's password (bcrypt, constant time), with
// wrong tries limited per link and per source address as sign-ins are; each wrong one
// is in the access log.
func (s *Service) checkSharePassword(ctx context.Context, holder *Principal, l *ShareLink, password string) error {
	now := s.now()
	if blocked, wait := s.shareTries.blocked(l.LinkID, holder.Meta.Source, now); blocked {
		e := *ErrTooMany
		e.Code, e.Message = "share_password_tries", "Too many wrong passwords for this share link: try again later"
		e.RetryAfterSeconds = int(wait/time.Second) + 1
		return &e
	}
	if password == "" {
		return shareErr(ErrSharePasswordNeed)
	}
	if bcrypt.CompareHashAndPassword([]byte(l.PasswordHash), []byte(password)) != nil {
		s.shareTries.fail(l.LinkID, holder.Meta.Source, now)
		_ = s.logAccessAlone(ctx, holder, AccessEntry{Action: AccessSharePassword, RecordingID: l.RecordingID, RoomID: l.RoomID, Failed: true})
		return shareErr(ErrSharePasswordWrong)
	}
	s.shareTries.succeed(l.LinkID)
	return nil
}

const tokenShare = "share"

type shareTokenClaims struct {
	Type           string `json:"typ"`
	LinkID         string `json:"lid"`
	RecordingID    string `json:"rid"`
	UserID         string `json:"uid,omitempty"`
	UserVersion    int64  `json:"uv,omitempty"`
	UserGeneration string `json:"ug,omitempty"`
	// SessionID is the sign-in session a private link was opened through: the token
	// ends with it (a sign-out ends the viewing).
	SessionID string `json:"sid,omitempty"`
	jwt.RegisteredClaims
}

// AuthenticateShareToken turns the token an opened link handed out into the principal
// that plays its recording. The link's state (revoked, expired) is judged again on every
// act by RecordingRights; a private link's token also dies with its user's role or
// password change or deletion.
func (s *Service) AuthenticateShareToken(ctx context.Context, linkID, token string, meta RequestMeta) (*Principal, error) {
	var c shareTokenClaims
	if err := s.parse(ctx, token, &c); err != nil || c.Type != tokenShare || c.LinkID != linkID {
		return nil, unauthenticated("Invalid or expired share token: open the share link again")
	}
	if c.UserID != "" {
		u, err := s.store.GetUser(ctx, c.UserID)
		if isNoRows(err) {
			return nil, unauthenticated("The user who opened this share link no longer exists")
		} else if err != nil {
			return nil, internal("load user", err)
		}
		if !sameGeneration(u.Generation, c.UserGeneration) || u.TokenVersion != c.UserVersion {
			return nil, unauthenticated("Share token issued before the user's role or password changed: open the link again")
		}
		if c.SessionID != "" {
			sess, err := s.store.GetSession(ctx, c.SessionID)
			if isNoRows(err) || (err == nil && (sess.UserID != c.UserID || sess.Expires <= s.nowMS())) {
				return nil, unauthenticated("The sign-in session this share link was opened through ended: sign in again")
			} else if err != nil {
				return nil, internal("load session", err)
			}
		}
	}
	return &Principal{Kind: PrincipalShareLink, Share: &ShareGrant{LinkID: c.LinkID, RecordingID: c.RecordingID, UserID: c.UserID}, Meta: meta}, nil
}

// shareLinkRights judges a share link's holder: it may play its own recording, and
// download it when the link allows, while the link is in force and, for a public link,
// while the room does not keep its recordings for internal members. It never lists,
// deletes, shares or restores.
func (s *Service) shareLinkRights(ctx context.Context, st Store, p *Principal, recordingID, act string, d RecordingDecision) (RecordingDecision, error) {
	refuse := func(reason string, err error) (RecordingDecision, error) {
		d.Allowed, d.Reason, d.Err = false, reason, err
		return d, nil
	}
	d.Source = "shareLink"
	if act != RecActPlay && act != RecActDownload {
		return refuse(RecReasonLinkScope, forbidden("A share link only plays (and maybe downloads) its recording"))
	}
	if recordingID == "" || recordingID != p.Share.RecordingID {
		return refuse(RecReasonLinkInvalid, forbidden("This share link is for another recording"))
	}
	l, err := st.GetShareLink(ctx, p.Share.LinkID)
	if isNoRows(err) {
		return refuse(RecReasonLinkInvalid, shareErr(ErrShareNotFound))
	} else if err != nil {
		return d, internal("load share link", err)
	}
	if l.RecordingID != recordingID {
		return refuse(RecReasonLinkInvalid, forbidden("This share link is for another recording"))
	}
	switch l.State(s.nowMS()) {
	case "revoked":
		return refuse(RecReasonLinkInvalid, shareErr(ErrShareRevoked))
	case "expired":
		return refuse(RecReasonLinkInvalid, shareErr(ErrShareExpired))
	}
	if (l.Access == ShareAccessPrivate) != (p.Share.UserID != "") {
		return refuse(RecReasonLinkInvalid, shareErr(ErrShareSignIn))
	}
	room, err := st.GetRoom(ctx, l.RoomID)
	if isNoRows(err) {
		return refuse(RecReasonRoomGone, forbidden("The room of this recording is gone"))
	} else if err != nil {
		return d, internal("load room", err)
	}
	if l.Access == ShareAccessPublic && room.Config.Recording.InternalMembersOnly {
		return refuse(RecReasonInternalOnly, forbidden("The recordings of room %q are for its internal members only", room.RoomID))
	}
	if act == RecActDownload && !l.AllowDownload {
		return refuse(RecReasonLinkScope, forbidden("This share link is for watching only"))
	}
	d.Allowed, d.Reason, d.Err = true, RecReasonShareLink, nil
	return d, nil
}

// checkRight refuses p act on rec with the decision's error.
func (s *Service) checkRight(ctx context.Context, p *Principal, rec *Recording, act string) error {
	d, err := s.recordingDecision(ctx, s.store, p, rec, act)
	if err != nil {
		return err
	}
	return d.Err
}
