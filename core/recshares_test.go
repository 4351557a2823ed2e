package core_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
)

// TestShareLinkBadInput: every bad option is a 422 naming its field, and nothing is made.
func TestShareLinkBadInput(t *testing.T) {
	svc, store, dir, clk := accessCore(t)
	w := conclavetest.NewAccessWorld(t, svc, store, dir, clk)
	ctx := context.Background()
	id := w.Rec.RecordingID
	before, err := svc.ListShareLinks(ctx, w.Owner.P, id, core.ListOptions{MaxItems: 100})
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	n := func(v int64) *int64 { return &v }
	now := clk.Now().UnixMilli()
	for _, c := range []struct {
		name, field string
		in          core.NewShareLink
	}{
		{"empty password", "password", core.NewShareLink{Password: str("")}},
		{"1 MiB password", "password", core.NewShareLink{Password: str(strings.Repeat("p", 1<<20))}},
		{"expiry in the past", "expiresAt", core.NewShareLink{ExpiresAt: n(now - 1000)}},
		{"expiry now", "expiresAt", core.NewShareLink{ExpiresAt: n(now)}},
		{"absurd expiry", "expiresAt", core.NewShareLink{ExpiresAt: n(now + 100*365*24*3600*1000)}},
		{"negative uses", "maxUses", core.NewShareLink{MaxUses: n(-1)}},
		{"zero uses", "maxUses", core.NewShareLink{MaxUses: n(0)}},
		{"huge uses", "maxUses", core.NewShareLink{MaxUses: n(1 << 50)}},
		{"unknown access", "access", core.NewShareLink{Access: "everyone"}},
	} {
		_, _, err := svc.CreateShareLink(ctx, w.Owner.P, id, c.in)
		e, ok := err.(*core.Error)
		if !ok || e.Kind != core.KindValidation || len(e.Details) != 1 || e.Details[0].Field != c.field {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// Asking for downloads without holding them is refused: nobody hands out more.
	spk := w.Actor(t, conclavetest.ActMemberSpk)
	if _, _, err := svc.CreateShareLink(ctx, spk.P, id, core.NewShareLink{AllowDownload: true}); core.KindOf(err) != core.KindForbidden {
		t.Errorf("speaker made a download link: %v", err)
	}
	after, _ := svc.ListShareLinks(ctx, w.Owner.P, id, core.ListOptions{MaxItems: 100})
	if len(after.Items) != len(before.Items) {
		t.Fatalf("bad input made links: %d then %d", len(before.Items), len(after.Items))
	}

	// Forged ids, wrong secrets and links of another recording are not found.
	pub := w.Links[conclavetest.ActPublicLink]
	anon := core.Anonymous(conclavetest.Meta)
	for _, c := range [][2]string{{"shr_forged", pub.Secret}, {pub.ID, pub.Secret + "x"}, {pub.ID, ""}, {"", pub.Secret}, {strings.Repeat("a", 5000), pub.Secret}} {
		if _, err := svc.OpenShareLink(ctx, anon, c[0], c[1], ""); errCode(err) != "share_link_not_found" {
			t.Errorf("open %.20q: %v", c[0], err)
		}
	}
	if err := svc.RevokeShareLink(ctx, w.Owner.P, w.IntRec.RecordingID, pub.ID); errCode(err) != "share_link_not_found" {
		t.Errorf("revoking through another recording: %v", err)
	}
	// A token of one link does not open another's media.
	tok := w.Actor(t, conclavetest.ActPublicLink).ShareToken
	if _, err := svc.AuthenticateShareToken(ctx, w.Links[conclavetest.ActRightPassword].ID, tok, conclavetest.Meta); core.KindOf(err) != core.KindUnauthenticated {
		t.Errorf("token of another link: %v", err)
	}
}

// TestSharePasswordTries: wrong passwords are limited per link like sign-ins; each is in
// the access log; a right one, once limited, waits like the rest.
func TestSharePasswordTries(t *testing.T) {
	svc, store, dir, clk := accessCore(t)
	w := conclavetest.NewAccessWorld(t, svc, store, dir, clk)
	ctx := context.Background()
	l := w.Links[conclavetest.ActRightPassword]
	anon := core.Anonymous(core.RequestMeta{Source: "192.0.2.7", Device: "curl/8", Via: "http"})
	if _, err := svc.OpenShareLink(ctx, anon, l.ID, l.Secret, ""); errCode(err) != "share_password_required" {
		t.Fatalf("no password: %v", err)
	}
	limit := core.DefaultLoginLimits.PerUser
	for i := range limit {
		if _, err := svc.OpenShareLink(ctx, anon, l.ID, l.Secret, "guess"); errCode(err) != "share_password_wrong" {
			t.Fatalf("wrong password %d: %v", i, err)
		}
	}
	_, err := svc.OpenShareLink(ctx, anon, l.ID, l.Secret, conclavetest.SharePassword)
	if e, ok := err.(*core.Error); !ok || e.Kind != core.KindTooMany || e.RetryAfterSeconds <= 0 {
		t.Fatalf("after %d wrong passwords the right one: %v", limit, err)
	}
	page, err := svc.RecordingAccessLog(ctx, w.Owner.P, w.Rec.RecordingID, core.AccessLogQuery{Action: core.AccessSharePassword, ListOptions: core.ListOptions{MaxItems: 100}})
	if err != nil {
		t.Fatal(err)
	}
	fails := 0
	for _, e := range page.Items {
		if e.LinkID == l.ID && e.Source == "192.0.2.7" && e.Device == "http curl/8" && e.Outcome == core.OutcomeFailure && e.ActorKind == "shareLink" {
			fails++
		}
	}
	if fails != limit {
		t.Fatalf("%d failed passwords logged, want %d: %+v", fails, limit, page.Items)
	}
	clk.Advance(core.DefaultLoginLimits.Window)
	if _, err := svc.OpenShareLink(ctx, anon, l.ID, l.Secret, conclavetest.SharePassword); err != nil {
		t.Fatalf("right password after the window: %v", err)
	}
}

// TestShareLinkLifecycle: uses are counted with the last use; revoking one or all is for
// ever; a used-up link stops opening.
func TestShareLinkLifecycle(t *testing.T) {
	svc, store, dir, clk := accessCore(t)
	w := conclavetest.NewAccessWorld(t, svc, store, dir, clk)
	ctx := context.Background()
	id := w.Rec.RecordingID
	two := int64(2)
	l, secret, err := svc.CreateShareLink(ctx, w.Owner.P, id, core.NewShareLink{MaxUses: &two})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(svc.ShareLinkURL(l, secret), "/recording/"+id+"?share="+l.LinkID+"&secret=") {
		t.Fatalf("url %s", svc.ShareLinkURL(l, secret))
	}
	anon := core.Anonymous(conclavetest.Meta)
	for range 2 {
		if _, err := svc.OpenShareLink(ctx, anon, l.LinkID, secret, ""); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Second)
	}
	if _, err := svc.OpenShareLink(ctx, anon, l.LinkID, secret, ""); errCode(err) != "share_link_used_up" {
		t.Fatalf("third use of two: %v", err)
	}
	page, _ := svc.ListShareLinks(ctx, w.Owner.P, id, core.ListOptions{MaxItems: 100})
	var got *core.ShareLink
	for i := range page.Items {
		if page.Items[i].LinkID == l.LinkID {
			got = &page.Items[i]
		}
	}
	if got == nil || got.Uses != 2 || got.LastUsed == 0 || svc.ShareLinkState(got) != "usedUp" || got.SecretHash == nil || string(got.SecretHash) == secret {
		t.Fatalf("listed link %+v", got)
	}

	// Revoke all: every link in force goes, and none comes back.
	n, err := svc.RevokeShareLinks(ctx, w.Owner.P, id)
	if err != nil || n == 0 {
		t.Fatalf("revoke all: %d, %v", n, err)
	}
	pub := w.Links[conclavetest.ActPublicLink]
	if _, err := svc.OpenShareLink(ctx, anon, pub.ID, pub.Secret, ""); errCode(err) != "share_link_revoked" {
		t.Fatalf("public link after revoke all: %v", err)
	}
	if err := svc.RevokeShareLink(ctx, w.Owner.P, id, pub.ID); errCode(err) != "share_link_revoked" {
		t.Fatalf("revoking twice: %v", err)
	}
	if n, _ := svc.RevokeShareLinks(ctx, w.Owner.P, id); n != 0 {
		t.Fatalf("second revoke all revoked %d", n)
	}
	// The store itself refuses to clear a revocation.
	raw, err := sql.Open("sqlite3", store.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(ctx, `UPDATE recording_shares SET revoked_at = 0 WHERE link_id = ?`, pub.ID); err == nil || !strings.Contains(err.Error(), "stays revoked") {
		t.Fatalf("a revoked link was made valid again: %v", err)
	}
	// Only those with recordingShare list or revoke links.
	spk := w.Actor(t, conclavetest.ActMemberSpk)
	if _, err := svc.RevokeShareLinks(ctx, spk.P, id); core.KindOf(err) != core.KindForbidden {
		t.Fatalf("speaker revoked: %v", err)
	}
}

// TestAccessLog: a viewing is logged once, with who and the device; filters, the
// owner's view and absurd ranges.
func TestAccessLog(t *testing.T) {
	svc, store, dir, clk := accessCore(t)
	w := conclavetest.NewAccessWorld(t, svc, store, dir, clk)
	ctx := context.Background()
	id := w.Rec.RecordingID
	spk := w.Actor(t, conclavetest.ActMemberSpk)
	spk.P.Meta = core.RequestMeta{Source: "198.51.100.4", Device: "Mozilla/5.0 Firefox", Via: "http"}
	since := clk.Now().UnixMilli()
	clk.Advance(time.Millisecond)
	for i, first := range []bool{true, false, false} { // a viewing: its first range, then seeks
		_, f, err := svc.OpenRecordingLogged(ctx, spk.P, id, -1, core.RecActPlay, first)
		if err != nil {
			t.Fatalf("range %d: %v", i, err)
		}
		f.Close()
	}
	page, err := svc.RecordingAccessLog(ctx, w.Owner.P, id, core.AccessLogQuery{Since: since, Actor: spk.P.Actor()})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 {
		t.Fatalf("one viewing logged %d times: %+v", len(page.Items), page.Items)
	}
	e := page.Items[0]
	if e.Action != core.AccessPlay || e.ActorKind != "user" || e.Source != "198.51.100.4" || e.Device != "http Mozilla/5.0 Firefox" || e.RoomID != w.Room.RoomID {
		t.Fatalf("entry %+v", e)
	}
	// The world's share-link acts are there: creation, use, revocation.
	all, err := svc.ListAccessLog(ctx, conclavetest.Admin(t, svc), core.AccessLogQuery{RecordingID: id, ListOptions: core.ListOptions{MaxItems: 100}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range all.Items {
		seen[e.Action] = true
	}
	for _, a := range []string{core.AccessShareCreate, core.AccessShareUse, core.AccessShareRevoke, core.AccessSharePassword, core.AccessPlay, core.AccessList} {
		if !seen[a] && a != core.AccessList {
			t.Errorf("no %s entry", a)
		}
	}
	// Paging: two at a time covers the same entries.
	var paged int
	q := core.AccessLogQuery{RecordingID: id, ListOptions: core.ListOptions{MaxItems: 2}}
	for {
		p, err := svc.ListAccessLog(ctx, conclavetest.Admin(t, svc), q)
		if err != nil {
			t.Fatal(err)
		}
		paged += len(p.Items)
		if p.Next == "" {
			break
		}
		q.PageToken = p.Next
	}
	if paged != len(all.Items) {
		t.Fatalf("paged %d of %d", paged, len(all.Items))
	}
	// Owners see their rooms', others nothing.
	if _, err := svc.ListAccessLog(ctx, w.Actor(t, conclavetest.ActOtherManager).P, core.AccessLogQuery{}); core.KindOf(err) != core.KindForbidden {
		t.Fatalf("a manager owning no room read the log: %v", err)
	}
	if _, err := svc.RecordingAccessLog(ctx, w.Actor(t, conclavetest.ActMemberMod).P, id, core.AccessLogQuery{}); core.KindOf(err) != core.KindForbidden {
		t.Fatalf("a moderator read the recording's log: %v", err)
	}
	own, err := svc.ListAccessLog(ctx, w.Owner.P, core.AccessLogQuery{ListOptions: core.ListOptions{MaxItems: 100}})
	if err != nil || len(own.Items) == 0 {
		t.Fatalf("owner's view: %v, %d", err, len(own.Items))
	}
	for _, e := range own.Items {
		if e.RoomID != w.Room.RoomID && e.RoomID != w.Internal.RoomID {
			t.Fatalf("owner sees an entry of room %q", e.RoomID)
		}
	}
	for _, q := range []core.AccessLogQuery{{Since: -1}, {Until: 1 << 62}, {Since: 2000, Until: 1000}, {Actor: strings.Repeat("x", 300)}} {
		if _, err := svc.ListAccessLog(ctx, w.Owner.P, q); core.KindOf(err) != core.KindValidation {
			t.Errorf("filter %+v: %v", q, err)
		}
	}
}

// TestShareLinkUsesUnderRace: a link of five uses opened by twenty visitors at once opens
// five times.
func TestShareLinkUsesUnderRace(t *testing.T) {
	svc, store, dir, clk := accessCore(t)
	w := conclavetest.NewAccessWorld(t, svc, store, dir, clk)
	ctx := context.Background()
	five := int64(5)
	l, secret, err := svc.CreateShareLink(ctx, w.Owner.P, w.Rec.RecordingID, core.NewShareLink{MaxUses: &five})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	opened, usedUp := 0, 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.OpenShareLink(ctx, core.Anonymous(conclavetest.Meta), l.LinkID, secret, "")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				opened++
			case errCode(err) == "share_link_used_up":
				usedUp++
			default:
				t.Errorf("open: %v", err)
			}
		}()
	}
	wg.Wait()
	if opened != 5 || usedUp != 15 {
		t.Fatalf("opened %d, used up %d", opened, usedUp)
	}
}

// TestPrivateLinkEndsWithSignIn: the token a private link handed out dies with the
// sign-in it was opened through.
func TestPrivateLinkEndsWithSignIn(t *testing.T) {
	svc, store, dir, clk := accessCore(t)
	w := conclavetest.NewAccessWorld(t, svc, store, dir, clk)
	ctx := context.Background()
	a := w.Actor(t, conclavetest.ActPrivateIn)
	if _, err := svc.AuthenticateShareToken(ctx, a.ShareLinkID, a.ShareToken, conclavetest.Meta); err != nil {
		t.Fatal(err)
	}
	if err := svc.Logout(ctx, w.Actor(t, conclavetest.ActOtherManager).P); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AuthenticateShareToken(ctx, a.ShareLinkID, a.ShareToken, conclavetest.Meta); core.KindOf(err) != core.KindUnauthenticated {
		t.Fatalf("private link's token after sign-out: %v", err)
	}
}
