package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/core"
)

// The root admin's password is changed by the root admin only (SPEC 2.1): an API key acts
// as the root admin for everything else, but taking over the one account that cannot be
// deleted must need the account's own password.
func TestRootAdminPasswordIsNotResetByAnAPIKey(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	key := str(t, s.req("POST", "/internal-api/v1/api-keys", map[string]string{"name": "ci"}, bearer(adm)).
		want(http.StatusCreated).obj(), "key")

	m := s.req("PUT", "/api/v1/users/admin/password", map[string]string{"newPassword": "taken-over-1"}, apiKey(key)).
		wantErr(http.StatusForbidden, "Authorization Error")
	if msg := m["message"].(string); !strings.Contains(msg, "root admin") || !strings.Contains(msg, "change-password") {
		t.Fatalf("refusal %q does not say who may change it, and how", msg)
	}
	// Nothing changed: the old password works, the new one does not, and the root admin's
	// session is still alive.
	s.req("POST", "/internal-api/v1/auth/login", map[string]string{"userId": "admin", "password": "taken-over-1"}).
		wantErr(http.StatusNotFound, "Login Error")
	s.req("GET", "/internal-api/v1/users/me", nil, bearer(adm)).want(http.StatusOK)
	s.login("admin", "admin")
	// The key still resets other users' passwords.
	s.user(adm, "someone1", "room_member")
	s.req("PUT", "/api/v1/users/someone1/password", map[string]string{"newPassword": "temporary1"}, apiKey(key)).want(http.StatusOK)
	s.login("someone1", "temporary1")
}

// raced is the answer to one of several requests sent at once.
type raced struct {
	status int
	body   map[string]any
	err    error
}

// race sends n requests at once (request i from build(i)) and returns their answers. With
// hold, the database's write lock is held until every request has been sent and had time
// to read what it checks, so that all of them decide on the same stored state before any
// commits: the race is then certain, not a matter of scheduling.
func (s *stack) race(n int, hold bool, build func(i int) (method, path string, body any, c cred)) []raced {
	s.t.Helper()
	release := make(chan struct{})
	locked := make(chan struct{})
	lockDone := make(chan error, 1)
	if hold {
		go func() {
			lockDone <- s.db.InTx(context.Background(), func(core.Store) error {
				close(locked)
				<-release
				return nil
			})
		}()
		<-locked
	} else {
		close(release)
		lockDone <- nil
	}
	var sent, done sync.WaitGroup
	out := make([]raced, n)
	start := make(chan struct{})
	for i := range n {
		method, path, body, c := build(i)
		j, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		var once sync.Once
		wrote := func() { once.Do(sent.Done) }
		trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { wrote() }}
		r, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace),
			method, s.srv.URL+"/meet"+path, bytes.NewReader(j))
		if err != nil {
			s.t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/json")
		c(r)
		sent.Add(1)
		done.Go(func() {
			<-start
			res, err := s.srv.Client().Do(r)
			wrote() // in case it failed before it was written: nothing left to wait for
			if err != nil {
				out[i].err = err
				return
			}
			defer res.Body.Close()
			data, err := io.ReadAll(res.Body)
			out[i].status, out[i].err = res.StatusCode, err
			if err == nil {
				out[i].err = json.Unmarshal(data, &out[i].body)
			}
		})
	}
	close(start)
	if hold {
		sent.Wait()
		time.Sleep(500 * time.Millisecond) // for the server to read, check and hash
		close(release)
	}
	done.Wait()
	if err := <-lockDone; err != nil {
		s.t.Fatalf("hold the write lock: %v", err)
	}
	for i, r := range out {
		if r.err != nil {
			s.t.Fatalf("request %d: %v", i, r.err)
		}
	}
	return out
}

// Ten changes of one user's password at once: one wins, every other is told it lost (409,
// in OpenVidu Meet's error shape) or that its credentials went with the winner's change;
// no caller is told "changed" for a password that does not work.
func TestConcurrentPasswordChanges(t *testing.T) {
	limits := func(c *conclavetest.HTTPConfig) {
		// The losers' passwords are tried below: failed sign-ins must not lock the user.
		c.LoginLimits = core.LoginLimits{PerUser: 1000, PerAddress: 1000, Window: time.Minute}
	}
	const n = 10
	type variant struct {
		name  string
		hold  bool
		reset bool // an admin resets the password, instead of the user changing its own
	}
	for _, v := range []variant{{"own/free-running", false, false}, {"own/same-state", true, false}, {"reset/same-state", true, true}} {
		t.Run(v.name, func(t *testing.T) {
			s := openStack(t, filepath.Join(t.TempDir(), "c.db"), limits)
			adm := s.admin()
			s.user(adm, "racer_one", "room_member")
			sessions := make([]string, n)
			for i := range sessions {
				sessions[i], _ = s.login("racer_one", "racer_one-pw2")
			}
			pw := func(i int) string { return fmt.Sprintf("racer-new-%d", i) }
			out := s.race(n, v.hold, func(i int) (string, string, any, cred) {
				if v.reset {
					return "PUT", "/api/v1/users/racer_one/password", map[string]string{"newPassword": pw(i)}, bearer(adm)
				}
				return "POST", "/internal-api/v1/users/change-password",
					map[string]string{"currentPassword": "racer_one-pw2", "newPassword": pw(i)}, bearer(sessions[i])
			})
			title := "Change Password Error"
			if v.reset {
				title = "User Error"
			}
			winners := 0
			for i, r := range out {
				switch {
				case r.status == http.StatusOK:
					winners++
					// Told "changed": the password works (and, after a reset, must be changed).
					if r := s.req("POST", "/internal-api/v1/auth/login", map[string]string{"userId": "racer_one", "password": pw(i)}); r.status != http.StatusOK {
						t.Errorf("request %d was told its change was made, but its password does not sign in: %d %s", i, r.status, r.body)
					}
				case r.status == http.StatusConflict:
					if r.body["error"] != title || r.body["message"] == "" {
						t.Errorf("request %d: 409 body %v, want error %q and a message", i, r.body, title)
					}
				case v.hold:
					t.Errorf("request %d: status %d %v, want 200 or 409: every request checked the same state", i, r.status, r.body)
				case r.status == http.StatusUnauthorized, r.status == http.StatusBadRequest && r.body["error"] == title:
					// It came after the winner: its session, or its current password, was gone.
				default:
					t.Errorf("request %d: status %d %v", i, r.status, r.body)
				}
			}
			if winners != 1 {
				t.Fatalf("%d changes answered 200, want exactly 1: %v", winners, out)
			}
			works := 0
			for i := range n {
				r := s.req("POST", "/internal-api/v1/auth/login", map[string]string{"userId": "racer_one", "password": pw(i)})
				if r.status == http.StatusOK {
					works++
				} else {
					r.wantErr(http.StatusNotFound, "Login Error")
				}
			}
			if works != 1 {
				t.Fatalf("%d of the new passwords sign in, want exactly 1", works)
			}
			s.req("POST", "/internal-api/v1/auth/login", map[string]string{"userId": "racer_one", "password": "racer_one-pw2"}).
				wantErr(http.StatusNotFound, "Login Error")
		})
	}
}

// productionStack is a stack in production mode, and its root admin's access token.
func productionStack(t *testing.T) (*stack, string) {
	t.Helper()
	s := openStack(t, filepath.Join(t.TempDir(), "p.db"), func(c *conclavetest.HTTPConfig) { c.Production = true })
	tok, _ := s.login("admin", conclavetest.ProductionAdminPassword)
	return s, tok
}

// In production a new password has at least 8 characters: "admin" (or any 5 to 7
// characters) no longer does, and the error says what is needed.
func TestProductionPasswordsNeedEightCharacters(t *testing.T) {
	s, adm := productionStack(t)
	change := func(tok, current, next string) *resp {
		return s.req("POST", "/internal-api/v1/users/change-password",
			map[string]string{"currentPassword": current, "newPassword": next}, bearer(tok))
	}
	for _, short := range []string{"admin", "seven77"} {
		d := change(adm, conclavetest.ProductionAdminPassword, short).wantDetail("newPassword")
		if msg := d["message"].(string); !strings.Contains(msg, "at least 8 characters") || !strings.Contains(msg, "production") {
			t.Fatalf("new password %q refused with %q: want the length it needs", short, msg)
		}
	}
	d := change(adm, conclavetest.ProductionAdminPassword, "admin").wantDetail("newPassword")
	if !strings.Contains(d["message"].(string), "userId") {
		t.Fatalf("admin as the root admin's password refused with %q: want both reasons", d["message"])
	}
	s.req("POST", "/api/v1/users", map[string]string{"userId": "short_pw", "name": "Short", "role": "room_member", "password": "seven77"},
		bearer(adm)).wantDetail("password")
	s.req("POST", "/api/v1/users", map[string]string{"userId": "long_pw1", "name": "Long", "role": "room_member", "password": "eight888"},
		bearer(adm)).want(http.StatusCreated)
	s.req("PUT", "/api/v1/users/long_pw1/password", map[string]string{"newPassword": "seven77"}, bearer(adm)).wantDetail("newPassword")
	// Eight characters are enough, counted as characters, not bytes.
	s.req("PUT", "/api/v1/users/long_pw1/password", map[string]string{"newPassword": "ééééé123"}, bearer(adm)).want(http.StatusOK)
	s.login("long_pw1", "ééééé123")
	// Nothing of the refused changes took: the root admin still signs in with its password.
	m := change(adm, conclavetest.ProductionAdminPassword, "eight888").want(http.StatusOK).obj()
	s.req("GET", "/internal-api/v1/users/me", nil, bearer(str(t, m, "accessToken"))).want(http.StatusOK)
	s.login("admin", "eight888")
}

// In every mode the userId is refused as the password (whatever its case), when a user is
// created, when its password is reset and when it changes its own; local mode's seeded
// admin/admin still signs in, as it was created, not chosen.
func TestPasswordIsNotTheUserID(t *testing.T) {
	s := newStack(t)
	adm := s.admin()
	d := s.req("POST", "/api/v1/users", map[string]string{"userId": "carol_one", "name": "Carol", "role": "room_member", "password": "carol_one"},
		bearer(adm)).wantDetail("password")
	if !strings.Contains(d["message"].(string), "userId") {
		t.Fatalf("refusal %q does not say why", d["message"])
	}
	s.req("GET", "/api/v1/users/carol_one", nil, bearer(adm)).wantErr(http.StatusNotFound, "User Error")
	tok := s.user(adm, "carol_one", "room_member")
	s.req("PUT", "/api/v1/users/carol_one/password", map[string]string{"newPassword": "Carol_One"}, bearer(adm)).wantDetail("newPassword")
	s.req("POST", "/internal-api/v1/users/change-password",
		map[string]string{"currentPassword": "carol_one-pw2", "newPassword": "carol_one"}, bearer(tok)).wantDetail("newPassword")
	s.req("POST", "/internal-api/v1/users/change-password",
		map[string]string{"currentPassword": "admin", "newPassword": "ADMIN"}, bearer(adm)).wantDetail("newPassword")
	// Nothing changed; local mode still takes five characters that are not the userId.
	s.login("carol_one", "carol_one-pw2")
	s.req("POST", "/internal-api/v1/users/change-password",
		map[string]string{"currentPassword": "admin", "newPassword": "abcde"}, bearer(adm)).want(http.StatusOK)
	s.login("admin", "abcde")
}
