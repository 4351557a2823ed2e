package core_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"

	"runtime"
	"strings"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
)

// countingWriter counts what an export wrote and keeps none of it.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// TestExportStreamsWithBoundedMemory exports 100,000 audit entries (about 60 MB of JSON
// lines) and checks the heap never grows by more than a fraction of that: the export
// pages through the store instead of holding the log.
func TestExportStreamsWithBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100,000 audit entries; skipped with -short")
	}
	svc, store := conclavetest.Core(t, conclavetest.Config{})
	ctx := context.Background()
	const rows = 100_000
	detail := strings.Repeat("x", 500)
	base := time.Now().Add(-time.Hour).UnixMilli()
	err := store.InTx(ctx, func(tx core.Store) error {
		for i := range rows {
			e := &core.AuditEntry{Time: base + int64(i/100), Actor: "user:bulk", Action: "room.update",
				Target: fmt.Sprintf("room:r%d", i), Outcome: core.OutcomeSuccess, Source: "127.0.0.1", Device: "test", Detail: detail}
			if err := tx.AppendAudit(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	baseline, peak := ms.HeapAlloc, ms.HeapAlloc
	pages := 0
	var out countingWriter
	n, err := svc.ExportLog(ctx, conclavetest.Admin(t, svc), core.ExportQuery{Actor: "user:bulk"}, &out, func(int) {
		pages++
		if pages%10 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != rows {
		t.Fatalf("exported %d rows, want %d", n, rows)
	}
	growth := int64(peak) - int64(baseline)
	t.Logf("exported %d rows, %d MB, in %d pages; heap grew by at most %.1f MB", n, out.n>>20, pages, float64(growth)/(1<<20))
	if out.n < 50<<20 {
		t.Fatalf("export of %d bytes is smaller than the log", out.n)
	}
	if growth > 16<<20 {
		t.Errorf("the heap grew by %d MB while exporting %d MB: the export holds the log", growth>>20, out.n>>20)
	}
}

func exportLines(t *testing.T, svc *core.Service, p *core.Principal, q core.ExportQuery) []map[string]any {
	t.Helper()
	var buf bytes.Buffer
	n, err := svc.ExportLog(context.Background(), p, q, &buf, nil)
	if err != nil {
		t.Fatalf("export %+v: %v", q, err)
	}
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", line, err)
		}
		out = append(out, m)
	}
	if len(out) != n {
		t.Fatalf("export said %d rows, wrote %d lines", n, len(out))
	}
	return out
}

func TestExportFiltersAndFormats(t *testing.T) {
	var clk conclavetest.Clock
	svc, _ := conclavetest.Core(t, conclavetest.Config{Now: clk.Now})
	ctx := context.Background()
	admin := conclavetest.Admin(t, svc)
	start := clk.Now().UnixMilli()
	conclavetest.Room(t, svc, "=HYPERLINK(\"http://evil\")")
	clk.Advance(time.Hour)
	mid := clk.Now().UnixMilli()
	bob := conclavetest.User(t, svc, "bob_1", string(core.RoleRoomManager))
	name := "Bob's"
	if _, err := svc.CreateRoom(ctx, bob, core.RoomOptions{RoomName: &name}); err != nil {
		t.Fatal(err)
	}

	all := exportLines(t, svc, admin, core.ExportQuery{})
	for i := 1; i < len(all); i++ {
		if all[i]["id"].(float64) <= all[i-1]["id"].(float64) {
			t.Fatalf("entries out of order at %d: %v then %v", i, all[i-1]["id"], all[i]["id"])
		}
	}
	last := all[len(all)-1]
	if last["action"] != "audit.export" || last["actor"] != "user:admin" {
		t.Fatalf("the export's own entry is not last: %v", last)
	}
	for _, key := range []string{"id", "time", "date", "actor", "action", "target", "outcome", "source", "device"} {
		if _, ok := all[0][key]; !ok {
			t.Errorf("line lacks %q: %v", key, all[0])
		}
	}

	bobs := exportLines(t, svc, admin, core.ExportQuery{Actor: "user:bob_1"})
	if len(bobs) == 0 {
		t.Fatal("bob did things, none exported")
	}
	for _, e := range bobs {
		if e["actor"] != "user:bob_1" {
			t.Errorf("actor filter let through %v", e)
		}
	}
	rooms := exportLines(t, svc, admin, core.ExportQuery{Action: "room."})
	if len(rooms) != 2 {
		t.Errorf("action room. exported %d entries, want the 2 room creations: %v", len(rooms), rooms)
	}
	early := exportLines(t, svc, admin, core.ExportQuery{Since: start, Until: mid, Action: "room."})
	if len(early) != 1 || !strings.Contains(early[0]["target"].(string), "room:") {
		t.Errorf("the first hour holds one room creation, exported %v", early)
	}

	// CSV: a header, the same rows, a formula defused.
	var buf bytes.Buffer
	if _, err := svc.ExportLog(ctx, admin, core.ExportQuery{Format: core.FormatCSV, Action: "room."}, &buf, nil); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	if len(recs) != 3 || recs[0][0] != "id" || recs[0][5] != "action" || len(recs[1]) != len(recs[0]) {
		t.Fatalf("CSV %v", recs)
	}
	for _, r := range recs[1:] {
		for _, cell := range r {
			if strings.HasPrefix(cell, "=") || strings.HasPrefix(cell, "+") || strings.HasPrefix(cell, "@") {
				t.Errorf("a cell starts a formula: %q", cell)
			}
		}
	}

	// Not for non-admins; bad ranges and formats refused before anything is written.
	var none bytes.Buffer
	if _, err := svc.ExportLog(ctx, bob, core.ExportQuery{}, &none, nil); core.KindOf(err) != core.KindForbidden {
		t.Errorf("a room manager's export: %v, want forbidden", err)
	}
	for _, q := range []core.ExportQuery{
		{Format: "xml"}, {Log: "sessions"}, {Since: -1}, {Until: 1 << 62},
		{Since: mid, Until: start}, {Since: clk.Now().Add(24 * time.Hour).UnixMilli()},
		{Actor: strings.Repeat("a", 201)},
	} {
		if _, err := svc.ExportLog(ctx, admin, q, &none, nil); core.KindOf(err) != core.KindValidation {
			t.Errorf("export %+v: %v, want invalid", q, err)
		}
	}
	if none.Len() != 0 {
		t.Errorf("refused exports wrote %q", none.String())
	}
}

func TestExportAccessLog(t *testing.T) {
	dir := t.TempDir()
	svc, store := conclavetest.Core(t, conclavetest.Config{Recorder: conclavetest.FileRecorder(t, dir)})
	admin := conclavetest.Admin(t, svc)
	room := conclavetest.Room(t, svc, "Rec")
	rec := conclavetest.FinishedRecording(t, store, dir, room, time.Now().Add(-time.Hour), 100)
	_, f, err := svc.OpenRecordingLogged(context.Background(), admin, rec.RecordingID, 0, core.AccessDownload, true)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	lines := exportLines(t, svc, admin, core.ExportQuery{Log: core.ExportAccess})
	found := false
	for _, l := range lines {
		if l["recordingId"] == rec.RecordingID && l["action"] == core.AccessDownload && l["actor"] == "user:admin" {
			found = true
		}
	}
	if !found {
		t.Fatalf("the download is not in the access log export: %v", lines)
	}
}

func TestAuditRetention(t *testing.T) {
	var clk conclavetest.Clock
	svc, _ := conclavetest.Core(t, conclavetest.Config{Now: clk.Now, AuditRetention: 30 * 24 * time.Hour})
	ctx := context.Background()
	admin := conclavetest.Admin(t, svc)
	conclavetest.Room(t, svc, "Old")
	clk.Advance(20 * 24 * time.Hour)
	conclavetest.Room(t, svc, "Newer")
	if res, err := svc.Sweep(ctx); err != nil || res.AuditPruned != 0 {
		t.Fatalf("sweep within retention: %+v, %v", res, err)
	}
	clk.Advance(15 * 24 * time.Hour) // "Old" is 35 days old, "Newer" 15
	res, err := svc.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.AuditPruned == 0 {
		t.Fatal("nothing pruned past the retention")
	}
	page, err := svc.ListAudit(ctx, admin, core.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var creates []string
	pruned := false
	for _, e := range page.Items {
		if e.Action == "room.create" {
			creates = append(creates, e.Detail+e.Target)
		}
		if e.Action == "audit.prune" && e.Actor == "system" && strings.Contains(e.Detail, fmt.Sprintf(`"deleted":%d`, res.AuditPruned)) {
			pruned = true
		}
	}
	if len(creates) != 1 {
		t.Errorf("room creations left: %v, want only the newer one", creates)
	}
	if !pruned {
		t.Errorf("the prune is not audited: %v", page.Items)
	}
	if err := core.CheckAuditRetention(time.Hour); err == nil {
		t.Error("a retention of an hour was accepted")
	}
	if _, err := core.New(nil, core.Config{AuditRetention: time.Minute}); err == nil {
		t.Error("core started with a retention of a minute")
	}
}

// BenchmarkExportAudit exports 10,000 audit entries as JSON lines and as CSV; the
// figures per entry show the export's cost does not depend on holding the log.
//
//	go test -run '^$' -bench ExportAudit -benchmem ./core
func BenchmarkExportAudit(b *testing.B) {
	svc, store := conclavetest.Core(b, conclavetest.Config{})
	ctx := context.Background()
	const rows = 10_000
	base := time.Now().Add(-time.Hour).UnixMilli()
	if err := store.InTx(ctx, func(tx core.Store) error {
		for i := range rows {
			if err := tx.AppendAudit(ctx, &core.AuditEntry{Time: base + int64(i), Actor: "user:bulk", Action: "room.update",
				Target: fmt.Sprintf("room:r%d", i), Outcome: core.OutcomeSuccess, Source: "127.0.0.1", Device: "bench", Detail: `{"roomName":"x"}`}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	admin := conclavetest.Admin(b, svc)
	for _, format := range []string{core.FormatJSONL, core.FormatCSV} {
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var w countingWriter
				if n, err := svc.ExportLog(ctx, admin, core.ExportQuery{Format: format, Actor: "user:bulk"}, &w, nil); err != nil || n != rows {
					b.Fatalf("%d rows, %v", n, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/entry")
		})
	}
}
