package db

// This file implements core.MemberStore on the members table.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"conclave/core"
)

var _ core.MemberStore = (*store)(nil)

// generation is written once, by CreateMember: UpdateMember leaves it alone.
const memberCols = `room_id, member_id, type, name, base_role, custom, membership_date, updated_at, version, generation`

func scanMember(sc scanner) (core.Member, error) {
	var (
		m      core.Member
		custom string
	)
	if err := sc.Scan(&m.RoomID, &m.MemberID, &m.Type, &m.Name, &m.BaseRole, &custom,
		&m.MembershipDate, &m.UpdatedAt, &m.Version, &m.Generation); err != nil {
		return m, err
	}
	if err := json.Unmarshal([]byte(custom), &m.Custom); err != nil {
		return m, fmt.Errorf("member %q of room %q: corrupt custom permissions: %w", m.MemberID, m.RoomID, err)
	}
	return m, nil
}

// CreateMember inserts m. A second membership of the same id in the room gives
// core.ErrDuplicate; a room that does not exist gives core.ErrNoRows.
func (s *store) CreateMember(ctx context.Context, m *core.Member) error {
	what := fmt.Sprintf("create member %q of room %q", m.MemberID, m.RoomID)
	custom, err := json.Marshal(m.Custom)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO members (`+memberCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.RoomID, m.MemberID, m.Type, m.Name, m.BaseRole, string(custom),
		m.MembershipDate, m.UpdatedAt, m.Version, m.Generation)
	return mapErr(err, what)
}

// GetMember returns the member, core.ErrNoRows when there is none.
func (s *store) GetMember(ctx context.Context, roomID, memberID string) (*core.Member, error) {
	m, err := scanMember(s.r.QueryRowContext(ctx,
		`SELECT `+memberCols+` FROM members WHERE room_id = ? AND member_id = ?`, roomID, memberID))
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("get member %q of room %q", memberID, roomID))
	}
	return &m, nil
}

// UpdateMember replaces every field of the member but its room, id and generation.
func (s *store) UpdateMember(ctx context.Context, m *core.Member) error {
	what := fmt.Sprintf("update member %q of room %q", m.MemberID, m.RoomID)
	custom, err := json.Marshal(m.Custom)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return execOne(ctx, s.w, what, `UPDATE members SET type = ?, name = ?, base_role = ?, custom = ?,
			membership_date = ?, updated_at = ?, version = ?
		WHERE room_id = ? AND member_id = ?`,
		m.Type, m.Name, m.BaseRole, string(custom), m.MembershipDate, m.UpdatedAt, m.Version,
		m.RoomID, m.MemberID)
}

// DeleteMember removes one membership.
func (s *store) DeleteMember(ctx context.Context, roomID, memberID string) error {
	return execOne(ctx, s.w, fmt.Sprintf("delete member %q of room %q", memberID, roomID),
		`DELETE FROM members WHERE room_id = ? AND member_id = ?`, roomID, memberID)
}

var memberSorts = map[string]column[core.Member]{
	"membershipDate": {keyCol{"membership_date", false}, func(m *core.Member) any { return m.MembershipDate }},
	"name":           {keyCol{"name", true}, func(m *core.Member) any { return m.Name }},
}

var (
	memberTieRoom = column[core.Member]{keyCol{"room_id", true}, func(m *core.Member) any { return m.RoomID }}
	memberTieID   = column[core.Member]{keyCol{"member_id", true}, func(m *core.Member) any { return m.MemberID }}
)

// membersQuery builds the listing behind ListMembers. Within one room member_id alone
// breaks ties; listing every room's members (no RoomID) needs the room in the key too.
func membersQuery(q core.MemberQuery) (string, where, ordering, func(*core.Member) []any, error) {
	tie := []column[core.Member]{memberTieID}
	if q.RoomID == "" {
		tie = []column[core.Member]{memberTieRoom, memberTieID}
	}
	o, keyOf, err := orderFor("members", q.ListOptions, "membershipDate", memberSorts, tie...)
	if err != nil {
		return "", where{}, o, nil, err
	}
	var w where
	if q.RoomID != "" {
		w.add("room_id = ?", q.RoomID)
	}
	if err := w.text("name", q.Name); err != nil {
		return "", where{}, o, nil, err
	}
	if q.Type != "" {
		w.add("type = ?", q.Type)
	}
	if q.BaseRole != "" {
		w.add("base_role = ?", q.BaseRole)
	}
	return `SELECT ` + memberCols + ` FROM members`, w, o, keyOf, nil
}

// ListMembers lists a room's members, newest first unless sorted by name.
func (s *store) ListMembers(ctx context.Context, q core.MemberQuery) (core.Page[core.Member], error) {
	sel, w, o, keyOf, err := membersQuery(q)
	if err != nil {
		return core.Page[core.Member]{}, fmt.Errorf("list members: %w", err)
	}
	return listPage(ctx, s.r, "list members", sel, w, o, keyOf, q.ListOptions, scanMember)
}

// DeleteUserMemberships removes the user's memberships of every room and returns the ids of
// those rooms, sorted.
func (s *store) DeleteUserMemberships(ctx context.Context, userID string) ([]string, error) {
	ids, err := queryAll(ctx, s.w, fmt.Sprintf("delete memberships of %q", userID),
		func(sc scanner) (string, error) {
			var id string
			err := sc.Scan(&id)
			return id, err
		},
		`DELETE FROM members WHERE member_id = ? AND type = ? RETURNING room_id`, userID, core.MemberTypeUser)
	if err != nil {
		return nil, err
	}
	slices.Sort(ids) // RETURNING gives no order
	return ids, nil
}

// CountMembers counts the members of each room in roomIDs, in one query that reads the
// (room_id, …) indexes only.
func (s *store) CountMembers(ctx context.Context, roomIDs []string) (map[string]int, error) {
	out := make(map[string]int, len(roomIDs))
	if len(roomIDs) == 0 {
		return out, nil
	}
	if len(roomIDs) > 1000 {
		return nil, fmt.Errorf("count members: %d rooms at once, at most 1000", len(roomIDs))
	}
	args := make([]any, len(roomIDs))
	for i, id := range roomIDs {
		args[i] = id
	}
	type count struct {
		room string
		n    int
	}
	rows, err := queryAll(ctx, s.r, "count members", func(sc scanner) (count, error) {
		var c count
		err := sc.Scan(&c.room, &c.n)
		return c, err
	}, `SELECT room_id, COUNT(*) FROM members WHERE room_id IN (?`+strings.Repeat(",?", len(roomIDs)-1)+`) GROUP BY room_id`, args...)
	if err != nil {
		return nil, err
	}
	for _, c := range rows {
		out[c.room] = c.n
	}
	return out, nil
}
