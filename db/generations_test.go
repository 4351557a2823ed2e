package db

import (
	"context"
	"database/sql"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"
)

// TestMigrationGivesEveryRowAGeneration opens a database of schema 5 (before generations)
// holding users and members: each gets a random generation of its own.
func TestMigrationGivesEveryRowAGeneration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "conclave.db")
	raw, err := sql.Open(driverName, "file:"+path)
	must(t, err)
	ctx := context.Background()
	for _, m := range migrations[:5] {
		_, err := raw.ExecContext(ctx, m.sql)
		must(t, err)
	}
	_, err = raw.Exec(`CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY,
		name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`)
	must(t, err)
	for _, m := range migrations[:5] {
		_, err := raw.Exec(`INSERT INTO schema_migrations VALUES (?, ?, ?)`, m.version, m.name, time.Now().UnixMilli())
		must(t, err)
	}
	_, err = raw.Exec(`INSERT INTO users (user_id, name, role, password_hash, registration_date, token_version)
		VALUES ('alice', 'A', 'admin', 'h', 1, 1), ('bobby', 'B', 'admin', 'h', 1, 1)`)
	must(t, err)
	_, err = raw.Exec(`INSERT INTO rooms (room_id, room_name, owner, creation_date, auto_deletion_policy, config,
		roles, access, access_user_enabled, status) VALUES ('r1', 'R', 'alice', 1, '{}', '{}', '{}', '{}', 0, 'open')`)
	must(t, err)
	_, err = raw.Exec(`INSERT INTO members (room_id, member_id, type, name, base_role, custom, membership_date, version)
		VALUES ('r1', 'bobby', 'user', 'B', 'speaker', '{}', 1, 1), ('r1', 'ext-x', 'identified_guest', 'X', 'speaker', '{}', 1, 1)`)
	must(t, err)
	must(t, raw.Close())

	d, err := Open(path)
	must(t, err)
	defer d.Close()
	seen := map[string]bool{}
	check := func(what, gen string) {
		if len(gen) != 24 || seen[gen] {
			t.Errorf("%s: generation %q, want 24 hex characters of its own", what, gen)
		}
		if _, err := hex.DecodeString(gen); err != nil {
			t.Errorf("%s: generation %q is not hex", what, gen)
		}
		seen[gen] = true
	}
	for _, id := range []string{"alice", "bobby"} {
		u, err := d.GetUser(bg, id)
		must(t, err)
		check("user "+id, u.Generation)
	}
	for _, id := range []string{"bobby", "ext-x"} {
		m, err := d.GetMember(bg, "r1", id)
		must(t, err)
		check("member "+id, m.Generation)
	}
}
