package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// roomsFixture is n rooms as ListRooms would return them.
func roomsFixture(n int) []core.Room {
	rooms := make([]core.Room, n)
	base := time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC).UnixMilli()
	for i := range rooms {
		name := fmt.Sprintf("Room %05d %s", i, []string{"standup", "review", "retro", "all hands"}[i%4])
		rooms[i] = core.Room{
			RoomID: core.NewRoomID(name), RoomName: name, Owner: []string{"admin", "alice_m", "bob_m"}[i%3],
			CreationDate: base + int64(i)*60000, Status: core.StatusOpen,
		}
	}
	return rooms
}

// loadRooms feeds the Rooms page its data directly, as its load command would.
func loadRooms(a *app, rooms []core.Room) {
	pg := a.pages[tabRooms].(*roomsPage)
	rows := make([]roomRow, len(rooms))
	for i, r := range rooms {
		rows[i] = makeRoomRow(r, 0, a.c.loc)
	}
	pg.reload.inFlight = true
	a.Update(roomsLoadedMsg{seq: pg.reload.seq, rows: rows})
}

func TestRoomsPage10kStaysResponsive(t *testing.T) {
	svc, _ := newService(t)
	h := newHarness(t, svc, "admin")
	loadRooms(h.a, roomsFixture(10000))
	h.mustSee("1/10000", "Room 09999")
	h.key("G")
	h.mustSee("10000/10000", "Room 00000")
	h.key("/")
	h.typeText("all hands")
	h.mustSee("1/2500")
	h.key("esc")
	if n := strings.Count(h.view(), "\n"); n != 29 {
		t.Fatalf("the view has %d lines, want 30", n+1)
	}
}

// BenchmarkRoomsView10k measures one frame of the Rooms tab with 10,000 rooms loaded.
func BenchmarkRoomsView10k(b *testing.B) {
	svc, _ := newService(b)
	a := newApp(svc, Identity{UserID: core.RootAdminID, Meta: core.RequestMeta{Via: "local"}}, Options{HTTPAddr: ":8080", SSHAddr: ":2222", BaseURL: "http://localhost:8080/meet"})
	a.c.tick = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }
	a.Update(tea.WindowSizeMsg{Width: 160, Height: 50})
	p, err := svc.UserPrincipal(b.Context(), core.RootAdminID, core.RequestMeta{})
	if err != nil {
		b.Fatal(err)
	}
	a.Update(principalMsg{p: p})
	loadRooms(a, roomsFixture(10000))
	a.Update(keyMsg("j"))
	if v := a.View().Content; !strings.Contains(v, "2/10000") {
		b.Fatalf("rooms not loaded:\n%s", v)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = a.View()
	}
}
