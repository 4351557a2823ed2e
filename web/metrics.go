package web

import (
	"net/http"
	"strings"

	"conclave/core"
)

// metricsRoute serves GET /metrics at the root, outside the base path (SPEC 11), to API
// keys and admins. A Prometheus scrape config sends the key as
// `authorization: {credentials: conclave_…}`, that is "Authorization: Bearer conclave_…":
// a bearer token with the API key's prefix is taken as an API key, any other as an access
// token. Scraping without a browser session needs no cookie or refresh.
func (s *server) metricsRoute(h http.Handler) {
	s.mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		p, err := s.metricsPrincipal(r)
		if err == nil {
			err = s.svc.CheckMetricsAccess(p)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *server) metricsPrincipal(r *http.Request) (*core.Principal, error) {
	if tok, ok := bearer(r); ok && strings.HasPrefix(tok, core.APIKeyPrefix) && r.Header.Get(headerAPIKey) == "" {
		return s.svc.AuthenticateAPIKey(r.Context(), tok, s.meta(r))
	}
	return s.authenticate(r, credAPIKey|credAccess)
}
