package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// TestReplayCompressesGapsAndSeeks: an hour of idleness plays as two seconds; seeking
// forward and back shows the screen of that moment; the speed goes from 1× to 8× and no
// further.
func TestReplayCompressesGapsAndSeeks(t *testing.T) {
	h := newHarness(t, &fakeBackend{bus: core.NewBus()}, "admin")
	c := &core.Cast{Header: core.CastHeader{Width: 40, Height: 5}, Events: []core.CastEvent{
		{Time: 0.5, Kind: 'o', Data: "first screen"},
		{Time: 3600.5, Kind: 'o', Data: "\x1b[2J\x1b[Hsecond screen"}, // an hour later
		{Time: 3601, Kind: 'r', Data: "50x6"},
		{Time: 3610, Kind: 'o', Data: "\x1b[2J\x1b[Hthird screen"},
	}}
	r := newReplay(h.a.c, "s", "admin@local", c)
	if want := 500*time.Millisecond + 2*time.Second + 500*time.Millisecond + 2*time.Second; r.duration != want {
		t.Fatalf("duration %v, want %v (gaps over 2 s play as 2 s)", r.duration, want)
	}
	screen := func() string { return r.view(80, 20) }
	r.seek(time.Second)
	if s := screen(); !strings.Contains(s, "first screen") || strings.Contains(s, "second") {
		t.Fatalf("at 1 s:\n%s", s)
	}
	r.update(keyMsg("right")) // +5 s: the end
	if s := screen(); !strings.Contains(s, "third screen") || !strings.Contains(s, "50×6") || !strings.Contains(s, "■ end") {
		t.Fatalf("after +5 s:\n%s", s)
	}
	r.update(keyMsg("3")) // 30 % of 5 s = 1.5 s: back before the second screen
	if s := screen(); !strings.Contains(s, "first screen") || strings.Contains(s, "third") || !strings.Contains(s, "40×5") {
		t.Fatalf("at 30 %%:\n%s", s)
	}
	for range 5 {
		r.update(keyMsg("+"))
	}
	if s := screen(); !strings.Contains(s, "×8") {
		t.Fatalf("speed after five +:\n%s", s)
	}
	// Playing runs on ticks at 8×: 50 ms of ticks move 400 ms.
	r.toggle()
	if !r.playing {
		t.Fatal("play did not start")
	}
	before := r.pos
	r.update(replayTickMsg{gen: r.gen})
	if r.pos-before != 8*replayFrame {
		t.Errorf("a tick at 8× moved %v", r.pos-before)
	}
	r.update(replayTickMsg{gen: r.gen - 1}) // a tick of an older play is dropped
	if r.pos-before != 8*replayFrame {
		t.Errorf("a stale tick moved the position")
	}
	if closed, _ := r.update(tea.KeyPressMsg{Code: tea.KeyEscape}); !closed {
		t.Error("esc did not close the replay")
	}
}
