package tui

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"conclave/conclavetest"
	"conclave/core"
)

// Analytics counts the fake's rooms and meetings; it keeps no recordings' statuses.
func (f *fakeBackend) Analytics(context.Context, *core.Principal) (*core.Analytics, error) {
	return &core.Analytics{TotalRooms: len(f.rooms), ActiveRooms: len(f.live), TotalRecordings: len(f.recordings)}, nil
}

// TestSettingsShowUsage reads the usage line of the Settings tab follow a meeting.
func TestSettingsShowUsage(t *testing.T) {
	svc, _ := newService(t)
	admin := asAdmin(t, svc)
	addRoom(t, svc, admin, "Used")
	room := addRoom(t, svc, admin, "Also used")
	h := newHarness(t, svc, "admin")
	gotoTab(t, h, "Settings")
	h.mustSee("Usage   2 rooms · 0 with a meeting now · 0 recordings, 0 complete")
	p := conclavetest.Member(t, svc, conclavetest.JoinToken(t, svc, room.RoomID, room.Access.Speaker.Secret, "Zed"))
	if _, err := svc.JoinMeeting(context.Background(), p, nil); err != nil {
		t.Fatal(err)
	}
	h.pump()
	h.mustSee("2 rooms · 1 with a meeting now")
}

// TestAuditExportProgress shows the rows exported so far while an export runs, and stops
// ticking once it is done.
func TestAuditExportProgress(t *testing.T) {
	svc, _ := newService(t)
	c := newCommon(svc, Identity{UserID: "admin"}, Options{NoColor: true, ExportDir: t.TempDir()})
	p := newAuditPage(c)
	job := &exportJob{log: core.ExportAudit, path: filepath.Join(c.opts.ExportDir, "a.jsonl")}
	job.rows.Store(1500)
	p.export = job
	if v := ansi.Strip(p.view(100, 20)); !strings.Contains(v, "exporting to a.jsonl … 1500 entries so far") {
		t.Fatalf("no progress shown:\n%s", v)
	}
	if ok, cmd := p.updateExport(exportTickMsg{job}); !ok || cmd == nil {
		t.Fatal("the tick stopped while the export runs")
	}
	if ok, _ := p.updateExport(exportDoneMsg{job: job, rows: 1500}); !ok || p.export != nil {
		t.Fatal("the export is still shown as running")
	}
	if _, cmd := p.updateExport(exportTickMsg{job}); cmd != nil {
		t.Fatal("the tick goes on after the export")
	}
}

// gotoTab presses the number the tab bar shows before name, so that a test does not
// depend on how many tabs come before it.
func gotoTab(t *testing.T, h *harness, name string) {
	t.Helper()
	m := regexp.MustCompile(`(\d) ` + regexp.QuoteMeta(name)).FindStringSubmatch(h.view())
	if m == nil {
		t.Fatalf("no tab %q in:\n%s", name, h.view())
	}
	h.key(m[1])
}
