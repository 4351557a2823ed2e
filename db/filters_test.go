package db

import (
	"fmt"
	"slices"
	"testing"

	"conclave/core"
)

// roomNames are chosen so that every wrong way of matching (LIKE wildcards, quoting,
// escaping, case folding where none was asked) matches something it should not.
var roomNames = []string{
	"Alpha", "alphabet", "Beta", "100% sure", "100 percent", "a_b", "axb", "O'Brien", "OBrien",
	`say "hi"`, "x;-- drop", "x drop", `back\slash`, "backslash", "back_slash",
}

func seedNamedRooms(t *testing.T, d *DB) {
	t.Helper()
	for i, n := range roomNames {
		r := sampleRoom(fmt.Sprintf("room-%02d", i))
		r.RoomName = n
		must(t, d.CreateRoom(bg, r))
	}
}

func TestRoomNameFilters(t *testing.T) {
	d := openTest(t)
	seedNamedRooms(t, d)
	f := func(mode core.MatchMode, v string, ci bool) core.TextFilter {
		return core.TextFilter{Value: v, Mode: mode, CaseInsensitive: ci}
	}
	cases := []struct {
		filter core.TextFilter
		want   []string
	}{
		{f(core.MatchExact, "Alpha", false), []string{"Alpha"}},
		{f(core.MatchExact, "alpha", false), nil},
		{f(core.MatchExact, "ALPHA", true), []string{"Alpha"}},
		{f(core.MatchPrefix, "alpha", false), []string{"alphabet"}},
		{f(core.MatchPrefix, "ALPHA", true), []string{"Alpha", "alphabet"}},
		{f(core.MatchPrefix, "Alphabet", false), nil},
		{f(core.MatchPartial, "ph", false), []string{"Alpha", "alphabet"}},
		{f(core.MatchPartial, "PH", false), nil},
		{f(core.MatchPartial, "PH", true), []string{"Alpha", "alphabet"}},
		{f(core.MatchPartial, "bet", false), []string{"alphabet"}},
		{f(core.MatchPartial, "BET", true), []string{"Beta", "alphabet"}},
		{f(core.MatchRegex, "^[ab]", false), []string{"a_b", "alphabet", "axb", "back_slash", `back\slash`, "backslash"}},
		{f(core.MatchRegex, "^[ab]", true), []string{"Alpha", "Beta", "a_b", "alphabet", "axb", "back_slash", `back\slash`, "backslash"}},
		{f(core.MatchRegex, `^\d+% `, false), []string{"100% sure"}},
		{f(core.MatchRegex, "", false), roomNames}, // empty value: no filter
		// SQL and LIKE metacharacters are plain characters.
		{f(core.MatchPartial, "%", false), []string{"100% sure"}},
		{f(core.MatchPartial, "%", true), []string{"100% sure"}},
		{f(core.MatchPrefix, "100%", false), []string{"100% sure"}},
		{f(core.MatchPrefix, "100%", true), []string{"100% sure"}},
		{f(core.MatchExact, "a_b", false), []string{"a_b"}},
		{f(core.MatchExact, "A_B", true), []string{"a_b"}},
		{f(core.MatchPartial, "_", false), []string{"a_b", "back_slash"}},
		{f(core.MatchPrefix, "a_", true), []string{"a_b"}},
		{f(core.MatchPartial, "'", false), []string{"O'Brien"}},
		{f(core.MatchExact, "O'Brien", false), []string{"O'Brien"}},
		{f(core.MatchExact, "o'brien", true), []string{"O'Brien"}},
		{f(core.MatchPartial, `"hi"`, false), []string{`say "hi"`}},
		{f(core.MatchExact, `say "hi"`, true), []string{`say "hi"`}},
		{f(core.MatchPartial, ";--", false), []string{"x;-- drop"}},
		{f(core.MatchPrefix, "x;--", true), []string{"x;-- drop"}},
		{f(core.MatchExact, "x;-- drop", false), []string{"x;-- drop"}},
		{f(core.MatchPartial, `\`, false), []string{`back\slash`}},
		{f(core.MatchPartial, `\S`, true), []string{`back\slash`}},
		{f(core.MatchPrefix, `back\`, false), []string{`back\slash`}},
		{f(core.MatchExact, `back\slash`, false), []string{`back\slash`}},
		{f(core.MatchPartial, "'; DROP TABLE rooms; --", false), nil},
		{f(core.MatchExact, `\%_'"`, true), nil},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %q ci=%v", c.filter.Mode, c.filter.Value, c.filter.CaseInsensitive), func(t *testing.T) {
			p, err := d.ListRooms(bg, core.RoomQuery{RoomName: c.filter, ListOptions: core.ListOptions{MaxItems: 100}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range p.Items {
				got = append(got, r.RoomName)
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(c.want))
			if !slices.Equal(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
	// The table survived every attempt above.
	if p, err := d.ListRooms(bg, core.RoomQuery{ListOptions: core.ListOptions{MaxItems: 100}}); err != nil || len(p.Items) != len(roomNames) {
		t.Errorf("after the filters: %d rooms, %v", len(p.Items), err)
	}
}

func TestUserAndMemberFilters(t *testing.T) {
	d := openTest(t)
	must(t, d.CreateRoom(bg, sampleRoom("r1")))
	people := []struct {
		id, name string
		role     core.Role
	}{
		{"alice", "Alice Smith", core.RoleAdmin},
		{"bob_1", "Bob 100%", core.RoleRoomManager},
		{"carol", "carol o'neil", core.RoleRoomMember},
		{"dave_", "Dave_Smith", core.RoleRoomMember},
	}
	for _, p := range people {
		u := sampleUser(p.id)
		u.Name, u.Role = p.name, p.role
		must(t, d.CreateUser(bg, u))
		m := sampleMember("r1", p.id)
		m.Name = p.name
		must(t, d.CreateMember(bg, m))
	}
	must(t, d.CreateMember(bg, &core.Member{RoomID: "r1", MemberID: "ext-1", Type: core.MemberTypeGuest, Name: "Eve Smith", BaseRole: core.BaseRoleModerator}))

	userCases := []struct {
		q    core.UserQuery
		want []string
	}{
		{core.UserQuery{}, []string{"alice", "bob_1", "carol", "dave_"}},
		{core.UserQuery{UserID: "carol"}, []string{"carol"}},
		{core.UserQuery{UserID: "car"}, nil},
		{core.UserQuery{Role: core.RoleRoomMember}, []string{"carol", "dave_"}},
		{core.UserQuery{Name: core.TextFilter{Value: "smith", Mode: core.MatchPartial, CaseInsensitive: true}}, []string{"alice", "dave_"}},
		{core.UserQuery{Name: core.TextFilter{Value: "smith", Mode: core.MatchPartial}}, nil},
		{core.UserQuery{Name: core.TextFilter{Value: "_", Mode: core.MatchPartial}}, []string{"dave_"}},
		{core.UserQuery{Name: core.TextFilter{Value: "%", Mode: core.MatchPartial}}, []string{"bob_1"}},
		{core.UserQuery{Name: core.TextFilter{Value: "CAROL O'", Mode: core.MatchPrefix, CaseInsensitive: true}}, []string{"carol"}},
		{core.UserQuery{Name: core.TextFilter{Value: "Smith$", Mode: core.MatchRegex}, Role: core.RoleRoomMember}, []string{"dave_"}},
	}
	for i, c := range userCases {
		p, err := d.ListUsers(bg, c.q)
		must(t, err)
		var got []string
		for _, u := range p.Items {
			got = append(got, u.UserID)
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("user case %d: got %v, want %v", i, got, c.want)
		}
	}

	memberCases := []struct {
		q    core.MemberQuery
		want []string
	}{
		{core.MemberQuery{RoomID: "r1"}, []string{"alice", "bob_1", "carol", "dave_", "ext-1"}},
		{core.MemberQuery{RoomID: "other"}, nil},
		{core.MemberQuery{RoomID: "r1", Type: core.MemberTypeGuest}, []string{"ext-1"}},
		{core.MemberQuery{RoomID: "r1", BaseRole: core.BaseRoleModerator}, []string{"ext-1"}},
		{core.MemberQuery{RoomID: "r1", BaseRole: core.BaseRoleSpeaker}, []string{"alice", "bob_1", "carol", "dave_"}},
		{core.MemberQuery{RoomID: "r1", Type: core.MemberTypeUser, Name: core.TextFilter{Value: "SMITH", Mode: core.MatchPartial, CaseInsensitive: true}}, []string{"alice", "dave_"}},
		{core.MemberQuery{RoomID: "r1", Name: core.TextFilter{Value: "Eve Smith", Mode: core.MatchExact}}, []string{"ext-1"}},
		{core.MemberQuery{RoomID: "r1", Name: core.TextFilter{Value: "^[a-c]", Mode: core.MatchRegex, CaseInsensitive: true}}, []string{"alice", "bob_1", "carol"}},
	}
	for i, c := range memberCases {
		p, err := d.ListMembers(bg, c.q)
		must(t, err)
		var got []string
		for _, m := range p.Items {
			got = append(got, m.MemberID)
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("member case %d: got %v, want %v", i, got, c.want)
		}
	}
}

func TestRoomVisibilityFilters(t *testing.T) {
	d := openTest(t)
	add := func(id, owner, status string, userAccess bool, members ...string) {
		r := sampleRoom(id)
		r.Owner, r.Status, r.Access.UserEnabled = owner, status, userAccess
		must(t, d.CreateRoom(bg, r))
		for _, m := range members {
			must(t, d.CreateMember(bg, sampleMember(id, m)))
		}
	}
	add("owned", "alice", core.StatusOpen, false)
	add("member", "bob", core.StatusClosed, false, "alice", "carol")
	add("open", "bob", core.StatusOpen, true, "carol")
	add("other", "bob", core.StatusOpen, false, "carol")
	// A guest whose display name is alice's id is not alice.
	add("guest", "bob", core.StatusOpen, false)
	must(t, d.CreateMember(bg, &core.Member{RoomID: "guest", MemberID: "ext-alice", Type: core.MemberTypeGuest, Name: "alice"}))

	cases := []struct {
		name string
		q    core.RoomQuery
		want []string
	}{
		{"visible", core.RoomQuery{VisibleTo: "alice"}, []string{"member", "owned"}},
		{"visible with user access", core.RoomQuery{VisibleTo: "alice", IncludeUserAccess: true}, []string{"member", "open", "owned"}},
		{"visible to a stranger", core.RoomQuery{VisibleTo: "zed"}, nil},
		{"visible to a stranger with user access", core.RoomQuery{VisibleTo: "zed", IncludeUserAccess: true}, []string{"open"}},
		{"member", core.RoomQuery{Member: "alice"}, []string{"member"}},
		{"member carol", core.RoomQuery{Member: "carol"}, []string{"member", "open", "other"}},
		{"member and visible", core.RoomQuery{Member: "carol", VisibleTo: "alice"}, []string{"member"}},
		{"owner", core.RoomQuery{Owner: "bob"}, []string{"guest", "member", "open", "other"}},
		{"status", core.RoomQuery{Status: core.StatusClosed}, []string{"member"}},
		{"visible and open", core.RoomQuery{VisibleTo: "alice", Status: core.StatusOpen}, []string{"owned"}},
		{"user access on", core.RoomQuery{UserAccess: ptr(true)}, []string{"open"}},
		{"user access off", core.RoomQuery{UserAccess: ptr(false)}, []string{"guest", "member", "other", "owned"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := d.ListRooms(bg, c.q)
			must(t, err)
			got := roomIDs(p.Items)
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestAuditFilters(t *testing.T) {
	d := openTest(t)
	entries := []core.AuditEntry{
		{Time: 10, Actor: "admin", Action: "room.create", Target: "r1"},
		{Time: 20, Actor: "alice", Action: "room.delete", Target: "r1"},
		{Time: 30, Actor: "admin", Action: "roomx.odd", Target: "r2"},
		{Time: 40, Actor: "admin", Action: "user.create", Target: "alice"},
		{Time: 50, Actor: "alice", Action: "recording.download", Target: "rec1"},
		{Time: 20, Actor: "bob", Action: "room%.weird", Target: "r%"},
	}
	for i := range entries {
		must(t, d.AppendAudit(bg, &entries[i]))
	}
	cases := []struct {
		name string
		q    core.AuditQuery
		want []int64 // times, newest first
	}{
		{"all", core.AuditQuery{}, []int64{50, 40, 30, 20, 20, 10}},
		{"actor", core.AuditQuery{Actor: "alice"}, []int64{50, 20}},
		{"action prefix", core.AuditQuery{Action: "room."}, []int64{20, 10}},
		{"action prefix without dot", core.AuditQuery{Action: "room"}, []int64{30, 20, 20, 10}},
		{"action percent is literal", core.AuditQuery{Action: "room%"}, []int64{20}},
		{"action exact", core.AuditQuery{Action: "user.create"}, []int64{40}},
		{"target", core.AuditQuery{Target: "r1"}, []int64{20, 10}},
		{"since inclusive", core.AuditQuery{Since: 40}, []int64{50, 40}},
		{"until exclusive", core.AuditQuery{Until: 20}, []int64{10}},
		{"window", core.AuditQuery{Since: 20, Until: 40}, []int64{30, 20, 20}},
		{"combined", core.AuditQuery{Actor: "admin", Action: "room", Since: 15}, []int64{30}},
		{"ascending", core.AuditQuery{ListOptions: core.ListOptions{SortField: "time"}, Actor: "admin"}, []int64{10, 30, 40}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := d.ListAudit(bg, c.q)
			must(t, err)
			var got []int64
			for _, e := range p.Items {
				got = append(got, e.Time)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}
