package core

import (
	"context"
	"errors"
	"strings"
)

// NewMember is a member as a room manager adds it: UserID for an internal user, Name for
// an external person.
type NewMember struct {
	UserID   string
	Name     string
	BaseRole string
	Custom   PermissionSet
}

// MemberPatch changes a member's base role and/or replaces its custom permissions.
type MemberPatch struct {
	BaseRole *string
	Custom   *PermissionSet
}

// ExternalMemberPrefix starts the id of every external member.
const ExternalMemberPrefix = "ext-"

func memberNotFound(roomID, memberID string) error {
	return notFound("Room Member Error", "Room member %q does not exist in room %q", memberID, roomID)
}

// manageMembers loads a room whose members the caller may manage.
func (s *Service) manageMembers(ctx context.Context, st Store, p *Principal, roomID string) (*Room, error) {
	r, err := loadRoom(ctx, st, roomID)
	if err != nil {
		return nil, err
	}
	if !canManage(p, r) {
		return nil, forbidden("Only the room's owner and admins can manage the members of room %q", roomID)
	}
	return r, nil
}

// AddMember adds an internal user or an external person to a room (SPEC 4).
func (s *Service) AddMember(ctx context.Context, p *Principal, roomID string, in NewMember) (*Member, *Room, error) {
	if err := p.active(); err != nil {
		return nil, nil, err
	}
	var v validator
	checkEnum(&v, "baseRole", in.BaseRole, BaseRoleModerator, BaseRoleSpeaker)
	if in.UserID == "" {
		checkName(&v, "name", in.Name, 50)
	} else if !ValidUserID(in.UserID) {
		v.add("userId", "must be 5 to 20 characters of lowercase letters, digits and underscores")
	}
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	now := s.nowMS()
	m := &Member{RoomID: roomID, BaseRole: in.BaseRole, Custom: in.Custom, MembershipDate: now, UpdatedAt: now, Version: 1,
		Generation: newGeneration()} // a member added again is a new incarnation
	if m.Custom == nil {
		m.Custom = PermissionSet{}
	}
	var room *Room
	err := s.store.InTx(ctx, func(tx Store) error {
		var err error
		if room, err = s.manageMembers(ctx, tx, p, roomID); err != nil {
			return err
		}
		if in.UserID != "" {
			u, err := tx.GetUser(ctx, in.UserID)
			if isNoRows(err) {
				return userNotFound(in.UserID)
			} else if err != nil {
				return internal("load user", err)
			}
			switch {
			case u.UserID == room.Owner:
				return conflict("Room Member Error", "User %q owns room %q and cannot be added as a member", u.UserID, roomID)
			case u.Role == RoleAdmin:
				return conflict("Room Member Error", "User %q is an admin and cannot be added as a member", u.UserID)
			}
			m.MemberID, m.Type, m.Name = u.UserID, MemberTypeUser, u.Name
		} else {
			m.MemberID, m.Type, m.Name = ExternalMemberPrefix+randomSecret(16), MemberTypeGuest, in.Name
		}
		if err := tx.CreateMember(ctx, m); errors.Is(err, ErrDuplicate) {
			return conflict("Room Member Error", "User %q is already a member of room %q", m.MemberID, roomID)
		} else if err != nil {
			return internal("create member", err)
		}
		return s.auditAs(ctx, tx, p, "member.add", "member:"+m.MemberID+"@"+roomID,
			map[string]any{"baseRole": m.BaseRole, "customPermissions": m.Custom, "type": m.Type})
	})
	if err != nil {
		return nil, nil, err
	}
	s.bus.Publish(Event{Type: EventMemberChanged, RoomID: roomID, MemberID: m.MemberID})
	return m, room, nil
}

// GetMember returns one member of a room, and the room (to derive its permissions).
// Managers see every member; a member sees itself.
func (s *Service) GetMember(ctx context.Context, p *Principal, roomID, memberID string) (*Member, *Room, error) {
	if err := p.active(); err != nil {
		return nil, nil, err
	}
	r, err := loadRoom(ctx, s.store, roomID)
	if err != nil {
		return nil, nil, err
	}
	self := (p.Kind == PrincipalUser && p.User.UserID == memberID) ||
		(p.Kind == PrincipalMember && p.Member.RoomID == roomID && p.Member.MemberID == memberID)
	if !canManage(p, r) && !self {
		return nil, nil, forbidden("Only the room's owner and admins can see the members of room %q", roomID)
	}
	m, err := s.store.GetMember(ctx, roomID, memberID)
	if isNoRows(err) {
		return nil, nil, memberNotFound(roomID, memberID)
	} else if err != nil {
		return nil, nil, internal("load member", err)
	}
	return m, r, nil
}

// ListMembers lists a room's members (managers only).
func (s *Service) ListMembers(ctx context.Context, p *Principal, q MemberQuery) (Page[Member], *Room, error) {
	if err := p.active(); err != nil {
		return Page[Member]{}, nil, err
	}
	r, err := s.manageMembers(ctx, s.store, p, q.RoomID)
	if err != nil {
		return Page[Member]{}, nil, err
	}
	if q.ListOptions, err = checkList(q.ListOptions, "membershipDate", "name"); err != nil {
		return Page[Member]{}, nil, err
	}
	if q.Name, err = checkText("name", q.Name); err != nil {
		return Page[Member]{}, nil, err
	}
	if q.BaseRole != "" {
		var v validator
		checkEnum(&v, "baseRole", q.BaseRole, BaseRoleModerator, BaseRoleSpeaker)
		if err := v.err(); err != nil {
			return Page[Member]{}, nil, err
		}
	}
	page, err := s.store.ListMembers(ctx, q)
	return page, r, listErr("members", err)
}

// UpdateMember changes a member's base role and/or custom permissions. Its older tokens
// stop working; if it is in the meeting, its new rights apply at once (it is expelled if
// it loses meetingJoin).
func (s *Service) UpdateMember(ctx context.Context, p *Principal, roomID, memberID string, in MemberPatch) (*Member, *Room, error) {
	if err := p.active(); err != nil {
		return nil, nil, err
	}
	var v validator
	if in.BaseRole != nil {
		checkEnum(&v, "baseRole", *in.BaseRole, BaseRoleModerator, BaseRoleSpeaker)
	}
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	var m *Member
	var room *Room
	err := s.store.InTx(ctx, func(tx Store) error {
		var err error
		if room, err = s.manageMembers(ctx, tx, p, roomID); err != nil {
			return err
		}
		m, err = tx.GetMember(ctx, roomID, memberID)
		if isNoRows(err) {
			return memberNotFound(roomID, memberID)
		} else if err != nil {
			return internal("load member", err)
		}
		if in.BaseRole != nil {
			m.BaseRole = *in.BaseRole
		}
		if in.Custom != nil {
			m.Custom = *in.Custom
			if m.Custom == nil {
				m.Custom = PermissionSet{}
			}
		}
		m.UpdatedAt = s.nowMS()
		m.Version++
		if err := tx.UpdateMember(ctx, m); err != nil {
			return internal("update member", err)
		}
		return s.auditAs(ctx, tx, p, "member.update", "member:"+memberID+"@"+roomID,
			map[string]any{"baseRole": m.BaseRole, "customPermissions": m.Custom})
	})
	if err != nil {
		return nil, nil, err
	}
	// Its seat, if it is live, follows: expelled without meetingJoin, else its new rights.
	s.reevaluate(ctx, roomID, func(pt *Participant) bool { return pt.origin.member == memberID },
		"You may no longer join this meeting")
	s.bus.Publish(Event{Type: EventMemberChanged, RoomID: roomID, MemberID: memberID})
	return m, room, nil
}

// DeleteMember removes a member: its access ends at once and it is expelled from a live
// meeting.
func (s *Service) DeleteMember(ctx context.Context, p *Principal, roomID, memberID string) error {
	if err := p.active(); err != nil {
		return err
	}
	err := s.store.InTx(ctx, func(tx Store) error {
		if _, err := s.manageMembers(ctx, tx, p, roomID); err != nil {
			return err
		}
		if err := tx.DeleteMember(ctx, roomID, memberID); isNoRows(err) {
			return memberNotFound(roomID, memberID)
		} else if err != nil {
			return internal("delete member", err)
		}
		return s.auditAs(ctx, tx, p, "member.delete", "member:"+memberID+"@"+roomID, nil)
	})
	if err != nil {
		return err
	}
	s.expel(roomID, []string{memberID}, "You were removed from this room")
	s.bus.Publish(Event{Type: EventMemberDeleted, RoomID: roomID, MemberID: memberID})
	return nil
}

// BulkDeleteMembers deletes each member in ids, reporting per id. An unknown room is an
// error of the whole request (404).
func (s *Service) BulkDeleteMembers(ctx context.Context, p *Principal, roomID string, ids []string) (BulkResult, error) {
	if err := p.active(); err != nil {
		return BulkResult{}, err
	}
	if err := checkBulkIDs("memberIds", ids); err != nil {
		return BulkResult{}, err
	}
	if _, err := s.manageMembers(ctx, s.store, p, roomID); err != nil {
		return BulkResult{}, err
	}
	var res BulkResult
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if err := s.DeleteMember(ctx, p, roomID, id); err != nil {
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

// MemberCounts counts the members of the rooms p manages among rooms (the room's owner,
// admins and API keys see members); the others are absent from the map.
func (s *Service) MemberCounts(ctx context.Context, p *Principal, rooms []Room) (map[string]int, error) {
	if err := p.active(); err != nil {
		return nil, err
	}
	out := map[string]int{}
	var ids []string
	for i := range rooms {
		if canManage(p, &rooms[i]) {
			ids = append(ids, rooms[i].RoomID)
			out[rooms[i].RoomID] = 0
		}
	}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		counts, err := s.store.CountMembers(ctx, ids[:n])
		if err != nil {
			return nil, internal("count members", err)
		}
		for id, c := range counts {
			out[id] = c
		}
		ids = ids[n:]
	}
	return out, nil
}
