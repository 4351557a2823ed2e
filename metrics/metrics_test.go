package metrics_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"conclave/conclavetest"
	"conclave/core"
	"conclave/metrics"
	"conclave/web"
)

// mstack is a test server with /metrics on its HTTP port, as `--metrics on` serves it.
type mstack struct {
	t   testing.TB
	st  *conclavetest.Stack
	m   *metrics.Metrics
	key string // an API key
}

func newMStack(t testing.TB, cfg conclavetest.HTTPConfig) *mstack {
	t.Helper()
	var mp atomic.Pointer[metrics.Metrics]
	cfg.Web = func(o *web.Options) {
		// The registry reads core, which the stack builds after the handler's options:
		// forward to it once it exists, as main's one-phase wiring does in order.
		o.Metrics = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { mp.Load().Handler().ServeHTTP(w, r) })
		o.ObserveRequest = func(method, route string, code int, d time.Duration) {
			if m := mp.Load(); m != nil {
				m.ObserveRequest(method, route, code, d)
			}
		}
	}
	st := conclavetest.NewStack(t, cfg)
	src := metrics.Sources{Core: st.Svc}
	if st.SFU != nil {
		src.Media = func() metrics.MediaTotals {
			x := st.SFU.Totals()
			return metrics.MediaTotals{PacketsIn: x.PacketsIn, BytesIn: x.BytesIn, PacketsOut: x.PacketsOut, BytesOut: x.BytesOut,
				NACKs: x.NACKs, PLIs: x.PLIs, Retransmits: x.Retransmits, KeyframeRequests: x.KeyframeRequests,
				Dropped: x.Dropped, PacketsLost: x.PacketsLost, Rooms: x.Rooms, Peers: x.Peers, Tracks: x.Tracks}
		}
		src.Egress = func() metrics.EgressStats {
			e := st.SFU.EgressStats()
			return metrics.EgressStats{Datagrams: e.Packets, Batches: e.Batches, Waits: e.Waits, Errors: e.Errors}
		}
	}
	if st.Engine != nil {
		src.Record = func() metrics.RecorderStats {
			r := st.Engine.Stats()
			return metrics.RecorderStats{BytesWritten: r.BytesWritten, SinkDropped: r.SinkDropped}
		}
	}
	mp.Store(metrics.New(src))
	k, err := st.Svc.CreateAPIKey(context.Background(), conclavetest.Admin(t, st.Svc), "prometheus")
	if err != nil {
		t.Fatal(err)
	}
	return &mstack{t: t, st: st, m: mp.Load(), key: k.Key}
}

// get sends GET path with header h = v (none when h is "").
func (s *mstack) get(path, h, v string) (int, []byte) {
	s.t.Helper()
	req, err := http.NewRequest("GET", s.st.Server.URL+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	if h != "" {
		req.Header.Set(h, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp.StatusCode, body
}

// families is one scrape parsed by Prometheus's own text parser.
type families map[string]*dto.MetricFamily

func (s *mstack) scrape() families {
	s.t.Helper()
	code, body := s.get("/metrics", "Authorization", "Bearer "+s.key)
	if code != http.StatusOK {
		s.t.Fatalf("GET /metrics: %d %s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		s.t.Fatalf("the exposition does not parse: %v\n%s", err, body)
	}
	return fams
}

// value is the sample of family name whose labels include want ("k=v" pairs); -1 when
// there is none.
func (f families) value(name string, want ...string) float64 {
	fam := f[name]
	if fam == nil {
		return -1
	}
next:
	for _, m := range fam.GetMetric() {
		for _, kv := range want {
			k, v, _ := strings.Cut(kv, "=")
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

func (f families) must(t testing.TB, name string, want float64, labels ...string) {
	t.Helper()
	if got := f.value(name, labels...); got != want {
		t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

// seat joins a participant to roomID's meeting without media, as signalling does.
func seat(t testing.TB, svc *core.Service, room *core.Room, name string) *core.Participant {
	t.Helper()
	p := conclavetest.Member(t, svc, conclavetest.JoinToken(t, svc, room.RoomID, room.Access.Speaker.Secret, name))
	pt, err := svc.JoinMeeting(context.Background(), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pt
}

func TestMetricsAccess(t *testing.T) {
	s := newMStack(t, conclavetest.HTTPConfig{})
	svc := s.st.Svc
	conclavetest.User(t, svc, "bob_1", string(core.RoleRoomMember))
	res, err := svc.Login(context.Background(), "bob_1", "final-bob_1-pw", conclavetest.Meta)
	if err != nil {
		t.Fatal(err)
	}
	adm, err := svc.Login(context.Background(), "admin", "admin", conclavetest.Meta)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, h, v string
		want       int
	}{
		{"no credentials", "", "", http.StatusUnauthorized},
		{"a wrong API key", "X-API-KEY", "conclave_nope", http.StatusUnauthorized},
		{"a wrong bearer API key", "Authorization", "Bearer conclave_nope", http.StatusUnauthorized},
		{"a basic header", "Authorization", "Basic YWRtaW46YWRtaW4=", http.StatusUnauthorized},
		{"a room member's sign-in", "Authorization", "Bearer " + res.AccessToken, http.StatusForbidden},
		{"the API key in X-API-KEY", "X-API-KEY", s.key, http.StatusOK},
		{"the API key as a bearer (Prometheus credentials)", "Authorization", "Bearer " + s.key, http.StatusOK},
		{"an admin's sign-in", "Authorization", "Bearer " + adm.AccessToken, http.StatusOK},
	} {
		code, body := s.get("/metrics", c.h, c.v)
		if code != c.want {
			t.Errorf("%s: %d, want %d: %.200s", c.name, code, c.want, body)
		}
		if code >= 400 && !json.Valid(body) {
			t.Errorf("%s: error body is not the API's JSON: %.200s", c.name, body)
		}
	}
	// At the root, not under the base path.
	if code, _ := s.get("/meet/metrics", "X-API-KEY", s.key); code != http.StatusNotFound {
		t.Errorf("/meet/metrics answered %d, want 404", code)
	}
}

// TestMetricsFollowMeetingsAndSignIns runs meetings and sign-ins and reads the figures
// move in a scrape parsed by Prometheus's parser.
func TestMetricsFollowMeetingsAndSignIns(t *testing.T) {
	s := newMStack(t, conclavetest.HTTPConfig{Config: conclavetest.Config{MeetingEndGrace: time.Hour,
		LoginLimits: core.LoginLimits{PerUser: 3, PerAddress: 100, Window: time.Hour}}})
	svc := s.st.Svc
	before := s.scrape()
	for name, fam := range before {
		if !strings.HasPrefix(name, "conclave_") && !strings.HasPrefix(name, "go_") && !strings.HasPrefix(name, "process_") {
			t.Errorf("family %s is outside the conclave_, go_ and process_ namespaces", name)
		}
		if strings.HasSuffix(name, "_total") && fam.GetType() != dto.MetricType_COUNTER {
			t.Errorf("%s ends in _total but is a %v", name, fam.GetType())
		}
		if fam.GetType() == dto.MetricType_COUNTER && !strings.HasSuffix(name, "_total") {
			t.Errorf("counter %s does not end in _total", name)
		}
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				if n := l.GetName(); n == "room" || n == "roomId" || n == "user" || n == "userId" || n == "identity" {
					t.Errorf("%s has a per-%s label", name, n)
				}
			}
		}
	}
	before.must(t, "conclave_meetings", 0)
	before.must(t, "conclave_participants", 0)
	before.must(t, "conclave_meetings_started_total", 0)

	a, b := conclavetest.Room(t, svc, "Alpha"), conclavetest.Room(t, svc, "Beta")
	alice := seat(t, svc, a, "Alice")
	seat(t, svc, a, "Bob")
	seat(t, svc, b, "Carol")
	svc.TrackPublished(a.RoomID, alice.Identity, core.TrackStat{TrackID: "camera-0", Kind: "video", Source: "camera"})
	svc.TrackPublished(a.RoomID, alice.Identity, core.TrackStat{TrackID: "mic-1", Kind: "audio", Source: "microphone"})
	during := s.scrape()
	during.must(t, "conclave_meetings", 2)
	during.must(t, "conclave_participants", 3)
	during.must(t, "conclave_published_tracks", 2)
	during.must(t, "conclave_meetings_started_total", 2)
	during.must(t, "conclave_participants_joined_total", 3)

	svc.LeaveMeeting(a.RoomID, alice.Identity, nil)
	after := s.scrape()
	after.must(t, "conclave_participants", 2)
	after.must(t, "conclave_published_tracks", 0)
	after.must(t, "conclave_participants_joined_total", 3) // a counter never goes down

	// Wrong passwords count; at the limit (3 per user here) the next try is refused
	// unchecked and the user shows as locked out.
	for range 3 {
		if _, err := svc.Login(context.Background(), "admin", "wrong", conclavetest.Meta); err == nil {
			t.Fatal("a wrong password signed in")
		}
	}
	if _, err := svc.Login(context.Background(), "admin", "admin", conclavetest.Meta); !errors.Is(err, core.ErrTooMany) && core.KindOf(err) != core.KindOf(core.ErrTooMany) {
		t.Fatalf("sign-in past the limit: %v, want too many", err)
	}
	locked := s.scrape()
	locked.must(t, "conclave_login_failures_total", 3)
	locked.must(t, "conclave_login_refused_total", 1)
	locked.must(t, "conclave_login_locked", 1, "scope=user")
	locked.must(t, "conclave_login_locked", 0, "scope=address")

	// HTTP requests are counted by route pattern, never by path: the room id is not in
	// any label; a path no route serves is "unmatched".
	s.get("/meet/api/v1/rooms/"+a.RoomID, "X-API-KEY", s.key)
	s.get("/meet/api/v1/rooms/"+b.RoomID, "X-API-KEY", s.key)
	s.get("/meet/no/such/page", "", "")
	h := s.scrape()
	h.must(t, "conclave_http_requests_total", 2, "method=GET", "route=/api/v1/rooms/{roomId}", "code=200")
	h.must(t, "conclave_http_requests_total", 1, "method=GET", "route=unmatched", "code=404")
	h.must(t, "conclave_http_request_duration_seconds", 2, "method=GET", "route=/api/v1/rooms/{roomId}")
	for _, m := range h["conclave_http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if strings.Contains(l.GetValue(), a.RoomID) {
				t.Errorf("a label holds a room id: %v", m)
			}
		}
	}
}

// TestMetricsRecordingsAndStorage reads recordings by status and the storage they hold.
func TestMetricsRecordingsAndStorage(t *testing.T) {
	dir := t.TempDir()
	s := newMStack(t, conclavetest.HTTPConfig{Config: conclavetest.Config{Recorder: conclavetest.FileRecorder(t, dir)}})
	svc := s.st.Svc
	room := conclavetest.Room(t, svc, "Archive")
	empty := s.scrape()
	empty.must(t, "conclave_recordings", 0, "status=complete")
	empty.must(t, "conclave_storage_used_bytes", 0)
	if free := empty.value("conclave_storage_free_bytes"); free <= 0 {
		t.Errorf("storage free %v with a recorder on a real disk", free)
	}
	conclavetest.FinishedRecording(t, s.st.DB, dir, room, time.Now().Add(-time.Hour), 1000, 500)
	conclavetest.FinishedRecording(t, s.st.DB, dir, room, time.Now().Add(-2*time.Hour), 2000)
	f := s.scrape()
	f.must(t, "conclave_recordings", 2, "status=complete")
	f.must(t, "conclave_recordings", 0, "status=failed")
	f.must(t, "conclave_recordings_trashed", 0)
	f.must(t, "conclave_storage_used_bytes", 3500)
}

// TestMetricsScrapedWhileMeetingsChurn scrapes while participants join and leave many
// meetings at once (run under -race): every scrape parses, the figures stay within what
// could be true, and nothing is left when everyone has gone.
func TestMetricsScrapedWhileMeetingsChurn(t *testing.T) {
	s := newMStack(t, conclavetest.HTTPConfig{Config: conclavetest.Config{MeetingEndGrace: 10 * time.Millisecond}})
	svc := s.st.Svc
	const rooms, perRoom, rounds = 8, 4, 5
	var rs []*core.Room
	for i := range rooms {
		rs = append(rs, conclavetest.Room(t, svc, "Churn "+string(rune('A'+i))))
	}
	stop := make(chan struct{})
	var scrapes atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				f := s.scrape()
				if p := f.value("conclave_participants"); p < 0 || p > rooms*perRoom {
					t.Errorf("participants %v during churn", p)
				}
				scrapes.Add(1)
			}
		})
	}
	var joins sync.WaitGroup
	for _, r := range rs {
		joins.Go(func() {
			for round := range rounds {
				var seated []*core.Participant
				for i := range perRoom {
					seated = append(seated, seat(t, svc, r, "P"+string(rune('a'+i))+string(rune('0'+round))))
				}
				for _, pt := range seated {
					svc.TrackPublished(r.RoomID, pt.Identity, core.TrackStat{TrackID: "t", Kind: "audio", Source: "microphone"})
				}
				for _, pt := range seated {
					svc.LeaveMeeting(r.RoomID, pt.Identity, nil)
				}
			}
		})
	}
	joins.Wait()
	close(stop)
	wg.Wait()
	if scrapes.Load() == 0 {
		t.Fatal("no scrape ran during the churn")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		f := s.scrape()
		if f.value("conclave_meetings") == 0 {
			f.must(t, "conclave_participants", 0)
			f.must(t, "conclave_published_tracks", 0)
			f.must(t, "conclave_participants_joined_total", rooms*perRoom*rounds)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("meetings still live after the churn: %v", f.value("conclave_meetings"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWebhookFamilyFromItsCounter reads conclave_webhook_deliveries_total from the
// counter function the webhook sender passes in, and leaves it out without one.
func TestWebhookFamilyFromItsCounter(t *testing.T) {
	svc, _ := conclavetest.Core(t, conclavetest.Config{})
	without := metrics.New(metrics.Sources{Core: svc})
	fams, err := without.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == "conclave_webhook_deliveries_total" {
			t.Fatal("webhook deliveries shown without a webhook sender")
		}
	}
	var delivered atomic.Uint64
	delivered.Store(7)
	with := metrics.New(metrics.Sources{Core: svc, Webhook: func() map[string]uint64 {
		return map[string]uint64{"delivered": delivered.Load(), "failed": 2}
	}})
	got := map[string]float64{}
	fams, err = with.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != "conclave_webhook_deliveries_total" {
			continue
		}
		if f.GetType() != dto.MetricType_COUNTER {
			t.Errorf("type %v", f.GetType())
		}
		for _, m := range f.GetMetric() {
			got[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
		}
	}
	if got["delivered"] != 7 || got["failed"] != 2 || len(got) != 2 {
		t.Errorf("webhook deliveries %v", got)
	}
}

// TestMetricsWithRootBasePath serves /metrics beside the API when the API is at the root.
func TestMetricsWithRootBasePath(t *testing.T) {
	s := newMStack(t, conclavetest.HTTPConfig{Config: conclavetest.Config{BasePath: "/"}})
	s.get("/api/v1/rooms", "X-API-KEY", s.key)
	f := s.scrape()
	f.must(t, "conclave_http_requests_total", 1, "method=GET", "route=/api/v1/rooms", "code=200")
}
