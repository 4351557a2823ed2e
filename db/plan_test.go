package db

import (
	"fmt"
	"strings"
	"testing"

	"conclave/core"
)

// queryPlan returns SQLite's plan for the first page of a listing, and for a later page
// when token is set.
func queryPlan(t *testing.T, d *DB, sel string, w where, o ordering, opts core.ListOptions) string {
	t.Helper()
	query, args, _, err := pageQuery(sel, w, o, opts)
	must(t, err)
	rows, err := d.reader.Query("EXPLAIN QUERY PLAN "+query, args...)
	must(t, err)
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		must(t, rows.Scan(&id, &parent, &unused, &detail))
		lines = append(lines, detail)
	}
	must(t, rows.Err())
	return strings.Join(lines, "\n")
}

// TestListingsUseIndexes checks that every listing's sort is served by an index: no full
// table scan and no sorting in a temporary B-tree, on the first page and on later ones.
func TestListingsUseIndexes(t *testing.T) {
	d := openTest(t)
	seedRooms(t, d, 20)
	must(t, d.CreateMember(bg, sampleMember("room-00001", "alice")))
	must(t, d.CreateUser(bg, sampleUser("alice")))
	must(t, d.AppendAudit(bg, &core.AuditEntry{Time: 1, Actor: "alice"}))
	must(t, d.AppendAudit(bg, &core.AuditEntry{Time: 2, Actor: "alice"}))

	type listing struct {
		name  string
		build func(opts core.ListOptions) (string, where, ordering)
		sorts []string
		index map[string]string // sort field → index that must serve it
	}
	rooms := func(q core.RoomQuery) func(core.ListOptions) (string, where, ordering) {
		return func(opts core.ListOptions) (string, where, ordering) {
			q.ListOptions = opts
			sel, w, o, _, err := roomsQuery(q)
			must(t, err)
			return sel, w, o
		}
	}
	roomIndexes := map[string]string{"": "rooms_creation_date", "creationDate": "rooms_creation_date",
		"roomName": "rooms_room_name", "autoDeletionDate": "rooms_auto_deletion_date"}
	listings := []listing{
		{"rooms", rooms(core.RoomQuery{}), []string{"", "creationDate", "roomName", "autoDeletionDate"}, roomIndexes},
		{"rooms visible to", rooms(core.RoomQuery{VisibleTo: "alice", IncludeUserAccess: true}), []string{"", "roomName"}, roomIndexes},
		{"rooms by status", rooms(core.RoomQuery{Status: core.StatusOpen}), []string{""}, map[string]string{"": "rooms_status"}},
		{"rooms by owner", rooms(core.RoomQuery{Owner: "admin"}), []string{"", "creationDate"},
			map[string]string{"": "rooms_owner", "creationDate": "rooms_owner"}},
		{"users", func(opts core.ListOptions) (string, where, ordering) {
			sel, w, o, _, err := usersQuery(core.UserQuery{ListOptions: opts})
			must(t, err)
			return sel, w, o
		}, []string{"", "registrationDate", "name"}, map[string]string{"": "users_registration_date",
			"registrationDate": "users_registration_date", "name": "users_name"}},
		{"members", func(opts core.ListOptions) (string, where, ordering) {
			sel, w, o, _, err := membersQuery(core.MemberQuery{RoomID: "room-00001", ListOptions: opts})
			must(t, err)
			return sel, w, o
		}, []string{"", "membershipDate", "name"}, map[string]string{"": "members_membership_date",
			"membershipDate": "members_membership_date", "name": "members_name"}},
		{"audit", func(opts core.ListOptions) (string, where, ordering) {
			sel, w, o, _, err := auditQuery(core.AuditQuery{ListOptions: opts})
			must(t, err)
			return sel, w, o
		}, []string{"", "time"}, map[string]string{"": "audit_time", "time": "audit_time"}},
	}
	for _, l := range listings {
		for _, sort := range l.sorts {
			for _, desc := range []bool{false, true} {
				for _, later := range []bool{false, true} {
					name := fmt.Sprintf("%s sort=%q desc=%v later=%v", l.name, sort, desc, later)
					t.Run(name, func(t *testing.T) {
						opts := core.ListOptions{MaxItems: 1, SortField: sort, Desc: desc}
						sel, w, o := l.build(opts)
						if later {
							// A real token, from a real first page.
							opts.PageToken = firstToken(t, d, l.name, opts)
							if opts.PageToken == "" {
								t.Skip("one page only")
							}
						}
						plan := queryPlan(t, d, sel, w, o, opts)
						for _, line := range strings.Split(plan, "\n") {
							if strings.HasPrefix(line, "SCAN") && !strings.Contains(line, "USING") {
								t.Errorf("full table scan:\n%s", plan)
							}
						}
						if strings.Contains(plan, "TEMP B-TREE") {
							t.Errorf("sorts in a temporary B-tree:\n%s", plan)
						}
						if want := l.index[sort]; !strings.Contains(plan, "INDEX "+want) {
							t.Errorf("does not use %s:\n%s", want, plan)
						}
					})
				}
			}
		}
	}
}

// TestMemberFilterStartsFromMemberships checks that "rooms user X is a member of" looks up
// the user's memberships rather than probing every room.
func TestMemberFilterStartsFromMemberships(t *testing.T) {
	d := openTest(t)
	seedRooms(t, d, 20)
	sel, w, o, _, err := roomsQuery(core.RoomQuery{Member: "alice"})
	must(t, err)
	plan := queryPlan(t, d, sel, w, o, core.ListOptions{})
	if !strings.Contains(plan, "INDEX members_member_id") || strings.Contains(plan, "SCAN") {
		t.Errorf("member filter plan:\n%s", plan)
	}
}

// firstToken lists the first one-item page of the named listing and returns its token.
func firstToken(t *testing.T, d *DB, listing string, opts core.ListOptions) string {
	t.Helper()
	var next string
	var err error
	switch listing {
	case "rooms":
		var p core.Page[core.Room]
		p, err = d.ListRooms(bg, core.RoomQuery{ListOptions: opts})
		next = p.Next
	case "rooms by status":
		var p core.Page[core.Room]
		p, err = d.ListRooms(bg, core.RoomQuery{ListOptions: opts, Status: core.StatusOpen})
		next = p.Next
	case "rooms by owner":
		var p core.Page[core.Room]
		p, err = d.ListRooms(bg, core.RoomQuery{ListOptions: opts, Owner: "admin"})
		next = p.Next
	case "rooms visible to":
		var p core.Page[core.Room]
		p, err = d.ListRooms(bg, core.RoomQuery{ListOptions: opts, VisibleTo: "alice", IncludeUserAccess: true})
		next = p.Next
	case "users":
		var p core.Page[core.User]
		p, err = d.ListUsers(bg, core.UserQuery{ListOptions: opts})
		next = p.Next
	case "members":
		var p core.Page[core.Member]
		p, err = d.ListMembers(bg, core.MemberQuery{RoomID: "room-00001", ListOptions: opts})
		next = p.Next
	case "audit":
		var p core.Page[core.AuditEntry]
		p, err = d.ListAudit(bg, core.AuditQuery{ListOptions: opts})
		next = p.Next
	}
	must(t, err)
	return next
}
