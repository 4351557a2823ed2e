package record

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/at-wat/ebml-go"
	"github.com/at-wat/ebml-go/webm"
)

// The layout of a file this package writes:
//
//	EBML header
//	Segment, 8-byte size: unknown while writing, patched at Close
//	  SeekHead + Void   a fixed seekHeadReserve bytes, rewritten at Close
//	  Info              its last child is an 11-byte Void, replaced by
//	                    Duration at Close
//	  Tracks
//	  Cluster ...       8-byte size: unknown while the cluster is open,
//	                    patched when the next one starts
//	  Cues              appended at Close
//
// Everything that is patched keeps its length, so nothing written before
// ever moves, and a file cut short at any byte is a valid prefix of this
// layout that Repair knows how to finish.

const (
	// timecodeScale is WebM's customary 1 ms tick, in nanoseconds.
	timecodeScale = 1000000
	// seekHeadReserve holds a SeekHead with three Seek entries (about 60
	// bytes with 8-byte positions) plus the Void that pads it.
	seekHeadReserve = 96
	// durationLen is the length of a Duration element with an 8-byte float,
	// and so of the Void that stands in for it.
	durationLen = 11

	muxingApp = "conclave record (ebml-go)"

	// opusPreSkip is the 6.5 ms that libopus encoders (browsers included)
	// put before the first real sample; players drop it. CodecDelay is the
	// same amount in nanoseconds.
	opusPreSkip    = 312
	opusCodecDelay = opusPreSkip * 1000000000 / 48000
	// opusSeekPreRoll is what the Opus WebM mapping asks for: decoding 80 ms
	// before a seek target converges the decoder.
	opusSeekPreRoll = 80 * 1000000

	trackTypeVideo = 1
	trackTypeAudio = 2
)

// ebmlHeader returns the EBML header of a WebM file. DocTypeVersion 4
// because CodecDelay and SeekPreRoll are version 4 elements.
func ebmlHeader() ([]byte, error) {
	h := struct {
		Header webm.EBMLHeader `ebml:"EBML"`
	}{webm.EBMLHeader{
		EBMLVersion:        1,
		EBMLReadVersion:    1,
		EBMLMaxIDLength:    4,
		EBMLMaxSizeLength:  8,
		DocType:            "webm",
		DocTypeVersion:     4,
		DocTypeReadVersion: 2,
	}}
	var b bytes.Buffer
	err := ebml.Marshal(&h, &b)
	return b.Bytes(), err
}

// infoElement is Segment Info as written: the Void is where Duration goes.
type infoElement struct {
	TimecodeScale uint64    `ebml:"TimecodeScale"`
	MuxingApp     string    `ebml:"MuxingApp"`
	WritingApp    string    `ebml:"WritingApp"`
	DateUTC       time.Time `ebml:"DateUTC,omitempty"`
	Title         string    `ebml:"Title,omitempty"`
	DurationSlot  []byte    `ebml:"Void"`
}

// infoBytes returns the Info element; its last durationLen bytes are the
// Void that durationBytes later overwrites.
func infoBytes(writingApp, title string, date time.Time) ([]byte, error) {
	if writingApp == "" {
		writingApp = muxingApp
	}
	v := struct {
		Info infoElement `ebml:"Info"`
	}{infoElement{
		TimecodeScale: timecodeScale,
		MuxingApp:     muxingApp,
		WritingApp:    writingApp,
		DateUTC:       date,
		Title:         title,
		DurationSlot:  make([]byte, durationLen-2),
	}}
	var b bytes.Buffer
	if err := ebml.Marshal(&v, &b); err != nil {
		return nil, err
	}
	out := b.Bytes()
	if !bytes.Equal(out[len(out)-durationLen:len(out)-durationLen+2], []byte{idVoid, 0x80 | (durationLen - 2)}) {
		return nil, fmt.Errorf("record: Info does not end with the Duration slot")
	}
	return out, nil
}

// durationBytes returns a Duration element of durationLen bytes: the value
// is in timecodeScale ticks, as a float64 so that its length is fixed.
func durationBytes(ticks float64) []byte {
	b := []byte{0x44, 0x89, 0x88, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint64(b[3:], math.Float64bits(ticks))
	return b
}

type trackEntry struct {
	TrackNumber  uint64        `ebml:"TrackNumber"`
	TrackUID     uint64        `ebml:"TrackUID"`
	TrackType    uint64        `ebml:"TrackType"`
	FlagLacing   uint64        `ebml:"FlagLacing"`
	Name         string        `ebml:"Name,omitempty"`
	CodecID      string        `ebml:"CodecID"`
	CodecPrivate []byte        `ebml:"CodecPrivate,omitempty"`
	CodecDelay   uint64        `ebml:"CodecDelay,omitempty"`
	SeekPreRoll  uint64        `ebml:"SeekPreRoll,omitempty"`
	Video        *videoElement `ebml:"Video"` // never omitempty: ebml-go would drop a zero size, and browsers need it
	Audio        *audioElement `ebml:"Audio,omitempty"`
}

// videoElement gives the pixel size two bytes each, always, so that a size
// learnt from the first keyframe can be patched in without moving a byte.
type videoElement struct {
	PixelWidth  uint64 `ebml:"PixelWidth,size=2"`
	PixelHeight uint64 `ebml:"PixelHeight,size=2"`
}

type audioElement struct {
	SamplingFrequency float64 `ebml:"SamplingFrequency"`
	Channels          uint64  `ebml:"Channels"`
}

// tracksBytes returns the Tracks element and, when there is a video track,
// the offsets within it of the 2-byte PixelWidth and PixelHeight data (-1
// otherwise).
func tracksBytes(specs []WebMTrack, uids []uint64) (b []byte, widthOff, heightOff int, err error) {
	var v struct {
		Tracks struct {
			TrackEntry []trackEntry `ebml:"TrackEntry"`
		} `ebml:"Tracks"`
	}
	for i, s := range specs {
		e := trackEntry{
			TrackNumber: uint64(i + 1),
			TrackUID:    uids[i],
			Name:        s.Name,
			CodecID:     string(s.Codec),
		}
		if s.Codec.IsVideo() {
			e.TrackType = trackTypeVideo
			e.Video = &videoElement{PixelWidth: uint64(s.Width), PixelHeight: uint64(s.Height)}
		} else {
			e.TrackType = trackTypeAudio
			e.CodecPrivate = opusHead(s.Channels)
			e.CodecDelay = opusCodecDelay
			e.SeekPreRoll = opusSeekPreRoll
			e.Audio = &audioElement{SamplingFrequency: 48000, Channels: uint64(s.Channels)}
		}
		v.Tracks.TrackEntry = append(v.Tracks.TrackEntry, e)
	}
	var buf bytes.Buffer
	if err := ebml.Marshal(&v, &buf); err != nil {
		return nil, 0, 0, err
	}
	b = buf.Bytes()
	widthOff, heightOff = findPixelSize(b)
	return b, widthOff, heightOff, nil
}

// findPixelSize walks a Tracks element for the video track's PixelWidth and
// PixelHeight data. Walking is exact where scanning for the bytes B0 82
// could match inside CodecPrivate.
func findPixelSize(tracks []byte) (widthOff, heightOff int) {
	widthOff, heightOff = -1, -1
	top, err := walkChildren(tracks)
	if err != nil || len(top) != 1 {
		return
	}
	base := top[0].dataOff
	entries, _ := walkChildren(tracks[base : base+top[0].size])
	for _, e := range entries {
		eb := base + e.dataOff
		fields, _ := walkChildren(tracks[eb : eb+e.size])
		for _, f := range fields {
			if f.id != idVideo {
				continue
			}
			vb := eb + f.dataOff
			vf, _ := walkChildren(tracks[vb : vb+f.size])
			for _, p := range vf {
				switch {
				case p.id == idPixelWidth && p.size == 2:
					widthOff = vb + p.dataOff
				case p.id == idPixelHeight && p.size == 2:
					heightOff = vb + p.dataOff
				}
			}
		}
	}
	return
}

// opusHead is the CodecPrivate of an Opus track (RFC 7845 section 5.1):
// version 1, the channel count, the pre-skip, the input rate, gain 0 and
// channel mapping family 0 (mono or stereo, no mapping table).
func opusHead(channels int) []byte {
	b := make([]byte, 19)
	copy(b, "OpusHead")
	b[8] = 1
	b[9] = byte(channels)
	binary.LittleEndian.PutUint16(b[10:], opusPreSkip)
	binary.LittleEndian.PutUint32(b[12:], 48000)
	binary.LittleEndian.PutUint16(b[16:], 0)
	b[18] = 0
	return b
}

// seekHeadRegion returns exactly seekHeadReserve bytes: a SeekHead naming
// Info, Tracks and, when cuesPos >= 0, Cues (positions relative to the
// Segment's data), then a Void filling the rest.
func seekHeadRegion(infoPos, tracksPos, cuesPos int64) ([]byte, error) {
	sh := webm.SeekHead{Seek: []webm.Seek{
		{SeekID: ebml.ElementInfo.Bytes(), SeekPosition: uint64(infoPos)},
		{SeekID: ebml.ElementTracks.Bytes(), SeekPosition: uint64(tracksPos)},
	}}
	if cuesPos >= 0 {
		sh.Seek = append(sh.Seek, webm.Seek{SeekID: ebml.ElementCues.Bytes(), SeekPosition: uint64(cuesPos)})
	}
	v := struct {
		SeekHead webm.SeekHead `ebml:"SeekHead"`
	}{sh}
	var buf bytes.Buffer
	if err := ebml.Marshal(&v, &buf); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	if len(b) > seekHeadReserve-2 {
		return nil, fmt.Errorf("record: SeekHead of %d bytes exceeds its reserve", len(b))
	}
	return appendVoid(b, seekHeadReserve-len(b)), nil
}

// cuePoint is one entry of the seek index: a cluster that starts with a
// keyframe of track.
type cuePoint struct {
	time  int64 // ticks
	track int   // track number
	pos   int64 // cluster position relative to the Segment's data
}

// cuesBytes returns the Cues element for points (which must not be empty:
// Matroska requires at least one CuePoint).
func cuesBytes(points []cuePoint) ([]byte, error) {
	var c webm.Cues
	for _, p := range points {
		c.CuePoint = append(c.CuePoint, webm.CuePoint{
			CueTime: uint64(p.time),
			CueTrackPositions: []webm.CueTrackPosition{{
				CueTrack:           uint64(p.track),
				CueClusterPosition: uint64(p.pos),
			}},
		})
	}
	v := struct {
		Cues webm.Cues `ebml:"Cues"`
	}{c}
	var buf bytes.Buffer
	err := ebml.Marshal(&v, &buf)
	return buf.Bytes(), err
}

// clusterHeader returns the start of a cluster: ID, an unknown 8-byte size
// (patched when the cluster is finished) and the cluster Timecode.
func clusterHeader(tc int64) ([]byte, error) {
	b := appendID(nil, idCluster)
	b = append(b, unknownSize8...)
	v := struct {
		Timecode uint64 `ebml:"Timecode"`
	}{uint64(tc)}
	var buf bytes.Buffer
	if err := ebml.Marshal(&v, &buf); err != nil {
		return nil, err
	}
	return append(b, buf.Bytes()...), nil
}
