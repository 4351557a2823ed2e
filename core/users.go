package core

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// NewUser is a user as an admin creates it.
type NewUser struct {
	UserID   string
	Name     string
	Role     string // wire name; "user" is accepted as room_manager
	Password string
}

func userNotFound(id string) error { return notFound("User Error", "User %q not found", id) }

// CreateUser adds an internal user (admins only). The user must change its password at
// first sign-in.
func (s *Service) CreateUser(ctx context.Context, p *Principal, in NewUser) (*User, error) {
	if err := p.requireAdmin(); err != nil {
		return nil, err
	}
	var v validator
	if !ValidUserID(in.UserID) {
		v.add("userId", "must be 5 to 20 characters of lowercase letters, digits and underscores")
	}
	checkName(&v, "name", in.Name, 50)
	role, ok := ParseRole(in.Role)
	if !ok {
		v.add("role", "must be one of admin, room_manager, room_member")
	}
	s.checkPassword(&v, "password", in.UserID, in.Password)
	if err := v.err(); err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(in.Password), s.cfg.BcryptCost)
	if err != nil {
		return nil, internal("hash password", err)
	}
	now := s.nowMS()
	u := &User{
		UserID: in.UserID, Name: in.Name, Role: role, PasswordHash: string(hash),
		MustChangePassword: true, RegistrationDate: now, RoleUpdatedAt: now, TokenVersion: 1,
		Generation: newGeneration(), // a userId created again is a new incarnation
	}
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.CreateUser(ctx, u); errors.Is(err, ErrDuplicate) {
			return conflict("User Error", "User %q already exists", u.UserID)
		} else if err != nil {
			return internal("create user", err)
		}
		return s.auditAs(ctx, tx, p, "user.create", "user:"+u.UserID, map[string]string{"role": string(role)})
	})
	if err != nil {
		return nil, err
	}
	s.bus.Publish(Event{Type: EventUserChanged, UserID: u.UserID})
	return u, nil
}

// GetUser returns a user: admins see anyone, users see themselves.
func (s *Service) GetUser(ctx context.Context, p *Principal, userID string) (*User, error) {
	if err := p.active(); err != nil {
		return nil, err
	}
	if !p.isAdmin() && p.userID() != userID {
		return nil, ErrForbidden
	}
	u, err := s.store.GetUser(ctx, userID)
	if isNoRows(err) {
		return nil, userNotFound(userID)
	}
	return u, err
}

// Me returns the signed-in user; it works while a password change is pending.
func (s *Service) Me(p *Principal) (*User, error) {
	if p == nil || p.User == nil || p.Kind != PrincipalUser {
		return nil, ErrUnauthenticated
	}
	return p.User, nil
}

// ListUsers lists users (admins only), newest first by default.
func (s *Service) ListUsers(ctx context.Context, p *Principal, q UserQuery) (Page[User], error) {
	if err := p.requireAdmin(); err != nil {
		return Page[User]{}, err
	}
	var err error
	if q.ListOptions, err = checkList(q.ListOptions, "registrationDate", "name"); err != nil {
		return Page[User]{}, err
	}
	if q.Name, err = checkText("name", q.Name); err != nil {
		return Page[User]{}, err
	}
	if q.Role != "" {
		r, ok := ParseRole(string(q.Role))
		if !ok {
			return Page[User]{}, invalid("role", "must be one of admin, room_manager, room_member")
		}
		q.Role = r
	}
	page, err := s.store.ListUsers(ctx, q)
	return page, listErr("users", err)
}

// DeleteUser deletes a user: it is expelled from live meetings, its memberships go and the
// rooms it owned pass to the root admin (SPEC 2.1). Neither the root admin nor oneself
// can be deleted.
func (s *Service) DeleteUser(ctx context.Context, p *Principal, userID string) error {
	if err := p.requireAdmin(); err != nil {
		return err
	}
	if userID == RootAdminID {
		return forbidden("The root admin cannot be deleted")
	}
	if userID == p.userID() {
		return forbidden("You cannot delete your own user")
	}
	var rooms []string
	err := s.store.InTx(ctx, func(tx Store) error {
		if _, err := tx.GetUser(ctx, userID); isNoRows(err) {
			return userNotFound(userID)
		} else if err != nil {
			return internal("load user", err)
		}
		var err error
		if rooms, err = tx.DeleteUserMemberships(ctx, userID); err != nil {
			return internal("delete memberships", err)
		}
		moved, err := tx.TransferRooms(ctx, userID, RootAdminID)
		if err != nil {
			return internal("transfer rooms", err)
		}
		if err := tx.DeleteUserSessions(ctx, userID); err != nil {
			return internal("end sessions", err)
		}
		if err := tx.DeleteUser(ctx, userID); err != nil {
			return internal("delete user", err)
		}
		return s.auditAs(ctx, tx, p, "user.delete", "user:"+userID,
			map[string]any{"memberships": len(rooms), "roomsTransferred": moved})
	})
	if err != nil {
		return err
	}
	// Wherever it is live (as a member, owner, admin or through user access) it goes.
	s.userChanged(ctx, userID, "Your user was deleted")
	s.bus.Publish(Event{Type: EventUserDeleted, UserID: userID})
	for _, r := range rooms {
		s.bus.Publish(Event{Type: EventMemberDeleted, RoomID: r, MemberID: userID})
	}
	return nil
}

// BulkResult reports a bulk deletion: which ids went and which did not, and why.
type BulkResult struct {
	Deleted []string
	Failed  []BulkFailure
}

// BulkFailure is one id a bulk operation could not process.
type BulkFailure struct {
	ID      string
	Error   string
	Message string
}

func bulkFailure(id string, err error) BulkFailure {
	var e *Error
	if errors.As(err, &e) {
		title := e.Title
		if e.Code != "" {
			title = e.Code
		}
		return BulkFailure{ID: id, Error: title, Message: e.Message}
	}
	return BulkFailure{ID: id, Error: "Internal Server Error", Message: "Unexpected error occurred"}
}

// BulkDeleteUsers deletes each user in ids, reporting per id.
func (s *Service) BulkDeleteUsers(ctx context.Context, p *Principal, ids []string) (BulkResult, error) {
	if err := p.requireAdmin(); err != nil {
		return BulkResult{}, err
	}
	if err := checkBulkIDs("userIds", ids); err != nil {
		return BulkResult{}, err
	}
	var res BulkResult
	for _, id := range ids {
		if err := s.DeleteUser(ctx, p, id); err != nil {
			if KindOf(err) == KindInternal {
				return res, err
			}
			res.Failed = append(res.Failed, bulkFailure(id, err))
			continue
		}
		res.Deleted = append(res.Deleted, id)
	}
	return res, nil
}

func checkBulkIDs(field string, ids []string) error {
	switch {
	case len(ids) == 0:
		return invalid(field, "Required: a comma-separated list of ids")
	case len(ids) > 1000:
		return invalid(field, "at most 1000 ids at once")
	}
	return nil
}

// ResetPassword sets a temporary password for another user, who must change it at next
// sign-in; its sessions end. The root admin's password is changed only by the root admin
// (SPEC 2.1), with ChangePassword: neither another admin nor an API key may reset it,
// or holding a key would be enough to take over the account that cannot be deleted.
//
// Two resets of one user racing each other (or a reset racing the user's own change) do
// not both succeed: the stored hash is swapped only if it is still the one read when the
// request began, and the one that finds it changed gets a conflict instead of silently
// undoing the other.
func (s *Service) ResetPassword(ctx context.Context, p *Principal, userID, password string) error {
	if err := p.requireAdmin(); err != nil {
		return err
	}
	if userID == p.userID() {
		return forbidden("Use change-password to change your own password")
	}
	if userID == RootAdminID {
		return forbidden("The root admin's password can be changed only by the root admin, with change-password")
	}
	var v validator
	s.checkPassword(&v, "newPassword", userID, password)
	if err := v.err(); err != nil {
		return err
	}
	before, err := s.store.GetUser(ctx, userID)
	if isNoRows(err) {
		return userNotFound(userID)
	} else if err != nil {
		return internal("load user", err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cfg.BcryptCost)
	if err != nil {
		return internal("hash password", err)
	}
	err = s.store.InTx(ctx, func(tx Store) error {
		u, err := tx.GetUser(ctx, userID)
		if isNoRows(err) {
			return userNotFound(userID)
		} else if err != nil {
			return internal("load user", err)
		}
		u.PasswordHash = string(hash)
		u.MustChangePassword = true
		u.TokenVersion++
		if err := s.swapPassword(ctx, tx, u, before.PasswordHash, "User Error"); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ctx, userID); err != nil {
			return internal("end sessions", err)
		}
		return s.auditAs(ctx, tx, p, "user.resetPassword", "user:"+userID, nil)
	})
	if err == nil {
		s.bus.Publish(Event{Type: EventUserChanged, UserID: userID})
	}
	return err
}

// swapPassword stores u (its new password hash and token version) only if its stored hash
// is still oldHash, the one the caller checked or read; otherwise another change won and
// this one is refused with a conflict titled title, as the operation's other errors are.
func (s *Service) swapPassword(ctx context.Context, tx Store, u *User, oldHash, title string) error {
	err := tx.SwapUserPassword(ctx, u, oldHash)
	switch {
	case isNoRows(err):
		return conflict(title, "The password of user %q was changed by another request at the same time: "+
			"this change was not made; sign in again and retry if needed", u.UserID)
	case err != nil:
		return internal("update user", err)
	}
	return nil
}

// UpdateRole changes another user's role; its older tokens stop working.
func (s *Service) UpdateRole(ctx context.Context, p *Principal, userID, role string) (*User, error) {
	if err := p.requireAdmin(); err != nil {
		return nil, err
	}
	r, ok := ParseRole(role)
	if !ok {
		return nil, invalid("role", "must be one of admin, room_manager, room_member")
	}
	if userID == RootAdminID {
		return nil, forbidden("The root admin's role cannot be changed")
	}
	if userID == p.userID() {
		return nil, forbidden("You cannot change your own role")
	}
	var out *User
	err := s.updateUser(ctx, p, userID, "user.updateRole", map[string]string{"role": string(r)}, func(u *User) error {
		u.Role = r
		u.RoleUpdatedAt = s.nowMS()
		out = u
		return nil
	})
	if err == nil {
		s.userChanged(ctx, userID, "Your new role does not let you join this meeting")
	}
	return out, err
}

// updateUser applies change to a user in a transaction, bumps its token version (every
// change made here invalidates its tokens), ends its sessions and audits.
func (s *Service) updateUser(ctx context.Context, p *Principal, userID, action string, detail any, change func(*User) error) error {
	err := s.store.InTx(ctx, func(tx Store) error {
		u, err := tx.GetUser(ctx, userID)
		if isNoRows(err) {
			return userNotFound(userID)
		} else if err != nil {
			return internal("load user", err)
		}
		if err := change(u); err != nil {
			return err
		}
		u.TokenVersion++
		if err := tx.UpdateUser(ctx, u); err != nil {
			return internal("update user", err)
		}
		if err := tx.DeleteUserSessions(ctx, userID); err != nil {
			return internal("end sessions", err)
		}
		return s.auditAs(ctx, tx, p, action, "user:"+userID, detail)
	})
	if err == nil {
		s.bus.Publish(Event{Type: EventUserChanged, UserID: userID})
	}
	return err
}

// BootstrapResult says what Bootstrap did.
type BootstrapResult struct {
	Created bool
	// GeneratedPassword is set when a password was generated; print it once.
	GeneratedPassword string
}

// Bootstrap creates the root admin on first start. In local mode its password is "admin";
// in production mode it is password, or a generated one when password is empty.
func (s *Service) Bootstrap(ctx context.Context, production bool, password string) (BootstrapResult, error) {
	if production != s.cfg.Production {
		// The password rules follow Config.Production; a production server seeded here
		// with local mode's rules (or the reverse) is a wiring mistake in main.
		return BootstrapResult{}, fmt.Errorf("bootstrap in production=%v, but core.Config.Production is %v", production, s.cfg.Production)
	}
	if _, err := s.signingKey(ctx); err != nil {
		return BootstrapResult{}, err
	}
	// No meeting survives a restart: rooms a crash left marked live are ended first.
	if n, err := s.RecoverMeetings(ctx); err != nil {
		return BootstrapResult{}, err
	} else if n > 0 {
		s.log.Warn("ended meetings left live by the last run", "rooms", n)
	}
	// Nor does a recording: those a crash left being made are repaired, never lost.
	if _, err := s.RecoverRecordings(ctx); err != nil {
		return BootstrapResult{}, err
	}
	_, err := s.store.GetUser(ctx, RootAdminID)
	if err == nil {
		return BootstrapResult{}, nil
	} else if !isNoRows(err) {
		return BootstrapResult{}, internal("load root admin", err)
	}
	var res BootstrapResult
	switch {
	case !production:
		password = "admin"
	case password == "":
		password = randomSecret(20)
		res.GeneratedPassword = password
	}
	if production {
		// Local mode's admin/admin is created, not chosen: the rules for setting a
		// password apply to the one production starts with.
		var v validator
		s.checkPassword(&v, "CONCLAVE_ADMIN_PASSWORD", RootAdminID, password)
		if err := v.err(); err != nil {
			return res, fmt.Errorf("root admin password: %w", err)
		}
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cfg.BcryptCost)
	if err != nil {
		return res, internal("hash password", err)
	}
	now := s.nowMS()
	u := &User{UserID: RootAdminID, Name: "Administrator", Role: RoleAdmin, PasswordHash: string(hash),
		RegistrationDate: now, RoleUpdatedAt: now, TokenVersion: 1, Generation: newGeneration()}
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.CreateUser(ctx, u); errors.Is(err, ErrDuplicate) {
			return nil // another process won the race
		} else if err != nil {
			return internal("create root admin", err)
		}
		res.Created = true
		return s.auditAs(ctx, tx, System(), "user.create", "user:"+RootAdminID, map[string]string{"role": "admin"})
	})
	return res, err
}
