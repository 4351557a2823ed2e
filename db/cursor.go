package db

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"conclave/core"
)

// keyCol is one column of a listing's sort key.
type keyCol struct {
	expr string // SQL expression, never built from input
	text bool   // TEXT (else INTEGER)
}

// ordering is a listing's sort: the sort field's column followed by tie-break columns that
// make the key unique, so keyset paging never skips or repeats a row among equal values.
type ordering struct {
	list  string // the listing ("rooms", "users"…), carried in the cursor
	field string // the API's sort field name, carried in the cursor
	desc  bool
	cols  []keyCol
}

// orderBy is the ORDER BY clause; every column runs in the same direction, so the key is
// one tuple and one index scan (forwards or backwards) serves it.
func (o ordering) orderBy() string {
	dir := " ASC"
	if o.desc {
		dir = " DESC"
	}
	parts := make([]string, len(o.cols))
	for i, c := range o.cols {
		parts[i] = c.expr + dir
	}
	return " ORDER BY " + strings.Join(parts, ", ")
}

// after is the condition "strictly after key in this order": a row-value comparison, which
// SQLite turns into an index range on plain columns, and the redundant bound on the first
// column alone, which is what lets it range-scan an expression index (auto-deletion date).
func (o ordering) after(key []any) (string, []any) {
	cols := make([]string, len(o.cols))
	marks := make([]string, len(o.cols))
	for i, c := range o.cols {
		cols[i] = c.expr
		marks[i] = "?"
	}
	op, bound := " > ", " >= "
	if o.desc {
		op, bound = " < ", " <= "
	}
	cond := "(" + strings.Join(cols, ", ") + ")" + op + "(" + strings.Join(marks, ", ") + ")" +
		" AND " + cols[0] + bound + "?"
	return cond, append(append([]any(nil), key...), key[0])
}

// cursor is the decoded page token. It names the sort it belongs to, so a token from one
// listing or order is refused by another instead of silently starting somewhere odd.
type cursor struct {
	List  string            `json:"l"`
	Field string            `json:"f"`
	Desc  bool              `json:"d"`
	Key   []json.RawMessage `json:"k"`
}

// encodeCursor makes the opaque token continuing after key. It is not signed: it only
// positions a listing whose filters (including who may see what) are applied afresh on
// every page, so a forged token can show nothing a fresh listing would not.
func encodeCursor(o ordering, key []any) (string, error) {
	raw := make([]json.RawMessage, len(key))
	for i, v := range key {
		b, err := json.Marshal(v)
		if err != nil {
			return "", fmt.Errorf("encode page token: %w", err)
		}
		raw[i] = b
	}
	b, err := json.Marshal(cursor{List: o.list, Field: o.field, Desc: o.desc, Key: raw})
	if err != nil {
		return "", fmt.Errorf("encode page token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// decodeCursor reads a token made by encodeCursor for the same ordering; anything else is
// an error wrapping core.ErrBadCursor.
func decodeCursor(o ordering, token string) ([]any, error) {
	bad := func(why string) error { return fmt.Errorf("%w: %s", core.ErrBadCursor, why) }
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, bad("not base64url")
	}
	var c cursor
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || dec.More() {
		return nil, bad("malformed")
	}
	if c.List != o.list || len(c.Key) != len(o.cols) {
		return nil, bad("made for another listing")
	}
	if c.Field != o.field || c.Desc != o.desc {
		return nil, bad("made for another sort order")
	}
	key := make([]any, len(c.Key))
	for i, col := range o.cols {
		d := json.NewDecoder(bytes.NewReader(c.Key[i]))
		d.UseNumber() // int64 keys beyond 2^53 must survive
		var v any
		if err := d.Decode(&v); err != nil {
			return nil, bad("malformed key")
		}
		switch x := v.(type) {
		case string:
			if !col.text {
				return nil, bad("key of the wrong type")
			}
			key[i] = x
		case json.Number:
			n, err := x.Int64()
			if col.text || err != nil {
				return nil, bad("key of the wrong type")
			}
			key[i] = n
		default:
			return nil, bad("key of the wrong type")
		}
	}
	return key, nil
}

// column is a key column together with how to read its value from a record, so the next
// page's token is made from the last record of this one.
type column[T any] struct {
	keyCol
	value func(*T) any
}

// orderFor resolves the sort options of the listing named list: an empty SortField means
// the listing's default field, newest (largest) first. tie are the columns that make the key
// unique.
func orderFor[T any](list string, opts core.ListOptions, def string, fields map[string]column[T], tie ...column[T]) (ordering, func(*T) []any, error) {
	name, desc := opts.SortField, opts.Desc
	if name == "" {
		name, desc = def, true
	}
	f, ok := fields[name]
	if !ok {
		return ordering{}, nil, fmt.Errorf("unsupported sort field %q", name)
	}
	all := append([]column[T]{f}, tie...)
	o := ordering{list: list, field: name, desc: desc}
	for _, c := range all {
		o.cols = append(o.cols, c.keyCol)
	}
	keyOf := func(t *T) []any {
		key := make([]any, len(all))
		for i, c := range all {
			key[i] = c.value(t)
		}
		return key
	}
	return o, keyOf, nil
}

// defaultPageSize applies when a caller asks for no size; core clamps API input to 1..100.
const defaultPageSize = 100

// pageQuery is the SQL of one page: sel (SELECT … FROM …) with the filters, the position
// after the token, the order and one row more than the page holds, which tells whether a
// next page exists without counting.
func pageQuery(sel string, w where, o ordering, opts core.ListOptions) (string, []any, int, error) {
	limit := opts.MaxItems
	if limit <= 0 {
		limit = defaultPageSize
	}
	if opts.PageToken != "" {
		key, err := decodeCursor(o, opts.PageToken)
		if err != nil {
			return "", nil, 0, err
		}
		cond, args := o.after(key)
		w.add(cond, args...)
	}
	args := append(append([]any(nil), w.args...), limit+1)
	return sel + w.sql() + o.orderBy() + " LIMIT ?", args, limit, nil
}

// listPage runs one page of a listing.
func listPage[T any](ctx context.Context, q querier, what, sel string, w where, o ordering, keyOf func(*T) []any,
	opts core.ListOptions, scan func(scanner) (T, error)) (core.Page[T], error) {
	query, args, limit, err := pageQuery(sel, w, o, opts)
	if err != nil {
		return core.Page[T]{}, fmt.Errorf("%s: %w", what, err)
	}
	items, err := queryAll(ctx, q, what, scan, query, args...)
	if err != nil {
		return core.Page[T]{}, err
	}
	page := core.Page[T]{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		if page.Next, err = encodeCursor(o, keyOf(&items[limit-1])); err != nil {
			return core.Page[T]{}, fmt.Errorf("%s: %w", what, err)
		}
	}
	return page, nil
}
