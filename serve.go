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
	"time"

	"conclave/core"
	"conclave/db"
	"conclave/web"
)

// serve runs the servers until ctx ends, then shuts down gracefully. ready, when set, is
// told the HTTP address once the server listens (tests use it with --http 127.0.0.1:0).
func serve(ctx context.Context, cfg config, stdout io.Writer, ready func(addr string)) error {
	log := slog.New(slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	store, err := db.Open(filepath.Join(cfg.Data, "conclave.db"))
	if err != nil {
		return err
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("closing database", "err", err)
		}
	}()
	svc, err := core.New(store, core.Config{PublicURL: cfg.PublicURL, BasePath: cfg.BasePath, Logger: log})
	if err != nil {
		return err
	}
	boot, err := svc.Bootstrap(ctx, cfg.Mode == "production", cfg.AdminPassword)
	if err != nil {
		return err
	}
	switch {
	case boot.GeneratedPassword != "":
		fmt.Fprintf(stdout, "\nRoot admin created: user admin, password %s\nIt is shown this once: keep it safe.\n\n", boot.GeneratedPassword)
	case boot.Created && cfg.Mode == "local":
		fmt.Fprintln(stdout, "Root admin created: user admin, password admin (local mode)")
	}

	ln, err := net.Listen("tcp", cfg.HTTP)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTP, err)
	}
	handler := web.New(svc, web.Options{BasePath: cfg.BasePath, Logger: log, TrustProxy: cfg.BehindProxy})
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	var wg sync.WaitGroup
	jctx, stopJanitor := context.WithCancel(context.Background())
	wg.Go(func() { svc.RunJanitor(jctx, time.Minute) })

	errc := make(chan error, 1)
	go func() {
		if cfg.TLSCert != "" {
			errc <- srv.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	log.Info("conclave listening", "http", ln.Addr().String(), "url", svc.BaseURL(), "data", cfg.Data, "mode", cfg.Mode)
	if ready != nil {
		ready(ln.Addr().String())
	}

	select {
	case err = <-errc:
	case <-ctx.Done():
		log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
	}
	stopJanitor()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
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
