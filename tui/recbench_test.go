package tui

import (
	"fmt"
	"testing"
	"time"

	"conclave/core"
)

// Figures for the Recordings tab with many recordings and a long recording's timeline.

func recordingsFixture(n int) []recItem {
	base := time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
	items := make([]recItem, n)
	for i := range items {
		room := []string{"standup", "review", "retro", "all hands"}[i%4]
		items[i] = makeRecItem(core.Recording{
			RecordingID: fmt.Sprintf("%s-%d--r%05d", room, i%4, i), RoomID: fmt.Sprintf("%s-%d", room, i%4), RoomName: room,
			Status: core.RecComplete, StartDate: base.Add(time.Duration(i) * time.Minute).UnixMilli(),
			Duration: float64(i % 3600), Size: int64(i * 1000),
		}, time.UTC)
	}
	return items
}

// BenchmarkRecordingsFilter10k is one keystroke of the filter over 10,000 recordings:
// parse, match, sort and lay out the table.
func BenchmarkRecordingsFilter10k(b *testing.B) {
	c := newCommon(nil, Identity{}, Options{NoColor: true})
	p := newRecordingsPage(c)
	p.items = recordingsFixture(10000)
	p.sortIdx = 2 // by size
	now := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q, err := parseRecFilter("review status:complete since:2025-01-02", now, time.UTC)
		if err != nil {
			b.Fatal(err)
		}
		p.query = q
		p.resort("")
	}
	b.StopTimer()
	if len(p.shown) == 0 || len(p.shown) == len(p.items) {
		b.Fatalf("the filter kept %d of %d", len(p.shown), len(p.items))
	}
}

// BenchmarkTimelineDraw is the timeline of a 10-hour recording of 20 participants who
// spoke 5,000 times each, drawn 200 cells wide.
func BenchmarkTimelineDraw(b *testing.B) {
	tl := &core.RecordingTimeline{Recording: &core.Recording{Duration: 36000}}
	for p := range 20 {
		tp := core.TimelineParticipant{Name: fmt.Sprintf("Person %d", p), Present: [][2]float64{{0, 36000}}}
		for i := range 5000 {
			at := float64(i)*7.2 + float64(p%7)
			tp.Speaking = append(tp.Speaking, [2]float64{at, at + 2})
		}
		tl.Participants = append(tl.Participants, tp)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if lines := drawTimeline(tl, 200); len(lines) != 22 {
			b.Fatalf("%d lines", len(lines))
		}
	}
}
