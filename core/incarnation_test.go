package core_test

import (
	"context"
	"testing"

	"conclave/conclavetest"
	"conclave/core"
)

// TestRecreatedUserTokensNeedTheirIncarnation issues a room-member token to a user signed
// in by the control room (SSH), which has no session to end with it: only the user's
// generation tells the deleted user's token from one of the user created again with the
// same userId and the same token version.
func TestRecreatedUserTokensNeedTheirIncarnation(t *testing.T) {
	ctx := context.Background()
	svc, _ := conclavetest.Core(t, conclavetest.Config{})
	adm := conclavetest.Admin(t, svc)
	// Each incarnation is created and changes its password as the first sign-in requires,
	// so both end at the same token version; the principal is the one SSH builds.
	create := func() *core.Principal {
		if _, err := svc.CreateUser(ctx, adm, core.NewUser{UserID: "erin_mgr", Name: "Erin", Role: "room_manager", Password: "erin-secret-1"}); err != nil {
			t.Fatal(err)
		}
		p, err := svc.UserPrincipal(ctx, "erin_mgr", conclavetest.Meta)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ChangePassword(ctx, p, "erin-secret-1", "erin-secret-2"); err != nil {
			t.Fatal(err)
		}
		if p, err = svc.UserPrincipal(ctx, "erin_mgr", conclavetest.Meta); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := create()
	first := p.User
	name := "Erin's room"
	room, err := svc.CreateRoom(ctx, p, core.RoomOptions{RoomName: &name})
	if err != nil {
		t.Fatal(err)
	}
	tok, claims, err := svc.IssueMemberToken(ctx, p, room.RoomID, core.MemberTokenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if claims.Grant != core.GrantOwner || claims.SessionID != "" {
		t.Fatalf("grant %q, session %q: want the owner's, bound to no session", claims.Grant, claims.SessionID)
	}
	if err := svc.DeleteUser(ctx, adm, "erin_mgr"); err != nil {
		t.Fatal(err)
	}
	second := create().User
	if second.TokenVersion != first.TokenVersion || second.Generation == first.Generation || second.Generation == "" {
		t.Fatalf("versions %d/%d, generations %q/%q: want equal versions, distinct generations",
			first.TokenVersion, second.TokenVersion, first.Generation, second.Generation)
	}
	if _, err := svc.AuthenticateMemberToken(ctx, tok, conclavetest.Meta); core.KindOf(err) != core.KindUnauthenticated {
		t.Fatalf("the deleted user's owner token: %v, want refused", err)
	}
}

// TestServerHoldsNoMemberTokens: a token issued to the server itself would be bound to no
// key, so none is issued.
func TestServerHoldsNoMemberTokens(t *testing.T) {
	svc, _ := conclavetest.Core(t, conclavetest.Config{})
	room := conclavetest.Room(t, svc, "Server")
	if _, _, err := svc.IssueMemberToken(context.Background(), core.System(), room.RoomID, core.MemberTokenRequest{}); core.KindOf(err) != core.KindForbidden {
		t.Fatalf("token for the server: %v, want forbidden", err)
	}
}
