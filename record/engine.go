package record

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"conclave/media"
)

// Result is how a recording ended, as its files say.
type Result struct {
	// Status is "complete", "failed", "aborted" (nothing could be saved) or
	// "limit_reached" (the disk guard stopped it).
	Status  string
	Error   string
	Details string
	// Main is the file served as the recording's media: the first camera stream (the
	// composed file will take its place once it exists).
	Main     string
	Duration time.Duration
	Size     int64
	Streams  []StreamInfo
	// Lost counts the packets that never arrived (after retransmission was asked), and
	// WorstGap is the longest time between two frames of a track in the files: what a
	// viewer sees as a freeze.
	Lost     uint64
	WorstGap time.Duration
}

// Outcome statuses, as core names them.
const (
	StatusComplete     = "complete"
	StatusFailed       = "failed"
	StatusAborted      = "aborted"
	StatusLimitReached = "limit_reached"
)

// Options configure the engine.
type Options struct {
	// Root is the directory recordings are written under (created 0700).
	Root string
	// MinFreeDisk is the free space below which a running recording stops as
	// limit_reached.
	MinFreeDisk uint64
	// FlushEvery is how often files are flushed to disk (default and at most 1 s: a crash
	// loses at most that much).
	FlushEvery time.Duration
	// Logger gets the engine's logs (slog.Default when nil).
	Logger *slog.Logger
	// Reorder sizes each track's reorder buffer (its defaults when zero).
	Reorder ReorderConfig
}

// Engine records rooms of an SFU: each recording is a media sink of its room, writing one
// WebM file per published stream under Root/<dir>.
type Engine struct {
	sfu  *media.SFU
	opts Options
	log  *slog.Logger
	// written and dropped count, over every recording since start, the bytes written to
	// files and the packets the sinks lost to a full queue (Stats).
	written, dropped atomic.Uint64
}

// EngineStats are an engine's counters since it started, for metrics.
type EngineStats struct {
	// BytesWritten counts the bytes written into recording files, as they are written.
	BytesWritten uint64
	// SinkDropped counts the packets recordings lost because they fell behind (a full
	// sink queue), counted as each recorded track ends.
	SinkDropped uint64
}

// Stats returns the engine's counters.
func (e *Engine) Stats() EngineStats {
	return EngineStats{BytesWritten: e.written.Load(), SinkDropped: e.dropped.Load()}
}

// New returns an engine recording from sfu.
func New(sfu *media.SFU, opts Options) (*Engine, error) {
	if opts.Root == "" {
		return nil, errors.New("record: no recordings directory")
	}
	if opts.FlushEvery <= 0 || opts.FlushEvery > time.Second {
		opts.FlushEvery = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := os.MkdirAll(opts.Root, 0o700); err != nil {
		return nil, fmt.Errorf("record: create %s: %w", opts.Root, err)
	}
	return &Engine{sfu: sfu, opts: opts, log: opts.Logger.With("component", "record")}, nil
}

// Spec says what to record.
type Spec struct {
	ID, Room string
	// Dir is the recording's directory under Root: a relative path of plain names, made
	// by the caller from ids, never from a request.
	Dir    string
	Layout string
	// Who names a participant for the manifest (name, role); nil leaves them empty.
	Who func(identity string) (name, role string)
}

// dirOf resolves a recording's directory under the root, refusing anything that would
// leave it.
func (e *Engine) dirOf(dir string) (string, error) {
	clean := filepath.Clean(dir)
	if dir == "" || filepath.IsAbs(dir) || clean != dir || clean == "." || strings.HasPrefix(clean, "..") {
		return "", fmt.Errorf("record: %q is not a recording directory", dir)
	}
	return filepath.Join(e.opts.Root, clean), nil
}

// FreeBytes is the free space of the recordings' file system.
func (e *Engine) FreeBytes() (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(e.opts.Root, &st); err != nil {
		return 0, fmt.Errorf("record: free space of %s: %w", e.opts.Root, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// Dirs lists the recording directories under the root (<room>/<id>).
func (e *Engine) Dirs() ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(e.opts.Root, "*", "*"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && fi.IsDir() {
			rel, err := filepath.Rel(e.opts.Root, m)
			if err == nil {
				out = append(out, filepath.ToSlash(rel))
			}
		}
	}
	return out, nil
}

// Present reports whether file name of a recording's directory is on disk.
func (e *Engine) Present(dir, name string) bool {
	f, err := e.Open(dir, name)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// Remove deletes a recording's files.
func (e *Engine) Remove(dir string) error {
	path, err := e.dirOf(dir)
	if err != nil {
		return err
	}
	return os.RemoveAll(path)
}

// File is an open recording file.
type File struct {
	*os.File
	name string
	size int64
	mod  time.Time
}

// Name is the file's base name (as downloads name it).
func (f *File) Name() string { return f.name }

// Size is the file's size in bytes.
func (f *File) Size() int64 { return f.size }

// ModTime is when the file was last written.
func (f *File) ModTime() time.Time { return f.mod }

// Open opens file name of a recording's directory. name must be a plain .webm file name
// (the manifest's); anything else is refused.
func (e *Engine) Open(dir, name string) (*File, error) {
	path, err := e.dirOf(dir)
	if err != nil {
		return nil, err
	}
	if name == "" || name != filepath.Base(name) || !strings.HasSuffix(name, ".webm") {
		return nil, fmt.Errorf("record: %q is not a recording file", name)
	}
	f, err := os.Open(filepath.Join(path, name))
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &File{File: f, name: name, size: info.Size(), mod: info.ModTime()}, nil
}

// Start begins recording spec's room; ended is called once, from another goroutine, if
// the recording ends on its own (a write error, the disk guard) before Stop.
func (e *Engine) Start(spec Spec, ended func(Result)) (*Session, error) {
	dir, err := e.dirOf(spec.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("record: create %s: %w", dir, err)
	}
	s := newSession(e, spec, dir, ended)
	if err := s.writeManifest(); err != nil {
		return nil, err
	}
	detach, err := e.sfu.AttachSink(spec.Room, s)
	if err != nil {
		return nil, fmt.Errorf("record: attach to room %s: %w", spec.Room, err)
	}
	s.run(detach)
	return s, nil
}
