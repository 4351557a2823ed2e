package db

import (
	"regexp"
	"sync"

	"github.com/mattn/go-sqlite3"
)

// regexCacheSize bounds the compiled patterns a connection keeps. Filters repeat while a
// user pages through a listing, so a handful is plenty.
const regexCacheSize = 32

// registerFunctions is the driver's ConnectHook: SQLite has the REGEXP operator but no
// function behind it, so `x REGEXP p` fails unless every connection defines regexp(p, x).
func registerFunctions(conn *sqlite3.SQLiteConn) error {
	c := &regexCache{m: make(map[string]*regexp.Regexp)}
	return conn.RegisterFunc("regexp", c.match, true)
}

// regexCache holds one connection's compiled patterns, so the pattern of a filter is
// compiled once per query rather than once per row.
type regexCache struct {
	mu sync.Mutex // a connection serves one query at a time, but the cost is nil
	m  map[string]*regexp.Regexp
}

// match implements regexp(pattern, value) with Go's RE2 syntax, which core validated.
func (c *regexCache) match(pattern, value string) (bool, error) {
	c.mu.Lock()
	re, ok := c.m[pattern]
	c.mu.Unlock()
	if !ok {
		var err error
		if re, err = regexp.Compile(pattern); err != nil {
			return false, err
		}
		c.mu.Lock()
		if len(c.m) >= regexCacheSize {
			clear(c.m) // crude, but a connection rarely sees more than a few patterns
		}
		c.m[pattern] = re
		c.mu.Unlock()
	}
	return re.MatchString(value), nil
}
