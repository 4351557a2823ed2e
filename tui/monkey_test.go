package tui

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"conclave/conclavetest"
	"conclave/core"
)

// TestRandomKeysNeverPanic types thousands of random keys on every screen, as an admin
// and as a speaker, and checks that nothing panicked and the screen always fits.
func TestRandomKeysNeverPanic(t *testing.T) {
	svc, st := newService(t)
	addUser(t, svc, "sam_speaker", "room_member", false)
	p := asAdmin(t, svc)
	for _, n := range []string{"One", "Two", "Three"} {
		r := addRoom(t, svc, p, n)
		if _, _, err := svc.AddMember(context.Background(), p, r.RoomID, core.NewMember{UserID: "sam_speaker", BaseRole: "speaker"}); err != nil {
			t.Fatal(err)
		}
		// Recordings for the Recordings tab, its details, share links and trash.
		conclavetest.FinishedRecording(t, st, t.TempDir(), r, time.Now().Add(-time.Hour), 100, 200)
	}
	keys := []string{"j", "k", "g", "G", "enter", "esc", "esc", "/", "n", "e", "R", "y", "d", "a", "s", "?", ":",
		"tab", "shift+tab", "1", "2", "3", "4", "r", "space", "left", "right", "up", "down", "x", "p", "o",
		"backspace", "pgdown", "pgup", "ctrl+s", "N", "é", "\x1b", "t", "u", "P", "S", "f"}
	for _, user := range []string{"admin", "sam_speaker"} {
		rng := rand.New(rand.NewPCG(1, 2))
		h := newHarness(t, svc, user)
		for i := range 3000 {
			k := keys[rng.IntN(len(keys))]
			if k == "y" && rng.IntN(4) != 0 {
				k = "n" // confirmations: mostly decline, so the data survives the run
			}
			h.key(k)
			if i%500 == 0 {
				h.send(tea.WindowSizeMsg{Width: 50 + rng.IntN(100), Height: 10 + rng.IntN(40)})
			}
			if h.a.panics > 0 {
				t.Fatalf("%s: panic after key %d (%q):\n%s", user, i, k, h.view())
			}
		}
		if h.quit {
			t.Fatalf("%s: random keys without q quit", user)
		}
	}
}
