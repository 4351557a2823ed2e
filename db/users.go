package db

// This file implements core.UserStore on the users table.

import (
	"context"
	"fmt"

	"conclave/core"
)

var _ core.UserStore = (*store)(nil)

// generation is written once, by CreateUser: UpdateUser leaves it alone, so no update can
// give a user another incarnation's tokens.
const userCols = `user_id, name, role, password_hash, must_change_password, registration_date,
	role_updated_at, token_version, generation`

func scanUser(sc scanner) (core.User, error) {
	var u core.User
	err := sc.Scan(&u.UserID, &u.Name, &u.Role, &u.PasswordHash, &u.MustChangePassword,
		&u.RegistrationDate, &u.RoleUpdatedAt, &u.TokenVersion, &u.Generation)
	return u, err
}

// CreateUser inserts u; an existing userId gives core.ErrDuplicate.
func (s *store) CreateUser(ctx context.Context, u *core.User) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.UserID, u.Name, string(u.Role), u.PasswordHash, boolInt(u.MustChangePassword),
		u.RegistrationDate, u.RoleUpdatedAt, u.TokenVersion, u.Generation)
	return mapErr(err, fmt.Sprintf("create user %q", u.UserID))
}

// GetUser returns the user, core.ErrNoRows when there is none.
func (s *store) GetUser(ctx context.Context, userID string) (*core.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE user_id = ?`, userID))
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("get user %q", userID))
	}
	return &u, nil
}

// UpdateUser replaces every field of the user but its id and generation.
func (s *store) UpdateUser(ctx context.Context, u *core.User) error {
	return execOne(ctx, s.w, fmt.Sprintf("update user %q", u.UserID),
		`UPDATE users SET name = ?, role = ?, password_hash = ?, must_change_password = ?,
			registration_date = ?, role_updated_at = ?, token_version = ?
		WHERE user_id = ?`,
		u.Name, string(u.Role), u.PasswordHash, boolInt(u.MustChangePassword),
		u.RegistrationDate, u.RoleUpdatedAt, u.TokenVersion, u.UserID)
}

// SwapUserPassword is UpdateUser made only while the stored password hash is still
// oldHash (compare-and-swap): when another change got there first, or the user is gone,
// nothing changes and core.ErrNoRows says so.
func (s *store) SwapUserPassword(ctx context.Context, u *core.User, oldHash string) error {
	return execOne(ctx, s.w, fmt.Sprintf("swap password of user %q", u.UserID),
		`UPDATE users SET name = ?, role = ?, password_hash = ?, must_change_password = ?,
			registration_date = ?, role_updated_at = ?, token_version = ?
		WHERE user_id = ? AND password_hash = ?`,
		u.Name, string(u.Role), u.PasswordHash, boolInt(u.MustChangePassword),
		u.RegistrationDate, u.RoleUpdatedAt, u.TokenVersion, u.UserID, oldHash)
}

// DeleteUser deletes the user and, through the foreign key, its sessions. Memberships and
// owned rooms are core's to move first (DeleteUserMemberships, TransferRooms).
func (s *store) DeleteUser(ctx context.Context, userID string) error {
	return execOne(ctx, s.w, fmt.Sprintf("delete user %q", userID), `DELETE FROM users WHERE user_id = ?`, userID)
}

// CountUsers counts every user, the root admin included.
func (s *store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, mapErr(err, "count users")
	}
	return n, nil
}

var userSorts = map[string]column[core.User]{
	"registrationDate": {keyCol{"registration_date", false}, func(u *core.User) any { return u.RegistrationDate }},
	"name":             {keyCol{"name", true}, func(u *core.User) any { return u.Name }},
}

var userTie = column[core.User]{keyCol{"user_id", true}, func(u *core.User) any { return u.UserID }}

// usersQuery builds the listing behind ListUsers.
func usersQuery(q core.UserQuery) (string, where, ordering, func(*core.User) []any, error) {
	o, keyOf, err := orderFor("users", q.ListOptions, "registrationDate", userSorts, userTie)
	if err != nil {
		return "", where{}, o, nil, err
	}
	var w where
	if q.UserID != "" {
		w.add("user_id = ?", q.UserID)
	}
	if err := w.text("name", q.Name); err != nil {
		return "", where{}, o, nil, err
	}
	if q.Role != "" {
		w.add("role = ?", string(q.Role))
	}
	return `SELECT ` + userCols + ` FROM users`, w, o, keyOf, nil
}

// ListUsers lists users by registration date (newest first) unless sorted by name.
func (s *store) ListUsers(ctx context.Context, q core.UserQuery) (core.Page[core.User], error) {
	sel, w, o, keyOf, err := usersQuery(q)
	if err != nil {
		return core.Page[core.User]{}, fmt.Errorf("list users: %w", err)
	}
	return listPage(ctx, s.r, "list users", sel, w, o, keyOf, q.ListOptions, scanUser)
}
