package record

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// StreamInfo is one file of a recording, as the manifest lists it.
type StreamInfo struct {
	File     string
	Identity string
	Name     string
	Role     string
	Kind     string        // camera | screen
	Offset   time.Duration // from the recording's start
	Duration time.Duration
	Size     int64
	Codecs   []string
}

// manifestName is the file, in each recording's directory, that says what is in it.
const manifestName = "manifest.json"

type manifest struct {
	RecordingID  string                `json:"recordingId"`
	RoomID       string                `json:"roomId"`
	Layout       string                `json:"layout"`
	Start        int64                 `json:"start"`         // epoch ms
	End          int64                 `json:"end,omitempty"` // epoch ms, once stopped
	Participants []manifestParticipant `json:"participants"`
	Files        []manifestFile        `json:"files"`
}

type manifestParticipant struct {
	Identity string `json:"identity"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	// Speaking is when the participant spoke, as [start, end] pairs in seconds from the
	// recording's start, from the audio level its microphone reported (RFC 6464); absent
	// when it sent none.
	// An empty list says it never spoke, where its microphone did report a level.
	Speaking *[][2]float64 `json:"speaking,omitempty"`
	// SpeakingTruncated says that later speech was not listed (a very long recording).
	SpeakingTruncated bool `json:"speakingTruncated,omitempty"`
}

type manifestFile struct {
	File     string   `json:"file"`
	Identity string   `json:"identity"`
	Kind     string   `json:"kind"`
	Offset   float64  `json:"offset"`   // seconds from the recording's start
	Duration float64  `json:"duration"` // seconds
	Codecs   []string `json:"codecs"`
}

// seconds is d in seconds, to the millisecond.
func seconds(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }

// writeManifest writes the manifest as things stand (the caller holds s.mu, or the
// session has not started): a crash leaves one listing every file opened.
func (s *Session) writeManifest() error { return s.writeManifestAt(0) }

// writeManifestAt writes the manifest; end > 0 marks the recording stopped that long
// after its start.
func (s *Session) writeManifestAt(end time.Duration) error {
	m := manifest{RecordingID: s.spec.ID, RoomID: s.spec.Room, Layout: s.spec.Layout,
		Start: s.start.UnixMilli(), Participants: []manifestParticipant{}, Files: []manifestFile{}}
	if end > 0 {
		m.End = s.start.Add(end).UnixMilli()
	}
	seen := map[string]bool{}
	for _, f := range s.files {
		m.Files = append(m.Files, manifestFile{File: f.name, Identity: f.identity, Kind: f.kind,
			Offset: f.offset.Seconds(), Duration: f.end.Seconds(), Codecs: f.codecs})
		if !seen[f.identity] {
			seen[f.identity] = true
			name, role := "", ""
			if s.spec.Who != nil {
				name, role = s.spec.Who(f.identity)
			}
			mp := manifestParticipant{Identity: f.identity, Name: name, Role: role}
			if sp := s.speech[f.identity]; sp != nil {
				list := [][2]float64{}
				for _, iv := range sp.intervals() {
					list = append(list, [2]float64{seconds(iv.Start), seconds(iv.End)})
				}
				mp.Speaking, mp.SpeakingTruncated = &list, sp.truncated
			}
			m.Participants = append(m.Participants, mp)
		}
	}
	return writeJSONFile(filepath.Join(s.dir, manifestName), m)
}

// writeJSONFile replaces path with v as JSON, atomically, readable by its owner only.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("record: write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("record: replace %s: %w", path, err)
	}
	return nil
}

// Repair makes the files of a recording a crash left being made playable and seekable
// (complete clusters kept, a torn end cut, Duration and Cues written) and reports what
// survived: StatusComplete when some media did, StatusAborted when none did. Files the
// manifest names that are gone, and files on disk it does not name, are reported in the
// result's details, not ignored; nothing is deleted.
func (e *Engine) Repair(dir string) (Result, error) {
	path, err := e.dirOf(dir)
	if err != nil {
		return Result{}, err
	}
	var m manifest
	if b, err := os.ReadFile(filepath.Join(path, manifestName)); err == nil {
		if err := json.Unmarshal(b, &m); err != nil {
			return Result{}, fmt.Errorf("record: manifest of %s is corrupt: %w", dir, err)
		}
	} else if !os.IsNotExist(err) {
		return Result{}, fmt.Errorf("record: read manifest of %s: %w", dir, err)
	}
	onDisk, err := filepath.Glob(filepath.Join(path, "*.webm"))
	if err != nil {
		return Result{}, err
	}
	var notes []string
	listed := map[string]bool{}
	files := m.Files
	for _, f := range files {
		listed[f.File] = true
	}
	for _, p := range onDisk {
		if name := filepath.Base(p); !listed[name] {
			notes = append(notes, name+" was on disk but not in the manifest")
			files = append(files, manifestFile{File: name, Kind: "camera"})
		}
	}
	r := Result{Status: StatusAborted}
	names := map[string]string{}
	for _, p := range m.Participants {
		names[p.Identity] = p.Name
	}
	for i := range files {
		f := &files[i]
		fp := filepath.Join(path, f.File)
		if _, err := os.Stat(fp); os.IsNotExist(err) {
			notes = append(notes, f.File+" is gone")
			continue
		}
		rr, err := RepairWebM(fp)
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s could not be repaired: %v", f.File, err))
			continue
		}
		if rr.NoMedia {
			notes = append(notes, f.File+" held no media")
			continue
		}
		fi, _ := os.Stat(fp)
		size := int64(0)
		if fi != nil {
			size = fi.Size()
		}
		offset := time.Duration(f.Offset * float64(time.Second))
		st := StreamInfo{File: f.File, Identity: f.Identity, Name: names[f.Identity], Kind: f.Kind,
			Offset: offset, Duration: rr.Duration, Size: size, Codecs: f.Codecs}
		r.Streams = append(r.Streams, st)
		r.Duration = max(r.Duration, offset+rr.Duration)
		r.Size += size
		f.Duration = rr.Duration.Seconds()
	}
	if len(r.Streams) > 0 {
		r.Status = StatusComplete
	} else {
		r.Error = "Nothing of the recording could be saved"
	}
	r.Main = mainFile(r.Streams)
	slices.Sort(notes)
	r.Details = strings.Join(notes, "; ")
	m.Files = files
	if m.End == 0 && m.Start > 0 {
		m.End = m.Start + r.Duration.Milliseconds()
	}
	if err := writeJSONFile(filepath.Join(path, manifestName), m); err != nil {
		return r, err
	}
	return r, nil
}
