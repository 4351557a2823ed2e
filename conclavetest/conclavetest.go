// Package conclavetest builds the real Conclave stack for tests, on a temporary directory:
// SQLite (db), core with the root admin seeded (admin/admin, as local mode does), and,
// when asked, the SFU, signalling and the HTTP front end on an httptest server, wired as
// main wires them. Tests of every package use it instead of repeating that setup; only
// test files import it.
package conclavetest

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"conclave/core"
	"conclave/db"
	"conclave/media"
	"conclave/media/mediatest"
	"conclave/record"
	"conclave/record/bridge"
	signalling "conclave/signal"
	"conclave/web"
)

// Config tunes the stack; the zero value is a core on a fresh database in t.TempDir().
type Config struct {
	// DBPath is the database file (new or existing, to test a restart); a fresh file in
	// t.TempDir() when empty.
	DBPath string
	// PublicURL and BasePath are core's (defaults: http://localhost:8080 and /meet; the
	// HTTP stack uses its server's own URL).
	PublicURL string
	BasePath  string
	// Now is core's clock (time.Now when nil).
	Now func() time.Time
	// MeetingEndGrace is how long a meeting outlives its last participant (core's
	// default when zero).
	MeetingEndGrace time.Duration
	// LoginLimits tunes failed-login limiting (core's default when zero).
	LoginLimits core.LoginLimits
	// AuditRetention is core's audit log retention (0 keeps it for ever).
	AuditRetention time.Duration
	// Logger gets every component's logs (discarded when nil).
	Logger *slog.Logger
	// Production runs core in production mode (its password rules); the root admin is
	// then seeded with ProductionAdminPassword instead of admin/admin.
	Production bool
	// Recorder, Recording and MinFreeDisk are core's (NewStack sets Recorder with Record).
	Recorder    core.Recorder
	Recording   string
	MinFreeDisk uint64
	// RecordingTrash is core's trash time (its default when zero).
	RecordingTrash time.Duration
	// SessionFiles, RecordSessions and SessionRetention are core's control-room session
	// recording (none recorded when SessionFiles is nil).
	SessionFiles     core.SessionFiles
	RecordSessions   string
	SessionRetention time.Duration
	// Webhooks, when set, builds the webhook outbox core queues its events in, over the
	// test's database (the test runs its deliveries).
	Webhooks func(store *db.DB, publicURL string) core.WebhookOutbox
}

// ProductionAdminPassword is the root admin's password in a Production stack.
const ProductionAdminPassword = "root-admin-pw"

func (c *Config) defaults(t testing.TB) {
	if c.DBPath == "" {
		c.DBPath = filepath.Join(t.TempDir(), "conclave.db")
	}
	if c.BasePath == "" {
		c.BasePath = "/meet"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// Core opens the database and a core over it with the root admin seeded (admin/admin,
// or ProductionAdminPassword in production mode); both are closed when the test ends.
func Core(t testing.TB, cfg Config) (*core.Service, *db.DB) {
	t.Helper()
	cfg.defaults(t)
	store, err := db.Open(cfg.DBPath)
	if err != nil {
		t.Fatalf("db.Open: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	var hooks core.WebhookOutbox
	if cfg.Webhooks != nil {
		hooks = cfg.Webhooks(store, cfg.PublicURL)
	}
	svc, err := core.New(store, core.Config{
		PublicURL: cfg.PublicURL, BasePath: cfg.BasePath, BcryptCost: 4, Now: cfg.Now,
		Logger: cfg.Logger, LoginLimits: cfg.LoginLimits, MeetingEndGrace: cfg.MeetingEndGrace, AuditRetention: cfg.AuditRetention,
		Recorder: cfg.Recorder, Recording: cfg.Recording, MinFreeDisk: cfg.MinFreeDisk,
		Production: cfg.Production, RecordingTrash: cfg.RecordingTrash,
		SessionFiles: cfg.SessionFiles, RecordSessions: cfg.RecordSessions, SessionRetention: cfg.SessionRetention, Webhooks: hooks,
	})
	if err != nil {
		t.Fatalf("core.New: %v", err)
	}
	adminPassword := ""
	if cfg.Production {
		adminPassword = ProductionAdminPassword
	}
	if _, err := svc.Bootstrap(context.Background(), cfg.Production, adminPassword); err != nil {
		t.Fatalf("Bootstrap: %v", err)
	}
	return svc, store
}

// Stack is the whole server of one test.
type Stack struct {
	Svc *core.Service
	DB  *db.DB
	// SFU and Signal are nil unless the stack was built with media.
	SFU    *media.SFU
	Signal *signalling.Server
	// Server serves web's handler; its URL is core's public URL.
	Server *httptest.Server
	// RecordDir is where recordings are written (with Record), by Engine.
	RecordDir string
	Engine    *record.Engine

	closeOnce sync.Once
}

// HTTPConfig adds the HTTP front end's choices to Config.
type HTTPConfig struct {
	Config
	// Media starts the SFU on 127.0.0.1 and signalling at <base>/ws. Media moves real UDP,
	// so it needs the loopback-only network namespace: without it the test is skipped
	// (failed under CONCLAVE_E2E=1).
	Media bool
	// Web, when set, changes web's options before the handler is built.
	Web func(*web.Options)
	// SignalLimits bound what one signalling connection may send (signal's defaults
	// where zero).
	SignalLimits signalling.Limits
	// Record wires the recorder (with Media), writing under RecordDir (a temporary
	// directory when empty), with Config.MinFreeDisk as the disk guard (1 byte when zero,
	// so that tests record on any disk).
	Record    bool
	RecordDir string
}

// NewStack builds core, (with Media) the SFU reporting to core and signalling over both,
// and web mounting it, in one phase as main does, and starts the HTTP server. Everything
// stops when the test ends.
func NewStack(t testing.TB, cfg HTTPConfig) *Stack {
	t.Helper()
	if cfg.Media {
		mediatest.NeedNetns(t)
	}
	srv := httptest.NewUnstartedServer(nil)
	cfg.PublicURL = "http://" + srv.Listener.Addr().String()
	cfg.defaults(t)
	st := &Stack{Server: srv}
	var svc *core.Service
	if cfg.Media {
		// As main builds it: the SFU, the recorder over it, then core driving the recorder.
		mc := media.Config{UDPPort: 0, IPs: []string{"127.0.0.1"}, Logger: cfg.Logger}
		signalling.ReportTracks(func() *core.Service { return svc }, &mc)
		sfu, err := media.New(mc)
		if err != nil {
			srv.Close()
			t.Fatalf("media.New: %v", err)
		}
		st.SFU = sfu
		if cfg.Record {
			if cfg.RecordDir == "" {
				cfg.RecordDir = filepath.Join(t.TempDir(), "recordings")
			}
			if cfg.MinFreeDisk == 0 {
				cfg.MinFreeDisk = 1
			}
			engine, err := record.New(sfu, record.Options{Root: cfg.RecordDir, MinFreeDisk: cfg.MinFreeDisk, Logger: cfg.Logger})
			if err != nil {
				_ = sfu.Close()
				srv.Close()
				t.Fatalf("record.New: %v", err)
			}
			st.RecordDir, st.Engine = cfg.RecordDir, engine
			cfg.Recorder = bridge.Recorder(engine, func() *core.Service { return svc })
		}
	}
	svc, st.DB = Core(t, cfg.Config)
	st.Svc = svc
	wo := web.Options{BasePath: cfg.BasePath, Logger: cfg.Logger}
	if cfg.Media {
		st.Signal = signalling.New(svc, st.SFU, signalling.Options{Logger: cfg.Logger, Limits: cfg.SignalLimits})
		wo.Signal = st.Signal
	}
	if cfg.Web != nil {
		cfg.Web(&wo)
	}
	srv.Config.Handler = web.New(svc, wo)
	srv.Start()
	t.Cleanup(st.Close) // before Core's cleanups (LIFO)
	return st
}

// Close ends the meetings, stops the HTTP server and the SFU and closes the database, as
// a shutdown does; the test's cleanup calls it, and a test may call it earlier (to restart
// on the same database).
func (s *Stack) Close() {
	s.closeOnce.Do(func() {
		s.Svc.EndAllMeetings("The server is going away")
		s.Server.Close()
		if s.SFU != nil {
			_ = s.SFU.Close()
		}
		_ = s.DB.Close()
	})
}

// Meta is the request metadata of test calls.
var Meta = core.RequestMeta{Via: "test", Source: "127.0.0.1", Device: "conclavetest"}

// SignIn signs userID in with password and returns its principal.
func SignIn(t testing.TB, svc *core.Service, userID, password string) *core.Principal {
	t.Helper()
	res, err := svc.Login(context.Background(), userID, password, Meta)
	if err != nil {
		t.Fatalf("sign in %s: %v", userID, err)
	}
	p, err := svc.AuthenticateAccessToken(context.Background(), res.AccessToken, Meta)
	if err != nil {
		t.Fatalf("sign in %s: %v", userID, err)
	}
	return p
}

// Admin signs in the root admin seeded by Core in local mode (admin/admin).
func Admin(t testing.TB, svc *core.Service) *core.Principal {
	t.Helper()
	return SignIn(t, svc, core.RootAdminID, "admin")
}

// Room creates a room named name, owned by the root admin.
func Room(t testing.TB, svc *core.Service, name string) *core.Room {
	t.Helper()
	r, err := svc.CreateRoom(context.Background(), Admin(t, svc), core.RoomOptions{RoomName: &name})
	if err != nil {
		t.Fatalf("create room %q: %v", name, err)
	}
	return r
}

// JoinToken is a room-member token that may join the meeting, issued for an access
// link's or an external member's secret, under the display name name.
func JoinToken(t testing.TB, svc *core.Service, roomID, secret, name string) string {
	t.Helper()
	tok, _, err := svc.IssueMemberToken(context.Background(), core.Anonymous(Meta), roomID,
		core.MemberTokenRequest{Secret: secret, JoinMeeting: true, ParticipantName: name})
	if err != nil {
		t.Fatalf("join token for %q: %v", name, err)
	}
	return tok
}

// Member authenticates a room-member token as a participant would present it.
func Member(t testing.TB, svc *core.Service, token string) *core.Principal {
	t.Helper()
	p, err := svc.AuthenticateMemberToken(context.Background(), token, Meta)
	if err != nil {
		t.Fatalf("member token: %v", err)
	}
	return p
}

// User creates an internal user with role (admin, room_manager, room_member), past its
// first forced password change, and returns it signed in.
func User(t testing.TB, svc *core.Service, userID, role string) *core.Principal {
	t.Helper()
	ctx := context.Background()
	first, final := "first-"+userID+"-pw", "final-"+userID+"-pw"
	if _, err := svc.CreateUser(ctx, Admin(t, svc), core.NewUser{UserID: userID, Name: userID, Role: role, Password: first}); err != nil {
		t.Fatalf("create user %s: %v", userID, err)
	}
	if _, err := svc.ChangePassword(ctx, SignIn(t, svc, userID, first), first, final); err != nil {
		t.Fatalf("first password change of %s: %v", userID, err)
	}
	return SignIn(t, svc, userID, final)
}

// UserJoinToken is a join token of a signed-in user for a room (as owner, admin, member
// or through user access).
func UserJoinToken(t testing.TB, svc *core.Service, p *core.Principal, roomID string) string {
	t.Helper()
	tok, _, err := svc.IssueMemberToken(context.Background(), p, roomID, core.MemberTokenRequest{JoinMeeting: true})
	if err != nil {
		t.Fatalf("join token of %s: %v", p.Actor(), err)
	}
	return tok
}

// Clock is a core clock for tests: the real time plus an offset that Advance moves, to
// expire tokens without waiting.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now is the clock's time; pass it as Config.Now.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}
