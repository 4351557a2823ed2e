package core

import (
	"math"
	"slices"
	"testing"
)

// TestCleanIntervals checks what the player's timeline makes of the intervals a manifest
// gives: sorted, merged where they overlap or touch, clipped to the recording, and
// nothing empty, reversed or non-finite kept.
func TestCleanIntervals(t *testing.T) {
	inf := math.Inf(1)
	for _, c := range []struct {
		name string
		in   [][2]float64
		dur  float64
		want [][2]float64
	}{
		{"none", nil, 10, [][2]float64{}},
		{"sorted and merged", [][2]float64{{5, 6}, {1, 2}, {1.5, 3}, {3, 4}}, 10, [][2]float64{{1, 4}, {5, 6}}},
		{"clipped", [][2]float64{{-2, 1}, {9, 30}}, 10, [][2]float64{{0, 1}, {9, 10}}},
		{"empty and reversed dropped", [][2]float64{{2, 2}, {4, 3}, {11, 12}}, 10, [][2]float64{}},
		{"non-finite dropped", [][2]float64{{math.NaN(), 1}, {1, inf}, {-inf, 2}, {3, 4}}, 10, [][2]float64{{3, 4}}},
		{"unknown duration keeps the end", [][2]float64{{1, 100}}, 0, [][2]float64{{1, 100}}},
		{"contained", [][2]float64{{1, 10}, {2, 3}}, 10, [][2]float64{{1, 10}}},
	} {
		if got := cleanIntervals(c.in, c.dur); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestBuildTimeline checks the timeline of a recording's row and manifest: participants
// in manifest order with their names, presence from their streams, speaking known once
// anyone's is listed, and a manifest-less recording still shown from its row.
func TestBuildTimeline(t *testing.T) {
	rec := &Recording{Duration: 20, Streams: []RecordingStream{
		{File: "a.webm", Identity: "a", Name: "Ann", Kind: "camera", Offset: 0, Duration: 20},
		{File: "b.webm", Identity: "b", Name: "", Kind: "camera", Offset: 5, Duration: 4},
		{File: "b2.webm", Identity: "b", Kind: "camera", Offset: 12, Duration: 8},
		{File: "s.webm", Identity: "a", Kind: "screen", Offset: 2, Duration: 3},
	}}
	m := &RecordingManifest{
		Participants: []ManifestParticipant{
			{Identity: "b", Name: "Ben", Role: "speaker"},
			{Identity: "a", Name: "Ann", Role: "moderator", Speaking: [][2]float64{{1, 2}}},
		},
		Files: []ManifestFile{{File: "a.webm", Codecs: []string{"vp8", "opus"}}},
	}
	tl := &RecordingTimeline{Recording: rec}
	buildTimeline(tl, m)
	if len(tl.Streams) != 4 || tl.Streams[3].Index != 3 || !slices.Equal(tl.Streams[0].Codecs, []string{"vp8", "opus"}) || tl.Streams[1].Codecs != nil {
		t.Fatalf("streams %+v", tl.Streams)
	}
	if len(tl.Participants) != 2 || tl.Participants[0].Name != "Ben" || tl.Participants[1].Role != "moderator" {
		t.Fatalf("participants %+v", tl.Participants)
	}
	ben, ann := tl.Participants[0], tl.Participants[1]
	if !slices.Equal(ben.Present, [][2]float64{{5, 9}, {12, 20}}) || !slices.Equal(ann.Present, [][2]float64{{0, 20}}) {
		t.Fatalf("presence: Ben %v, Ann %v", ben.Present, ann.Present)
	}
	if !tl.SpeakingKnown || ben.Speaking == nil || len(ben.Speaking) != 0 || !slices.Equal(ann.Speaking, [][2]float64{{1, 2}}) {
		t.Fatalf("speaking known %v: Ben %v, Ann %v", tl.SpeakingKnown, ben.Speaking, ann.Speaking)
	}

	bare := &RecordingTimeline{Recording: rec}
	buildTimeline(bare, nil)
	if bare.SpeakingKnown || len(bare.Participants) != 2 || bare.Participants[0].Name != "Ann" || bare.Participants[1].Name != "b" || bare.Participants[0].Speaking != nil {
		t.Fatalf("without a manifest %+v", bare.Participants)
	}
}
