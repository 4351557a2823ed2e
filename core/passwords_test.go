package core_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"conclave/core"
	"conclave/db"
)

func newCore(t *testing.T, production bool) *core.Service {
	t.Helper()
	store, err := db.Open(filepath.Join(t.TempDir(), "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	svc, err := core.New(store, core.Config{BcryptCost: 4, Production: production})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// The root admin password production starts with (CONCLAVE_ADMIN_PASSWORD) follows the
// rules of passwords being set; local mode's admin/admin is created as it always was.
func TestBootstrapPasswordRules(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		password string
		refused  string // what the error must say; "" when accepted
	}{
		{"admin", "userId"},
		{"seven77", "at least 8 characters"},
		{"eight888", ""},
		{"", ""}, // generated
	} {
		res, err := newCore(t, true).Bootstrap(ctx, true, c.password)
		switch {
		case c.refused == "" && (err != nil || !res.Created):
			t.Errorf("production admin password %q: %+v, %v", c.password, res, err)
		case c.refused != "" && (err == nil || !strings.Contains(err.Error(), c.refused)):
			t.Errorf("production admin password %q: error %v, want one saying %q", c.password, err, c.refused)
		}
	}
	local := newCore(t, false)
	if res, err := local.Bootstrap(ctx, false, ""); err != nil || !res.Created {
		t.Fatalf("local bootstrap: %+v, %v", res, err)
	}
	if _, err := local.Login(ctx, core.RootAdminID, "admin", meta); err != nil {
		t.Fatalf("local mode's admin/admin: %v", err)
	}
	// A production server whose core was not told so would take local mode's rules.
	if _, err := newCore(t, false).Bootstrap(ctx, true, "eight888"); err == nil {
		t.Fatal("production bootstrap of a core configured for local mode accepted")
	}
}
