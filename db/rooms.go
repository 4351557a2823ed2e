package db

// This file implements core.RoomStore on the rooms table (its listing filters also read
// members, whose own methods are in members.go).

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"

	"conclave/core"
)

var _ core.RoomStore = (*store)(nil)

const roomCols = `r.room_id, r.room_name, r.owner, r.creation_date, r.auto_deletion_date,
	r.auto_deletion_policy, r.config, r.roles, r.access, r.status, r.roles_updated_at,
	r.meeting_end_action, r.roles_version`

// noDeletion is the sort value of a room without an auto-deletion date: it is never
// deleted, so it comes after every real date. The migration's expression index uses the
// same constant.
const noDeletion = math.MaxInt64

// autoDeletionKey must match the indexed expression character for character, or SQLite
// will not use the index.
const autoDeletionKey = "coalesce(r.auto_deletion_date, 9223372036854775807)"

func scanRoom(sc scanner) (core.Room, error) {
	var (
		r                             core.Room
		del                           sql.NullInt64
		policy, config, roles, access string
	)
	err := sc.Scan(&r.RoomID, &r.RoomName, &r.Owner, &r.CreationDate, &del,
		&policy, &config, &roles, &access, &r.Status, &r.RolesUpdatedAt,
		&r.MeetingEndAction, &r.RolesVersion)
	if err != nil {
		return r, err
	}
	if del.Valid {
		r.AutoDeletionDate = &del.Int64
	}
	for _, p := range []struct {
		raw  string
		into any
	}{{policy, &r.AutoDeletionPolicy}, {config, &r.Config}, {roles, &r.Roles}, {access, &r.Access}} {
		if err := json.Unmarshal([]byte(p.raw), p.into); err != nil {
			return r, fmt.Errorf("room %q: corrupt JSON column: %w", r.RoomID, err)
		}
	}
	return r, nil
}

// roomJSON is a room's structured parts as stored.
type roomJSON struct{ policy, config, roles, access string }

func marshalRoom(r *core.Room) (roomJSON, error) {
	var out roomJSON
	for _, p := range []struct {
		from any
		into *string
	}{{r.AutoDeletionPolicy, &out.policy}, {r.Config, &out.config}, {r.Roles, &out.roles}, {r.Access, &out.access}} {
		b, err := json.Marshal(p.from)
		if err != nil {
			return out, fmt.Errorf("room %q: %w", r.RoomID, err)
		}
		*p.into = string(b)
	}
	return out, nil
}

// CreateRoom inserts r; an existing roomId gives core.ErrDuplicate.
func (s *store) CreateRoom(ctx context.Context, r *core.Room) error {
	what := fmt.Sprintf("create room %q", r.RoomID)
	j, err := marshalRoom(r)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO rooms (room_id, room_name, owner, creation_date,
			auto_deletion_date, auto_deletion_policy, config, roles, access, access_user_enabled,
			status, roles_updated_at, meeting_end_action, roles_version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.RoomID, r.RoomName, r.Owner, r.CreationDate, r.AutoDeletionDate,
		j.policy, j.config, j.roles, j.access, boolInt(r.Access.UserEnabled),
		r.Status, r.RolesUpdatedAt, r.MeetingEndAction, r.RolesVersion)
	return mapErr(err, what)
}

// GetRoom returns the room, core.ErrNoRows when there is none.
func (s *store) GetRoom(ctx context.Context, roomID string) (*core.Room, error) {
	r, err := scanRoom(s.r.QueryRowContext(ctx, `SELECT `+roomCols+` FROM rooms r WHERE r.room_id = ?`, roomID))
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("get room %q", roomID))
	}
	return &r, nil
}

// UpdateRoom replaces every field of the room but its id.
func (s *store) UpdateRoom(ctx context.Context, r *core.Room) error {
	what := fmt.Sprintf("update room %q", r.RoomID)
	j, err := marshalRoom(r)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return execOne(ctx, s.w, what, `UPDATE rooms SET room_name = ?, owner = ?, creation_date = ?,
			auto_deletion_date = ?, auto_deletion_policy = ?, config = ?, roles = ?, access = ?,
			access_user_enabled = ?, status = ?, roles_updated_at = ?, meeting_end_action = ?,
			roles_version = ?
		WHERE room_id = ?`,
		r.RoomName, r.Owner, r.CreationDate, r.AutoDeletionDate,
		j.policy, j.config, j.roles, j.access, boolInt(r.Access.UserEnabled),
		r.Status, r.RolesUpdatedAt, r.MeetingEndAction, r.RolesVersion, r.RoomID)
}

// DeleteRoom deletes the room; its members go with it (ON DELETE CASCADE).
func (s *store) DeleteRoom(ctx context.Context, roomID string) error {
	return execOne(ctx, s.w, fmt.Sprintf("delete room %q", roomID), `DELETE FROM rooms WHERE room_id = ?`, roomID)
}

var roomSorts = map[string]column[core.Room]{
	"creationDate": {keyCol{"r.creation_date", false}, func(r *core.Room) any { return r.CreationDate }},
	"roomName":     {keyCol{"r.room_name", true}, func(r *core.Room) any { return r.RoomName }},
	"autoDeletionDate": {keyCol{autoDeletionKey, false}, func(r *core.Room) any {
		if r.AutoDeletionDate == nil {
			return int64(noDeletion)
		}
		return *r.AutoDeletionDate
	}},
}

var roomTie = column[core.Room]{keyCol{"r.room_id", true}, func(r *core.Room) any { return r.RoomID }}

// isMember is the condition "user ? is a member of room r"; (room_id, member_id) is the
// primary key, so it is one index probe per room.
// Its parameters are the user id and core.MemberTypeUser.
const isMember = `EXISTS (SELECT 1 FROM members m WHERE m.room_id = r.room_id AND m.member_id = ? AND m.type = ?)`

// roomsQuery builds the listing behind ListRooms.
func roomsQuery(q core.RoomQuery) (string, where, ordering, func(*core.Room) []any, error) {
	o, keyOf, err := orderFor("rooms", q.ListOptions, "creationDate", roomSorts, roomTie)
	if err != nil {
		return "", where{}, o, nil, err
	}
	var w where
	if err := w.text("r.room_name", q.RoomName); err != nil {
		return "", where{}, o, nil, err
	}
	if q.Owner != "" {
		w.add("r.owner = ?", q.Owner)
	}
	if q.Member != "" {
		// Written as IN so SQLite starts from the user's few memberships (members_member_id)
		// instead of probing every room; it then sorts that handful.
		w.add("r.room_id IN (SELECT m.room_id FROM members m WHERE m.member_id = ? AND m.type = ?)", q.Member, core.MemberTypeUser)
	}
	if q.Status != "" {
		w.add("r.status = ?", q.Status)
	}
	if q.UserAccess != nil {
		w.add("r.access_user_enabled = ?", boolInt(*q.UserAccess))
	}
	if q.VisibleTo != "" {
		if q.IncludeUserAccess {
			w.add("(r.owner = ? OR "+isMember+" OR r.access_user_enabled = 1)", q.VisibleTo, q.VisibleTo, core.MemberTypeUser)
		} else {
			w.add("(r.owner = ? OR "+isMember+")", q.VisibleTo, q.VisibleTo, core.MemberTypeUser)
		}
	}
	return `SELECT ` + roomCols + ` FROM rooms r`, w, o, keyOf, nil
}

// ListRooms lists rooms, newest first unless sorted otherwise. Sorting by autoDeletionDate
// puts rooms without one last ascending and first descending (they are deleted "never").
// Names sort bytewise, so upper case comes before lower case.
func (s *store) ListRooms(ctx context.Context, q core.RoomQuery) (core.Page[core.Room], error) {
	sel, w, o, keyOf, err := roomsQuery(q)
	if err != nil {
		return core.Page[core.Room]{}, fmt.Errorf("list rooms: %w", err)
	}
	return listPage(ctx, s.r, "list rooms", sel, w, o, keyOf, q.ListOptions, scanRoom)
}

// RoomsDueForDeletion lists rooms whose auto-deletion date is at or before now, earliest
// first; limit <= 0 means no limit.
func (s *store) RoomsDueForDeletion(ctx context.Context, now int64, limit int) ([]core.Room, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	return queryAll(ctx, s.r, "rooms due for deletion", scanRoom,
		`SELECT `+roomCols+` FROM rooms r WHERE `+autoDeletionKey+` <= ?
		ORDER BY `+autoDeletionKey+`, r.room_id LIMIT ?`, now, limit)
}

// TransferRooms gives every room owned by from to to and returns how many moved.
func (s *store) TransferRooms(ctx context.Context, from, to string) (int, error) {
	return execCount(ctx, s.w, fmt.Sprintf("transfer rooms of %q to %q", from, to),
		`UPDATE rooms SET owner = ? WHERE owner = ?`, to, from)
}

// CountRooms counts every room (usage analytics).
func (s *store) CountRooms(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM rooms`).Scan(&n); err != nil {
		return 0, mapErr(err, "count rooms")
	}
	return n, nil
}
