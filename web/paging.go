package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"conclave/core"
)

// query reads a request's query string, collecting problems as 422 details.
type query struct {
	values url.Values
	p      *problems
}

func newQuery(r *http.Request) *query {
	return &query{values: r.URL.Query(), p: &problems{}}
}

// str returns the first value of key ("" when absent).
func (q *query) str(key string) string { return q.values.Get(key) }

// boolean reads a true/false parameter; anything else is a problem.
func (q *query) boolean(key string) *bool {
	if !q.values.Has(key) {
		return nil
	}
	switch q.values.Get(key) {
	case "true":
		t := true
		return &t
	case "false":
		f := false
		return &f
	}
	q.p.add(key, "Expected boolean but got %q", q.values.Get(key))
	return nil
}

// oneOf reads an enumerated parameter; "" when absent.
func (q *query) oneOf(key string, allowed ...string) string {
	v := q.values.Get(key)
	if !q.values.Has(key) {
		return ""
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	q.p.add(key, "must be one of %s", strings.Join(allowed, ", "))
	return ""
}

// maxItems reads OpenVidu Meet's page size: default 10; above 100 it is clamped to 100,
// as OpenVidu Meet does; anything but a positive integer is refused.
func (q *query) maxItems() int {
	if !q.values.Has("maxItems") {
		return core.DefaultMaxItems
	}
	v := strings.TrimSpace(q.values.Get("maxItems"))
	if v == "" || strings.Trim(v, "0123456789") != "" {
		q.p.add("maxItems", "Expected a positive integer but got %q", q.values.Get("maxItems"))
		return core.DefaultMaxItems
	}
	v = strings.TrimLeft(v, "0")
	if v == "" {
		q.p.add("maxItems", "must be at least 1")
		return core.DefaultMaxItems
	}
	if len(v) > 6 { // no need to parse what is clamped anyway
		return core.MaxMaxItems
	}
	n, _ := strconv.Atoi(v)
	return core.ClampMaxItems(n)
}

// listOptions reads maxItems, nextPageToken, sortField and sortOrder. defaultSort is the
// listing's default field: naming it when only an order is given keeps core from
// replacing that order with its default (descending).
func (q *query) listOptions(defaultSort string) core.ListOptions {
	o := core.ListOptions{
		MaxItems:  q.maxItems(),
		PageToken: q.str("nextPageToken"),
		SortField: q.str("sortField"),
		Desc:      true,
	}
	switch q.oneOf("sortOrder", "asc", "desc") {
	case "asc":
		o.Desc = false
		if o.SortField == "" {
			o.SortField = defaultSort
		}
	case "desc":
		o.Desc = true
	}
	return o
}

// text reads a text filter with its match mode and case switch (e.g. roomName,
// roomNameMatchMode, roomNameCaseInsensitive).
func (q *query) text(key string) core.TextFilter {
	f := core.TextFilter{Value: q.str(key)}
	f.Mode = core.MatchMode(q.oneOf(key+"MatchMode", "exact", "prefix", "partial", "regex"))
	if ci := q.boolean(key + "CaseInsensitive"); ci != nil {
		f.CaseInsensitive = *ci
	}
	return f
}

// ids reads a comma-separated id list, trimmed, without empties or repeats.
func (q *query) ids(key string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range q.values[key] {
		for _, id := range strings.Split(v, ",") {
			id = strings.TrimSpace(id)
			if id != "" && !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

func (q *query) err() error { return q.p.err() }

// pagination is the paging part of every listing.
type pagination struct {
	IsTruncated   bool    `json:"isTruncated"`
	NextPageToken *string `json:"nextPageToken"`
	MaxItems      int     `json:"maxItems"`
}

func pageInfo(next string, maxItems int) pagination {
	p := pagination{MaxItems: maxItems}
	if next != "" {
		p.IsTruncated = true
		p.NextPageToken = &next
	}
	return p
}
