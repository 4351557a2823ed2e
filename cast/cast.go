// Package cast writes and reads asciicast v2 files, the recordings of control-room
// sessions (https://docs.asciinema.org/manual/asciicast/v2/): a JSON header line, then one
// JSON array per event, [time, "o", data] for output and [time, "r", "WxH"] for a resize.
// Input is never written. Files are written as the session goes and flushed at least
// every second, so a crash loses at most the last second; a file cut short or damaged
// reads back up to the damage.
package cast

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"conclave/core"
)

// FlushInterval is how often a recording's buffer reaches the file at the latest.
const FlushInterval = 500 * time.Millisecond

// MaxReadBytes bounds what Read parses for replay; a larger file reads up to there and is
// marked so (export gives it whole).
const MaxReadBytes = 64 << 20

// maxLine bounds one event's line: one frame of the control room is a few KiB.
const maxLine = 4 << 20

// Dir keeps the recordings as <id>.cast in one directory (0700, files 0600).
type Dir struct {
	path string
}

var _ core.SessionFiles = (*Dir)(nil)

// validID is what core's session ids look like; anything else never reaches the disk.
var validID = regexp.MustCompile(`^[0-9A-Za-z-]{1,64}$`)

// NewDir makes (or reuses) the directory.
func NewDir(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("session recordings: %w", err)
	}
	if err := os.Chmod(path, 0o700); err != nil {
		return nil, fmt.Errorf("session recordings: %w", err)
	}
	return &Dir{path: path}, nil
}

func (d *Dir) file(id string) (string, error) {
	if !validID.MatchString(id) {
		return "", fmt.Errorf("session id %q: %w", id, core.ErrNoRows)
	}
	return filepath.Join(d.path, id+".cast"), nil
}

// Path is where session id's recording is.
func (d *Dir) Path(id string) string {
	p, _ := d.file(id)
	return p
}

// Create starts a recording; the header is on disk when it returns.
func (d *Dir) Create(id string, h core.CastHeader) (core.CastWriter, error) {
	p, err := d.file(id)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create session recording: %w", err)
	}
	w, err := NewWriter(f, h, time.Now)
	if err != nil {
		f.Close()
		os.Remove(p)
		return nil, err
	}
	return w, nil
}

// Read parses a recording up to its first damage (or MaxReadBytes).
func (d *Dir) Read(id string) (*core.Cast, error) {
	p, err := d.file(id)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("session recording %q: %w", id, core.ErrNoRows)
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := Parse(io.LimitReader(f, MaxReadBytes+1))
	if err != nil {
		return nil, err
	}
	if c.Size > MaxReadBytes {
		c.Damage = fmt.Sprintf("longer than %d MiB: replay stops there; export the file to see it all", MaxReadBytes>>20)
	}
	if st, err := f.Stat(); err == nil {
		c.Size = st.Size()
	}
	return c, nil
}

// Open opens a recording's file for export.
func (d *Dir) Open(id string) (io.ReadCloser, int64, error) {
	p, err := d.file(id)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, fmt.Errorf("session recording %q: %w", id, core.ErrNoRows)
	} else if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

// Remove deletes a recording; a missing one is no error.
func (d *Dir) Remove(id string) error {
	p, err := d.file(id)
	if err != nil {
		return nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Usage sums the sizes of the recordings.
func (d *Dir) Usage() (int64, error) {
	entries, err := os.ReadDir(d.path)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".cast" {
			continue
		}
		if info, err := e.Info(); err == nil {
			n += info.Size()
		}
	}
	return n, nil
}

// Check looks for damage to a finished recording of size bytes without reading it all:
// its header, its last line and its size.
func (d *Dir) Check(id string, size int64) string {
	p, err := d.file(id)
	if err != nil {
		return "bad id"
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return "file missing"
	} else if err != nil {
		return "unreadable"
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "unreadable"
	}
	head := make([]byte, min(st.Size(), 4096))
	if _, err := io.ReadFull(f, head); err != nil {
		return "unreadable"
	}
	line, _, _ := bytes.Cut(head, []byte("\n"))
	var hdr struct {
		Version int `json:"version"`
	}
	if json.Unmarshal(line, &hdr) != nil || hdr.Version != 2 {
		return "damaged: no asciicast v2 header"
	}
	tail := make([]byte, min(st.Size(), maxTail))
	if _, err := f.ReadAt(tail, st.Size()-int64(len(tail))); err != nil {
		return "unreadable"
	}
	if len(tail) == 0 || tail[len(tail)-1] != '\n' {
		return "truncated"
	}
	// A newline before the last one means the last line is an event (the header is first).
	if i := bytes.LastIndexByte(tail[:len(tail)-1], '\n'); i >= 0 {
		if _, err := parseEvent(tail[i+1:]); err != nil {
			return "damaged at the end"
		}
	}
	if size > 0 && st.Size() != size {
		return fmt.Sprintf("damaged: %d bytes on disk, %d written", st.Size(), size)
	}
	return ""
}

// maxTail is how much of a file's end Check reads: a frame's line is rarely longer, and
// one that is goes unchecked rather than making the list slow.
const maxTail = 16 << 10

// Writer writes one recording. Output and Resize buffer the event and return; the buffer
// reaches the file when it fills, every FlushInterval, and on Close.
type Writer struct {
	mu    sync.Mutex
	f     io.WriteCloser
	buf   *bufio.Writer
	start time.Time
	now   func() time.Time
	size  int64
	// carry holds the start of a UTF-8 sequence a write cut, completed by the next one.
	carry   []byte
	scratch []byte
	err     error
	dirty   bool
	stop    chan struct{}
	done    chan struct{}
}

// NewWriter writes the header to f and starts the flusher. now is the clock of event
// times (time.Now in production).
func NewWriter(f io.WriteCloser, h core.CastHeader, now func() time.Time) (*Writer, error) {
	hdr := struct {
		Version   int               `json:"version"`
		Width     int               `json:"width"`
		Height    int               `json:"height"`
		Timestamp int64             `json:"timestamp"`
		Title     string            `json:"title,omitempty"`
		Env       map[string]string `json:"env,omitempty"`
	}{2, h.Width, h.Height, h.Timestamp, h.Title, h.Env}
	line, err := json.Marshal(hdr)
	if err != nil {
		return nil, err
	}
	line = append(line, '\n')
	if _, err := f.Write(line); err != nil {
		return nil, fmt.Errorf("write session recording header: %w", err)
	}
	w := &Writer{f: f, buf: bufio.NewWriterSize(f, 64<<10), start: now(), now: now, size: int64(len(line)),
		stop: make(chan struct{}), done: make(chan struct{})}
	go w.flusher()
	return w, nil
}

func (w *Writer) flusher() {
	defer close(w.done)
	t := time.NewTicker(FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.mu.Lock()
			if w.dirty && w.err == nil {
				w.err = w.buf.Flush()
				w.dirty = false
			}
			w.mu.Unlock()
		}
	}
}

// Output records data the terminal was sent.
func (w *Writer) Output(p []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return
	}
	data := p
	if len(w.carry) > 0 {
		data = append(w.carry, p...)
		w.carry = nil
	}
	// Keep an incomplete UTF-8 sequence at the end for the next write: asciicast data
	// is text, and a rune cut in two would turn into two replacement characters.
	if cut := incompleteTail(data); cut > 0 {
		w.carry = append([]byte(nil), data[len(data)-cut:]...)
		data = data[:len(data)-cut]
	}
	if len(data) == 0 {
		return
	}
	w.event('o', data)
}

// Resize records a new terminal size.
func (w *Writer) Resize(width, height int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return
	}
	w.event('r', []byte(strconv.Itoa(width)+"x"+strconv.Itoa(height)))
}

// event appends one event line; w.mu is held.
func (w *Writer) event(kind byte, data []byte) {
	b := w.scratch[:0]
	b = append(b, '[')
	b = strconv.AppendFloat(b, w.now().Sub(w.start).Seconds(), 'f', 6, 64)
	b = append(b, ", \""...)
	b = append(b, kind)
	b = append(b, "\", "...)
	b = appendJSONString(b, data)
	b = append(b, "]\n"...)
	w.scratch = b
	n, err := w.buf.Write(b)
	w.size += int64(n)
	w.dirty = true
	if err != nil {
		w.err = err
	}
}

// Size is the bytes written so far (buffered included).
func (w *Writer) Size() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.size
}

// Close flushes what is buffered and closes the file.
func (w *Writer) Close() error {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.carry) > 0 && w.err == nil {
		w.event('o', w.carry)
		w.carry = nil
	}
	err := w.err
	if err == nil {
		err = w.buf.Flush()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if w.err == nil {
		w.err = errors.New("closed")
	}
	return err
}

// incompleteTail is the length of a UTF-8 sequence begun but not finished at the end of b.
func incompleteTail(b []byte) int {
	for i := 1; i <= 3 && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < 0x80 {
			return 0 // ASCII: nothing pending
		}
		if c >= 0xC0 { // a leading byte: how long its sequence is
			need := 2
			switch {
			case c >= 0xF0:
				need = 4
			case c >= 0xE0:
				need = 3
			}
			if need > i {
				return i
			}
			return 0
		}
	}
	return 0
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends data as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b, data []byte) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(data); {
		c := data[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(data[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			b = append(b, data[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		b = append(b, data[start:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		start = i
	}
	b = append(b, data[start:]...)
	return append(b, '"')
}

// Parse reads an asciicast v2 stream up to its end or its first damage: a header that is
// not v2 is an error; a bad event line, or a last line cut short, stops reading with
// Damage saying where.
func Parse(r io.Reader) (*core.Cast, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	c := &core.Cast{}
	line, err := readLine(br)
	c.Size += int64(len(line))
	if err != nil && len(line) == 0 {
		return nil, fmt.Errorf("not an asciicast file: no header")
	}
	var hdr struct {
		Version   int               `json:"version"`
		Width     int               `json:"width"`
		Height    int               `json:"height"`
		Timestamp int64             `json:"timestamp"`
		Title     string            `json:"title"`
		Env       map[string]string `json:"env"`
	}
	if jerr := json.Unmarshal(bytes.TrimSpace(line), &hdr); jerr != nil || hdr.Version != 2 || hdr.Width <= 0 || hdr.Height <= 0 {
		return nil, fmt.Errorf("not an asciicast v2 file: bad header")
	}
	c.Header = core.CastHeader{Width: hdr.Width, Height: hdr.Height, Timestamp: hdr.Timestamp, Title: hdr.Title, Env: hdr.Env}
	for n := 2; ; n++ {
		line, err := readLine(br)
		c.Size += int64(len(line))
		if len(line) == 0 && err != nil {
			if !errors.Is(err, io.EOF) {
				c.Damage = fmt.Sprintf("line %d: %v", n, err)
			}
			return c, nil
		}
		if err != nil || line[len(line)-1] != '\n' {
			if errors.Is(err, errLineTooLong) {
				c.Damage = fmt.Sprintf("line %d: longer than %d bytes", n, maxLine)
			} else {
				c.Damage = fmt.Sprintf("truncated at line %d", n)
			}
			return c, nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		e, perr := parseEvent(line)
		if perr == nil && len(c.Events) > 0 && e.Time < c.Events[len(c.Events)-1].Time {
			perr = errors.New("time goes backwards")
		}
		if perr != nil {
			c.Damage = fmt.Sprintf("damaged at line %d: %v", n, perr)
			return c, nil
		}
		if e.Kind == 'o' || e.Kind == 'r' {
			c.Events = append(c.Events, e)
		}
	}
}

var errLineTooLong = errors.New("line too long")

func readLine(br *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		chunk, err := br.ReadSlice('\n')
		out = append(out, chunk...)
		if len(out) > maxLine {
			return out, errLineTooLong
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return out, err
	}
}

func parseEvent(line []byte) (core.CastEvent, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(line, &raw); err != nil {
		return core.CastEvent{}, errors.New("not a JSON array")
	}
	if len(raw) != 3 {
		return core.CastEvent{}, errors.New("an event has 3 fields")
	}
	var e core.CastEvent
	var kind string
	if err := json.Unmarshal(raw[0], &e.Time); err != nil || e.Time < 0 {
		return e, errors.New("bad time")
	}
	if err := json.Unmarshal(raw[1], &kind); err != nil || len(kind) != 1 {
		return e, errors.New("bad event type")
	}
	if err := json.Unmarshal(raw[2], &e.Data); err != nil {
		return e, errors.New("bad event data")
	}
	e.Kind = kind[0]
	if e.Kind == 'r' {
		if _, _, ok := ParseSize(e.Data); !ok {
			return e, errors.New("bad resize")
		}
	}
	return e, nil
}

// ParseSize reads a resize event's "WxH".
func ParseSize(s string) (w, h int, ok bool) {
	a, b, found := bytes.Cut([]byte(s), []byte("x"))
	if !found {
		return 0, 0, false
	}
	w, err1 := strconv.Atoi(string(a))
	h, err2 := strconv.Atoi(string(b))
	if err1 != nil || err2 != nil || w <= 0 || h <= 0 || w > 10000 || h > 10000 {
		return 0, 0, false
	}
	return w, h, true
}
