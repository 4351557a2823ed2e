package core

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// MaxZipRecordings bounds the recordings one zip request may name.
const MaxZipRecordings = 100

// ZipSkippedName is the file, in a zip, that names the recordings left out and why.
const ZipSkippedName = "SKIPPED.txt"

// ZipPlan is a zip of recordings about to be written: what goes in (checked for
// recordingDownload), what is left out and why.
type ZipPlan struct {
	p       *Principal
	Items   []*Recording
	Skipped []ZipSkip
	// single is the zip of one recording (GET …/{id}/download?format=zip): its files at
	// the top, not in a folder named after it.
	single bool
}

// ZipSkip is a recording left out of a zip.
type ZipSkip struct {
	RecordingID string
	Reason      string
}

// Filename is the zip's name for its Content-Disposition.
func (z *ZipPlan) Filename() string {
	if z.single && len(z.Items) == 1 {
		return z.Items[0].RecordingID + ".zip"
	}
	return "recordings.zip"
}

// PlanRecordingsZip checks each of ids for p's recordingDownload and plans a zip of those
// allowed, naming the others. More than MaxZipRecordings ids is 400; none allowed is 400
// as in OpenVidu Meet.
func (s *Service) PlanRecordingsZip(ctx context.Context, p *Principal, ids []string) (*ZipPlan, error) {
	if p == nil || p.Kind == PrincipalAnonymous {
		return nil, ErrUnauthenticated
	}
	if len(ids) == 0 {
		return nil, invalid("recordingIds", "At least one recording id is required")
	}
	if len(ids) > MaxZipRecordings {
		return nil, &Error{Kind: KindBadRequest, Title: "Recording Error", Code: "too_many_recordings",
			Message: fmt.Sprintf("At most %d recordings can be zipped at once; %d were named", MaxZipRecordings, len(ids))}
	}
	plan := &ZipPlan{p: p}
	for _, id := range ids {
		if len(id) > 200 {
			plan.Skipped = append(plan.Skipped, ZipSkip{RecordingID: truncate(id, 60) + "…", Reason: "not a recording id"})
			continue
		}
		rec, err := s.loadRecording(ctx, id)
		if KindOf(err) == KindNotFound {
			plan.Skipped = append(plan.Skipped, ZipSkip{RecordingID: id, Reason: "not found"})
			continue
		} else if err != nil {
			return nil, err
		}
		d, err := s.recordingDecision(ctx, s.store, p, rec, RecActDownload)
		if err != nil {
			return nil, err
		}
		switch {
		case !d.Allowed:
			// A recording the caller may not even list is reported as a refusal, not
			// described: the reason says only that it was refused.
			plan.Skipped = append(plan.Skipped, ZipSkip{RecordingID: id, Reason: "you may not download it"})
		case liveStatus(rec.Status):
			plan.Skipped = append(plan.Skipped, ZipSkip{RecordingID: id, Reason: "it is still being recorded"})
		default:
			plan.Items = append(plan.Items, rec)
		}
	}
	if len(plan.Items) == 0 {
		return nil, &Error{Kind: KindBadRequest, Title: "Recording Error", Code: "recordings_zip_empty",
			Message: "None of the provided recordings are available for ZIP download"}
	}
	return plan, nil
}

// PlanRecordingZip plans the zip of one recording: all its files and its manifest
// (recordingDownload). Unlike a zip of several, a refusal is an error.
func (s *Service) PlanRecordingZip(ctx context.Context, p *Principal, id string) (*ZipPlan, error) {
	rec, err := s.loadRecording(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.checkRight(ctx, p, rec, RecActDownload); err != nil {
		return nil, err
	}
	if liveStatus(rec.Status) {
		return nil, recordingErr(ErrRecordingActive, "Recording %q is still being made", id)
	}
	return &ZipPlan{p: p, Items: []*Recording{rec}, single: true}, nil
}

// WriteZip streams the planned zip to w: each recording's main file, its streams' files
// and a manifest.json, stored uncompressed (WebM does not compress), one file at a time
// (nothing is held in memory but a copy buffer), and SKIPPED.txt naming what was left out.
// Each recording is logged (zip) as it starts.
func (s *Service) WriteZip(ctx context.Context, plan *ZipPlan, w io.Writer) error {
	zw := zip.NewWriter(w)
	skipped := append([]ZipSkip(nil), plan.Skipped...)
	buf := make([]byte, 256<<10)
	for _, rec := range plan.Items {
		if err := ctx.Err(); err != nil {
			return err
		}
		prefix := rec.RecordingID + "/"
		if plan.single {
			prefix = ""
		}
		if err := s.logAccessAlone(ctx, plan.p, AccessEntry{Action: AccessZip, RecordingID: rec.RecordingID, RoomID: rec.RoomID}); err != nil {
			return err
		}
		seen := map[string]bool{}
		for stream := -1; stream < len(rec.Streams); stream++ {
			f, err := s.openRecordingFile(rec, stream)
			if err != nil {
				if KindOf(err) == KindInternal {
					return err
				}
				skipped = append(skipped, ZipSkip{RecordingID: rec.RecordingID, Reason: fileLabel(rec, stream) + ": " + err.Error()})
				continue
			}
			name := f.Name()
			if seen[name] {
				f.Close()
				continue
			}
			seen[name] = true
			err = copyToZip(zw, prefix+name, f.ModTime(), f, buf)
			f.Close()
			if err != nil {
				return err
			}
		}
		m, _ := json.MarshalIndent(zipManifest(rec), "", "  ")
		if err := copyToZip(zw, prefix+"manifest.json", time.UnixMilli(rec.EndDate), strings.NewReader(string(m)), buf); err != nil {
			return err
		}
	}
	if len(skipped) > 0 {
		var b strings.Builder
		b.WriteString("Recordings and files left out of this zip:\n\n")
		for _, sk := range skipped {
			fmt.Fprintf(&b, "%s\t%s\n", sk.RecordingID, sk.Reason)
		}
		if err := copyToZip(zw, ZipSkippedName, s.now(), strings.NewReader(b.String()), buf); err != nil {
			return err
		}
	}
	return zw.Close()
}

func fileLabel(rec *Recording, stream int) string {
	if stream < 0 {
		return "main file " + rec.Filename
	}
	return fmt.Sprintf("stream %d (%s)", stream, rec.Streams[stream].File)
}

func copyToZip(zw *zip.Writer, name string, mod time.Time, r io.Reader, buf []byte) error {
	hw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: mod})
	if err != nil {
		return err
	}
	_, err = io.CopyBuffer(hw, r, buf)
	return err
}

// zipManifest describes a recording in its zip as the recorder's manifest does.
func zipManifest(rec *Recording) any {
	files := rec.Streams
	if files == nil {
		files = []RecordingStream{}
	}
	return map[string]any{
		"recordingId": rec.RecordingID, "roomId": rec.RoomID, "roomName": rec.RoomName,
		"layout": rec.Layout, "start": rec.StartDate, "end": rec.EndDate, "duration": rec.Duration,
		"main": rec.Filename, "files": files,
	}
}
