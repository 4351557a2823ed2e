package db

import (
	"errors"
	"slices"
	"testing"

	"conclave/core"
)

func TestDeleteUserMemberships(t *testing.T) {
	d := openTest(t)
	for _, id := range []string{"r1", "r2", "r3"} {
		must(t, d.CreateRoom(bg, sampleRoom(id)))
	}
	must(t, d.CreateMember(bg, sampleMember("r2", "alice")))
	must(t, d.CreateMember(bg, sampleMember("r1", "alice")))
	must(t, d.CreateMember(bg, sampleMember("r1", "bobby")))
	must(t, d.CreateMember(bg, &core.Member{RoomID: "r3", MemberID: "ext-alice", Type: core.MemberTypeGuest, Name: "alice"}))

	rooms, err := d.DeleteUserMemberships(bg, "alice")
	must(t, err)
	if !slices.Equal(rooms, []string{"r1", "r2"}) {
		t.Errorf("rooms = %v, want [r1 r2]", rooms)
	}
	for _, k := range [][2]string{{"r1", "alice"}, {"r2", "alice"}} {
		if _, err := d.GetMember(bg, k[0], k[1]); !errors.Is(err, core.ErrNoRows) {
			t.Errorf("membership %v survived: %v", k, err)
		}
	}
	for _, k := range [][2]string{{"r1", "bobby"}, {"r3", "ext-alice"}} {
		if _, err := d.GetMember(bg, k[0], k[1]); err != nil {
			t.Errorf("membership %v was removed too: %v", k, err)
		}
	}
	rooms, err = d.DeleteUserMemberships(bg, "alice")
	if err != nil || len(rooms) != 0 {
		t.Errorf("second call = %v, %v; want nothing", rooms, err)
	}
}

func TestTransferRooms(t *testing.T) {
	d := openTest(t)
	for id, owner := range map[string]string{"a1": "alice", "a2": "alice", "a3": "alice", "b1": "bobby"} {
		r := sampleRoom(id)
		r.Owner = owner
		must(t, d.CreateRoom(bg, r))
	}
	n, err := d.TransferRooms(bg, "alice", core.RootAdminID)
	if err != nil || n != 3 {
		t.Fatalf("TransferRooms = %d, %v; want 3", n, err)
	}
	owned := func(owner string) []string {
		p, err := d.ListRooms(bg, core.RoomQuery{Owner: owner})
		must(t, err)
		ids := roomIDs(p.Items)
		slices.Sort(ids)
		return ids
	}
	if got := owned(core.RootAdminID); !slices.Equal(got, []string{"a1", "a2", "a3"}) {
		t.Errorf("admin owns %v", got)
	}
	if got := owned("alice"); len(got) != 0 {
		t.Errorf("alice still owns %v", got)
	}
	if got := owned("bobby"); !slices.Equal(got, []string{"b1"}) {
		t.Errorf("bobby owns %v", got)
	}
	if n, err := d.TransferRooms(bg, "alice", core.RootAdminID); err != nil || n != 0 {
		t.Errorf("second transfer = %d, %v", n, err)
	}
}

func TestRoomsDueForDeletion(t *testing.T) {
	d := openTest(t)
	for id, when := range map[string]*int64{"d300": ptr(int64(300)), "d100": ptr(int64(100)), "d200": ptr(int64(200)), "never": nil, "d200b": ptr(int64(200))} {
		r := sampleRoom(id)
		r.AutoDeletionDate = when
		must(t, d.CreateRoom(bg, r))
	}
	cases := []struct {
		now   int64
		limit int
		want  []string
	}{
		{50, 10, nil},
		{100, 10, []string{"d100"}},
		{200, 10, []string{"d100", "d200", "d200b"}},
		{200, 2, []string{"d100", "d200"}},
		{1 << 40, 0, []string{"d100", "d200", "d200b", "d300"}},
	}
	for _, c := range cases {
		rooms, err := d.RoomsDueForDeletion(bg, c.now, c.limit)
		must(t, err)
		if got := roomIDs(rooms); !slices.Equal(got, c.want) {
			t.Errorf("due at %d (limit %d) = %v, want %v", c.now, c.limit, got, c.want)
		}
	}
}
