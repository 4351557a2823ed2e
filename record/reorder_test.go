package record

import (
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/pion/rtp"
)

var rtpT0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func seqPacket(seq uint16) *rtp.Packet {
	return &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq}, Payload: []byte{byte(seq >> 8), byte(seq)}}
}

// seqArrival is one packet reaching the recorder.
type seqArrival struct {
	seq uint16
	at  time.Time
}

// reorderRun pushes the arrivals through a buffer, popping after each and on a 10 ms
// ticker until end, and records what came out and when.
type reorderRun struct {
	r        *Reorder
	out      []uint16
	outAt    map[uint16]time.Time
	asked    map[uint16]int
	lost     int
	resets   int
	dropped  int
	lossAtMs []int64
}

func runReorder(t *testing.T, cfg ReorderConfig, arrivals []seqArrival, end time.Time) *reorderRun {
	t.Helper()
	run := &reorderRun{r: NewReorder(cfg), outAt: map[uint16]time.Time{}, asked: map[uint16]int{}}
	var buf []Packet
	pop := func(now time.Time) {
		var loss Loss
		buf, loss = run.r.Pop(buf[:0], now)
		for _, p := range buf {
			run.out = append(run.out, p.SequenceNumber)
			run.outAt[p.SequenceNumber] = now
		}
		run.lost += loss.Lost
		if loss.Reset {
			run.resets++
		}
		if loss.Broken() {
			run.lossAtMs = append(run.lossAtMs, now.Sub(rtpT0).Milliseconds())
		}
	}
	tick := rtpT0
	for _, a := range arrivals {
		for ; tick.Before(a.at); tick = tick.Add(10 * time.Millisecond) {
			pop(tick)
		}
		res := run.r.Push(seqPacket(a.seq), a.at)
		for _, s := range res.Missing {
			run.asked[s]++
		}
		if res.Dropped {
			run.dropped++
		}
		pop(a.at)
	}
	for ; !tick.After(end); tick = tick.Add(10 * time.Millisecond) {
		pop(tick)
	}
	return run
}

// jittered sends n packets from first, one every spacing, delayed by up to jitter each
// (the first one not at all: packets older than the first are late by design), without
// those in lost, and returns them in arrival order.
func jittered(rng *rand.Rand, first uint16, n int, spacing, jitter time.Duration, lost map[int]bool) []seqArrival {
	var as []seqArrival
	for i := range n {
		if lost[i] {
			continue
		}
		at := rtpT0.Add(time.Duration(i) * spacing)
		if i > 0 && jitter > 0 {
			at = at.Add(time.Duration(rng.Int64N(int64(jitter))))
		}
		as = append(as, seqArrival{seq: first + uint16(i), at: at})
	}
	sort.SliceStable(as, func(i, j int) bool { return as[i].at.Before(as[j].at) })
	return as
}

func seqRange(first uint16, n int) []uint16 {
	s := make([]uint16, n)
	for i := range s {
		s[i] = first + uint16(i)
	}
	return s
}

func TestReorderShuffledWithin50msReleasesAllInOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 2000
	arrivals := jittered(rng, 40000, n, 5*time.Millisecond, 50*time.Millisecond, nil)
	if slices.IsSortedFunc(arrivals, func(a, b seqArrival) int { return int(a.seq) - int(b.seq) }) {
		t.Fatal("the test's arrivals are not shuffled")
	}
	run := runReorder(t, ReorderConfig{}, arrivals, arrivals[len(arrivals)-1].at)
	if !slices.Equal(run.out, seqRange(40000, n)) {
		t.Fatalf("released %d packets, not the %d sent in order", len(run.out), n)
	}
	st := run.r.Stats()
	if run.lost != 0 || st.Lost != 0 || st.Late != 0 || st.Duplicates != 0 || run.dropped != 0 {
		t.Fatalf("lost %d (stats %+v), dropped %d, with nothing lost", run.lost, st, run.dropped)
	}
	if st.In != n || st.Out != n || st.Held != 0 {
		t.Fatalf("in %d out %d held %d, want %d %d 0", st.In, st.Out, st.Held, n, n)
	}
	// Reordered packets are asked for (the cache may have them, if the sink's queue lost
	// them), each once, and all of them arrived in time.
	for s, c := range run.asked {
		if c != 1 {
			t.Fatalf("%d asked %d times", s, c)
		}
	}
	if st.Filled == 0 || st.Asked != uint64(len(run.asked)) {
		t.Fatalf("filled %d asked %d (%d numbers)", st.Filled, st.Asked, len(run.asked))
	}
}

func TestReorderTwoPercentLossAsksOnceAndGivesUpAfterMaxDelay(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 3000
	const first = 60000 // crosses 65535 → 0 as well
	lost := map[int]bool{}
	for len(lost) < n*2/100 {
		lost[1+rng.IntN(n-2)] = true // neither the first (see jittered) nor the last
	}
	spacing := 5 * time.Millisecond
	arrivals := jittered(rng, first, n, spacing, 20*time.Millisecond, lost)
	cfg := ReorderConfig{}
	end := arrivals[len(arrivals)-1].at.Add(time.Second)
	run := runReorder(t, cfg, arrivals, end)

	var want []uint16
	for i := range n {
		if !lost[i] {
			want = append(want, first+uint16(i))
		}
	}
	if !slices.Equal(run.out, want) {
		t.Fatalf("released %d packets, want the %d received, in order", len(run.out), len(want))
	}
	for i := range lost {
		if run.asked[first+uint16(i)] != 1 {
			t.Fatalf("lost %d asked %d times, want once", first+uint16(i), run.asked[first+uint16(i)])
		}
	}
	for s, c := range run.asked {
		if c != 1 {
			t.Fatalf("%d asked %d times", s, c)
		}
	}
	st := run.r.Stats()
	if run.lost != len(lost) || st.Lost != uint64(len(lost)) {
		t.Fatalf("loss reported %d, counted %d, want %d", run.lost, st.Lost, len(lost))
	}
	// Each gap was waited for MaxDelay from when it was first known (the earliest arrival
	// of a packet after it), and not much longer.
	arrivedAt := map[uint16]time.Time{}
	for _, a := range arrivals {
		arrivedAt[a.seq] = a.at
	}
	var prevRelease time.Time
	for i := 1; i < n; i++ {
		if !lost[i] || lost[i+1] {
			continue
		}
		after := first + uint16(i+1)
		known := end
		for j := i + 1; j < n; j++ {
			if at, ok := arrivedAt[first+uint16(j)]; ok && at.Before(known) {
				known = at
			}
		}
		released := run.outAt[after]
		if released.Before(known.Add(cfg.withDefaults().MaxDelay)) {
			t.Fatalf("gap before %d given up %v after it was known, before MaxDelay", after, released.Sub(known))
		}
		latest := known.Add(cfg.withDefaults().MaxDelay + 10*time.Millisecond)
		if released.After(latest) && !released.Equal(prevRelease) { // not held up by an earlier gap
			t.Fatalf("gap before %d given up %v after it was known", after, released.Sub(known))
		}
		prevRelease = released
	}
	if st.MaxGapPackets < 1 || st.MaxGapTime < spacing {
		t.Fatalf("worst gap %d packets, %v", st.MaxGapPackets, st.MaxGapTime)
	}
}

func TestReorderRetransmissionInTimeLosesNothing(t *testing.T) {
	r := NewReorder(ReorderConfig{})
	var out []Packet
	var loss Loss
	for s := uint16(1); s <= 10; s++ {
		if s == 5 {
			continue
		}
		at := rtpT0.Add(time.Duration(s) * 10 * time.Millisecond)
		res := r.Push(seqPacket(s), at)
		if s == 6 && !slices.Equal(res.Missing, []uint16{5}) {
			t.Fatalf("packet 6 reported missing %v, want [5]", res.Missing)
		}
		if s != 6 && len(res.Missing) != 0 {
			t.Fatalf("packet %d reported missing %v", s, res.Missing)
		}
		out, loss = r.Pop(out, at)
		if loss.Broken() {
			t.Fatalf("loss %+v while waiting", loss)
		}
	}
	if got := len(out); got != 4 {
		t.Fatalf("released %d packets before the gap, want 4", got)
	}
	if dl, ok := r.Deadline(); !ok || !dl.Equal(rtpT0.Add(60*time.Millisecond+DefaultMaxDelay)) {
		t.Fatalf("deadline %v %v, want 500 ms after packet 6 arrived", dl, ok)
	}
	// The retransmission arrives 300 ms later, within MaxDelay.
	at := rtpT0.Add(400 * time.Millisecond)
	if res := r.Push(seqPacket(5), at); res.Dropped || len(res.Missing) != 0 {
		t.Fatalf("retransmission: %+v", res)
	}
	out, loss = r.Pop(out, at)
	var seqs []uint16
	for _, p := range out {
		seqs = append(seqs, p.SequenceNumber)
	}
	if !slices.Equal(seqs, seqRange(1, 10)) || loss.Broken() {
		t.Fatalf("released %v with loss %+v, want 1..10 and none", seqs, loss)
	}
	if st := r.Stats(); st.Lost != 0 || st.Filled != 1 || st.Asked != 1 {
		t.Fatalf("stats %+v", st)
	}
	if _, ok := r.Deadline(); ok {
		t.Fatal("a deadline with no gap open")
	}
}

func TestReorderAcrossSequenceWrap(t *testing.T) {
	r := NewReorder(ReorderConfig{})
	// 65533..65535, 0..4 with 65535 and 0 missing at first, and 2 before 1.
	order := []uint16{65533, 65534, 1, 2, 65535, 0, 3, 4}
	order[2], order[3] = 2, 1
	var asked []uint16
	var out []Packet
	for i, s := range order {
		at := rtpT0.Add(time.Duration(i) * time.Millisecond)
		asked = append(asked, r.Push(seqPacket(s), at).Missing...)
		out, _ = r.Pop(out, at)
	}
	var seqs []uint16
	for _, p := range out {
		seqs = append(seqs, p.SequenceNumber)
	}
	if want := seqRange(65533, 8); !slices.Equal(seqs, want) {
		t.Fatalf("released %v, want %v", seqs, want)
	}
	if want := []uint16{65535, 0, 1}; !slices.Equal(asked, want) {
		t.Fatalf("asked %v, want %v", asked, want)
	}
	if st := r.Stats(); st.Lost != 0 || st.Late != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestReorderDropsDuplicatesAndLatePackets(t *testing.T) {
	r := NewReorder(ReorderConfig{})
	var out []Packet
	push := func(s uint16, ms int) PushResult {
		at := rtpT0.Add(time.Duration(ms) * time.Millisecond)
		res := r.Push(seqPacket(s), at)
		out, _ = r.Pop(out, at)
		return res
	}
	push(1, 0)
	push(3, 1)
	if !push(3, 2).Dropped { // held twice
		t.Fatal("a duplicate of a held packet was kept")
	}
	if !push(1, 3).Dropped { // released twice
		t.Fatal("a duplicate of a released packet was kept")
	}
	push(4, 600) // 2 is given up: 3 has waited 599 ms
	if !push(2, 601).Dropped {
		t.Fatal("a packet whose gap was given up was kept")
	}
	var seqs []uint16
	for _, p := range out {
		seqs = append(seqs, p.SequenceNumber)
	}
	if want := []uint16{1, 3, 4}; !slices.Equal(seqs[:3], want) {
		t.Fatalf("released %v, want %v first", seqs, want)
	}
	st := r.Stats()
	if st.Duplicates != 2 || st.Late != 1 || st.Lost != 1 {
		t.Fatalf("duplicates %d late %d lost %d, want 2 1 1", st.Duplicates, st.Late, st.Lost)
	}
}

func TestReorderResetsOnAHugeJumpInsteadOfAsking(t *testing.T) {
	var arrivals []seqArrival
	for i := range 100 {
		arrivals = append(arrivals, seqArrival{seq: 1000 + uint16(i), at: rtpT0.Add(time.Duration(i) * 5 * time.Millisecond)})
	}
	for i := range 100 {
		arrivals = append(arrivals, seqArrival{seq: 31000 + uint16(i), at: rtpT0.Add(time.Duration(100+i) * 5 * time.Millisecond)})
	}
	run := runReorder(t, ReorderConfig{}, arrivals, rtpT0.Add(2*time.Second))
	want := append(seqRange(1000, 100), seqRange(31000, 100)...)
	if !slices.Equal(run.out, want) {
		t.Fatalf("released %d packets, want all 200 in order", len(run.out))
	}
	st := run.r.Stats()
	if len(run.asked) != 0 || st.Asked != 0 {
		t.Fatalf("asked for %d packets across a jump of 30000", len(run.asked))
	}
	if run.resets != 1 || st.Resets != 1 || st.Lost != 0 || run.lost != 0 {
		t.Fatalf("resets %d (stats %d), lost %d: want one reset and nothing lost", run.resets, st.Resets, st.Lost)
	}
	// The same backwards: a publisher restarting at lower numbers.
	for i := range arrivals {
		arrivals[i].seq = 40000 + uint16(i)
		if i >= 100 {
			arrivals[i].seq = 5000 + uint16(i-100)
		}
	}
	run = runReorder(t, ReorderConfig{}, arrivals, rtpT0.Add(2*time.Second))
	want = append(seqRange(40000, 100), seqRange(5000, 100)...)
	if st := run.r.Stats(); !slices.Equal(run.out, want) || st.Resets != 1 || st.Asked != 0 {
		t.Fatalf("backwards: %+v", st)
	}
}

func TestReorderDropsAStrayPacket(t *testing.T) {
	var arrivals []seqArrival
	for i := range 100 {
		s := 1000 + uint16(i)
		if i == 50 {
			arrivals = append(arrivals, seqArrival{seq: 40000, at: rtpT0.Add(time.Duration(i)*5*time.Millisecond - time.Millisecond)})
		}
		arrivals = append(arrivals, seqArrival{seq: s, at: rtpT0.Add(time.Duration(i) * 5 * time.Millisecond)})
	}
	run := runReorder(t, ReorderConfig{}, arrivals, rtpT0.Add(time.Second))
	if !slices.Equal(run.out, seqRange(1000, 100)) {
		t.Fatalf("released %v", run.out)
	}
	if st := run.r.Stats(); st.Stray != 1 || st.Resets != 0 || st.Asked != 0 || st.Lost != 0 {
		t.Fatalf("stats %+v, want one stray and nothing else", st)
	}
}

func TestReorderGivesUpWhenFull(t *testing.T) {
	r := NewReorder(ReorderConfig{MaxPackets: 64})
	var out []Packet
	var lost int
	for s := uint16(0); s < 100; s++ {
		if s == 10 {
			continue
		}
		at := rtpT0.Add(time.Duration(s) * time.Millisecond) // all within 100 ms
		r.Push(seqPacket(s), at)
		var loss Loss
		out, loss = r.Pop(out, at)
		lost += loss.Lost
		// The window holds 10..73: 74 does not fit while 10 is missing.
		if s == 73 && lost != 0 {
			t.Fatal("gap given up before the window was full")
		}
		if s == 74 && lost != 1 {
			t.Fatal("gap still open with the window full")
		}
	}
	if len(out) != 99 || lost != 1 {
		t.Fatalf("released %d, lost %d; want 99 and 1", len(out), lost)
	}
}

func TestReorderReportsTheWorstGap(t *testing.T) {
	lost := map[int]bool{10: true, 20: true, 21: true, 22: true, 40: true, 41: true, 42: true, 43: true, 44: true, 45: true, 46: true}
	spacing := 5 * time.Millisecond
	arrivals := jittered(nil, 500, 100, spacing, 0, lost)
	run := runReorder(t, ReorderConfig{}, arrivals, rtpT0.Add(2*time.Second))
	st := run.r.Stats()
	if st.MaxGapPackets != 7 || st.MaxGapTime != 8*spacing {
		t.Fatalf("worst gap %d packets, %v; want 7 and %v", st.MaxGapPackets, st.MaxGapTime, 8*spacing)
	}
	if st.Lost != 11 || len(run.lossAtMs) != 3 {
		t.Fatalf("lost %d in %d reports, want 11 in 3", st.Lost, len(run.lossAtMs))
	}
}

func TestReorderFlushReleasesWhatIsHeld(t *testing.T) {
	r := NewReorder(ReorderConfig{})
	for _, s := range []uint16{1, 2, 4, 7} {
		r.Push(seqPacket(s), rtpT0)
	}
	out, _ := r.Pop(nil, rtpT0)
	out, loss := r.Flush(out)
	var seqs []uint16
	for _, p := range out {
		seqs = append(seqs, p.SequenceNumber)
	}
	if !slices.Equal(seqs, []uint16{1, 2, 4, 7}) || loss.Lost != 3 {
		t.Fatalf("flushed %v with %d lost", seqs, loss.Lost)
	}
	if st := r.Stats(); st.Held != 0 || st.In != st.Out {
		t.Fatalf("stats after flush %+v", st)
	}
}
