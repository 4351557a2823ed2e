package web

import (
	"fmt"
	"net/http"

	"conclave/core"
)

// createUser is POST /users.
func (s *server) createUser(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	in := core.NewUser{}
	for _, f := range []struct {
		key string
		dst *string
	}{{"userId", &in.UserID}, {"name", &in.Name}, {"role", &in.Role}, {"password", &in.Password}} {
		if v := o.str(f.key, true); v != nil {
			*f.dst = *v
		}
	}
	if err := o.p.err(); err != nil {
		return err
	}
	u, err := s.svc.CreateUser(r.Context(), p, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", s.svc.BaseURL()+"/api/v1/users/"+u.UserID)
	writeJSON(w, http.StatusCreated, userJSON(u))
	return nil
}

// listUsers is GET /users.
func (s *server) listUsers(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	q := newQuery(r)
	uq := core.UserQuery{
		ListOptions: q.listOptions("registrationDate"),
		UserID:      q.str("userId"),
		Name:        q.text("name"),
		Role:        core.Role(q.str("role")),
	}
	if err := q.err(); err != nil {
		return err
	}
	page, err := s.svc.ListUsers(r.Context(), p, uq)
	if err != nil {
		return err
	}
	users := make([]object, 0, len(page.Items))
	for i := range page.Items {
		users = append(users, userJSON(&page.Items[i]))
	}
	writeJSON(w, http.StatusOK, object{
		{"users", users},
		{"pagination", pageInfo(page.Next, uq.MaxItems)},
	})
	return nil
}

// getUser is GET /users/{userId}.
func (s *server) getUser(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	u, err := s.svc.GetUser(r.Context(), p, r.PathValue("userId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userJSON(u))
	return nil
}

// deleteUser is DELETE /users/{userId}.
func (s *server) deleteUser(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	id := r.PathValue("userId")
	if err := s.svc.DeleteUser(r.Context(), p, id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{fmt.Sprintf("User '%s' deleted successfully", id)})
	return nil
}

// bulkDeleteUsers is DELETE /users?userIds=a,b.
func (s *server) bulkDeleteUsers(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	res, err := s.svc.BulkDeleteUsers(r.Context(), p, newQuery(r).ids("userIds"))
	if err != nil {
		return err
	}
	writeBulk(w, "userId", res, "All users deleted successfully", "%d user(s) could not be deleted")
	return nil
}

// writeBulk answers a bulk deletion of plain ids: 200 when all went, else 400 with the
// failures, as OpenVidu Meet does.
func writeBulk(w http.ResponseWriter, idKey string, res core.BulkResult, okMsg, failFormat string) {
	deleted := res.Deleted
	if deleted == nil {
		deleted = []string{}
	}
	failed := make([]object, 0, len(res.Failed))
	for _, f := range res.Failed {
		failed = append(failed, object{{idKey, f.ID}, {"error", f.Error}, {"message", f.Message}})
	}
	status, msg := http.StatusOK, okMsg
	if len(failed) > 0 {
		status, msg = http.StatusBadRequest, fmt.Sprintf(failFormat, len(failed))
	}
	writeJSON(w, status, object{{"message", msg}, {"deleted", deleted}, {"failed", failed}})
}

// resetPassword is PUT /users/{userId}/password.
func (s *server) resetPassword(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	pw := o.str("newPassword", true)
	if err := o.p.err(); err != nil {
		return err
	}
	id := r.PathValue("userId")
	if err := s.svc.ResetPassword(r.Context(), p, id, *pw); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{fmt.Sprintf(
		"Password for user '%s' has been reset successfully. User must change password on next login.", id)})
	return nil
}

// updateUserRole is PUT /users/{userId}/role.
func (s *server) updateUserRole(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	role := o.str("role", true)
	if err := o.p.err(); err != nil {
		return err
	}
	u, err := s.svc.UpdateRole(r.Context(), p, r.PathValue("userId"), *role)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userJSON(u))
	return nil
}
