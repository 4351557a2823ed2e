package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"conclave/metrics"
	"conclave/record"
	sshd "conclave/ssh"
)

// newMetrics builds the Prometheus registry over the stack's parts: core's live registry
// and store, the SFU, the recorder and the SSH server (once it runs).
func newMetrics(st *stack, engine *record.Engine, ssh *atomic.Pointer[sshd.Server], log *slog.Logger) *metrics.Metrics {
	return metrics.New(metrics.Sources{
		Core: st.svc,
		Media: func() metrics.MediaTotals {
			t := st.sfu.Totals()
			return metrics.MediaTotals{PacketsIn: t.PacketsIn, BytesIn: t.BytesIn, PacketsOut: t.PacketsOut, BytesOut: t.BytesOut,
				NACKs: t.NACKs, PLIs: t.PLIs, Retransmits: t.Retransmits, KeyframeRequests: t.KeyframeRequests,
				Dropped: t.Dropped, PacketsLost: t.PacketsLost, Rooms: t.Rooms, Peers: t.Peers, Tracks: t.Tracks}
		},
		Egress: func() metrics.EgressStats {
			e := st.sfu.EgressStats()
			return metrics.EgressStats{Datagrams: e.Packets, Batches: e.Batches, Waits: e.Waits, Errors: e.Errors}
		},
		Record: func() metrics.RecorderStats {
			r := engine.Stats()
			return metrics.RecorderStats{BytesWritten: r.BytesWritten, SinkDropped: r.SinkDropped}
		},
		SSH: func() metrics.SSHStats {
			srv := ssh.Load()
			if srv == nil {
				return metrics.SSHStats{}
			}
			s := srv.Stats()
			return metrics.SSHStats{Connections: s.Connections, SignedIn: s.SignedIn, Sessions: s.Sessions}
		},
		// The webhook outbox's counts since start, by outcome (a delivery is retried
		// before it is delivered or failed; dropped ones were pushed out of a full queue).
		Webhook: func() map[string]uint64 {
			if st.hooks == nil {
				return nil
			}
			w := st.hooks.Stats()
			return map[string]uint64{"delivered": w.Delivered, "failed": w.Failed, "retried": w.Retried, "dropped": w.Dropped}
		},
		Logger: log,
	})
}

// startMetrics serves /metrics alone on --metrics ADDR, without credentials: that address
// is the protection (loopback, or a network only the scraper reaches).
func (st *stack) startMetrics(m *metrics.Metrics) error {
	ln, err := net.Listen("tcp", st.cfg.Metrics)
	if err != nil {
		return fmt.Errorf("listen on %s (metrics; --metrics on serves them on the HTTP port): %w", st.cfg.Metrics, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	st.metricsHTTP = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(st.log.Handler(), slog.LevelWarn)}
	st.metricsAddr = ln.Addr().String()
	go func() {
		if err := st.metricsHTTP.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			st.errc <- fmt.Errorf("metrics server: %w", err)
		}
	}()
	return nil
}

// metricsWhere says where /metrics is, for the start-up log line.
func (st *stack) metricsWhere() string {
	switch {
	case st.metricsAddr != "":
		return "http://" + st.metricsAddr + "/metrics"
	case st.cfg.Metrics == "off":
		return "off"
	}
	return st.httpAddr + "/metrics (API key or admin)"
}
