package tui

import (
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"conclave/core"
)

// Marks of the participant timeline: present, speaking (distinct without colour too),
// absent.
const (
	markPresent  = '▁'
	markSpeaking = '█'
	markAbsent   = ' '
)

// timelineSpan is the length the timeline covers: the recording's duration, or the end
// of the last interval when the row says none.
func timelineSpan(tl *core.RecordingTimeline) float64 {
	d := tl.Recording.Duration
	if d > 0 {
		return d
	}
	for _, p := range tl.Participants {
		for _, iv := range p.Present {
			d = max(d, iv[1])
		}
		for _, iv := range p.Speaking {
			d = max(d, iv[1])
		}
	}
	return d
}

// drawTimeline draws one row per participant across the recording, w cells wide: a
// name, then a bar whose cells are ▁ where it was present and █ where it spoke, then a
// time axis under them.
func drawTimeline(tl *core.RecordingTimeline, w int) []string {
	dur := timelineSpan(tl)
	if len(tl.Participants) == 0 || dur <= 0 {
		return nil
	}
	nw := 4
	for _, p := range tl.Participants {
		nw = max(nw, ansi.StringWidth(sanitize(p.Name)))
	}
	nw = min(nw, 16, max(w/4, 4))
	bw := max(w-nw-3, 10)
	var out []string
	for _, p := range tl.Participants {
		name := ansi.Truncate(sanitize(p.Name), nw, "…")
		name += strings.Repeat(" ", nw-ansi.StringWidth(name))
		out = append(out, "  "+name+" "+timelineBar(p.Present, p.Speaking, dur, bw))
	}
	ticks, labels := timelineAxis(dur, bw)
	pad := strings.Repeat(" ", nw+3)
	return append(out, pad+ticks, pad+labels)
}

// timelineBar draws intervals (sorted, not overlapping, as core gives them) into bw
// cells of dur seconds: a cell shows what happened in any part of its time.
func timelineBar(present, speaking [][2]float64, dur float64, bw int) string {
	cells := make([]rune, bw)
	pi, si := 0, 0
	for i := range cells {
		t0, t1 := float64(i)*dur/float64(bw), float64(i+1)*dur/float64(bw)
		cells[i] = markAbsent
		for pi < len(present) && present[pi][1] <= t0 {
			pi++
		}
		if pi < len(present) && present[pi][0] < t1 {
			cells[i] = markPresent
		}
		for si < len(speaking) && speaking[si][1] <= t0 {
			si++
		}
		if si < len(speaking) && speaking[si][0] < t1 {
			cells[i] = markSpeaking
		}
	}
	return string(cells)
}

// timelineAxis is a tick line and the clock times under its ticks, bw cells for dur
// seconds: the start, the end, and as many round times between as fit.
func timelineAxis(dur float64, bw int) (ticks, labels string) {
	tk := []rune(strings.Repeat("─", bw))
	lb := []rune(strings.Repeat(" ", bw))
	put := func(pos int, text string) bool {
		r := []rune(text)
		if pos+len(r) > bw {
			pos = bw - len(r)
		}
		if pos < 0 {
			return false
		}
		for i := max(pos-1, 0); i < min(pos+len(r)+1, bw); i++ {
			if lb[i] != ' ' {
				return false
			}
		}
		copy(lb[pos:], r)
		return true
	}
	at := func(t float64) int { return min(int(t/dur*float64(bw)), bw-1) }
	tk[0] = '┬'
	put(0, clockText(0))
	end := clockText(time.Duration(dur * float64(time.Second)))
	tk[bw-1] = '┬'
	put(bw-len([]rune(end)), end)
	// A step of round seconds that leaves room for about one label per 12 cells.
	step := 1.0
	for _, s := range []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600} {
		step = s
		if dur/s <= float64(bw)/12 {
			break
		}
	}
	for t := step; t < dur; t += step {
		pos := at(t)
		if put(pos, clockText(time.Duration(t*float64(time.Second)))) {
			tk[pos] = '┬'
		}
	}
	return string(tk), strings.TrimRight(string(lb), " ")
}
