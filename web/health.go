package web

import (
	"context"
	"net/http"
	"time"

	"conclave/core"
)

// health is GET <base>/health: 200 {"status":"ok"} while the store answers, 503 otherwise,
// so that a load balancer stops sending traffic to a server whose database is gone.
//
// core has no ping; listing the API keys as the system principal is the cheapest read it
// offers (one small table, no audit entry). See the report: core.Service.Ping would be
// the right call.
func (s *server) health(w http.ResponseWriter, r *http.Request, _ *core.Principal) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.svc.ListAPIKeys(ctx, core.System()); err != nil {
		s.log.Warn("health check: store unreachable", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, object{{"status", "unavailable"}})
		return nil
	}
	writeJSON(w, http.StatusOK, object{{"status", "ok"}})
	return nil
}
