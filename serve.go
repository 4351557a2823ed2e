package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"conclave/cast"
	"conclave/core"
	"conclave/db"
	"conclave/media"
	"conclave/metrics"
	"conclave/record"
	"conclave/record/bridge"
	signalling "conclave/signal"
	sshd "conclave/ssh"
	"conclave/tui"
	"conclave/web"
	"conclave/webhook"
)

// stack is every server of one conclave process, started and stopped together.
type stack struct {
	cfg      config
	log      *slog.Logger
	store    *db.DB
	svc      *core.Service
	hooks    *webhook.Outbox
	http     *http.Server
	httpAddr string
	sfu      *media.SFU
	ssh      *sshd.Server // nil when SSH is off
	sshAddr  string
	// metricsHTTP serves /metrics on an address of its own (--metrics ADDR), else nil.
	metricsHTTP *http.Server
	metricsAddr string
	errc        chan error // the first server that stops on its own reports here
	wg          sync.WaitGroup
	cancel      context.CancelFunc // stops background work (the janitor)
	// initialPassword is the file holding the root admin's generated password, "" when
	// there is none (never generated, or changed since).
	initialPassword string
}

// startStack opens the database, seeds the root admin (telling out about a new password)
// and starts the servers. The caller must call shutdown.
func startStack(cfg config, log *slog.Logger, out io.Writer) (*stack, error) {
	if err := secureDataDir(cfg.Data, log); err != nil {
		return nil, err
	}
	store, err := db.Open(filepath.Join(cfg.Data, "conclave.db"))
	if err != nil {
		return nil, err
	}
	st := &stack{cfg: cfg, log: log, store: store, errc: make(chan error, 3)}
	ok := false
	defer func() {
		if !ok {
			store.Close()
		}
	}()
	// The SFU first: the recorder records from it, and core drives the recorder. The
	// SFU's track reports reach core through st.svc, set below before any server starts
	// (no track exists before a participant joins through them).
	mcfg := media.Config{UDPPort: cfg.RTCPort, IPs: cfg.RTCIPs, PublicIP: cfg.RTCPublicIP, Logger: log}
	signalling.ReportTracks(func() *core.Service { return st.svc }, &mcfg)
	st.sfu, err = media.New(mcfg)
	if err != nil {
		return nil, fmt.Errorf("media on UDP port %d: %w", cfg.RTCPort, err)
	}
	defer func() {
		if !ok {
			st.sfu.Close()
		}
	}()
	ln, err := net.Listen("tcp", cfg.HTTP)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.HTTP, err)
	}
	st.httpAddr = ln.Addr().String()
	defer func() {
		if !ok {
			ln.Close()
		}
	}()
	// Without --public-url, links point at the address listened on (known only now, with
	// port 0); with it, a port that cannot reach this server is worth a warning.
	if cfg.PublicURL == "" {
		cfg.PublicURL = publicURLFor(st.httpAddr, cfg.TLSCert != "")
		st.cfg.PublicURL = cfg.PublicURL
	} else if why := publicURLMismatch(cfg.PublicURL, st.httpAddr, cfg.BehindProxy); why != "" {
		log.Warn(why)
	}
	engine, err := record.New(st.sfu, record.Options{Root: filepath.Join(cfg.Data, "recordings"),
		MinFreeDisk: cfg.MinFreeDisk, Logger: log})
	if err != nil {
		return nil, err
	}
	sessions, err := cast.NewDir(filepath.Join(cfg.Data, "sessions"))
	if err != nil {
		return nil, err
	}
	// Webhooks: core queues events in the outbox (rendered as REST shows them), which
	// delivers them from its own goroutines, never to this server's own addresses.
	st.hooks = webhook.New(store, webhook.Options{Render: web.WebhookData(func() *core.Service { return st.svc }),
		Self: []string{st.httpAddr, cfg.PublicURL}, Logger: log,
		Changed: func() { st.svc.Bus().Publish(core.Event{Type: core.EventWebhooks}) }})
	st.svc, err = core.New(store, core.Config{SessionFiles: sessions, RecordSessions: cfg.RecordSessions, SessionRetention: cfg.SessionRetention, PublicURL: cfg.PublicURL, BasePath: cfg.BasePath, Logger: log,
		Production: cfg.Mode == "production", Recording: cfg.Recording, MinFreeDisk: cfg.MinFreeDisk, RecordingTrash: cfg.RecordingTrash,
		AuditRetention: cfg.AuditRetention,
		Recorder:       bridge.Recorder(engine, func() *core.Service { return st.svc }), Webhooks: st.hooks})
	if err != nil {
		return nil, err
	}
	if err := st.svc.ApplyRecordingFlag(context.Background(), cfg.Recording); err != nil {
		return nil, fmt.Errorf("recording switch: %w", err)
	}
	if err := st.svc.ApplyRecordSessionsFlag(context.Background(), cfg.RecordSessions); err != nil {
		return nil, fmt.Errorf("record-sessions: %w", err)
	}
	if err := st.svc.CloseInterruptedTermSessions(context.Background()); err != nil {
		return nil, err
	}
	boot, err := st.svc.Bootstrap(context.Background(), cfg.Mode == "production", cfg.AdminPassword)
	if err != nil {
		return nil, err
	}
	pwPath := filepath.Join(cfg.Data, initialPasswordFile)
	switch {
	case boot.GeneratedPassword != "":
		if pwPath, err = writeInitialPassword(cfg.Data, boot.GeneratedPassword); err != nil {
			fmt.Fprintf(out, "\nRoot admin created: user admin, password %s\nIt could not be kept in a file (%v): keep it safe.\n\n", boot.GeneratedPassword, err)
			return nil, err
		}
		fmt.Fprintf(out, "\nRoot admin created: user admin, password %s\nIt is also in %s (readable only by you) until it is first changed.\n\n", boot.GeneratedPassword, pwPath)
		log.Warn("root admin created with a generated password: it is in the file until first changed", "file", pwPath)
		st.initialPassword = pwPath
	case boot.Created && cfg.Mode == "local":
		fmt.Fprintln(out, "Root admin created: user admin, password admin (local mode)")
	default:
		// A file from an earlier start stays until the password it holds is changed.
		if dropInitialPassword(context.Background(), store, pwPath, log) {
			log.Warn("the root admin's generated password is still in its file: change it", "file", pwPath)
			st.initialPassword = pwPath
		}
	}

	// SSH starts after HTTP: a scrape in between sees no SSH figures yet.
	var sshSrv atomic.Pointer[sshd.Server]
	wopts := web.Options{}
	var m *metrics.Metrics
	if cfg.Metrics != "off" {
		m = newMetrics(st, engine, &sshSrv, log)
		wopts.ObserveRequest = m.ObserveRequest
		if cfg.Metrics == "on" {
			wopts.Metrics = m.Handler()
		}
	}
	st.http = &http.Server{
		Handler: web.New(st.svc, web.Options{BasePath: cfg.BasePath, Logger: log, TrustProxy: cfg.BehindProxy,
			Metrics: wopts.Metrics, ObserveRequest: wopts.ObserveRequest,
			BodyTimeout: cfg.HTTPBodyTimeout, Signal: signalling.New(st.svc, st.sfu, signalling.Options{Logger: log, Limits: signalling.Limits{
				Frames: signalling.Rate{PerSecond: float64(cfg.WSFrameRate), Burst: 2 * cfg.WSFrameRate}}})}),
		// The header is bounded here, each body by web (Options.BodyTimeout), so that a
		// route may one day allow an upload longer.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		var err error
		if cfg.TLSCert != "" {
			err = st.http.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
		} else {
			err = st.http.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			st.errc <- fmt.Errorf("HTTP server: %w", err)
		}
	}()
	if cfg.SSH != "off" {
		if err := st.startSSH(log); err != nil {
			st.http.Close()
			return nil, err
		}
		sshSrv.Store(st.ssh)
	}
	if m != nil && cfg.Metrics != "on" {
		if err := st.startMetrics(m); err != nil {
			st.http.Close()
			if st.ssh != nil {
				st.ssh.Close()
			}
			return nil, err
		}
	}
	jctx, cancel := context.WithCancel(context.Background())
	st.cancel = cancel
	st.wg.Go(func() { st.svc.RunJanitor(jctx, time.Minute) })
	st.wg.Go(func() { st.hooks.Run(jctx) })
	if st.initialPassword != "" {
		st.wg.Go(func() { watchInitialPassword(jctx, st.svc.Bus(), store, st.initialPassword, log) })
	}
	log.Info("conclave listening", "http", st.httpAddr, "ssh", st.sshAddr, "metrics", st.metricsWhere(), "url", st.svc.BaseURL(), "data", cfg.Data, "mode", cfg.Mode)
	ok = true
	return st, nil
}

// startSSH starts the control room's SSH server with its host key in the data directory.
func (st *stack) startSSH(log *slog.Logger) error {
	srv, err := sshd.New(st.svc, sshd.Options{
		Addr:        st.cfg.SSH,
		HostKeyPath: filepath.Join(st.cfg.Data, "ssh_host_ed25519_key"),
		IdleTimeout: st.cfg.SSHIdle,
		MaxSessions: st.cfg.SSHMax,
		Logger:      log,
		TUI:         st.tuiOptions(),

		HandshakeTimeout:    st.cfg.SSHHandshakeTimeout,
		LoginTimeout:        st.cfg.SSHLoginTimeout,
		MaxPreAuth:          st.cfg.SSHMaxPreAuth,
		MaxPreAuthPerSource: st.cfg.SSHMaxPreAuthPerSource,
		PreAuthReserved:     st.cfg.SSHPreAuthReserved,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", st.cfg.SSH)
	if err != nil {
		return fmt.Errorf("listen on %s (SSH; --ssh off disables it): %w", st.cfg.SSH, err)
	}
	st.ssh, st.sshAddr = srv, ln.Addr().String()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, sshd.ErrServerClosed) {
			st.errc <- fmt.Errorf("SSH server: %w", err)
		}
	}()
	return nil
}

// tuiOptions describes the servers to every control room's status bar.
func (st *stack) tuiOptions() tui.Options {
	return tui.Options{HTTPAddr: st.httpAddr, SSHAddr: st.sshAddr, BaseURL: st.svc.BaseURL(),
		ExportDir: filepath.Join(st.cfg.Data, "exports")}
}

// shutdown stops the servers gracefully, then background work, then closes the database.
func (st *stack) shutdown() error {
	st.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Meetings are told the server is going away before their connections drop.
	if n := st.svc.EndAllMeetings("The server is going away"); n > 0 {
		st.log.Info("ended live meetings", "meetings", n)
	}
	err := st.http.Shutdown(sctx)
	if st.metricsHTTP != nil {
		err = errors.Join(err, st.metricsHTTP.Shutdown(sctx))
	}
	if st.ssh != nil {
		// Control rooms over SSH are told to quit; their sessions end cleanly.
		err = errors.Join(err, st.ssh.Shutdown(sctx))
	}
	// Meetings end with the media: participants' connections close.
	err = errors.Join(err, st.sfu.Close())
	st.cancel()
	st.wg.Wait()
	return errors.Join(err, st.store.Close())
}

// serve runs the servers headless until ctx ends, then shuts down gracefully. ready, when
// set, is told the HTTP address once the server listens (tests use --http 127.0.0.1:0).
func serve(ctx context.Context, cfg config, stdout io.Writer, ready func(addr string)) error {
	log := slog.New(slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	st, err := startStack(cfg, log, stdout)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(st.httpAddr)
	}
	select {
	case err = <-st.errc:
	case <-ctx.Done():
	}
	return errors.Join(err, st.shutdown())
}

// backup writes a consistent copy of the database to dest.
func backup(ctx context.Context, cfg config, dest string, stdout io.Writer) error {
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("backup: %s exists; choose a new file", dest)
	}
	store, err := db.Open(filepath.Join(cfg.Data, "conclave.db"))
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Backup(ctx, dest); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "database copied to %s\n", dest)
	return nil
}
