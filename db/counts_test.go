package db

import (
	"fmt"
	"testing"

	"conclave/core"
)

// seedMembers gives room i of seedRooms i%5 members.
func seedMembers(t testing.TB, d *DB, n int) {
	t.Helper()
	must(t, d.InTx(bg, func(tx core.Store) error {
		for i := range n {
			for j := range i % 5 {
				if err := tx.CreateMember(bg, sampleMember(fmt.Sprintf("room-%05d", i), fmt.Sprintf("user%d", j))); err != nil {
					return err
				}
			}
		}
		return nil
	}))
}

func TestCountMembers(t *testing.T) {
	d := openTest(t)
	seedRooms(t, d, 20)
	seedMembers(t, d, 20)
	ids := []string{"room-00000", "room-00003", "room-00014", "room-00019", "no-such-room"}
	got, err := d.CountMembers(bg, ids)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"room-00003": 3, "room-00014": 4, "room-00019": 4}
	if len(got) != len(want) {
		t.Fatalf("counts %v, want %v", got, want)
	}
	for id, n := range want {
		if got[id] != n {
			t.Errorf("%s: %d members, want %d", id, got[id], n)
		}
	}
	if _, err := d.CountMembers(bg, make([]string, 1001)); err == nil {
		t.Error("1001 rooms at once accepted")
	}
}

// BenchmarkCountMembers100 counts the members of a page of 100 rooms among 10,000 (the
// Rooms tab does it once per page it loads).
func BenchmarkCountMembers100(b *testing.B) {
	d := benchDB(b)
	seedMembers(b, d, benchRooms)
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = fmt.Sprintf("room-%05d", i*97)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := d.CountMembers(bg, ids); err != nil {
			b.Fatal(err)
		}
	}
}
