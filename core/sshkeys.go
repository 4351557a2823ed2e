package core

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"unicode"

	gossh "golang.org/x/crypto/ssh"
)

// maxSSHKeysPerUser bounds how many keys one user may register.
const maxSSHKeysPerUser = 50

// AuthorizedKey renders a key as an authorized_keys line.
func (k *SSHKey) AuthorizedKey() string {
	pub, err := gossh.ParsePublicKey(k.PublicKey)
	if err != nil {
		return ""
	}
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(pub)))
	if k.Comment != "" {
		line += " " + k.Comment
	}
	return line
}

// manageKeys allows a user's own keys, and admins any user's.
func (p *Principal) manageKeys(userID string) error {
	if err := p.active(); err != nil {
		return err
	}
	if p.userID() != userID && !p.isAdmin() {
		return forbidden("You can only manage your own SSH keys")
	}
	return nil
}

// AddSSHKey registers a public key (one authorized_keys line) for a user: its own, or any
// user's for an admin.
func (s *Service) AddSSHKey(ctx context.Context, p *Principal, userID, authorizedKey string) (*SSHKey, error) {
	if err := p.manageKeys(userID); err != nil {
		return nil, err
	}
	if len(authorizedKey) > 16*1024 {
		return nil, invalid("key", "must be at most 16 KiB")
	}
	pub, comment, _, rest, err := gossh.ParseAuthorizedKey([]byte(authorizedKey))
	if err != nil {
		return nil, invalid("key", "not an SSH public key (paste one line of an authorized_keys or .pub file): %v", err)
	}
	if strings.TrimSpace(string(rest)) != "" {
		return nil, invalid("key", "one key at a time")
	}
	comment = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, comment)
	k := &SSHKey{
		ID: randomID(12), UserID: userID, Fingerprint: gossh.FingerprintSHA256(pub), Type: pub.Type(),
		Comment: truncate(comment, 100), PublicKey: pub.Marshal(), Added: s.nowMS(),
	}
	err = s.store.InTx(ctx, func(tx Store) error {
		if _, err := tx.GetUser(ctx, userID); isNoRows(err) {
			return userNotFound(userID)
		} else if err != nil {
			return internal("load user", err)
		}
		keys, err := tx.ListSSHKeys(ctx, userID)
		if err != nil {
			return internal("list SSH keys", err)
		}
		if len(keys) >= maxSSHKeysPerUser {
			return conflict("SSH Key Error", "User %q already has %d keys", userID, maxSSHKeysPerUser)
		}
		if err := tx.CreateSSHKey(ctx, k); errors.Is(err, ErrDuplicate) {
			return conflict("SSH Key Error", "This key (%s) is already registered for %q", k.Fingerprint, userID)
		} else if err != nil {
			return internal("create SSH key", err)
		}
		return s.auditAs(ctx, tx, p, "sshKey.add", "user:"+userID, map[string]string{"fingerprint": k.Fingerprint})
	})
	if err != nil {
		return nil, err
	}
	s.bus.Publish(Event{Type: EventUserChanged, UserID: userID})
	return k, nil
}

// ListSSHKeys lists a user's keys: its own, or any user's for an admin.
func (s *Service) ListSSHKeys(ctx context.Context, p *Principal, userID string) ([]SSHKey, error) {
	if err := p.manageKeys(userID); err != nil {
		return nil, err
	}
	keys, err := s.store.ListSSHKeys(ctx, userID)
	if err != nil {
		return nil, internal("list SSH keys", err)
	}
	return keys, nil
}

// DeleteSSHKey removes a key by id or fingerprint.
func (s *Service) DeleteSSHKey(ctx context.Context, p *Principal, userID, idOrFingerprint string) error {
	if err := p.manageKeys(userID); err != nil {
		return err
	}
	err := s.store.InTx(ctx, func(tx Store) error {
		id := idOrFingerprint
		if strings.HasPrefix(id, "SHA256:") {
			k, err := tx.FindSSHKey(ctx, userID, id)
			if isNoRows(err) {
				return notFound("SSH Key Error", "No key %s for %q", id, userID)
			} else if err != nil {
				return internal("find SSH key", err)
			}
			id = k.ID
		}
		if err := tx.DeleteSSHKey(ctx, userID, id); isNoRows(err) {
			return notFound("SSH Key Error", "No key %s for %q", idOrFingerprint, userID)
		} else if err != nil {
			return internal("delete SSH key", err)
		}
		return s.auditAs(ctx, tx, p, "sshKey.delete", "user:"+userID, map[string]string{"key": idOrFingerprint})
	})
	if err == nil {
		s.bus.Publish(Event{Type: EventUserChanged, UserID: userID})
	}
	return err
}

// AuthenticatePublicKey checks that keyBlob (SSH wire format) is one of the user's keys.
// It does not count against the login limiter: clients offer several keys in turn.
func (s *Service) AuthenticatePublicKey(ctx context.Context, userID string, keyBlob []byte, meta RequestMeta) (*User, error) {
	pub, err := gossh.ParsePublicKey(keyBlob)
	if err != nil {
		return nil, unauthenticated("Invalid public key")
	}
	k, err := s.store.FindSSHKey(ctx, userID, gossh.FingerprintSHA256(pub))
	if isNoRows(err) {
		return nil, unauthenticated("Unknown key")
	} else if err != nil {
		return nil, internal("find SSH key", err)
	}
	if subtle.ConstantTimeCompare(k.PublicKey, keyBlob) != 1 {
		return nil, unauthenticated("Unknown key")
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return nil, unauthenticated("Unknown key")
	}
	_ = s.store.TouchSSHKey(ctx, k.ID, s.nowMS()) // a usage hint, not a record
	return u, nil
}

// UserPrincipal is the principal of a user authenticated by other means than a token: the
// local terminal (the root admin) or an SSH session. Front ends call it again when the
// user changes, so that role and password state stay current.
func (s *Service) UserPrincipal(ctx context.Context, userID string, meta RequestMeta) (*Principal, error) {
	u, err := s.store.GetUser(ctx, userID)
	if isNoRows(err) {
		return nil, unauthenticated("User %q no longer exists", userID)
	} else if err != nil {
		return nil, internal("load user", err)
	}
	return &Principal{Kind: PrincipalUser, User: u, Meta: meta}, nil
}
