// Package bridge makes the record package's engine core's Recorder: core keeps the
// recordings' records and decides when; the engine writes the files. record knows nothing
// of core, so the types are turned into each other here. main and the test stack use it.
package bridge

import (
	"errors"
	"io/fs"
	"time"

	"conclave/core"
	"conclave/record"
)

// Recorder is a record.Engine as a core.Recorder. svc names the participants for the
// manifest; it is looked up when a recording starts (main builds core after the engine).
func Recorder(e *record.Engine, svc func() *core.Service) core.Recorder {
	return recorder{e: e, svc: svc}
}

type recorder struct {
	e   *record.Engine
	svc func() *core.Service
}

func (r recorder) Start(rec core.Recording, ended func(core.RecordingOutcome)) (core.ActiveRecording, error) {
	roomID := rec.RoomID
	s, err := r.e.Start(record.Spec{ID: rec.RecordingID, Room: roomID, Dir: rec.Dir, Layout: rec.Layout,
		Who: func(identity string) (string, string) { return r.svc().ParticipantName(roomID, identity) }},
		func(res record.Result) { ended(outcome(res)) })
	if err != nil {
		return nil, err
	}
	return session{s}, nil
}

func (r recorder) Repair(rec core.Recording) (core.RecordingOutcome, error) {
	res, err := r.e.Repair(rec.Dir)
	if err != nil {
		return core.RecordingOutcome{}, err
	}
	return outcome(res), nil
}

func (r recorder) Remove(rec core.Recording) error { return r.e.Remove(rec.Dir) }

func (r recorder) Open(rec core.Recording, stream int) (core.RecordingFile, error) {
	name := rec.Filename
	if stream >= 0 {
		name = rec.Streams[stream].File
	}
	f, err := r.e.Open(rec.Dir, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, core.ErrNoRows
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (r recorder) FreeBytes() (uint64, error) { return r.e.FreeBytes() }

func (r recorder) Dirs() ([]string, error) { return r.e.Dirs() }

func (r recorder) Present(rec core.Recording) bool { return r.e.Present(rec.Dir, rec.Filename) }

func (r recorder) Manifest(rec core.Recording) ([]byte, error) {
	b, err := r.e.Manifest(rec.Dir, core.MaxManifestBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, core.ErrNoRows
	}
	return b, err
}

type session struct{ s *record.Session }

func (s session) Stop() core.RecordingOutcome { return outcome(s.s.Stop()) }

func outcome(res record.Result) core.RecordingOutcome {
	o := core.RecordingOutcome{Status: res.Status, Error: res.Error, Details: res.Details, Filename: res.Main,
		Duration: res.Duration.Seconds(), Size: res.Size}
	for _, st := range res.Streams {
		o.Streams = append(o.Streams, core.RecordingStream{File: st.File, Identity: st.Identity, Name: st.Name,
			Kind: st.Kind, Offset: secs(st.Offset), Duration: secs(st.Duration), Size: st.Size})
	}
	return o
}

func secs(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }
