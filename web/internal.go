package web

import (
	"fmt"
	"net/http"

	"conclave/core"
)

// login is POST /auth/login.
func (s *server) login(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	userID, password := o.str("userId", true), o.str("password", true)
	if err := o.p.err(); err != nil {
		return err
	}
	res, err := s.svc.Login(r.Context(), *userID, *password, p.Meta)
	if err != nil {
		return err
	}
	body := object{
		{"message", fmt.Sprintf("User '%s' logged in successfully", res.User.UserID)},
		{"accessToken", res.AccessToken},
		{"refreshToken", res.RefreshToken},
	}
	if res.MustChangePassword {
		body = append(body, member{"mustChangePassword", true})
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// refreshToken finds the refresh token of a request: the X-Refresh-Token header, or the
// body's refreshToken.
func refreshToken(w http.ResponseWriter, r *http.Request) (string, error) {
	if tok := r.Header.Get(headerRefreshToken); tok != "" {
		return tok, nil
	}
	o, err := readObject(w, r)
	if err != nil {
		return "", err
	}
	tok := o.str("refreshToken", false)
	if err := o.p.err(); err != nil {
		return "", err
	}
	if tok == nil {
		return "", nil
	}
	return *tok, nil
}

// refresh is POST /auth/refresh: a new access token and, by rotation, a new refresh token.
func (s *server) refresh(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	tok, err := refreshToken(w, r)
	if err != nil {
		return err
	}
	res, err := s.svc.Refresh(r.Context(), tok, p.Meta)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, object{
		{"message", fmt.Sprintf("Access token for user '%s' successfully refreshed", res.User.UserID)},
		{"accessToken", res.AccessToken},
		{"refreshToken", res.RefreshToken},
	})
	return nil
}

// logout is POST /auth/logout. It ends the session of the access token, or else of the
// refresh token, and always succeeds: a client logging out with a stale token is out.
func (s *server) logout(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	if tok, ok := bearer(r); ok {
		if user, err := s.svc.AuthenticateAccessToken(r.Context(), tok, p.Meta); err == nil {
			if err := s.svc.Logout(r.Context(), user); err != nil {
				return err
			}
		}
	}
	if tok := r.Header.Get(headerRefreshToken); tok != "" {
		s.svc.LogoutRefresh(r.Context(), tok)
	}
	writeJSON(w, http.StatusOK, message{"Logout successful"})
	return nil
}

// me is GET /users/me; it works while a password change is pending, so that the client
// can show who must change it.
func (s *server) me(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	u, err := s.svc.Me(p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userJSON(u))
	return nil
}

// changePassword is POST /users/change-password; it hands back a fresh token pair since
// the change ends every session of the user.
func (s *server) changePassword(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	current, next := o.str("currentPassword", true), o.str("newPassword", true)
	if err := o.p.err(); err != nil {
		return err
	}
	res, err := s.svc.ChangePassword(r.Context(), p, *current, *next)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, object{
		{"message", fmt.Sprintf("Password for user '%s' changed successfully", res.User.UserID)},
		{"accessToken", res.AccessToken},
		{"refreshToken", res.RefreshToken},
	})
	return nil
}

// createAPIKey is POST /api-keys with an optional body {name}; the key is shown this once.
func (s *server) createAPIKey(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	name := o.str("name", false)
	if err := o.p.err(); err != nil {
		return err
	}
	n := ""
	if name != nil {
		n = *name
	}
	k, err := s.svc.CreateAPIKey(r.Context(), p, n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, object{
		{"id", k.ID},
		{"name", k.Name},
		{"key", k.Key},
		{"creationDate", k.CreationDate},
	})
	return nil
}

// listAPIKeys is GET /api-keys: the keys without their secrets.
func (s *server) listAPIKeys(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	keys, err := s.svc.ListAPIKeys(r.Context(), p)
	if err != nil {
		return err
	}
	out := make([]object, 0, len(keys))
	for _, k := range keys {
		var lastUsed any
		if k.LastUsed > 0 {
			lastUsed = k.LastUsed
		}
		out = append(out, object{
			{"id", k.ID},
			{"name", k.Name},
			{"creationDate", k.CreationDate},
			{"lastUsed", lastUsed},
		})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// deleteAllAPIKeys is DELETE /api-keys.
func (s *server) deleteAllAPIKeys(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	if _, err := s.svc.DeleteAllAPIKeys(r.Context(), p); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{"API keys deleted successfully"})
	return nil
}

// deleteAPIKey is DELETE /api-keys/{keyId}, a Conclave extension: revoke one key.
func (s *server) deleteAPIKey(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	id := r.PathValue("keyId")
	if err := s.svc.DeleteAPIKey(r.Context(), p, id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{fmt.Sprintf("API key '%s' deleted successfully", id)})
	return nil
}

// decodeTokenRequest reads the body of POST /rooms/{roomId}/members/token.
func decodeTokenRequest(o *obj) (core.MemberTokenRequest, error) {
	var in core.MemberTokenRequest
	if v := o.str("secret", false); v != nil {
		in.Secret = *v
	}
	if v := o.boolean("joinMeeting", false); v != nil {
		in.JoinMeeting = *v
	}
	if v := o.str("participantName", false); v != nil {
		in.ParticipantName = *v
	}
	return in, o.p.err()
}

// issueMemberToken is POST /rooms/{roomId}/members/token: anonymous callers present a
// secret; signed-in users, API keys and earlier token holders their credentials.
func (s *server) issueMemberToken(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	in, err := decodeTokenRequest(o)
	if err != nil {
		return err
	}
	tok, _, err := s.svc.IssueMemberToken(r.Context(), p, r.PathValue("roomId"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, object{{"token", tok}})
	return nil
}

// refreshMemberToken is POST /rooms/{roomId}/members/token/refresh.
func (s *server) refreshMemberToken(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	tok, err := s.svc.RefreshMemberToken(r.Context(), p, r.PathValue("roomId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, object{{"token", tok}})
	return nil
}
