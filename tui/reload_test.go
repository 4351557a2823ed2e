package tui

import (
	"errors"
	"testing"

	tea "charm.land/bubbletea/v2"
)

func TestReloaderCoalesces(t *testing.T) {
	var r reloader
	loads := 0
	load := func(int) tea.Cmd { loads++; return func() tea.Msg { return nil } }
	if r.request(load) == nil || r.request(load) != nil || r.request(load) != nil {
		t.Fatal("a second load started while one runs")
	}
	current, next := r.done(r.seq, load)
	if !current || next == nil || loads != 2 {
		t.Fatalf("current=%v next=%v loads=%d", current, next != nil, loads)
	}
	if current, _ := r.done(r.seq-1, load); current {
		t.Fatal("a stale answer counted")
	}
	r.restart(load)
	if current, _ := r.done(r.seq-1, load); current {
		t.Fatal("an answer from before the restart counted")
	}
}

func TestLoaderApply(t *testing.T) {
	var l loader
	load := func(int) tea.Cmd { return func() tea.Msg { return nil } }
	shown := 0
	show := func() { shown++ }

	l.request(load)
	first := l.seq
	l.restart(load) // the principal changed: the first answer is stale
	if cmd := l.apply(first, nil, load, show); cmd != nil || shown != 0 || l.loaded {
		t.Fatal("a stale answer was shown")
	}

	boom := errors.New("boom")
	cmd := l.apply(l.seq, boom, load, show)
	if shown != 0 || l.loaded || l.err != boom {
		t.Fatalf("after an error: shown=%d loaded=%v err=%v", shown, l.loaded, l.err)
	}
	if msg, ok := cmd().(flashMsg); !ok || msg.level != levelError {
		t.Fatalf("an error is not flashed: %#v", msg)
	}

	l.request(load)
	l.request(load) // asked again meanwhile: one more load follows the answer
	if next := l.apply(l.seq, nil, load, show); next == nil {
		t.Fatal("no follow-up load")
	}
	if shown != 1 || !l.loaded || l.err != nil {
		t.Fatalf("after success: shown=%d loaded=%v err=%v", shown, l.loaded, l.err)
	}
}
