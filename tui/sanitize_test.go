package tui

import (
	"strings"
	"testing"
)

func TestSanitize(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Weekly sync", "Weekly sync"},
		{"\x1b[31mred\x1b[0m", "␛[31mred␛[0m"},
		{"title\x1b]0;pwned\x07", "title␛]0;pwned␇"},
		{"tab\there", "tab here"},
		{"line\nbreak", "line␊break"},
		{"del\x7f", "del␡"},
		{"c1\u009b31m", "c1\uFFFD31m"},
		{"bidi\u202eevil", "bidi\uFFFDevil"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"café ☕ 会議", "café ☕ 会議"},
	}
	for _, c := range cases {
		got := sanitize(c.in)
		if got != c.want {
			t.Errorf("sanitize(%q) = %q, want %q", c.in, got, c.want)
		}
		for _, r := range got {
			if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
				t.Errorf("sanitize(%q) kept control %U", c.in, r)
			}
		}
		if again := sanitize(got); again != got {
			t.Errorf("sanitize is not idempotent on %q: %q", got, again)
		}
	}
	if s := "plain ascii"; sanitize(s) != s || !strings.EqualFold(sanitize(s), s) {
		t.Fatal("plain text changed")
	}
}
