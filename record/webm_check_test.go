package record

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"testing"
	"time"
)

// A strict reader of the files this package writes, for the tests: it reads
// the whole file, walks every element, and fails on anything out of place.
// It is separate from the repair scanner (which is lenient by design) so
// that the writer is not checked only by its own code; mkvinfo, when
// installed, checks the same files independently.

type fileLayout struct {
	size      int64
	segData   int64
	segSize   int64 // -1: unknown
	seek      map[uint32]int64
	duration  float64
	hasDur    bool
	infoPos   int64
	tracksPos int64
	cuesPos   int64          // -1: none
	tracks    map[int]uint64 // number -> type
	clusters  []layoutCluster
	cues      []cuePoint
}

type layoutCluster struct {
	pos       int64 // relative to the Segment's data
	end       int64 // absolute end
	tc        int64
	knownSize bool
	blocks    []layoutBlock
}

type layoutBlock struct {
	off   int64 // absolute offset of the SimpleBlock's header
	end   int64
	track int
	t     int64 // absolute ticks
	key   bool
	toc   byte // first byte of the frame
}

// firstVideo returns the cluster's first block of the video track, if any.
func (c layoutCluster) firstVideo(l *fileLayout) (layoutBlock, bool) {
	for _, b := range c.blocks {
		if l.tracks[b.track] == trackTypeVideo {
			return b, true
		}
	}
	return layoutBlock{}, false
}

func (l *fileLayout) hasVideo() bool {
	for _, k := range l.tracks {
		if k == trackTypeVideo {
			return true
		}
	}
	return false
}

// lastEnd is where the media ends: the latest block, plus 20 ms for Opus.
func (l *fileLayout) lastEnd() time.Duration {
	var end time.Duration
	for _, c := range l.clusters {
		for _, b := range c.blocks {
			e := time.Duration(b.t) * time.Millisecond
			if l.tracks[b.track] == trackTypeAudio {
				e += opusPacketDuration([]byte{b.toc})
			}
			end = max(end, e)
		}
	}
	return end
}

// readLayout parses path. An unknown-size cluster (the open one of a file
// that was flushed but not closed) is allowed only last.
func readLayout(t *testing.T, path string) *fileLayout {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	l := &fileLayout{size: int64(len(data)), seek: map[uint32]int64{}, tracks: map[int]uint64{}, cuesPos: -1}
	top, err := walkChildren(data[:headerEnd(t, data)])
	if err != nil || len(top) != 1 || top[0].id != idEBML {
		t.Fatalf("%s: bad EBML header: %v", path, err)
	}
	off := top[0].dataOff + top[0].size
	id, ssize, n, err := parseHeader(data[off:])
	if err != nil || id != idSegment {
		t.Fatalf("%s: no Segment at %d: %v", path, off, err)
	}
	l.segData = int64(off + n)
	l.segSize = ssize
	segEnd := len(data)
	if ssize != sizeUnknown {
		if l.segData+ssize != int64(len(data)) {
			t.Fatalf("%s: Segment size %d, but %d bytes follow", path, ssize, int64(len(data))-l.segData)
		}
	}
	for p := int(l.segData); p < segEnd; {
		id, size, n, err := parseHeader(data[p:])
		if err != nil {
			t.Fatalf("%s: element at %d: %v", path, p, err)
		}
		rel := int64(p) - l.segData
		if id == idCluster {
			p = l.readCluster(t, data, p, size, n, rel)
			continue
		}
		if size == sizeUnknown || p+n+int(size) > segEnd {
			t.Fatalf("%s: element %x at %d runs past the end", path, id, p)
		}
		body := data[p+n : p+n+int(size)]
		switch id {
		case idSeekHead:
			l.readSeekHead(t, body)
		case idInfo:
			l.infoPos = rel
			l.readInfo(t, body)
		case idTracks:
			l.tracksPos = rel
			l.readTracks(t, body)
		case idCues:
			l.cuesPos = rel
			l.readCues(t, body)
		case idVoid:
		default:
			t.Fatalf("%s: unexpected element %x at %d", path, id, p)
		}
		p += n + int(size)
	}
	return l
}

func headerEnd(t *testing.T, data []byte) int {
	_, size, n, err := parseHeader(data)
	if err != nil {
		t.Fatalf("EBML header: %v", err)
	}
	return n + int(size)
}

func (l *fileLayout) readCluster(t *testing.T, data []byte, p int, size int64, n int, rel int64) int {
	c := layoutCluster{pos: rel, knownSize: size != sizeUnknown, tc: -1}
	end := len(data)
	if c.knownSize {
		end = p + n + int(size)
		if end > len(data) {
			t.Fatalf("cluster at %d runs past the end", p)
		}
	} else if len(l.clusters) > 0 && !l.clusters[len(l.clusters)-1].knownSize {
		t.Fatalf("two clusters of unknown size")
	}
	q := p + n
	for q < end {
		id, csize, hn, err := parseHeader(data[q:])
		if err != nil {
			t.Fatalf("cluster child at %d: %v", q, err)
		}
		if !c.knownSize && topLevel(id) {
			break
		}
		if csize == sizeUnknown || q+hn+int(csize) > end {
			t.Fatalf("cluster child %x at %d runs past the cluster", id, q)
		}
		body := data[q+hn : q+hn+int(csize)]
		switch id {
		case idTimecode:
			v, _ := readUint(body)
			c.tc = int64(v)
		case idSimpleBlock:
			if c.tc < 0 || len(body) < 5 {
				t.Fatalf("SimpleBlock at %d before the Timecode or empty", q)
			}
			c.blocks = append(c.blocks, layoutBlock{
				off:   int64(q),
				end:   int64(q + hn + int(csize)),
				track: int(body[0] & 0x7f),
				t:     c.tc + int64(int16(binary.BigEndian.Uint16(body[1:3]))),
				key:   body[3]&0x80 != 0,
				toc:   body[4],
			})
		default:
			t.Fatalf("unexpected cluster child %x at %d", id, q)
		}
		q += hn + int(csize)
	}
	c.end = int64(q)
	l.clusters = append(l.clusters, c)
	return q
}

func (l *fileLayout) readSeekHead(t *testing.T, body []byte) {
	seeks, err := walkChildren(body)
	if err != nil {
		t.Fatalf("SeekHead: %v", err)
	}
	for _, s := range seeks {
		kids, err := walkChildren(body[s.dataOff : s.dataOff+s.size])
		if err != nil {
			t.Fatalf("Seek: %v", err)
		}
		var id uint32
		var pos uint64
		for _, k := range kids {
			v := body[s.dataOff+k.dataOff : s.dataOff+k.dataOff+k.size]
			switch k.id {
			case 0x53AB:
				id = uint32(beUint(v))
			case 0x53AC:
				pos, _ = readUint(v)
			}
		}
		l.seek[id] = int64(pos)
	}
}

func (l *fileLayout) readInfo(t *testing.T, body []byte) {
	kids, err := walkChildren(body)
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	for _, k := range kids {
		if k.id == idDuration && k.size == 8 {
			l.duration = math.Float64frombits(binary.BigEndian.Uint64(body[k.dataOff:]))
			l.hasDur = true
		}
	}
}

func (l *fileLayout) readTracks(t *testing.T, body []byte) {
	entries, err := walkChildren(body)
	if err != nil {
		t.Fatalf("Tracks: %v", err)
	}
	for _, e := range entries {
		fields, err := walkChildren(body[e.dataOff : e.dataOff+e.size])
		if err != nil {
			t.Fatalf("TrackEntry: %v", err)
		}
		var num, kind uint64
		for _, f := range fields {
			v := body[e.dataOff+f.dataOff : e.dataOff+f.dataOff+f.size]
			switch f.id {
			case idTrackNumber:
				num, _ = readUint(v)
			case idTrackType:
				kind, _ = readUint(v)
			}
		}
		l.tracks[int(num)] = kind
	}
}

func (l *fileLayout) readCues(t *testing.T, body []byte) {
	points, err := walkChildren(body)
	if err != nil {
		t.Fatalf("Cues: %v", err)
	}
	for _, p := range points {
		pb := body[p.dataOff : p.dataOff+p.size]
		kids, err := walkChildren(pb)
		if err != nil {
			t.Fatalf("CuePoint: %v", err)
		}
		var cp cuePoint
		for _, k := range kids {
			switch k.id {
			case 0xB3:
				v, _ := readUint(pb[k.dataOff : k.dataOff+k.size])
				cp.time = int64(v)
			case 0xB7:
				tb := pb[k.dataOff : k.dataOff+k.size]
				tk, err := walkChildren(tb)
				if err != nil {
					t.Fatalf("CueTrackPositions: %v", err)
				}
				for _, x := range tk {
					v, _ := readUint(tb[x.dataOff : x.dataOff+x.size])
					switch x.id {
					case 0xF7:
						cp.track = int(v)
					case 0xF1:
						cp.pos = int64(v)
					}
				}
			}
		}
		l.cues = append(l.cues, cp)
	}
}

// checkFinished asserts what a closed (or repaired) file must be: a known
// Segment size, Duration, a SeekHead naming Info, Tracks and Cues, Cues
// that point at clusters starting at keyframes (every such cluster has
// one), clusters of at most maxCluster, and, with keyframesOnly, every
// cluster of a file with video starting at a video keyframe.
func checkFinished(t *testing.T, l *fileLayout, maxCluster time.Duration, keyframesOnly bool) {
	t.Helper()
	if l.segSize == sizeUnknown {
		t.Error("Segment size still unknown")
	}
	if !l.hasDur {
		t.Error("no Duration")
	}
	if l.cuesPos < 0 || len(l.cues) == 0 {
		t.Fatal("no Cues")
	}
	for id, want := range map[uint32]int64{idInfo: l.infoPos, idTracks: l.tracksPos, idCues: l.cuesPos} {
		if got, ok := l.seek[id]; !ok || got != want {
			t.Errorf("SeekHead entry for %x: %d (present %v), element at %d", id, got, ok, want)
		}
	}
	byPos := map[int64]int{}
	for i, c := range l.clusters {
		byPos[c.pos] = i
		if !c.knownSize {
			t.Errorf("cluster %d has no size", i)
		}
		if len(c.blocks) == 0 {
			t.Errorf("cluster %d is empty", i)
		}
		for _, b := range c.blocks {
			if rel := b.t - c.tc; rel < 0 || time.Duration(rel)*time.Millisecond >= maxCluster {
				t.Errorf("cluster %d at %d ms holds a block at %+d ms", i, c.tc, rel)
			}
		}
		if i > 0 && c.tc < l.clusters[i-1].tc {
			t.Errorf("cluster %d at %d ms before cluster %d at %d ms", i, c.tc, i-1, l.clusters[i-1].tc)
		}
	}
	// Cues: every cluster that starts at a video keyframe, and every cluster
	// before the first video frame (all of them without video), and no other.
	beforeVideo := make([]bool, len(l.clusters))
	seen := false
	for i, c := range l.clusters {
		beforeVideo[i] = !seen
		_, hasV := c.firstVideo(l)
		seen = seen || hasV
	}
	cued := map[int]bool{}
	for _, cp := range l.cues {
		i, ok := byPos[cp.pos]
		if !ok {
			t.Errorf("CuePoint at %d ms points at %d, no cluster there", cp.time, cp.pos)
			continue
		}
		cued[i] = true
		c := l.clusters[i]
		if l.tracks[cp.track] == trackTypeVideo {
			fv, ok := c.firstVideo(l)
			if !ok || !fv.key || fv.t != cp.time || cp.track != fv.track {
				t.Errorf("CuePoint at %d ms: cluster %d's first video block is not a keyframe there (%+v)", cp.time, i, fv)
			}
		} else if !beforeVideo[i] || cp.time != c.blocks[0].t || cp.track != c.blocks[0].track {
			t.Errorf("CuePoint at %d ms on audio: cluster %d starts at %d, before video: %v", cp.time, i, c.blocks[0].t, beforeVideo[i])
		}
	}
	video := l.hasVideo()
	for i, c := range l.clusters {
		fv, hasV := c.firstVideo(l)
		startsAtKey := hasV && fv.key
		if (startsAtKey || beforeVideo[i]) && !cued[i] {
			t.Errorf("cluster %d at %d ms starts at a keyframe or before video but has no CuePoint", i, c.tc)
		}
		if video && keyframesOnly && hasV && (!startsAtKey || c.blocks[0] != fv) {
			t.Errorf("cluster %d at %d ms does not start with a video keyframe", i, c.tc)
		}
	}
}

// sameBytes fails when the file at path differs from want.
func sameBytes(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed: %d bytes, was %d", path, len(got), len(want))
	}
}
