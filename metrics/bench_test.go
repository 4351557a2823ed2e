package metrics_test

import (
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
)

// BenchmarkScrape100Meetings is one GET /metrics, over HTTP with an API key, with 100
// live meetings of 4 participants publishing 2 tracks each and 200 recordings stored:
// the time a Prometheus scrape costs the server.
//
//	go test -run '^$' -bench Scrape100 -benchmem ./metrics
func BenchmarkScrape100Meetings(b *testing.B) {
	dir := b.TempDir()
	s := newMStack(b, conclavetest.HTTPConfig{Config: conclavetest.Config{Recorder: conclavetest.FileRecorder(b, dir)}})
	svc := s.st.Svc
	for i := range 100 {
		room := conclavetest.Room(b, svc, "Meeting "+strconv.Itoa(i))
		for j := range 4 {
			pt := seat(b, svc, room, "P"+strconv.Itoa(j))
			svc.TrackPublished(room.RoomID, pt.Identity, core.TrackStat{TrackID: "camera-0", Kind: "video", Source: "camera"})
			svc.TrackPublished(room.RoomID, pt.Identity, core.TrackStat{TrackID: "mic-1", Kind: "audio", Source: "microphone"})
		}
		for k := range 2 {
			conclavetest.FinishedRecording(b, s.st.DB, dir, room, time.Now().Add(-time.Duration(k+1)*time.Hour), 1000)
		}
	}
	if f := s.scrape(); f.value("conclave_meetings") != 100 || f.value("conclave_participants") != 400 {
		b.Fatalf("set-up: %v meetings, %v participants", f.value("conclave_meetings"), f.value("conclave_participants"))
	}
	req, _ := http.NewRequest("GET", s.st.Server.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+s.key)
	var size int64
	b.ReportAllocs()
	for b.Loop() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		size, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET /metrics: %d", resp.StatusCode)
		}
	}
	b.ReportMetric(float64(size), "bytes/scrape")
}

// BenchmarkGather100Meetings is the collection alone (no HTTP, no encoding).
func BenchmarkGather100Meetings(b *testing.B) {
	s := newMStack(b, conclavetest.HTTPConfig{})
	svc := s.st.Svc
	for i := range 100 {
		room := conclavetest.Room(b, svc, "Meeting "+strconv.Itoa(i))
		for j := range 4 {
			seat(b, svc, room, "P"+strconv.Itoa(j))
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.m.Gatherer().Gather(); err != nil {
			b.Fatal(err)
		}
	}
}
