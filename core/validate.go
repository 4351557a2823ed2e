package core

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Paging bounds of OpenVidu Meet's listings.
const (
	DefaultMaxItems = 10
	MaxMaxItems     = 100
)

var userIDPattern = regexp.MustCompile(`^[a-z0-9_]{5,20}$`)

// ClampMaxItems applies OpenVidu Meet's rule: default 10, at most 100, at least 1.
func ClampMaxItems(n int) int {
	switch {
	case n <= 0:
		return DefaultMaxItems
	case n > MaxMaxItems:
		return MaxMaxItems
	}
	return n
}

// checkList validates sort options against the fields a listing supports (the first is
// the default) and clamps MaxItems.
func checkList(o ListOptions, fields ...string) (ListOptions, error) {
	o.MaxItems = ClampMaxItems(o.MaxItems)
	if o.SortField == "" {
		o.SortField = fields[0]
		o.Desc = true
	} else if !slices.Contains(fields, o.SortField) {
		return o, invalid("sortField", "must be one of %s", strings.Join(fields, ", "))
	}
	if len(o.PageToken) > 1024 {
		return o, invalid("nextPageToken", "invalid page token")
	}
	return o, nil
}

// checkText validates a text filter; a regex must compile (RE2, so no catastrophic
// backtracking) and stay short.
func checkText(field string, f TextFilter) (TextFilter, error) {
	if f.Value == "" {
		return f, nil
	}
	if f.Mode == "" {
		f.Mode = MatchExact
	}
	if len(f.Value) > 200 {
		return f, invalid(field, "filter is longer than 200 characters")
	}
	switch f.Mode {
	case MatchExact, MatchPrefix, MatchPartial:
	case MatchRegex:
		if _, err := regexp.Compile(f.Value); err != nil {
			return f, invalid(field, "invalid regular expression: %v", err)
		}
	default:
		return f, invalid(field+"MatchMode", "must be one of exact, prefix, partial, regex")
	}
	return f, nil
}

// listErr turns a store listing error into a domain error.
func listErr(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrBadCursor) {
		return invalid("nextPageToken", "invalid page token")
	}
	return internal("list "+what, err)
}

// checkName validates a display name: 1..max characters, no control characters and no
// invisible or bidirectional formatting characters.
func checkName(v *validator, field, name string, maxLen int) {
	switch {
	case strings.TrimSpace(name) == "":
		v.add(field, "Required")
	case !utf8.ValidString(name):
		v.add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(name) > maxLen:
		v.add(field, "must be at most %d characters", maxLen)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		v.add(field, "must not contain control characters")
	default:
		if i := strings.IndexFunc(name, invisible); i >= 0 {
			r, _ := utf8.DecodeRuneInString(name[i:])
			v.add(field, "must not contain invisible or text-direction characters (found U+%04X)", r)
		}
	}
}

// invisible reports whether r changes how the text around it is shown without being seen
// itself: zero-width characters, direction marks, embeddings, overrides and isolates, and
// the byte-order mark. In a name they let one name pass for another in a list ("adm"
// and "in" around a zero-width space look like "admin"; a right-to-left override shows
// the letters after it reversed), so names refuse them rather than show them. The
// zero-width joiner goes with them, although emoji sequences use it.
func invisible(r rune) bool {
	switch {
	case r >= 0x200B && r <= 0x200F, // zero-width space, non-joiner, joiner; LRM, RLM
		r >= 0x202A && r <= 0x202E, // LRE, RLE, PDF, LRO, RLO
		r >= 0x2060 && r <= 0x2064, // word joiner and the invisible operators
		r >= 0x2066 && r <= 0x2069, // LRI, RLI, FSI, PDI
		r == 0x061C,                // Arabic letter mark, a direction mark like RLM
		r == 0xFEFF:                // zero-width no-break space (byte-order mark)
		return true
	}
	return false
}

// Password lengths. bcrypt reads at most 72 bytes; production needs 8 characters, local
// mode (one machine, admin/admin to start with) keeps OpenVidu Meet's 5.
const (
	minPasswordLocal      = 5
	minPasswordProduction = 8
	maxPasswordBytes      = 72
)

// checkPassword validates a password being set for userID: long enough for the mode,
// within what bcrypt reads, and not the userId itself (in any case), which is the first
// guess of anyone who knows the userId. Every reason that applies is given at once.
func (s *Service) checkPassword(v *validator, field, userID, pw string) {
	var why []string
	switch minLen := s.minPasswordLength(); {
	case utf8.RuneCountInString(pw) < minLen && s.cfg.Production:
		why = append(why, fmt.Sprintf("must be at least %d characters in production mode", minLen))
	case utf8.RuneCountInString(pw) < minLen:
		why = append(why, fmt.Sprintf("must be at least %d characters", minLen))
	case len(pw) > maxPasswordBytes:
		// bcrypt ignores everything past 72 bytes; refuse rather than silently truncate.
		why = append(why, fmt.Sprintf("must be at most %d bytes", maxPasswordBytes))
	}
	if userID != "" && strings.EqualFold(pw, userID) {
		why = append(why, "must not be the userId")
	}
	if len(why) > 0 {
		v.add(field, "%s", strings.Join(why, " and "))
	}
}

func (s *Service) minPasswordLength() int {
	if s.cfg.Production {
		return minPasswordProduction
	}
	return minPasswordLocal
}

// ValidUserID reports whether id is a well-formed userId (5–20 of [a-z0-9_]).
func ValidUserID(id string) bool { return userIDPattern.MatchString(id) }
