package db

import (
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"conclave/core"
)

// pageAll follows a listing's tokens to the end, checking the page sizes on the way.
func pageAll[T any](t *testing.T, size int, list func(token string) (core.Page[T], error)) []T {
	t.Helper()
	var all []T
	token := ""
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
		p, err := list(token)
		if err != nil {
			t.Fatalf("page %d: %v", pages+1, err)
		}
		if len(p.Items) > size {
			t.Fatalf("page %d holds %d items, more than %d", pages+1, len(p.Items), size)
		}
		if p.Next != "" && len(p.Items) != size {
			t.Fatalf("page %d holds %d items but is not the last", pages+1, len(p.Items))
		}
		all = append(all, p.Items...)
		if p.Next == "" {
			return all
		}
		token = p.Next
	}
}

func roomIDs(rs []core.Room) []string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.RoomID
	}
	return ids
}

// seedRooms creates n rooms whose sort values repeat a lot, inserted in an order unrelated
// to their ids, so only a correct tie-break pages them right.
func seedRooms(t testing.TB, d *DB, n int) []core.Room {
	t.Helper()
	names := []string{"alpha", "Beta", "gamma", "delta", "Alpha", "beta", "epsilon"}
	var rooms []core.Room
	must(t, d.InTx(bg, func(tx core.Store) error {
		for i := range n {
			r := sampleRoom(fmt.Sprintf("room-%05d", (i*7919)%n))
			r.CreationDate = int64(i % 10)
			r.RoomName = names[i%len(names)]
			if i%3 == 0 {
				r.AutoDeletionDate = nil
			} else {
				r.AutoDeletionDate = ptr(int64(1000 + i%5))
			}
			if err := tx.CreateRoom(bg, r); err != nil {
				return err
			}
			rooms = append(rooms, *r)
		}
		return nil
	}))
	return rooms
}

func TestPaginateRooms(t *testing.T) {
	d := openTest(t)
	rooms := seedRooms(t, d, 250)
	// Expected orders, written independently of the package's key functions.
	deletion := func(r core.Room) int64 {
		if r.AutoDeletionDate == nil {
			return 1<<63 - 1 // never: after every date ascending
		}
		return *r.AutoDeletionDate
	}
	fields := map[string]func(a, b core.Room) int{
		"creationDate":     func(a, b core.Room) int { return cmp.Compare(a.CreationDate, b.CreationDate) },
		"roomName":         func(a, b core.Room) int { return strings.Compare(a.RoomName, b.RoomName) },
		"autoDeletionDate": func(a, b core.Room) int { return cmp.Compare(deletion(a), deletion(b)) },
	}
	for field, by := range fields {
		for _, desc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s desc=%v", field, desc), func(t *testing.T) {
				want := slices.Clone(rooms)
				slices.SortFunc(want, func(a, b core.Room) int {
					c := cmp.Or(by(a, b), strings.Compare(a.RoomID, b.RoomID))
					if desc {
						return -c
					}
					return c
				})
				got := pageAll(t, 100, func(token string) (core.Page[core.Room], error) {
					return d.ListRooms(bg, core.RoomQuery{ListOptions: core.ListOptions{
						MaxItems: 100, PageToken: token, SortField: field, Desc: desc}})
				})
				if !slices.Equal(roomIDs(got), roomIDs(want)) {
					t.Errorf("order differs:\ngot  %v\nwant %v", roomIDs(got), roomIDs(want))
				}
			})
		}
	}
	// No sort field: newest first.
	got := pageAll(t, 100, func(token string) (core.Page[core.Room], error) {
		return d.ListRooms(bg, core.RoomQuery{ListOptions: core.ListOptions{MaxItems: 100, PageToken: token}})
	})
	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		if a.CreationDate < b.CreationDate || a.CreationDate == b.CreationDate && a.RoomID < b.RoomID {
			t.Fatalf("default order is not creationDate desc at %d: %s then %s", i, a.RoomID, b.RoomID)
		}
	}
	if len(got) != 250 {
		t.Errorf("default listing returned %d rooms", len(got))
	}
	// A listing that fits one page has no token.
	p, err := d.ListRooms(bg, core.RoomQuery{ListOptions: core.ListOptions{MaxItems: 100}, Status: "nothing-has-this"})
	must(t, err)
	if len(p.Items) != 0 || p.Next != "" || p.Items == nil {
		t.Errorf("empty listing = %#v", p)
	}
}

func TestPaginateUsersMembersAudit(t *testing.T) {
	d := openTest(t)
	must(t, d.CreateRoom(bg, sampleRoom("r1")))
	must(t, d.CreateRoom(bg, sampleRoom("r2")))
	must(t, d.InTx(bg, func(tx core.Store) error {
		for i := range 130 {
			u := sampleUser(fmt.Sprintf("user%03d", (i*31)%130))
			u.Name = fmt.Sprintf("n%d", i%4)
			u.RegistrationDate = int64(i % 6)
			if err := tx.CreateUser(bg, u); err != nil {
				return err
			}
			m := sampleMember("r1", u.UserID)
			m.Name, m.MembershipDate = u.Name, u.RegistrationDate
			if err := tx.CreateMember(bg, m); err != nil {
				return err
			}
			if i%2 == 0 { // the other room's members must not leak into r1's listing
				m.RoomID = "r2"
				if err := tx.CreateMember(bg, m); err != nil {
					return err
				}
			}
			if err := tx.AppendAudit(bg, &core.AuditEntry{Time: int64(i % 7), Actor: u.UserID}); err != nil {
				return err
			}
		}
		return nil
	}))
	users, err := d.ListUsers(bg, core.UserQuery{ListOptions: core.ListOptions{MaxItems: 1000}})
	must(t, err)
	if len(users.Items) != 130 {
		t.Fatalf("%d users", len(users.Items))
	}
	for _, field := range []string{"name", "registrationDate"} {
		for _, desc := range []bool{false, true} {
			t.Run(fmt.Sprintf("users %s desc=%v", field, desc), func(t *testing.T) {
				got := pageAll(t, 40, func(token string) (core.Page[core.User], error) {
					return d.ListUsers(bg, core.UserQuery{ListOptions: core.ListOptions{MaxItems: 40, PageToken: token, SortField: field, Desc: desc}})
				})
				want := slices.Clone(users.Items)
				slices.SortFunc(want, func(a, b core.User) int {
					c := cmp.Compare(a.RegistrationDate, b.RegistrationDate)
					if field == "name" {
						c = strings.Compare(a.Name, b.Name)
					}
					c = cmp.Or(c, strings.Compare(a.UserID, b.UserID))
					if desc {
						return -c
					}
					return c
				})
				if !reflect.DeepEqual(got, want) {
					t.Errorf("users out of order")
				}
			})
			t.Run(fmt.Sprintf("members %s desc=%v", field, desc), func(t *testing.T) {
				mfield := map[string]string{"name": "name", "registrationDate": "membershipDate"}[field]
				got := pageAll(t, 40, func(token string) (core.Page[core.Member], error) {
					return d.ListMembers(bg, core.MemberQuery{RoomID: "r1", ListOptions: core.ListOptions{MaxItems: 40, PageToken: token, SortField: mfield, Desc: desc}})
				})
				if len(got) != 130 {
					t.Fatalf("%d members of r1, want 130", len(got))
				}
				for i := 1; i < len(got); i++ {
					a, b := got[i-1], got[i]
					c := cmp.Compare(a.MembershipDate, b.MembershipDate)
					if mfield == "name" {
						c = strings.Compare(a.Name, b.Name)
					}
					c = cmp.Or(c, strings.Compare(a.MemberID, b.MemberID))
					if desc {
						c = -c
					}
					if c >= 0 || a.RoomID != "r1" {
						t.Fatalf("members out of order at %d: %+v then %+v", i, a, b)
					}
				}
			})
		}
	}
	t.Run("members of every room", func(t *testing.T) {
		got := pageAll(t, 50, func(token string) (core.Page[core.Member], error) {
			return d.ListMembers(bg, core.MemberQuery{ListOptions: core.ListOptions{MaxItems: 50, PageToken: token, SortField: "name"}})
		})
		seen := map[string]bool{}
		for _, m := range got {
			seen[m.RoomID+"/"+m.MemberID] = true
		}
		if len(got) != 195 || len(seen) != 195 {
			t.Errorf("%d members (%d distinct), want 195", len(got), len(seen))
		}
	})
	for _, desc := range []bool{true, false} {
		t.Run(fmt.Sprintf("audit desc=%v", desc), func(t *testing.T) {
			opts := core.ListOptions{MaxItems: 30}
			if !desc {
				opts.SortField = "time"
			}
			got := pageAll(t, 30, func(token string) (core.Page[core.AuditEntry], error) {
				o := opts
				o.PageToken = token
				return d.ListAudit(bg, core.AuditQuery{ListOptions: o})
			})
			if len(got) != 130 {
				t.Fatalf("%d entries", len(got))
			}
			for i := 1; i < len(got); i++ {
				a, b := got[i-1], got[i]
				c := cmp.Or(cmp.Compare(a.Time, b.Time), cmp.Compare(a.ID, b.ID))
				if desc {
					c = -c
				}
				if c >= 0 {
					t.Fatalf("audit out of order at %d: %+v then %+v", i, a, b)
				}
			}
		})
	}
}

func TestBadCursor(t *testing.T) {
	d := openTest(t)
	seedRooms(t, d, 5)
	byName, err := d.ListRooms(bg, core.RoomQuery{ListOptions: core.ListOptions{MaxItems: 2, SortField: "roomName"}})
	must(t, err)
	byDate, err := d.ListRooms(bg, core.RoomQuery{ListOptions: core.ListOptions{MaxItems: 2}})
	must(t, err)
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		name  string
		token string
		opts  core.ListOptions
	}{
		{"not base64", "!!!not a token", core.ListOptions{}},
		{"not json", b64("hello"), core.ListOptions{}},
		{"unknown members", b64(`{"l":"rooms","f":"creationDate","d":true,"k":[1,"x"],"admin":true}`), core.ListOptions{}},
		{"trailing data", b64(`{"l":"rooms","f":"creationDate","d":true,"k":[1,"x"]}{}`), core.ListOptions{}},
		{"other field", byName.Next, core.ListOptions{SortField: "creationDate"}},
		{"other direction", byDate.Next, core.ListOptions{SortField: "creationDate", Desc: false}},
		{"string for a number", b64(`{"l":"rooms","f":"creationDate","d":true,"k":["1","x"]}`), core.ListOptions{}},
		{"number for a string", b64(`{"l":"rooms","f":"creationDate","d":true,"k":[1,2]}`), core.ListOptions{}},
		{"fraction", b64(`{"l":"rooms","f":"creationDate","d":true,"k":[1.5,"x"]}`), core.ListOptions{}},
		{"short key", b64(`{"l":"rooms","f":"creationDate","d":true,"k":[1]}`), core.ListOptions{}},
		{"null key", b64(`{"l":"rooms","f":"creationDate","d":true,"k":[null,"x"]}`), core.ListOptions{}},
		{"sql in key", b64(`{"l":"rooms","f":"creationDate","d":true,"k":["1); DROP TABLE rooms;--","x"]}`), core.ListOptions{}},
	}
	if byName.Next == "" || byDate.Next == "" {
		t.Fatal("no token to test with")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.PageToken, c.opts.MaxItems = c.token, 2
			_, err := d.ListRooms(bg, core.RoomQuery{ListOptions: c.opts})
			if !errors.Is(err, core.ErrBadCursor) {
				t.Errorf("ListRooms = %v, want ErrBadCursor", err)
			}
		})
	}
	// A token does not page another listing, even one with the same sort field and key shape.
	must(t, d.CreateUser(bg, sampleUser("alice")))
	must(t, d.CreateUser(bg, sampleUser("bobby")))
	must(t, d.CreateMember(bg, sampleMember("room-00001", "alice")))
	must(t, d.CreateMember(bg, sampleMember("room-00001", "bobby")))
	usersByName, err := d.ListUsers(bg, core.UserQuery{ListOptions: core.ListOptions{MaxItems: 1, SortField: "name"}})
	must(t, err)
	if usersByName.Next == "" {
		t.Fatal("no users token")
	}
	_, err = d.ListMembers(bg, core.MemberQuery{RoomID: "room-00001", ListOptions: core.ListOptions{SortField: "name", PageToken: usersByName.Next}})
	if !errors.Is(err, core.ErrBadCursor) {
		t.Errorf("users token on members = %v, want ErrBadCursor", err)
	}
	// A well-formed token holding SQL is just an odd position.
	sqlKey := b64(`{"l":"rooms","f":"roomName","d":false,"k":["'); DROP TABLE rooms; --","x"]}`)
	p, err := d.ListRooms(bg, core.RoomQuery{ListOptions: core.ListOptions{SortField: "roomName", PageToken: sqlKey}})
	if err != nil || len(p.Items) != 5 {
		t.Errorf("token holding SQL: %d rooms, %v; want all 5 (every name sorts after it)", len(p.Items), err)
	}
	// A room token does not page users.
	if _, err := d.ListUsers(bg, core.UserQuery{ListOptions: core.ListOptions{PageToken: byDate.Next}}); !errors.Is(err, core.ErrBadCursor) {
		t.Errorf("room token on users = %v", err)
	}
	// And the good tokens work.
	if _, err := d.ListRooms(bg, core.RoomQuery{ListOptions: core.ListOptions{MaxItems: 2, SortField: "roomName", PageToken: byName.Next}}); err != nil {
		t.Errorf("valid token refused: %v", err)
	}
}
