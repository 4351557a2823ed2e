package tui

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestAuditExport exports the audit log from the Audit tab with its filter, into a new
// file of the export directory, and refuses names that are paths or taken.
func TestAuditExport(t *testing.T) {
	svc, _ := newService(t)
	admin := asAdmin(t, svc)
	addRoom(t, svc, admin, "Exported room")
	addUser(t, svc, "dora_1", "room_member", false)
	dir := filepath.Join(t.TempDir(), "exports")
	h := newHarnessWith(t, svc, "admin", Options{NoColor: true, BaseURL: "http://meet.test/meet", ExportDir: dir})
	gotoTab(t, h, "Audit")
	h.mustSee("Audit log", "room.create")
	h.key("/")
	h.typeText("action:room.")
	h.key("enter")
	h.mustSee("filter: action:room.")

	h.key("e")
	h.mustSee("Export the audit log", "audit-", ".jsonl", "action:room.")
	h.key("ctrl+u")
	h.typeText("../conclave.db")
	h.key("ctrl+s")
	h.mustSee("a name, not a path")
	h.key("ctrl+u")
	h.typeText("rooms.jsonl")
	h.key("ctrl+s")
	h.mustSee("Exported 1 entry to rooms.jsonl in exports/")

	path := filepath.Join(dir, "rooms.jsonl")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("export file mode %v, want 0600", st.Mode().Perm())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 1 || lines[0]["action"] != "room.create" || !strings.Contains(lines[0]["detail"].(string), "Exported room") {
		t.Fatalf("export holds %v", lines)
	}

	// The same name again is refused, and the file is kept as it was.
	h.key("e")
	h.key("ctrl+u")
	h.typeText("rooms.jsonl")
	h.key("ctrl+s")
	h.mustSee("rooms.jsonl exists")
	h.key("esc")

	// CSV from the extension; the access log with E.
	h.key("esc") // clear the filter
	h.key("E")
	h.mustSee("Export the recordings' access log")
	h.key("ctrl+u")
	h.typeText("access.csv")
	h.key("ctrl+s")
	m := regexp.MustCompile(`Exported (\d+) entr(y|ies) to access\.csv`).FindStringSubmatch(h.view())
	if m == nil {
		t.Fatalf("no export of the access log:\n%s", h.view())
	}
	b, err := os.ReadFile(filepath.Join(dir, "access.csv"))
	if err != nil || !strings.HasPrefix(string(b), "id,time,date,recordingId,") {
		t.Fatalf("access CSV %q, %v", b, err)
	}
	recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil || strconv.Itoa(len(recs)-1) != m[1] {
		t.Fatalf("access CSV of %d records (%v), the flash said %s entries", len(recs), err, m[1])
	}
	// Both exports are in the audit log.
	h.pump()
	h.mustSee("audit.export")
}

func TestAuditExportOffWithoutDirectory(t *testing.T) {
	svc, _ := newService(t)
	h := newHarness(t, svc, "admin")
	gotoTab(t, h, "Audit")
	h.mustSee("Audit log")
	h.key("e")
	h.mustNotSee("Export the audit log")
	h.key("?")
	h.mustNotSee("export log")
}
