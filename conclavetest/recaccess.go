package conclavetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"conclave/core"
	"conclave/db"
)

// AccessActor is one caller of the recording access table, with its credentials both as
// core sees them (P) and as HTTP clients present them.
type AccessActor struct {
	Name string
	// P is the principal; nil for a share link that did not open (OpenErr says why).
	P *core.Principal
	// Rec is the recording the actor is judged on.
	Rec *core.Recording
	// HTTP credentials: at most one is set.
	Bearer, MemberToken, APIKey string
	// ShareLinkID and ShareToken are set for share-link actors that opened their link.
	ShareLinkID, ShareToken string
	// OpenErr is the refusal of a link that does not open; OpenAs opens it again.
	OpenErr error
	OpenAs  *core.Principal
	Secret  string
	Pass    string
}

// AccessWorld is the world of the recording access table: rooms, users, members, links
// and recordings, each actor of the table made by the means a real client uses.
type AccessWorld struct {
	Svc      *core.Service
	Store    *db.DB
	RecDir   string
	Room     *core.Room // the room of most actors, with default roles
	Internal *core.Room // a room whose recordings are for internal members only
	Rec      *core.Recording
	IntRec   *core.Recording
	Owner    *AccessActor
	Actors   []*AccessActor
	// Links holds the share links by actor name, with their secrets.
	Links map[string]AccessLink
}

// AccessLink is a share link of the world and its secret.
type AccessLink struct {
	ID, Secret string
}

// Actor returns the actor named name.
func (w *AccessWorld) Actor(t testing.TB, name string) *AccessActor {
	t.Helper()
	for _, a := range w.Actors {
		if a.Name == name {
			return a
		}
	}
	t.Fatalf("no actor %q", name)
	return nil
}

// Access table actors, in table order.
const (
	ActAdmin          = "admin"
	ActOwner          = "owner"
	ActOtherManager   = "other room_manager"
	ActMemberMod      = "member moderator"
	ActMemberSpk      = "member speaker"
	ActRemoved        = "removed member"
	ActExternal       = "external member, internal only"
	ActInternalMember = "internal member, internal only"
	ActAnonMod        = "anonymous moderator"
	ActAnonSpk        = "anonymous speaker"
	ActAnonRec        = "anonymous recording link"
	ActPublicLink     = "public link"
	ActPrivateIn      = "private link, signed in"
	ActPrivateOut     = "private link, not signed in"
	ActExpired        = "expired link"
	ActUsedUp         = "used-up link"
	ActWrongPassword  = "wrong password"
	ActRightPassword  = "right password"
	ActRevoked        = "revoked link"
	ActAPIKey         = "API key"
)

// SharePassword is the password of the world's password-protected link.
const SharePassword = "open sesame"

// NewAccessWorld builds the access table's world on svc (whose recorder must be a
// FileRecorder over recDir, and whose clock clk is, so that the expiring link expires).
func NewAccessWorld(t testing.TB, svc *core.Service, store *db.DB, recDir string, clk *Clock) *AccessWorld {
	t.Helper()
	ctx := context.Background()
	w := &AccessWorld{Svc: svc, Store: store, RecDir: recDir, Links: map[string]AccessLink{}}
	must := func(err error, what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	user := func(name, id, role string) *AccessActor {
		p, tok := userWithToken(t, svc, id, role)
		return &AccessActor{Name: name, P: p, Bearer: tok}
	}
	admin := Admin(t, svc)
	res, err := svc.Login(ctx, core.RootAdminID, "admin", Meta)
	must(err, "admin login")
	adminActor := &AccessActor{Name: ActAdmin, P: admin, Bearer: res.AccessToken}
	owner := user(ActOwner, "owner1", "room_manager")
	other := user(ActOtherManager, "manager2", "room_manager")
	mod := user(ActMemberMod, "moduser", "room_member")
	spk := user(ActMemberSpk, "spkuser", "room_member")
	gone := user(ActRemoved, "goneuser", "room_member")
	intMember := user(ActInternalMember, "intuser", "room_member")
	w.Owner = owner

	name, iname := "Board", "Internal"
	w.Room, err = svc.CreateRoom(ctx, owner.P, core.RoomOptions{RoomName: &name})
	must(err, "create room")
	on := true
	w.Internal, err = svc.CreateRoom(ctx, owner.P, core.RoomOptions{RoomName: &iname, Config: &core.ConfigPatch{RecordingInternalOnly: &on}})
	must(err, "create internal room")
	add := func(room *core.Room, in core.NewMember) *core.Member {
		m, _, err := svc.AddMember(ctx, owner.P, room.RoomID, in)
		must(err, "add member")
		return m
	}
	add(w.Room, core.NewMember{UserID: "moduser", BaseRole: core.BaseRoleModerator})
	add(w.Room, core.NewMember{UserID: "spkuser", BaseRole: core.BaseRoleSpeaker})
	add(w.Room, core.NewMember{UserID: "goneuser", BaseRole: core.BaseRoleSpeaker})
	add(w.Internal, core.NewMember{UserID: "intuser", BaseRole: core.BaseRoleSpeaker})
	ext := add(w.Internal, core.NewMember{Name: "Guest", BaseRole: core.BaseRoleModerator})
	// Removed after joining: it must have lost its rights at once.
	must(svc.DeleteMember(ctx, owner.P, w.Room.RoomID, "goneuser"), "remove member")

	now := clk.Now().UnixMilli()
	w.Rec = FakeRecording(t, store, recDir, w.Room, "rec1", now-3_600_000,
		FakeFile{"main.webm", []byte("main file of the board meeting")}, FakeFile{"alice.webm", []byte("alice's camera")})
	w.IntRec = FakeRecording(t, store, recDir, w.Internal, "rec2", now-3_600_000, FakeFile{"main.webm", []byte("internal meeting")})

	memberActor := func(name string, room *core.Room, secret string) *AccessActor {
		tok, _, err := svc.IssueMemberToken(ctx, core.Anonymous(Meta), room.RoomID, core.MemberTokenRequest{Secret: secret})
		must(err, "member token for "+name)
		return &AccessActor{Name: name, P: Member(t, svc, tok), MemberToken: tok}
	}
	r := w.Room
	anonMod := memberActor(ActAnonMod, r, r.Access.Moderator.Secret)
	anonSpk := memberActor(ActAnonSpk, r, r.Access.Speaker.Secret)
	anonRec := memberActor(ActAnonRec, r, r.Access.Recording.Secret)
	extActor := memberActor(ActExternal, w.Internal, ext.MemberID)

	key, err := svc.CreateAPIKey(ctx, admin, "table")
	must(err, "create API key")
	kp, err := svc.AuthenticateAPIKey(ctx, key.Key, Meta)
	must(err, "API key")
	apiActor := &AccessActor{Name: ActAPIKey, P: kp, APIKey: key.Key}

	// Share links of the board recording, made by its owner.
	ptr := func(n int64) *int64 { return &n }
	pw := SharePassword
	anon := core.Anonymous(Meta)
	link := func(name string, in core.NewShareLink, opener *core.Principal, password string) *AccessActor {
		l, secret, err := svc.CreateShareLink(ctx, owner.P, w.Rec.RecordingID, in)
		must(err, "share link "+name)
		w.Links[name] = AccessLink{ID: l.LinkID, Secret: secret}
		a := &AccessActor{Name: name, ShareLinkID: l.LinkID, OpenAs: opener, Secret: secret, Pass: password}
		sh, err := svc.OpenShareLink(ctx, opener, l.LinkID, secret, password)
		if err != nil {
			a.OpenErr = err
			return a
		}
		a.ShareToken = sh.Token
		a.P, err = svc.AuthenticateShareToken(ctx, l.LinkID, sh.Token, Meta)
		must(err, "share token of "+name)
		return a
	}
	public := link(ActPublicLink, core.NewShareLink{AllowDownload: true}, anon, "")
	privIn := link(ActPrivateIn, core.NewShareLink{Access: core.ShareAccessPrivate}, other.P, "")
	privOut := link(ActPrivateOut, core.NewShareLink{Access: core.ShareAccessPrivate}, anon, "")
	expired := link(ActExpired, core.NewShareLink{ExpiresAt: ptr(now + 10*60_000)}, anon, "")
	usedUp := link(ActUsedUp, core.NewShareLink{MaxUses: ptr(1)}, anon, "")
	wrong := link(ActWrongPassword, core.NewShareLink{Password: &pw}, anon, "not the password")
	right := link(ActRightPassword, core.NewShareLink{Password: &pw}, anon, SharePassword)
	revoked := link(ActRevoked, core.NewShareLink{AllowDownload: true}, anon, "")
	must(svc.RevokeShareLink(ctx, owner.P, w.Rec.RecordingID, revoked.ShareLinkID), "revoke")
	// The used-up link was opened once above, which was all it allowed; the expiring one
	// lives ten minutes. Each is now opened again, as a new visitor would.
	clk.Advance(30 * time.Minute)
	for _, a := range []*AccessActor{expired, usedUp, revoked} {
		_, a.OpenErr = svc.OpenShareLink(ctx, anon, a.ShareLinkID, a.Secret, "")
	}
	usedUp.P, usedUp.ShareToken = nil, ""

	w.Actors = []*AccessActor{adminActor, owner, other, mod, spk, gone, extActor, intMember, anonMod, anonSpk, anonRec,
		public, privIn, privOut, expired, usedUp, wrong, right, revoked, apiActor}
	for _, a := range w.Actors {
		a.Rec = w.Rec
	}
	extActor.Rec, intMember.Rec = w.IntRec, w.IntRec
	return w
}

// userWithToken creates a user as User does and returns its principal and access token.
func userWithToken(t testing.TB, svc *core.Service, userID, role string) (*core.Principal, string) {
	t.Helper()
	User(t, svc, userID, role)
	res, err := svc.Login(context.Background(), userID, "final-"+userID+"-pw", Meta)
	if err != nil {
		t.Fatalf("sign in %s: %v", userID, err)
	}
	p, err := svc.AuthenticateAccessToken(context.Background(), res.AccessToken, Meta)
	if err != nil {
		t.Fatalf("sign in %s: %v", userID, err)
	}
	return p, res.AccessToken
}

// AccessActs are the table's columns.
var AccessActs = []string{core.RecActList, core.RecActPlay, core.RecActDownload, "zip", core.RecActDelete, core.RecActShare, core.RecActRestore}

// AccessTable is the access table of SPEC 7.3: for each actor, per act (AccessActs:
// list, play, download, zip, delete, share, restore), "+reason" when
// allowed for that reason, "-reason" when refused for it; "open:code" when the actor's
// share link does not even open (every act is then out of reach).
var AccessTable = map[string][]string{
	ActAdmin:          {"+admin", "+admin", "+admin", "+admin", "+admin", "+admin", "+admin"},
	ActOwner:          {"+owner", "+owner", "+owner", "+owner", "+owner", "+owner", "+owner"},
	ActOtherManager:   {"-noAccess", "-noAccess", "-noAccess", "-noAccess", "-noAccess", "-noAccess", "-noAccess"},
	ActMemberMod:      {"+permission", "+permission", "+permission", "+permission", "+permission", "+permission", "-ownerOnly"},
	ActMemberSpk:      {"+permission", "+permission", "-noPermission", "-noPermission", "-noPermission", "-noPermission", "-ownerOnly"},
	ActRemoved:        {"-noAccess", "-noAccess", "-noAccess", "-noAccess", "-noAccess", "-noAccess", "-noAccess"},
	ActExternal:       {"-internalOnly", "-internalOnly", "-internalOnly", "-internalOnly", "-internalOnly", "-internalOnly", "-internalOnly"},
	ActInternalMember: {"+permission", "+permission", "-noPermission", "-noPermission", "-noPermission", "-noPermission", "-ownerOnly"},
	ActAnonMod:        {"+permission", "+permission", "+permission", "+permission", "+permission", "+permission", "-ownerOnly"},
	ActAnonSpk:        {"+permission", "+permission", "-noPermission", "-noPermission", "-noPermission", "-noPermission", "-ownerOnly"},
	ActAnonRec:        {"+permission", "+permission", "-noPermission", "-noPermission", "-noPermission", "-noPermission", "-ownerOnly"},
	ActPublicLink:     {"-linkScope", "+shareLink", "+shareLink", "+shareLink", "-linkScope", "-linkScope", "-linkScope"},
	ActPrivateIn:      {"-linkScope", "+shareLink", "-linkScope", "-linkScope", "-linkScope", "-linkScope", "-linkScope"},
	ActPrivateOut:     {"open:share_link_sign_in_required"},
	ActExpired:        {"open:share_link_expired", "-linkScope", "-linkInvalid", "-linkInvalid", "-linkInvalid", "-linkScope", "-linkScope", "-linkScope"},
	ActUsedUp:         {"open:share_link_used_up"},
	ActWrongPassword:  {"open:share_password_wrong"},
	ActRightPassword:  {"-linkScope", "+shareLink", "-linkScope", "-linkScope", "-linkScope", "-linkScope", "-linkScope"},
	ActRevoked:        {"open:share_link_revoked", "-linkScope", "-linkInvalid", "-linkInvalid", "-linkInvalid", "-linkScope", "-linkScope", "-linkScope"},
	ActAPIKey:         {"+apiKey", "+apiKey", "+apiKey", "+apiKey", "+apiKey", "+apiKey", "+apiKey"},
}

// SplitCells returns the open code (if any) and the act cells of a row of AccessTable.
func SplitCells(row []string) (open string, cells []string) {
	if len(row) > 0 && strings.HasPrefix(row[0], "open:") {
		return strings.TrimPrefix(row[0], "open:"), row[1:]
	}
	return "", row
}
