package tui

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"

	"conclave/core"
)

// The replay of a recorded control-room session: a terminal emulator at the recorded
// size is fed the output events up to the play position, and its screen is drawn inside
// the control room. Idle gaps longer than replayMaxGap play as replayMaxGap.

const (
	replayMaxGap = 2 * time.Second
	replayFrame  = 50 * time.Millisecond
	replaySeek   = 5 * time.Second
)

var replaySpeeds = []int{1, 2, 4, 8}

// replayTickMsg advances the replay numbered gen.
type replayTickMsg struct{ gen int }

type replayKeys struct {
	play, faster, slower, back, fwd, start, end, jump, close key.Binding
}

// replay plays one recording.
type replay struct {
	c     *common
	id    string
	title string
	cast  *core.Cast
	// at is each event's time on the compressed timeline.
	at       []time.Duration
	duration time.Duration

	emu     *vt.Emulator
	next    int           // the next event to feed
	pos     time.Duration // the play position on the compressed timeline
	playing bool
	speed   int // index in replaySpeeds
	gen     int // ticks of an older generation are dropped
	width   int
	height  int
	keys    replayKeys
}

func newReplay(c *common, id, title string, cst *core.Cast) *replay {
	r := &replay{c: c, id: id, title: title, cast: cst, keys: replayKeys{
		play:   bind("play/pause", "space"),
		faster: bind("faster", "+", "="),
		slower: bind("slower", "-"),
		back:   bind("back 5 s", "left", "h"),
		fwd:    bind("forward 5 s", "right", "l"),
		start:  bind("start", "home", "g"),
		end:    bind("end", "end", "G"),
		jump:   bind("jump to 0–90 %", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
		close:  bind("back to the list", "esc"),
	}}
	r.at = make([]time.Duration, len(cst.Events))
	var prev float64
	var t time.Duration
	for i, e := range cst.Events {
		gap := time.Duration((e.Time - prev) * float64(time.Second))
		t += min(max(gap, 0), replayMaxGap)
		r.at[i], prev = t, e.Time
	}
	r.duration = t
	r.reset()
	return r
}

// reset starts the emulator afresh at the recorded size, at position 0.
func (r *replay) reset() {
	r.closeEmulator()
	r.width, r.height = r.cast.Header.Width, r.cast.Header.Height
	r.emu = vt.NewEmulator(r.width, r.height)
	// The emulator answers a recording's queries (cursor position, colours) on its input
	// pipe; nobody types into a replay, so the answers are drained and dropped.
	go io.Copy(io.Discard, r.emu)
	r.next, r.pos = 0, 0
}

// closeEmulator ends the drain of the emulator's answers. Closing the answers' pipe, not
// the emulator, ends the drain's read without the emulator's unguarded closed flag being
// written while that read looks at it.
func (r *replay) closeEmulator() {
	if r.emu == nil {
		return
	}
	if pw, ok := r.emu.InputPipe().(io.Closer); ok {
		pw.Close()
	}
}

// seek moves the play position to t, replaying from the start when it goes back.
func (r *replay) seek(t time.Duration) {
	t = min(max(t, 0), r.duration)
	if t < r.pos {
		r.reset()
	}
	r.pos = t
	r.feed()
}

// feed gives the emulator every event up to the play position.
func (r *replay) feed() {
	for r.next < len(r.cast.Events) && r.at[r.next] <= r.pos {
		e := r.cast.Events[r.next]
		switch e.Kind {
		case 'o':
			r.emu.WriteString(e.Data)
		case 'r':
			if w, h, ok := parseSize(e.Data); ok {
				r.width, r.height = w, h
				r.emu.Resize(w, h)
			}
		}
		r.next++
	}
}

func parseSize(s string) (int, int, bool) {
	a, b, ok := strings.Cut(s, "x")
	w, err1 := strconv.Atoi(a)
	h, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || w <= 0 || h <= 0 || w > 10000 || h > 10000 {
		return 0, 0, false
	}
	return w, h, true
}

func (r *replay) ended() bool { return r.pos >= r.duration && r.next >= len(r.cast.Events) }

func (r *replay) tickCmd() tea.Cmd {
	gen := r.gen
	return r.c.tick(replayFrame, func(time.Time) tea.Msg { return replayTickMsg{gen: gen} })
}

// toggle plays or pauses; play at the end starts again.
func (r *replay) toggle() tea.Cmd {
	if r.playing {
		r.playing = false
		r.gen++
		return nil
	}
	if r.ended() {
		r.seek(0)
	}
	r.playing = true
	r.gen++
	return r.tickCmd()
}

func (r *replay) play() tea.Cmd {
	if r.playing {
		return nil
	}
	return r.toggle()
}

// update handles keys and ticks; closed reports esc.
func (r *replay) update(msg tea.Msg) (closed bool, cmd tea.Cmd) {
	switch m := msg.(type) {
	case replayTickMsg:
		if m.gen != r.gen || !r.playing {
			return false, nil
		}
		r.pos = min(r.pos+replayFrame*time.Duration(replaySpeeds[r.speed]), r.duration)
		r.feed()
		if r.ended() {
			r.playing = false
			return false, nil
		}
		return false, r.tickCmd()
	case tea.KeyPressMsg:
		switch {
		case keyIs(m, r.keys.close):
			r.playing = false
			r.gen++
			r.closeEmulator()
			return true, nil
		case keyIs(m, r.keys.play):
			return false, r.toggle()
		case keyIs(m, r.keys.faster):
			r.speed = min(r.speed+1, len(replaySpeeds)-1)
		case keyIs(m, r.keys.slower):
			r.speed = max(r.speed-1, 0)
		case keyIs(m, r.keys.back):
			r.seek(r.pos - replaySeek)
		case keyIs(m, r.keys.fwd):
			r.seek(r.pos + replaySeek)
		case keyIs(m, r.keys.start):
			r.seek(0)
		case keyIs(m, r.keys.end):
			r.seek(r.duration)
		case keyIs(m, r.keys.jump):
			n := int(m.Code - '0')
			r.seek(r.duration * time.Duration(n) / 10)
		}
	}
	return false, nil
}

func (r *replay) ShortHelp() []key.Binding {
	return []key.Binding{r.keys.play, r.keys.back, r.keys.fwd, r.keys.faster, r.keys.slower, r.keys.close}
}

func (r *replay) FullHelp() [][]key.Binding {
	return [][]key.Binding{{r.keys.play, r.keys.faster, r.keys.slower}, {r.keys.back, r.keys.fwd, r.keys.start, r.keys.end, r.keys.jump}, {r.keys.close}}
}

// view draws the title, the progress bar and the screen at the play position. A screen
// larger than the space here is cut at the right and the bottom, and says so.
func (r *replay) view(w, h int) string {
	st := r.c.styles
	state := "▶ playing"
	switch {
	case r.ended():
		state = "■ end"
	case !r.playing:
		state = "❚❚ paused"
	}
	head := st.title.Render("Replay "+sanitize(r.title)) + st.dim.Render(fmt.Sprintf("  %d×%d", r.width, r.height))
	clock := fmt.Sprintf(" %s / %s  ×%d  %s", clockText(r.pos), clockText(r.duration), replaySpeeds[r.speed], state)
	barW := max(w-ansi.StringWidth(clock)-4, 10)
	filled := barW
	if r.duration > 0 {
		filled = int(int64(barW) * int64(r.pos) / int64(r.duration))
	}
	bar := "[" + strings.Repeat("=", filled) + strings.Repeat("-", barW-filled) + "]" + clock
	lines := []string{head, bar}
	if r.cast.Live {
		lines = append(lines, st.dim.Render(ansi.Truncate("Live session: replayed as far as it was written when opened", w, "…")))
	}
	if r.cast.Damage != "" {
		lines = append(lines, st.errText.Render(ansi.Truncate("Damaged recording: "+sanitize(r.cast.Damage)+" — replay stops there", w, "…")))
	}
	room := max(h-len(lines)-1, 1)
	screen := strings.Split(r.emu.Render(), "\n")
	cut := len(screen) > room || r.width > w
	if len(screen) > room {
		screen = screen[:room]
	}
	for i, l := range screen {
		screen[i] = ansi.Truncate(l, w, "") + ansi.ResetStyle // a style never leaks out of the screen
	}
	note := ""
	if cut {
		note = st.dim.Render(fmt.Sprintf("  (the recorded screen is %d×%d: make this terminal larger to see all of it)", r.width, r.height))
	}
	lines[0] += note
	return strings.Join(append(lines, screen...), "\n")
}
