package tui

import (
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// column describes one table column. Natural widths come from the data (measured when it
// loads, not per frame); flex columns give up width first when the terminal is narrow.
type column struct {
	title string
	max   int // cap on the natural width, 0 = none
	min   int
	flex  bool
}

// table draws rows it does not own: the page gives it a row count and a cell function
// returning already sanitized text. Only the rows on screen are asked for, so a page with
// 10,000 rooms costs the same per frame as one with 20.
type table struct {
	c       *common
	cols    []column
	natural []int
	widths  []int
	n       int
	cell    func(row, col int) string

	cursor, offset int
	width, height  int // height counts the header line
	// blurred hides the selection: of two tables on one page, only the one the keys
	// move shows a selected row.
	blurred bool
}

func newTable(c *common, cols []column, cell func(row, col int) string) table {
	return table{c: c, cols: cols, cell: cell, natural: make([]int, len(cols))}
}

// setRows sets the row count and the natural column widths (without the header).
func (t *table) setRows(n int, natural []int) {
	t.n = n
	for i, col := range t.cols {
		w := ansi.StringWidth(col.title)
		if natural != nil && natural[i] > w {
			w = natural[i]
		}
		if col.max > 0 && w > col.max {
			w = col.max
		}
		t.natural[i] = w
	}
	t.layout()
	t.clamp()
}

func (t *table) setSize(w, h int) {
	if w == t.width && h == t.height {
		return
	}
	t.width, t.height = w, h
	t.layout()
	t.clamp()
}

// layout fits the natural widths into the table width: flex columns shrink (widest
// first) down to their minimum, then columns that still do not fit are dropped from the
// right.
func (t *table) layout() {
	w := append([]int(nil), t.natural...)
	total := func() int {
		s := 0
		for _, x := range w {
			if x > 0 {
				s += x + 2
			}
		}
		return s - 2
	}
	for total() > t.width {
		best := -1
		for i, col := range t.cols {
			if col.flex && w[i] > max(col.min, 4) && (best < 0 || w[i] > w[best]) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		w[best]--
	}
	for i := len(w) - 1; i > 0 && total() > t.width; i-- {
		w[i] = 0
	}
	t.widths = w
}

func (t *table) rowsOnScreen() int { return max(t.height-1, 1) }

func (t *table) clamp() {
	if t.n == 0 {
		t.cursor, t.offset = 0, 0
		return
	}
	t.cursor = min(max(t.cursor, 0), t.n-1)
	rows := t.rowsOnScreen()
	if t.cursor < t.offset {
		t.offset = t.cursor
	}
	if t.cursor >= t.offset+rows {
		t.offset = t.cursor - rows + 1
	}
	t.offset = min(max(t.offset, 0), max(t.n-rows, 0))
}

// setCursor moves the selection to row i.
func (t *table) setCursor(i int) {
	t.cursor = i
	t.clamp()
}

// update moves the selection for navigation keys and reports whether it used the key.
func (t *table) update(msg tea.KeyPressMsg) bool {
	nav := t.c.nav
	switch {
	case keyIs(msg, nav.Up):
		t.cursor--
	case keyIs(msg, nav.Down):
		t.cursor++
	case keyIs(msg, nav.Top):
		t.cursor = 0
	case keyIs(msg, nav.Bottom):
		t.cursor = t.n - 1
	case keyIs(msg, nav.PageUp):
		t.cursor -= t.rowsOnScreen()
	case keyIs(msg, nav.PageDown):
		t.cursor += t.rowsOnScreen()
	default:
		return false
	}
	t.clamp()
	return true
}

// position is "12/340", for titles.
func (t *table) position() string {
	if t.n == 0 {
		return "0/0"
	}
	return strconv.Itoa(t.cursor+1) + "/" + strconv.Itoa(t.n)
}

// view draws the header and the rows on screen.
func (t *table) view() string {
	st := t.c.styles
	var b strings.Builder
	b.Grow((t.width + 16) * (t.height + 1))
	titles := make([]string, len(t.cols))
	for i, col := range t.cols {
		titles[i] = col.title
	}
	b.WriteString(st.header.Render(t.line(func(i int) string { return titles[i] })))
	end := min(t.offset+t.rowsOnScreen(), t.n)
	for r := t.offset; r < end; r++ {
		b.WriteByte('\n')
		line := t.line(func(i int) string { return t.cell(r, i) })
		if r == t.cursor && !t.blurred {
			b.WriteString(st.selected.Render(line))
		} else {
			b.WriteString(line)
		}
	}
	return b.String()
}

// line lays out one row of plain cells at the computed widths, padded to the table width.
func (t *table) line(cell func(i int) string) string {
	var b strings.Builder
	b.Grow(t.width)
	used := 0
	for i, w := range t.widths {
		if w <= 0 {
			continue
		}
		if used > 0 {
			b.WriteString("  ")
			used += 2
		}
		used += writeCell(&b, cell(i), w)
	}
	if pad := t.width - used; pad > 0 {
		b.WriteString(strings.Repeat(" ", pad))
	}
	return b.String()
}

// writeCell writes s cut or padded to exactly w columns and returns w.
func writeCell(b *strings.Builder, s string, w int) int {
	sw := len(s)
	if !isPlainASCII(s) {
		sw = ansi.StringWidth(s)
	}
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = ansi.StringWidth(s)
	}
	b.WriteString(s)
	if sw < w {
		b.WriteString(strings.Repeat(" ", w-sw))
	}
	return w
}

// cellWidth measures a sanitized cell for natural widths.
func cellWidth(s string) int {
	if isPlainASCII(s) {
		return len(s)
	}
	return ansi.StringWidth(s)
}
