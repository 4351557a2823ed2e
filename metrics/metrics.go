// Package metrics exposes Conclave's figures to Prometheus (SPEC 11, GET /metrics). A
// custom collector reads them from their owners at scrape time, through the functions
// main passes in (Sources), so nothing keeps a second copy of state; only the HTTP
// requests, which no one else counts, are observed here as they happen. Families follow
// Prometheus's conventions: conclave_ prefix, base units (seconds, bytes), _total for
// counters, and no label per room or user, so that the series stay few however busy the
// server is.
//
// The package imports only core: the figures of media, the recorder and SSH arrive as
// this package's own small structs, converted by main.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"conclave/core"
)

// MediaTotals are the SFU's counters and current figures (media.Totals, converted by main).
type MediaTotals struct {
	PacketsIn, BytesIn, PacketsOut, BytesOut            uint64
	NACKs, PLIs, Retransmits, KeyframeRequests, Dropped uint64
	PacketsLost                                         uint64
	Rooms, Peers, Tracks                                int
}

// EgressStats are the SFU's batching UDP writer's counters (media.EgressStats).
type EgressStats struct {
	Datagrams, Batches, Waits, Errors uint64
}

// RecorderStats are the recording engine's counters (record.EngineStats).
type RecorderStats struct {
	BytesWritten, SinkDropped uint64
}

// SSHStats are the SSH server's current figures (sshd.Stats).
type SSHStats struct {
	Connections, SignedIn int64
	Sessions              int
}

// WebhookDeliveries reports how many webhook deliveries ended in each outcome since start
// ("delivered", "failed", "retried"…: the webhook package's own words). It is the one
// neutral seam for the webhook sender: main passes its counter function here, and
// conclave_webhook_deliveries_total{outcome} appears once it does.
type WebhookDeliveries func() map[string]uint64

// Sources are where the figures come from; a nil source leaves its families out, so a
// server without SSH shows no SSH figures rather than zeros that look like a fact.
type Sources struct {
	Core    *core.Service
	Media   func() MediaTotals
	Egress  func() EgressStats
	Record  func() RecorderStats
	SSH     func() SSHStats
	Webhook WebhookDeliveries
	// Logger hears of figures that could not be read (slog.Default when nil).
	Logger *slog.Logger
}

// Metrics is a registry with Conclave's collector, the HTTP request figures, and the Go
// runtime's and the process's standard ones.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// New builds the registry over src.
func New(src Sources) *Metrics {
	if src.Logger == nil {
		src.Logger = slog.Default()
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "conclave_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "conclave_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by method and route pattern (WebSocket signalling counts its whole connection).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route"}),
	}
	m.reg.MustRegister(m.requests, m.latency, &collector{src: src},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the exposition (text format, or what the scraper negotiates). A figure
// that cannot be read is left out and logged; the rest is served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, MaxRequestsInFlight: 4})
}

// Gatherer is the registry, for tests and other exporters.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// ObserveRequest counts one answered HTTP request. route is the pattern that served it
// ("/api/v1/rooms/{roomId}"), never the path itself, so the series stay few; method is
// one of the standard methods or "other".
func (m *Metrics) ObserveRequest(method, route string, code int, d time.Duration) {
	method = normalizeMethod(method)
	m.requests.WithLabelValues(method, route, strconv.Itoa(code)).Inc()
	m.latency.WithLabelValues(method, route).Observe(d.Seconds())
}

func normalizeMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// scrapeTimeout bounds the database reads of one scrape.
const scrapeTimeout = 5 * time.Second

// collector reads every figure at scrape time. It is unchecked (Describe sends nothing):
// which families appear depends on which sources are set and what the store holds.
type collector struct{ src Sources }

func (c *collector) Describe(chan<- *prometheus.Desc) {}

// desc names a family; families are made per scrape, which is cheap next to the reads.
func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

func counter(ch chan<- prometheus.Metric, name, help string, v uint64) {
	ch <- prometheus.MustNewConstMetric(desc(name, help), prometheus.CounterValue, float64(v))
}

func gauge(ch chan<- prometheus.Metric, name, help string, v float64) {
	ch <- prometheus.MustNewConstMetric(desc(name, help), prometheus.GaugeValue, v)
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	if svc := c.src.Core; svc != nil {
		c.collectCore(ch, svc)
	}
	if c.src.Media != nil {
		t := c.src.Media()
		counter(ch, "conclave_media_received_packets_total", "RTP packets received from publishers.", t.PacketsIn)
		counter(ch, "conclave_media_received_bytes_total", "RTP bytes received from publishers, headers included.", t.BytesIn)
		counter(ch, "conclave_media_forwarded_packets_total", "RTP packets forwarded to subscribers.", t.PacketsOut)
		counter(ch, "conclave_media_forwarded_bytes_total", "RTP bytes forwarded to subscribers, headers included.", t.BytesOut)
		counter(ch, "conclave_media_packets_lost_total", "Packets lost on publishers' uplinks, as their receiver reports tell.", t.PacketsLost)
		counter(ch, "conclave_media_nacks_total", "NACKs received from subscribers.", t.NACKs)
		counter(ch, "conclave_media_plis_total", "Picture loss indications (PLI and FIR) received from subscribers.", t.PLIs)
		counter(ch, "conclave_media_retransmitted_packets_total", "Packets resent from the cache in answer to NACKs.", t.Retransmits)
		counter(ch, "conclave_media_keyframe_requests_total", "Keyframe requests sent to publishers, after throttling.", t.KeyframeRequests)
		counter(ch, "conclave_media_dropped_packets_total", "Packets dropped because a subscriber's send queue was full.", t.Dropped)
		gauge(ch, "conclave_media_rooms", "Rooms the SFU forwards media in.", float64(t.Rooms))
		gauge(ch, "conclave_media_peers", "WebRTC peer connections in the SFU.", float64(t.Peers))
	}
	if c.src.Egress != nil {
		e := c.src.Egress()
		counter(ch, "conclave_media_egress_datagrams_total", "UDP datagrams sent through the batching writer.", e.Datagrams)
		counter(ch, "conclave_media_egress_batches_total", "sendmmsg calls that sent at least one datagram; datagrams/batches is the mean batch size.", e.Batches)
		counter(ch, "conclave_media_egress_waits_total", "Writes that found the egress queue full and waited.", e.Waits)
		counter(ch, "conclave_media_egress_errors_total", "Datagrams the kernel refused (dropped).", e.Errors)
	}
	if c.src.Record != nil {
		r := c.src.Record()
		counter(ch, "conclave_recording_written_bytes_total", "Bytes written into recording files.", r.BytesWritten)
		counter(ch, "conclave_recording_sink_dropped_packets_total", "Packets recordings lost because the recorder fell behind, counted as each recorded track ends.", r.SinkDropped)
	}
	if c.src.SSH != nil {
		s := c.src.SSH()
		gauge(ch, "conclave_ssh_connections", "Open SSH connections, signed in or not.", float64(s.Connections))
		gauge(ch, "conclave_ssh_signed_in_connections", "SSH connections signed in.", float64(s.SignedIn))
		gauge(ch, "conclave_ssh_sessions", "SSH sessions running (control rooms and commands).", float64(s.Sessions))
	}
	if c.src.Webhook != nil {
		d := desc("conclave_webhook_deliveries_total", "Webhook deliveries by outcome.", "outcome")
		for outcome, n := range c.src.Webhook() {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(n), outcome)
		}
	}
}

func (c *collector) collectCore(ch chan<- prometheus.Metric, svc *core.Service) {
	live := svc.LiveCounts()
	gauge(ch, "conclave_meetings", "Meetings in progress.", float64(live.Meetings))
	gauge(ch, "conclave_participants", "Participants in meetings in progress.", float64(live.Participants))
	gauge(ch, "conclave_published_tracks", "Tracks participants publish now.", float64(live.Tracks))
	gauge(ch, "conclave_recordings_in_progress", "Recordings being made.", float64(live.Recordings))
	counter(ch, "conclave_meetings_started_total", "Meetings started since the server started.", live.MeetingsStarted)
	counter(ch, "conclave_participants_joined_total", "Participants who joined a meeting since the server started.", live.ParticipantsJoined)

	a := svc.AuthStats()
	counter(ch, "conclave_login_failures_total", "Failed sign-ins (wrong password or unknown user), HTTP and SSH.", a.LoginFailures)
	counter(ch, "conclave_login_refused_total", "Sign-ins refused unchecked because the user or address had too many recent failures.", a.LoginRefused)
	locked := desc("conclave_login_locked", "Users and source addresses locked out now by the failed sign-in limit.", "scope")
	ch <- prometheus.MustNewConstMetric(locked, prometheus.GaugeValue, float64(a.LockedUsers), "user")
	ch <- prometheus.MustNewConstMetric(locked, prometheus.GaugeValue, float64(a.LockedAddresses), "address")
	counter(ch, "conclave_share_password_failures_total", "Wrong share-link passwords.", a.SharePasswordFailures)
	counter(ch, "conclave_share_password_refused_total", "Share-link password tries refused by their limit.", a.ShareRefused)

	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	counts, err := svc.RecordingCounts(ctx)
	if err != nil {
		c.src.Logger.Warn("metrics: recordings not counted", "err", err)
	} else {
		byStatus := map[string]int{}
		for _, s := range core.RecordingStatuses {
			byStatus[s] = 0 // every status appears, so a rate or an alert never sees a gap
		}
		var used int64
		trashed := 0
		for _, rc := range counts {
			used += rc.Bytes
			if rc.Trashed {
				trashed += rc.Count
				continue
			}
			byStatus[rc.Status] += rc.Count
		}
		d := desc("conclave_recordings", "Recordings by status, those in the trash apart.", "status")
		for s, n := range byStatus {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(n), s)
		}
		gauge(ch, "conclave_recordings_trashed", "Recordings in the trash, restorable until purged.", float64(trashed))
		gauge(ch, "conclave_storage_used_bytes", "Bytes the finished recordings hold, the trash included.", float64(used))
	}
	if free, ok := svc.StorageFree(); ok {
		gauge(ch, "conclave_storage_free_bytes", "Free space where recordings are written.", float64(free))
	}
}
