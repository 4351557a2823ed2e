package core

import (
	"context"
	"crypto/sha256"
	"errors"
)

// NewAPIKey is a freshly created key: Key is shown this once and never stored.
type NewAPIKey struct {
	APIKey
	Key string
}

// CreateAPIKey makes a named API key (admins only). Several keys may exist, each revocable
// on its own; only a SHA-256 hash of the secret is kept (the secret has 238 random bits,
// so a fast hash is as safe as a slow one and keeps every request cheap).
func (s *Service) CreateAPIKey(ctx context.Context, p *Principal, name string) (*NewAPIKey, error) {
	if err := p.requireAdmin(); err != nil {
		return nil, err
	}
	if name == "" {
		name = "default"
	}
	var v validator
	checkName(&v, "name", name, 50)
	if err := v.err(); err != nil {
		return nil, err
	}
	secret := randomSecret(40)
	sum := sha256.Sum256([]byte(secret))
	k := APIKey{ID: randomID(12), Name: name, Hash: sum[:], CreationDate: s.nowMS(), CreatedBy: p.Actor()}
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := tx.CreateAPIKey(ctx, &k); err != nil {
			return internal("create API key", err)
		}
		return s.auditAs(ctx, tx, p, "apiKey.create", "apiKey:"+k.ID, map[string]string{"name": name})
	})
	if err != nil {
		return nil, err
	}
	s.bus.Publish(Event{Type: EventAPIKeyChanged})
	return &NewAPIKey{APIKey: k, Key: APIKeyPrefix + k.ID + "_" + secret}, nil
}

// ListAPIKeys lists the keys, oldest first, without their secrets.
func (s *Service) ListAPIKeys(ctx context.Context, p *Principal) ([]APIKey, error) {
	if err := p.requireAdmin(); err != nil {
		return nil, err
	}
	keys, err := s.store.ListAPIKeys(ctx)
	if err != nil {
		return nil, internal("list API keys", err)
	}
	return keys, nil
}

// DeleteAPIKey revokes one key at once.
func (s *Service) DeleteAPIKey(ctx context.Context, p *Principal, id string) error {
	if err := p.requireAdmin(); err != nil {
		return err
	}
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := tx.DeleteAPIKey(ctx, id); errors.Is(err, ErrNoRows) {
			return notFound("API Key Error", "API key %q not found", id)
		} else if err != nil {
			return internal("delete API key", err)
		}
		return s.auditAs(ctx, tx, p, "apiKey.delete", "apiKey:"+id, nil)
	})
	if err == nil {
		s.apiKeysChanged(ctx)
		s.bus.Publish(Event{Type: EventAPIKeyChanged})
	}
	return err
}

// DeleteAllAPIKeys revokes every key (OpenVidu Meet's DELETE /api-keys); it returns how
// many went.
func (s *Service) DeleteAllAPIKeys(ctx context.Context, p *Principal) (int, error) {
	if err := p.requireAdmin(); err != nil {
		return 0, err
	}
	n := 0
	err := s.store.InTx(ctx, func(tx Store) error {
		keys, err := tx.ListAPIKeys(ctx)
		if err != nil {
			return internal("list API keys", err)
		}
		for _, k := range keys {
			if err := tx.DeleteAPIKey(ctx, k.ID); err != nil {
				return internal("delete API key", err)
			}
			if err := s.auditAs(ctx, tx, p, "apiKey.delete", "apiKey:"+k.ID, nil); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err == nil && n > 0 {
		s.apiKeysChanged(ctx)
		s.bus.Publish(Event{Type: EventAPIKeyChanged})
	}
	return n, err
}
