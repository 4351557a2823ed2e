package record

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// The scanner walks a WebM file element by element, the way a player reads
// it, and records where every complete piece lies. It never trusts a size
// it cannot check: an element that would end past the end of the file (or
// of its parent), an ID that does not belong where it stands, or a block
// for a track that does not exist marks the start of the torn tail, and
// everything from there is dropped. This is why it walks headers itself
// instead of using ebml.Unmarshal, which is made for well-formed input (it
// reports a torn element as an error, not where the damage starts) and
// would hold every cluster in memory.

// ErrNotWebM is returned by RepairWebM for a file that is not WebM at all.
var ErrNotWebM = errors.New("record: not a WebM file")

const (
	// maxHeaderElement bounds the elements read into memory (EBML header,
	// Info, Tracks, BlockGroups); larger ones are taken as garbage.
	maxHeaderElement = 16 << 20
	// blockPeek is how much of a block the scanner looks at: track number,
	// timecode, flags and the first bytes of the frame (Opus TOC).
	blockPeek = 16
)

// scannedTrack is what the scanner learns of a track.
type scannedTrack struct {
	kind     uint64 // trackTypeVideo or trackTypeAudio
	codec    string
	hasFirst bool  // a block was seen
	lastT    int64 // ticks of its latest block
	lastDur  int64 // ticks the latest block lasts (Opus) or the last frame interval (video)
}

// scannedCluster is a cluster as far as it is complete.
type scannedCluster struct {
	start     int64 // offset of its ID in the file
	dataStart int64 // offset of its first child
	end       int64 // end of its last complete child
	tc        int64
	knownSize bool
	complete  bool // ended where its size said, or cleanly at the next element
	blocks    int
	// cueTrack and cueTime describe its entry in the rebuilt Cues, by the
	// writer's rule: its first video block when that is a keyframe, or its
	// first block while the file has had no video yet. cueTrack 0: none.
	cueTrack   int
	cueTime    int64
	firstVid   bool // a video block was seen (so later ones are not first)
	firstTrack int
	firstTime  int64
}

// scanResult is the map of a file.
type scanResult struct {
	size       int64
	headerEnd  int64 // end of the EBML header
	segStart   int64
	segData    int64
	segSize    int64 // sizeUnknown while the writer had not finished
	info       []byte
	tracksElem []byte // the whole Tracks element
	scale      uint64 // TimecodeScale, ns per tick
	duration   float64
	hasDur     bool
	hasCues    bool
	others     [][2]int64 // other complete top-level elements, to keep
	tracks     map[int]*scannedTrack
	videoSeen  bool // a video block was seen
	clusters   []scannedCluster
	goodEnd    int64 // end of the last complete element kept
	torn       bool  // the walk stopped before the end of the file
	blocks     int
}

// scanner reads the file sequentially, tracking the offset.
type scanner struct {
	r   *bufio.Reader
	pos int64
	res *scanResult
}

// scanWebM maps the file read from r, which is size bytes long. It fails
// with ErrNotWebM when the file does not begin as WebM (or Matroska); a file
// that ends inside its header is returned with no Info or Tracks.
func scanWebM(r io.ReaderAt, size int64) (*scanResult, error) {
	res := &scanResult{size: size, segSize: sizeUnknown, scale: timecodeScale, tracks: map[int]*scannedTrack{}}
	s := &scanner{r: bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 1<<20), res: res}

	id, hsize, n, err := s.header()
	if errors.Is(err, io.ErrUnexpectedEOF) {
		// Empty, or cut inside the first header: nothing was written but
		// perhaps the start of a WebM header.
		b, _ := s.r.Peek(4)
		magic := []byte{0x1A, 0x45, 0xDF, 0xA3}
		if string(b) != string(magic[:len(b)]) {
			return nil, ErrNotWebM
		}
		return res, nil
	}
	if err != nil {
		return nil, ErrNotWebM
	}
	if id != idEBML {
		return nil, ErrNotWebM
	}
	if hsize == sizeUnknown || hsize > maxHeaderElement {
		return nil, ErrNotWebM
	}
	if s.pos+int64(n)+hsize > size {
		return res, nil
	}
	head, err := s.read(n + int(hsize))
	if err != nil {
		return nil, err
	}
	if !docTypeOK(head[n:]) {
		return nil, ErrNotWebM
	}
	res.headerEnd = s.pos

	id, ssize, n, err := s.header()
	if err != nil {
		return res, nil // torn in the Segment header
	}
	if id != idSegment {
		return nil, ErrNotWebM
	}
	res.segStart = s.pos
	if err := s.skip(n); err != nil {
		return nil, err
	}
	res.segData = s.pos
	res.segSize = ssize
	res.goodEnd = s.pos
	segEnd := size
	if ssize != sizeUnknown && res.segData+ssize < size {
		segEnd = res.segData + ssize
	}
	if err := s.walkSegment(segEnd); err != nil {
		return nil, err
	}
	if res.goodEnd < size {
		res.torn = true
	}
	return res, nil
}

// docTypeOK reports whether the EBML header's DocType is one this package
// reads.
func docTypeOK(data []byte) bool {
	kids, err := walkChildren(data)
	if err != nil {
		return false
	}
	for _, k := range kids {
		if k.id == 0x4282 {
			dt := string(data[k.dataOff : k.dataOff+k.size])
			return dt == "webm" || dt == "matroska"
		}
	}
	return false
}

// header peeks at the element header at the current offset.
func (s *scanner) header() (id uint32, size int64, n int, err error) {
	b, perr := s.r.Peek(12)
	if len(b) == 0 && perr != nil {
		return 0, 0, 0, io.ErrUnexpectedEOF
	}
	return parseHeader(b)
}

func (s *scanner) skip(n int) error {
	m, err := s.r.Discard(n)
	s.pos += int64(m)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

func (s *scanner) read(n int) ([]byte, error) {
	b := make([]byte, n)
	m, err := io.ReadFull(s.r, b)
	s.pos += int64(m)
	return b, err
}

// walkSegment records the Segment's top-level elements up to segEnd,
// stopping at the first one that is torn or foreign.
func (s *scanner) walkSegment(segEnd int64) error {
	res := s.res
	for s.pos < segEnd {
		start := s.pos
		id, size, n, err := s.header()
		if err != nil {
			return nil
		}
		if id == idCluster {
			ok, err := s.walkCluster(start, size, n, segEnd)
			if err != nil || !ok {
				return err
			}
			continue
		}
		if size == sizeUnknown || start+int64(n)+size > segEnd {
			return nil
		}
		switch id {
		case idInfo, idTracks:
			if size > maxHeaderElement {
				return nil
			}
			b, err := s.read(n + int(size))
			if err != nil {
				return err
			}
			if id == idInfo {
				if !s.readInfo(b[n:]) {
					return nil
				}
			} else {
				if !s.readTracks(b[n:]) {
					return nil
				}
				res.tracksElem = b
			}
		case idCues:
			res.hasCues = true
			if err := s.skip(n + int(size)); err != nil {
				return err
			}
		case idSeekHead, idVoid, idCRC32:
			if err := s.skip(n + int(size)); err != nil {
				return err
			}
		case idTags, idChapters, idAttachments:
			res.others = append(res.others, [2]int64{start, start + int64(n) + size})
			if err := s.skip(n + int(size)); err != nil {
				return err
			}
		default:
			return nil
		}
		res.goodEnd = s.pos
	}
	return nil
}

// readInfo takes TimecodeScale and Duration from the Info data.
func (s *scanner) readInfo(data []byte) bool {
	kids, err := walkChildren(data)
	if err != nil {
		return false
	}
	s.res.info = data
	for _, k := range kids {
		v := data[k.dataOff : k.dataOff+k.size]
		switch k.id {
		case idTimecodeScale:
			if u, ok := readUint(v); ok && u > 0 {
				s.res.scale = u
			}
		case idDuration:
			switch len(v) {
			case 4:
				s.res.duration = float64(math.Float32frombits(uint32(beUint(v))))
				s.res.hasDur = true
			case 8:
				s.res.duration = math.Float64frombits(beUint(v))
				s.res.hasDur = true
			}
		}
	}
	return true
}

// readTracks learns each track's number, type and codec.
func (s *scanner) readTracks(data []byte) bool {
	entries, err := walkChildren(data)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.id != idTrackEntry {
			continue
		}
		ed := data[e.dataOff : e.dataOff+e.size]
		fields, err := walkChildren(ed)
		if err != nil {
			return false
		}
		var num, kind uint64
		var codec string
		for _, f := range fields {
			v := ed[f.dataOff : f.dataOff+f.size]
			switch f.id {
			case idTrackNumber:
				num, _ = readUint(v)
			case idTrackType:
				kind, _ = readUint(v)
			case idCodecID:
				codec = string(v)
			}
		}
		if num == 0 || num > 126 {
			continue
		}
		s.res.tracks[int(num)] = &scannedTrack{kind: kind, codec: codec}
	}
	return len(s.res.tracks) > 0
}

// walkCluster records a cluster's complete children. It returns false when
// the walk of the Segment must stop here (the cluster is torn).
func (s *scanner) walkCluster(start, size int64, n int, segEnd int64) (bool, error) {
	res := s.res
	if res.info == nil || res.tracksElem == nil {
		return false, nil // clusters before the header: not a file we can finish
	}
	c := scannedCluster{start: start, dataStart: start + int64(n), knownSize: size != sizeUnknown, tc: -1}
	limit := segEnd
	if c.knownSize && c.dataStart+size < limit {
		limit = c.dataStart + size
	}
	if err := s.skip(n); err != nil {
		return false, err
	}
	c.end = s.pos
	defer func() {
		if c.blocks == 0 {
			return
		}
		if c.cueTrack == 0 && !res.videoSeen {
			c.cueTrack, c.cueTime = c.firstTrack, c.firstTime
		}
		res.videoSeen = res.videoSeen || c.firstVid
		res.clusters = append(res.clusters, c)
		res.goodEnd = c.end
	}()
	for {
		if s.pos >= limit {
			// At its declared end, or an unknown-size cluster at the end of
			// the file: complete. A known size that runs past the end of
			// the file: torn, but what is here is kept.
			c.complete = !c.knownSize || s.pos == c.dataStart+size
			return c.complete, nil
		}
		id, csize, hn, err := s.header()
		if err != nil {
			return false, nil
		}
		if !c.knownSize && topLevel(id) {
			c.complete = true
			return true, nil
		}
		if csize == sizeUnknown || s.pos+int64(hn)+csize > limit {
			return false, nil
		}
		switch id {
		case idTimecode:
			b, err := s.read(hn + int(csize))
			if err != nil {
				return false, err
			}
			v, ok := readUint(b[hn:])
			if !ok || c.blocks > 0 {
				return false, nil
			}
			c.tc = int64(v)
		case idSimpleBlock:
			if c.tc < 0 || csize < 4 {
				return false, nil
			}
			peek, _ := s.r.Peek(hn + int(min(csize, blockPeek)))
			if !s.block(&c, peek[hn:], true, false) {
				return false, nil
			}
			if err := s.skip(hn + int(csize)); err != nil {
				return false, err
			}
		case idBlockGroup:
			if c.tc < 0 || csize > maxHeaderElement {
				return false, nil
			}
			b, err := s.read(hn + int(csize))
			if err != nil {
				return false, err
			}
			if !s.blockGroup(&c, b[hn:]) {
				return false, nil
			}
		case idVoid, idCRC32, idPrevSize, idPosition, idSilentTracks:
			if err := s.skip(hn + int(csize)); err != nil {
				return false, err
			}
		default:
			return false, nil
		}
		c.end = s.pos
	}
}

// blockGroup records the Block inside a BlockGroup; it is a keyframe when
// it references no other block.
func (s *scanner) blockGroup(c *scannedCluster, data []byte) bool {
	kids, err := walkChildren(data)
	if err != nil {
		return false
	}
	var blk []byte
	key := true
	for _, k := range kids {
		switch k.id {
		case idBlock:
			blk = data[k.dataOff : k.dataOff+k.size]
		case idReferenceBlock:
			key = false
		}
	}
	if blk == nil {
		return false
	}
	return s.block(c, blk, false, key)
}

// block records one block, given its first bytes. A SimpleBlock (simple)
// carries its keyframe flag; a BlockGroup's Block does not, and groupKey
// says whether it is one.
func (s *scanner) block(c *scannedCluster, b []byte, simple, groupKey bool) bool {
	if len(b) < 4 || b[0]&0x80 == 0 {
		return false // track numbers above 126 are not ours
	}
	num := int(b[0] & 0x7f)
	t, ok := s.res.tracks[num]
	if !ok {
		return false
	}
	rel := int64(int16(uint16(b[1])<<8 | uint16(b[2])))
	at := c.tc + rel
	if at < 0 {
		return false
	}
	key := groupKey
	if simple {
		key = b[3]&0x80 != 0
	}
	if b[3]&0x06 != 0 {
		// Laced blocks are not what this package writes; their first bytes
		// are lacing headers, so take no duration from them.
		b = b[:4]
	}
	if t.hasFirst && at < t.lastT {
		return false // time going backwards on a track: not our data
	}
	switch t.kind {
	case trackTypeAudio:
		if t.codec == string(CodecIDOpus) {
			t.lastDur = int64(opusPacketDuration(b[4:])) / int64(s.res.scale)
		}
	case trackTypeVideo:
		if t.hasFirst {
			t.lastDur = min(at-t.lastT, int64(time.Second)/int64(s.res.scale))
		}
	}
	t.lastT, t.hasFirst = at, true
	c.blocks++
	s.res.blocks++
	if c.blocks == 1 {
		c.firstTrack, c.firstTime = num, at
	}
	if t.kind == trackTypeVideo && !c.firstVid && key {
		c.cueTrack, c.cueTime = num, at
	}
	if t.kind == trackTypeVideo {
		c.firstVid = true
	}
	return true
}

// endTicks is where the media ends: the end of the track that lasts longest.
func (r *scanResult) endTicks() int64 {
	var end int64
	for _, t := range r.tracks {
		if t.hasFirst {
			end = max(end, t.lastT+t.lastDur)
		}
	}
	return end
}

// String summarises the scan for error messages and test logs.
func (r *scanResult) String() string {
	return fmt.Sprintf("%d bytes, %d clusters, %d blocks, kept up to %d, cues %v, duration %v",
		r.size, len(r.clusters), r.blocks, r.goodEnd, r.hasCues, r.hasDur)
}
