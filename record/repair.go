package record

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// RepairResult says what RepairWebM found and kept.
type RepairResult struct {
	// Repaired is false when the file was already complete (Duration, Cues,
	// every size in place) or held no media: then it was left untouched.
	Repaired bool
	// NoMedia means not one complete frame survived (an empty file, or one
	// cut inside its header): the recording is to be marked aborted. The
	// file is left as it was.
	NoMedia bool
	// Duration is the media's length: from Info for a complete file, else
	// up to the end of the last frame kept.
	Duration time.Duration
	// Clusters and Frames are what the file holds now.
	Clusters int
	Frames   int
	// BytesCut is how many bytes of torn data at the end were dropped.
	BytesCut int64
	// Size is the file's size now.
	Size int64
}

// RepairWebM finishes a WebM file that a crash left without Duration and
// Cues, perhaps cut inside a cluster or a block: it keeps every complete
// block of every cluster, drops the torn tail, and writes Duration, Cues and
// a SeekHead naming them, so that the file plays, seeks and decodes to its
// last complete frame.
//
// The repaired file is written next to the original (path + ".repair") and
// renamed over it once durable, so a crash during repair leaves the original
// whole; the file is never deleted. A complete file is left as it is and its
// duration reported, so repairing twice is harmless. A file with no media
// is left as it is with NoMedia set. Errors are I/O errors, or ErrNotWebM
// for a file that is not WebM (which is also NoMedia).
func RepairWebM(path string) (RepairResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return RepairResult{}, fmt.Errorf("record: repairing %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return RepairResult{}, fmt.Errorf("record: repairing %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return RepairResult{}, fmt.Errorf("record: repairing %s: not a regular file", path)
	}
	scan, err := scanWebM(f, fi.Size())
	if err != nil {
		res := RepairResult{Size: fi.Size(), NoMedia: errors.Is(err, ErrNotWebM)}
		return res, fmt.Errorf("record: repairing %s: %w", path, err)
	}
	res := RepairResult{Size: fi.Size(), Clusters: len(scan.clusters), Frames: scan.blocks}
	if scan.blocks == 0 {
		res.NoMedia = true
		return res, nil
	}
	if scan.complete() {
		res.Duration = time.Duration(scan.duration * float64(scan.scale))
		return res, nil
	}

	tmp := path + ".repair"
	size, err := rewrite(f, scan, tmp, fi.Mode().Perm())
	if err != nil {
		_ = os.Remove(tmp) // our own partial copy; the original is untouched
		return res, fmt.Errorf("record: repairing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return res, fmt.Errorf("record: repairing %s: %w", path, err)
	}
	res.Repaired = true
	res.Duration = time.Duration(scan.endTicks()) * time.Duration(scan.scale)
	res.BytesCut = scan.size - scan.goodEnd
	res.Size = size
	// The rename is done; an error here only means it might not survive a
	// power cut, after which the next start-up repairs the original again.
	return res, syncDir(filepath.Dir(path))
}

// complete reports whether the file is as Close leaves it: a known Segment
// size that ends at the end of the file, Duration, Cues, every cluster
// closed with its size, and nothing torn.
func (r *scanResult) complete() bool {
	if r.torn || !r.hasDur || !r.hasCues || r.segSize == sizeUnknown || r.segData+r.segSize != r.size {
		return false
	}
	for _, c := range r.clusters {
		if !c.knownSize || !c.complete {
			return false
		}
	}
	return true
}

// rewrite writes the repaired file to tmp and fsyncs it: the original's EBML
// header, then a Segment of known size holding a fresh SeekHead, Info with
// Duration, the original Tracks and other elements, every kept cluster with
// its size, and Cues. Every offset is known before the first byte is
// written, so the file is written front to back.
func rewrite(src io.ReaderAt, scan *scanResult, tmp string, perm os.FileMode) (int64, error) {
	info, err := repairedInfo(scan.info, float64(scan.endTicks()))
	if err != nil {
		return 0, err
	}
	infoPos := int64(seekHeadReserve)
	tracksPos := infoPos + int64(len(info))
	pos := tracksPos + int64(len(scan.tracksElem))
	for _, o := range scan.others {
		pos += o[1] - o[0]
	}
	var cues []cuePoint
	for _, c := range scan.clusters {
		if c.cueTrack != 0 {
			cues = append(cues, cuePoint{time: c.cueTime, track: c.cueTrack, pos: pos})
		}
		pos += 4 + sizeFieldLen + (c.end - c.dataStart)
	}
	cuesPos := int64(-1)
	var cuesElem []byte
	if len(cues) > 0 {
		cuesPos = pos
		if cuesElem, err = cuesBytes(cues); err != nil {
			return 0, err
		}
		pos += int64(len(cuesElem))
	}
	sh, err := seekHeadRegion(infoPos, tracksPos, cuesPos)
	if err != nil {
		return 0, err
	}

	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	w := bufio.NewWriterSize(out, 1<<20)
	copyRange := func(from, to int64) error {
		_, err := io.Copy(w, io.NewSectionReader(src, from, to-from))
		return err
	}
	if err := copyRange(0, scan.headerEnd); err != nil {
		return 0, err
	}
	seg := appendSize8(appendID(nil, idSegment), uint64(pos))
	for _, b := range [][]byte{seg, sh, info, scan.tracksElem} {
		if _, err := w.Write(b); err != nil {
			return 0, err
		}
	}
	for _, o := range scan.others {
		if err := copyRange(o[0], o[1]); err != nil {
			return 0, err
		}
	}
	for _, c := range scan.clusters {
		hdr := appendSize8(appendID(nil, idCluster), uint64(c.end-c.dataStart))
		if _, err := w.Write(hdr); err != nil {
			return 0, err
		}
		if err := copyRange(c.dataStart, c.end); err != nil {
			return 0, err
		}
	}
	if _, err := w.Write(cuesElem); err != nil {
		return 0, err
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	if err := out.Sync(); err != nil {
		return 0, err
	}
	if err := out.Close(); err != nil {
		return 0, err
	}
	return scan.headerEnd + int64(len(seg)) + pos, nil
}

// repairedInfo rebuilds the Info element from the original's children,
// without its Duration and Voids, with Duration (in ticks) added.
func repairedInfo(data []byte, ticks float64) ([]byte, error) {
	kids, err := walkChildren(data)
	if err != nil {
		return nil, err
	}
	var body []byte
	for _, k := range kids {
		if k.id == idDuration || k.id == idVoid {
			continue
		}
		body = append(body, data[k.off:k.dataOff+k.size]...)
	}
	body = append(body, durationBytes(ticks)...)
	out := appendID(nil, idInfo)
	out = appendSize(out, uint64(len(body)))
	return append(out, body...), nil
}
