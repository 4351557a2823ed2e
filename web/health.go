package web

import (
	"context"
	"net/http"
	"time"

	"conclave/core"
)

// health is GET <base>/health: 200 {"status":"ok"} while the store answers, 503 otherwise,
// so that a load balancer stops sending traffic to a server whose database is gone.
func (s *server) health(w http.ResponseWriter, r *http.Request, _ *core.Principal) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.svc.Ping(ctx); err != nil {
		s.log.Warn("health check: store unreachable", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, object{{"status", "unavailable"}})
		return nil
	}
	writeJSON(w, http.StatusOK, object{{"status", "ok"}})
	return nil
}
