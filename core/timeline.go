package core

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
)

// RecordingManifest is a recording's manifest.json as the recorder writes it (package
// record): who took part and which file holds what, on one clock from the recording's
// start. Fields the recorder does not write (yet) are zero.
type RecordingManifest struct {
	RecordingID  string                `json:"recordingId"`
	RoomID       string                `json:"roomId"`
	Layout       string                `json:"layout"`
	Start        int64                 `json:"start"` // epoch ms
	End          int64                 `json:"end"`   // epoch ms, once stopped
	Participants []ManifestParticipant `json:"participants"`
	Files        []ManifestFile        `json:"files"`
}

// ManifestParticipant is one participant of a recording.
type ManifestParticipant struct {
	Identity string `json:"identity"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	// Speaking is when it spoke, [start, end] seconds from the recording's start (from
	// the audio level header extension); nil when the recorder did not say.
	Speaking [][2]float64 `json:"speaking"`
	// SpeakingTruncated says that later speech was not listed (a very long recording).
	SpeakingTruncated bool `json:"speakingTruncated"`
}

// ManifestFile is one file of a recording.
type ManifestFile struct {
	File     string   `json:"file"`
	Identity string   `json:"identity"`
	Kind     string   `json:"kind"`
	Offset   float64  `json:"offset"`
	Duration float64  `json:"duration"`
	Codecs   []string `json:"codecs"`
}

// MaxManifestBytes bounds the manifest a recorder hands core.
const MaxManifestBytes = 32 << 20

// RecordingManifest reads the manifest of recording id for someone who may play it, from
// the recorder (found by the recording's row, never by a path from the request). A
// recording whose manifest is missing or unreadable gets nil and no error: its streams
// are still known from its row.
func (s *Service) RecordingManifest(ctx context.Context, p *Principal, id string) (*Recording, *RecordingManifest, error) {
	rec, err := s.loadRecording(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if err := s.recordingPerm(ctx, p, rec, "recordingPlay"); err != nil {
		return nil, nil, err
	}
	return rec, s.readManifest(rec), nil
}

func (s *Service) readManifest(rec *Recording) *RecordingManifest {
	if s.cfg.Recorder == nil {
		return nil
	}
	b, err := s.cfg.Recorder.Manifest(*rec)
	if errors.Is(err, ErrNoRows) {
		return nil
	} else if err != nil {
		s.log.Warn("recording manifest not readable", "recording", rec.RecordingID, "err", err)
		return nil
	}
	var m RecordingManifest
	if err := json.Unmarshal(b, &m); err != nil {
		s.log.Warn("recording manifest is corrupt", "recording", rec.RecordingID, "err", err)
		return nil
	}
	return &m
}

// RecordingTimeline is what the player shows of a recording: its streams, who was
// there and who spoke when, and what else the viewer may do.
type RecordingTimeline struct {
	Recording *Recording
	// Streams are the recording's files in manifest order (media ?stream=N).
	Streams      []TimelineStream
	Participants []TimelineParticipant
	// SpeakingKnown says whether the recorder recorded who spoke (older recordings and
	// recorders without audio levels did not).
	SpeakingKnown bool
	CanDownload   bool
	CanList       bool
	// Others are the room's other recordings, newest first, when CanList (at most
	// TimelineOthers; OthersMore when there are more).
	Others     []Recording
	OthersMore bool
}

// TimelineStream is one file of a recording.
type TimelineStream struct {
	Index int
	RecordingStream
	Codecs []string
}

// TimelineParticipant is one participant's rows of the timeline: seconds from the
// recording's start, sorted, not overlapping, within the recording.
type TimelineParticipant struct {
	Identity, Name, Role string
	Present              [][2]float64
	// Speaking is nil when the recording does not say who spoke.
	Speaking          [][2]float64
	SpeakingTruncated bool
}

// TimelineOthers is how many other recordings of the room a timeline lists.
const TimelineOthers = 50

// maxIntervals bounds the intervals of one participant a timeline carries.
const maxIntervals = 100000

// RecordingTimeline is the player's view of recording id, for someone who may play it;
// a recording being made is 409.
func (s *Service) RecordingTimeline(ctx context.Context, p *Principal, id string) (*RecordingTimeline, error) {
	rec, m, err := s.RecordingManifest(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if liveStatus(rec.Status) {
		return nil, recordingErr(ErrRecordingActive, "Recording %q is still being made", id)
	}
	tl := &RecordingTimeline{Recording: rec}
	if tl.CanDownload, err = s.mayRecording(ctx, p, rec, "recordingDownload"); err != nil {
		return nil, err
	}
	if tl.CanList, err = s.mayRecording(ctx, p, rec, "recordingList"); err != nil {
		return nil, err
	}
	if tl.CanList {
		q := RecordingQuery{RoomID: rec.RoomID, ListOptions: ListOptions{MaxItems: TimelineOthers + 1, SortField: "startDate", Desc: true}}
		page, err := s.ListRecordings(ctx, p, q)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Items {
			if o.RecordingID == rec.RecordingID {
				continue
			}
			if len(tl.Others) == TimelineOthers {
				tl.OthersMore = true
				break
			}
			tl.Others = append(tl.Others, o)
		}
		tl.OthersMore = tl.OthersMore || page.Next != ""
	}
	buildTimeline(tl, m)
	return tl, nil
}

// mayRecording reports whether p holds perm on rec; only a refusal is false, other
// errors are errors.
func (s *Service) mayRecording(ctx context.Context, p *Principal, rec *Recording, perm string) (bool, error) {
	err := s.recordingPerm(ctx, p, rec, perm)
	if err == nil {
		return true, nil
	}
	if KindOf(err) == KindForbidden {
		return false, nil
	}
	return false, err
}

// buildTimeline fills in the streams and participants from the recording's row (its
// streams as the recorder reported them) and its manifest (names, roles, codecs,
// speaking), when there is one.
func buildTimeline(tl *RecordingTimeline, m *RecordingManifest) {
	rec := tl.Recording
	dur := rec.Duration
	codecs := map[string][]string{}
	var people []ManifestParticipant
	if m != nil {
		for _, f := range m.Files {
			codecs[f.File] = f.Codecs
		}
		people = m.Participants
	}
	byID := map[string]int{} // index in tl.Participants
	add := func(identity, name, role string) {
		if i, ok := byID[identity]; ok {
			if tl.Participants[i].Name == "" {
				tl.Participants[i].Name = name
			}
			return
		}
		byID[identity] = len(tl.Participants)
		tl.Participants = append(tl.Participants, TimelineParticipant{Identity: identity, Name: name, Role: role})
	}
	// Participants in manifest order, then anyone a stream names that it does not.
	tl.Participants = make([]TimelineParticipant, 0, len(people)+len(rec.Streams))
	for _, mp := range people {
		add(mp.Identity, mp.Name, mp.Role)
	}
	present := map[string][][2]float64{}
	for i, st := range rec.Streams {
		tl.Streams = append(tl.Streams, TimelineStream{Index: i, RecordingStream: st, Codecs: codecs[st.File]})
		add(st.Identity, st.Name, "")
		present[st.Identity] = append(present[st.Identity], [2]float64{st.Offset, st.Offset + st.Duration})
	}
	for i := range tl.Participants {
		tp := &tl.Participants[i]
		if tp.Name == "" {
			tp.Name = tp.Identity
		}
		tp.Present = cleanIntervals(present[tp.Identity], dur)
	}
	// The recorder leaves out the speaking of a participant who never spoke: one
	// participant's list says that every participant's was recorded.
	for _, mp := range people {
		if mp.Speaking == nil && !mp.SpeakingTruncated {
			continue
		}
		tl.SpeakingKnown = true
		tp := &tl.Participants[byID[mp.Identity]]
		tp.Speaking = append(tp.Speaking, mp.Speaking...)
		tp.SpeakingTruncated = tp.SpeakingTruncated || mp.SpeakingTruncated
	}
	for i := range tl.Participants {
		if tp := &tl.Participants[i]; tp.Speaking != nil {
			tp.Speaking = cleanIntervals(tp.Speaking, dur)
		}
	}
	if tl.SpeakingKnown {
		for i := range tl.Participants {
			if tl.Participants[i].Speaking == nil {
				tl.Participants[i].Speaking = [][2]float64{}
			}
		}
	}
}

// cleanIntervals sorts intervals, drops the empty and the non-finite, clips them to
// [0, dur] (when dur > 0) and merges those that overlap or touch.
func cleanIntervals(in [][2]float64, dur float64) [][2]float64 {
	out := make([][2]float64, 0, len(in))
	for _, iv := range in {
		a, b := iv[0], iv[1]
		if math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) {
			continue
		}
		a = max(a, 0)
		if dur > 0 {
			b = min(b, dur)
		}
		if b <= a {
			continue
		}
		out = append(out, [2]float64{a, b})
	}
	slices.SortFunc(out, func(x, y [2]float64) int {
		switch {
		case x[0] < y[0]:
			return -1
		case x[0] > y[0]:
			return 1
		}
		return 0
	})
	merged := out[:0]
	for _, iv := range out {
		if n := len(merged); n > 0 && iv[0] <= merged[n-1][1] {
			merged[n-1][1] = max(merged[n-1][1], iv[1])
			continue
		}
		merged = append(merged, iv)
	}
	if len(merged) > maxIntervals {
		merged = merged[:maxIntervals]
	}
	return merged
}
