package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Setting keys core keeps in the Store.
const (
	settingJWTSecret = "jwt_secret"
)

// Config carries what core needs from the command line; main fills it in.
type Config struct {
	// PublicURL is the base of every URL handed out, e.g. http://localhost:8080.
	PublicURL string
	// BasePath prefixes web pages and the API, e.g. /meet.
	BasePath string
	// Production applies production mode's rules: passwords of at least 8 characters
	// (local mode keeps 5). Bootstrap must be told the same mode.
	Production bool
	// BcryptCost is the cost of password hashes (bcrypt.DefaultCost when 0).
	BcryptCost int
	// Now is the clock (time.Now when nil); tests move it.
	Now func() time.Time
	// Logger receives operational logs (slog.Default when nil).
	Logger *slog.Logger
	// LoginLimits tunes failed-login limiting (DefaultLoginLimits when zero).
	LoginLimits LoginLimits
	// AuditRetention is how long audit entries are kept (0: for ever); the janitor
	// deletes older ones and audits that it did (janitor.go, CheckAuditRetention).
	AuditRetention time.Duration
	// MeetingEndGrace is how long a meeting outlives its last participant
	// (DefaultMeetingEndGrace when zero).
	MeetingEndGrace time.Duration
	// Recorder writes recordings (nil: recording is off whatever the switches say).
	Recorder Recorder
	// Recording is the server switch's value when admins never set it: "on" or "off".
	Recording string
	// MinFreeDisk is the free space below which recordings do not start and running ones
	// stop as limit_reached (DefaultMinFreeDisk when zero).
	MinFreeDisk uint64
	// RecordingTrash is how long a deleted recording stays in the trash before it is
	// purged (DefaultRecordingTrash when zero; CheckRecordingTrash's bounds).
	RecordingTrash time.Duration
	// SessionFiles keeps the recordings of control-room sessions (nil: none are recorded).
	SessionFiles SessionFiles
	// RecordSessions is the per-role session recording policy when admins never set it,
	// as --record-sessions gives it ("" records every role).
	RecordSessions string
	// SessionRetention is how long session recordings are kept (DefaultSessionRetention
	// when zero).
	SessionRetention time.Duration
	// Webhooks is the webhook outbox events are queued in (nil: no webhooks are sent).
	Webhooks WebhookOutbox
}

// Service is the domain core: every front end (REST, control room, SSH commands) acts
// through it, so rules and audit are the same whichever way a change comes in.
type Service struct {
	store   Store
	cfg     Config
	log     *slog.Logger
	bus     *Bus
	limiter *loginLimiter
	// shareTries limits wrong share-link passwords per link and per address, as sign-ins.
	shareTries *loginLimiter
	live       meetings
	rec        recordings
	terms      termSessions

	keyMu sync.Mutex
	key   []byte

	// dummyHash is checked against when a login names an unknown user, so that the answer
	// takes as long as for a wrong password.
	dummyHash []byte

	// counters count for metrics what state does not keep (stats.go).
	counters serviceCounters
}

// New builds the core over a store.
func New(store Store, cfg Config) (*Service, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := CheckAuditRetention(cfg.AuditRetention); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = bcrypt.DefaultCost
	}
	if cfg.BcryptCost < bcrypt.MinCost || cfg.BcryptCost > bcrypt.MaxCost {
		return nil, fmt.Errorf("bcrypt cost %d out of range %d..%d", cfg.BcryptCost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://localhost:8080"
	}
	cfg.BasePath = NormalizeBasePath(cfg.BasePath)
	if cfg.MinFreeDisk == 0 {
		cfg.MinFreeDisk = DefaultMinFreeDisk
	}
	if cfg.RecordingTrash == 0 {
		cfg.RecordingTrash = DefaultRecordingTrash
	}
	if err := CheckRecordingTrash(cfg.RecordingTrash); err != nil {
		return nil, err
	}
	if cfg.SessionRetention <= 0 {
		cfg.SessionRetention = DefaultSessionRetention
	}
	if _, err := ParseRecordSessions(cfg.RecordSessions); err != nil {
		return nil, err
	}
	if cfg.MeetingEndGrace <= 0 {
		cfg.MeetingEndGrace = DefaultMeetingEndGrace
	}
	if cfg.LoginLimits == (LoginLimits{}) {
		cfg.LoginLimits = DefaultLoginLimits
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte(randomSecret(20)), cfg.BcryptCost)
	if err != nil {
		return nil, err
	}
	s := &Service{
		store:      store,
		cfg:        cfg,
		log:        cfg.Logger,
		bus:        NewBus(),
		limiter:    newLoginLimiter(cfg.LoginLimits),
		shareTries: newLoginLimiter(cfg.LoginLimits),
		dummyHash:  dummy,
	}
	return s, nil
}

// NormalizeBasePath turns "meet", "/meet/" and "/meet" into "/meet", and "" or "/" into "".
func NormalizeBasePath(p string) string {
	p = strings.Trim(p, "/")
	if p == "" {
		return ""
	}
	return "/" + p
}

// Ping reports whether the database answers, for health checks.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// Bus is the event bus other parts subscribe to.
func (s *Service) Bus() *Bus { return s.bus }

// BasePath is the normalized base path ("/meet").
func (s *Service) BasePath() string { return s.cfg.BasePath }

// BaseURL is the public URL with the base path, the prefix of every URL handed out.
func (s *Service) BaseURL() string { return s.cfg.PublicURL + s.cfg.BasePath }

func (s *Service) now() time.Time { return s.cfg.Now() }

func (s *Service) nowMS() int64 { return s.cfg.Now().UnixMilli() }

// isNoRows reports whether a store error means "no such row".
func isNoRows(err error) bool { return errors.Is(err, ErrNoRows) }

// internal wraps a store error that is not a domain outcome.
func internal(op string, err error) error {
	return fmt.Errorf("%s: %w", op, err)
}
