package db

import (
	"fmt"
	"testing"

	"conclave/core"
)

const benchRooms = 10_000

func benchDB(b *testing.B) *DB {
	b.Helper()
	d := openTest(b)
	seedRooms(b, d, benchRooms)
	return d
}

func BenchmarkGetRoom(b *testing.B) {
	d := benchDB(b)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := d.GetRoom(bg, fmt.Sprintf("room-%05d", i%benchRooms)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkListRooms100(b *testing.B) {
	d := benchDB(b)
	for _, sort := range []string{"creationDate", "roomName", "autoDeletionDate"} {
		b.Run(sort, func(b *testing.B) {
			token := ""
			for b.Loop() {
				p, err := d.ListRooms(bg, core.RoomQuery{ListOptions: core.ListOptions{MaxItems: 100, PageToken: token, SortField: sort, Desc: true}})
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Items) == 0 {
					b.Fatal("empty page")
				}
				token = p.Next // walk through the listing, wrapping around at its end
			}
		})
	}
	b.Run("visibleTo", func(b *testing.B) {
		for b.Loop() {
			if _, err := d.ListRooms(bg, core.RoomQuery{ListOptions: core.ListOptions{MaxItems: 100}, VisibleTo: "alice", IncludeUserAccess: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkParallelGetRoom(b *testing.B) {
	d := benchDB(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := d.GetRoom(bg, fmt.Sprintf("room-%05d", i%benchRooms)); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}
