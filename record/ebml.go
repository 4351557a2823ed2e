package record

import (
	"errors"
	"fmt"
	"io"
)

// EBML element IDs this package writes or has to recognise when it walks a
// file. ebml-go knows them too, but as names for its reflection-based
// marshaller; the writer's patch-in-place framing and the repair walker need
// them as numbers.
const (
	idEBML        = 0x1A45DFA3
	idSegment     = 0x18538067
	idSeekHead    = 0x114D9B74
	idInfo        = 0x1549A966
	idTracks      = 0x1654AE6B
	idCluster     = 0x1F43B675
	idCues        = 0x1C53BB6B
	idTags        = 0x1254C367
	idChapters    = 0x1043A770
	idAttachments = 0x1941A469

	idVoid  = 0xEC
	idCRC32 = 0xBF

	idTimecodeScale = 0x2AD7B1
	idDuration      = 0x4489

	idTrackEntry  = 0xAE
	idTrackNumber = 0xD7
	idTrackType   = 0x83
	idCodecID     = 0x86
	idVideo       = 0xE0
	idPixelWidth  = 0xB0
	idPixelHeight = 0xBA

	idTimecode       = 0xE7
	idPosition       = 0xA7
	idPrevSize       = 0xAB
	idSimpleBlock    = 0xA3
	idBlockGroup     = 0xA0
	idBlock          = 0xA1
	idReferenceBlock = 0xFB
	idSilentTracks   = 0x5854
	idEncryptedBlock = 0xAF
)

// sizeUnknown is the reserved "unknown size" value of an EBML data size.
const sizeUnknown = -1

// sizeFieldLen is the width of the size fields the writer patches later
// (Segment and Cluster): eight bytes can hold any size, so a patch never
// moves a byte.
const sizeFieldLen = 8

// errBadEBML reports bytes that cannot be an EBML element header.
var errBadEBML = errors.New("invalid EBML element header")

// topLevel reports whether id is an element that lives directly in a
// Segment; an unknown-size Cluster ends where one of them begins.
func topLevel(id uint32) bool {
	switch id {
	case idSeekHead, idInfo, idTracks, idCluster, idCues, idTags, idChapters,
		idAttachments, idEBML, idSegment:
		return true
	}
	return false
}

// vintLen returns the length of the variable-size integer that starts with
// byte b, or 0 when b cannot start one (all zero bits: longer than eight).
func vintLen(b byte) int {
	for n := 1; n <= 8; n++ {
		if b&(0x80>>(n-1)) != 0 {
			return n
		}
	}
	return 0
}

// parseHeader decodes the element header at the start of b: its ID, its data
// size (sizeUnknown for the reserved all-ones value) and the header length.
// io.ErrUnexpectedEOF means b ends inside the header.
func parseHeader(b []byte) (id uint32, size int64, n int, err error) {
	if len(b) == 0 {
		return 0, 0, 0, io.ErrUnexpectedEOF
	}
	il := vintLen(b[0])
	if il == 0 || il > 4 {
		return 0, 0, 0, errBadEBML
	}
	if len(b) < il+1 {
		return 0, 0, 0, io.ErrUnexpectedEOF
	}
	for _, c := range b[:il] {
		id = id<<8 | uint32(c)
	}
	sl := vintLen(b[il])
	if sl == 0 {
		return 0, 0, 0, errBadEBML
	}
	if len(b) < il+sl {
		return 0, 0, 0, io.ErrUnexpectedEOF
	}
	v := uint64(b[il]) & (0xFF >> sl)
	allOnes := v == 0xFF>>sl
	for _, c := range b[il+1 : il+sl] {
		v = v<<8 | uint64(c)
		allOnes = allOnes && c == 0xFF
	}
	if allOnes {
		return id, sizeUnknown, il + sl, nil
	}
	if v > 1<<56 {
		return 0, 0, 0, errBadEBML
	}
	return id, int64(v), il + sl, nil
}

// appendID appends an element ID (its bytes as written, marker included).
func appendID(b []byte, id uint32) []byte {
	switch {
	case id >= 1<<24:
		return append(b, byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
	case id >= 1<<16:
		return append(b, byte(id>>16), byte(id>>8), byte(id))
	case id >= 1<<8:
		return append(b, byte(id>>8), byte(id))
	default:
		return append(b, byte(id))
	}
}

// appendSize appends size as the shortest EBML data size that holds it.
// The all-ones value of each length is reserved for "unknown", hence the
// strict comparisons.
func appendSize(b []byte, size uint64) []byte {
	for n := 1; n < 8; n++ {
		if size < 1<<(7*n)-1 {
			for i := n - 1; i >= 0; i-- {
				c := byte(size >> (8 * i))
				if i == n-1 {
					c |= 0x80 >> (n - 1)
				}
				b = append(b, c)
			}
			return b
		}
	}
	return appendSize8(b, size)
}

// appendSize8 appends size as an eight-byte EBML data size, the width the
// writer reserves for sizes it patches.
func appendSize8(b []byte, size uint64) []byte {
	b = append(b, 0x01)
	for i := 6; i >= 0; i-- {
		b = append(b, byte(size>>(8*i)))
	}
	return b
}

// unknownSize8 is the eight-byte encoding of "size unknown".
var unknownSize8 = []byte{0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}

// appendVoid appends a Void element of exactly total bytes (at least 2).
func appendVoid(b []byte, total int) []byte {
	if total < 2 {
		panic(fmt.Sprintf("record: void of %d bytes", total))
	}
	// A one-byte size holds up to 126; beyond that use eight bytes, which
	// keeps the arithmetic exact for any total >= 9.
	if total-2 < 127 {
		b = append(b, idVoid, 0x80|byte(total-2))
		return append(b, make([]byte, total-2)...)
	}
	b = append(b, idVoid)
	b = appendSize8(b, uint64(total-9))
	return append(b, make([]byte, total-9)...)
}

// child is one element found inside a parent's data by walkChildren.
type child struct {
	id        uint32
	off       int // offset of the header in the parent's data
	dataOff   int // offset of the data
	size      int // data size
	headerLen int
}

// walkChildren lists the elements in data, which must hold complete
// elements of known size (a master element's contents already in memory).
func walkChildren(data []byte) ([]child, error) {
	var out []child
	for off := 0; off < len(data); {
		id, size, n, err := parseHeader(data[off:])
		if err != nil {
			return out, err
		}
		if size == sizeUnknown || size > int64(len(data)-off-n) {
			return out, errBadEBML
		}
		out = append(out, child{id: id, off: off, dataOff: off + n, size: int(size), headerLen: n})
		off += n + int(size)
	}
	return out, nil
}

// beUint decodes up to eight big-endian bytes.
func beUint(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

// readUint decodes an EBML unsigned integer element's data.
func readUint(b []byte) (uint64, bool) {
	if len(b) > 8 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v, true
}
