package db

import (
	"fmt"
	"strings"

	"conclave/core"
)

// where collects the conditions of a listing. Conditions are fixed SQL written in this
// package; every value from a query goes into args as a bound parameter.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// sql is the WHERE clause, empty when nothing filters.
func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// text adds a TextFilter on column col (an identifier of this package, not input).
//
// Case-insensitive matching lowers both sides with SQLite's lower(), which folds ASCII
// only: "É" does not match "é". Room and user names are mostly ASCII, and full Unicode
// folding would need ICU or a Go function that no index could serve.
//
// Prefix and partial matches use a range or instr() rather than LIKE, so '%', '_' and '\'
// in the value are ordinary characters with nothing to escape, and a case-sensitive match
// stays case-sensitive (SQLite's LIKE folds ASCII case).
func (w *where) text(col string, f core.TextFilter) error {
	if f.Value == "" {
		return nil
	}
	lhs, rhs := col, "?"
	if f.CaseInsensitive && f.Mode != core.MatchRegex {
		lhs, rhs = "lower("+col+")", "lower(?)"
	}
	switch f.Mode {
	case core.MatchExact, "":
		w.add(lhs+" = "+rhs, f.Value)
	case core.MatchPrefix:
		if f.CaseInsensitive {
			w.add("instr("+lhs+", "+rhs+") = 1", f.Value)
		} else {
			w.prefix(col, f.Value)
		}
	case core.MatchPartial:
		w.add("instr("+lhs+", "+rhs+") > 0", f.Value)
	case core.MatchRegex:
		pattern := f.Value
		if f.CaseInsensitive {
			pattern = "(?i)" + pattern
		}
		w.add(col+" REGEXP ?", pattern)
	default:
		return fmt.Errorf("unknown match mode %q", f.Mode)
	}
	return nil
}

// prefix keeps rows whose col starts with p, as a range an index on col can serve:
// s starts with p exactly when p <= s < p+"\xff", because 0xFF never occurs in UTF-8 text
// and SQLite compares TEXT bytewise.
func (w *where) prefix(col, p string) {
	w.add(col+" >= ? AND "+col+" < ?", p, p+"\xff")
}
