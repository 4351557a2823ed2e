package tui

import (
	"strings"
	"unicode/utf8"
)

// sanitize makes text that came from users (room and user names, SSH key comments, audit
// details, pasted input) safe to draw. A raw ESC would let a room name move the cursor,
// recolour the screen or set the window title of every admin looking at it, so control
// characters are shown as their visible Control Pictures (ESC becomes ␛) rather than
// dropped: the admin sees that something odd is in the name. C1 controls, bidi overrides
// (which reorder what the screen shows) and invalid UTF-8 become U+FFFD.
func sanitize(s string) string {
	if isPlainASCII(s) {
		return s // the common case pays one scan and no allocation
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteRune('\uFFFD')
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x20:
			b.WriteRune(0x2400 + r) // ␀ … ␟
		case r == 0x7f:
			b.WriteRune('\u2421') // ␡
		case r >= 0x80 && r <= 0x9f:
			b.WriteRune('\uFFFD')
		case isBidiControl(r):
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isPlainASCII reports whether s holds only printable ASCII.
func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// isBidiControl reports the embedding, override and isolate controls, which can make a
// name display as something else than what it is.
func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x061c
}
