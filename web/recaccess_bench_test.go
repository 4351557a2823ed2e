package web_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
)

// BenchmarkRecordingDownloads measures time to first byte and throughput of GET …/media
// (one 8 MiB file) and of a zip of 20 such recordings (160 MiB), over loopback HTTP from a
// real SQLite file and recordings directory: `go test -run XXX -bench RecordingDownloads ./web`.
func BenchmarkRecordingDownloads(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "recordings")
	st := conclavetest.NewStack(b, conclavetest.HTTPConfig{Config: conclavetest.Config{Recorder: conclavetest.FileRecorder(b, dir)}})
	ctx := context.Background()
	res, err := st.Svc.Login(ctx, core.RootAdminID, "admin", conclavetest.Meta)
	if err != nil {
		b.Fatal(err)
	}
	room := conclavetest.Room(b, st.Svc, "Bench")
	const size = 8 << 20
	content := make([]byte, size)
	_, _ = rand.Read(content)
	var ids []string
	for i := range 20 {
		rec := conclavetest.FakeRecording(b, st.DB, dir, room, fmt.Sprintf("r%02d", i), int64(i), conclavetest.FakeFile{Name: "main.webm", Content: content})
		ids = append(ids, rec.RecordingID)
	}
	get := func(b *testing.B, path string) (time.Duration, int64) {
		req, _ := http.NewRequest("GET", st.Server.URL+"/meet"+path, nil)
		req.Header.Set("Authorization", "Bearer "+res.AccessToken)
		start := time.Now()
		var first time.Duration
		req = req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
			GotFirstResponseByte: func() { first = time.Since(start) },
		}))
		resp, err := st.Server.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("%s: %d, %v", path, resp.StatusCode, err)
		}
		return first, n
	}
	for _, c := range []struct{ name, path string }{
		{"media", "/api/v1/recordings/" + ids[0] + "/media"},
		{"zip20", "/api/v1/recordings/download?recordingIds=" + strings.Join(ids, ",")},
	} {
		b.Run(c.name, func(b *testing.B) {
			var ttfb time.Duration
			var bytes int64
			for b.Loop() {
				first, n := get(b, c.path)
				ttfb += first
				bytes = n
			}
			b.SetBytes(bytes)
			b.ReportMetric(float64(ttfb.Microseconds())/float64(b.N), "µs-ttfb/op")
		})
	}
}
