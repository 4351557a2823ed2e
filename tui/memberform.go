package tui

import (
	"context"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// Override choices of a permission for one member.
const (
	overrideDefault = "role default"
	overrideAllow   = "allow"
	overrideDeny    = "deny"
)

// overrideFields is one select per permission key: keep the base role's value, or allow
// or deny it for this member (SPEC 4 customPermissions).
func overrideFields(custom core.PermissionSet) []*field {
	fields := []*field{noteField("Permission overrides")}
	for _, k := range shownPermissionKeys() {
		sel := overrideDefault
		if v, ok := custom[k]; ok {
			sel = overrideDeny
			if v {
				sel = overrideAllow
			}
		}
		fields = append(fields, hinted(selectField("customPermissions."+k, permissionLabel(k), []string{overrideDefault, overrideAllow, overrideDeny}, sel), k))
	}
	return fields
}

// overridesFrom reads the overrides of the form; those of keys it does not offer stay as
// they were in keep.
func overridesFrom(v formValues, keep core.PermissionSet) core.PermissionSet {
	set := core.PermissionSet{}
	for k, on := range keep {
		if unavailablePermissions[k] {
			set[k] = on
		}
	}
	for _, k := range shownPermissionKeys() {
		switch v.str("customPermissions." + k) {
		case overrideAllow:
			set[k] = true
		case overrideDeny:
			set[k] = false
		}
	}
	return set
}

// overridesText summarises overrides as "+Download recordings −Write in the chat".
func overridesText(set core.PermissionSet) string {
	var parts []string
	for _, k := range core.PermissionKeys {
		if v, ok := set[k]; ok {
			if v {
				parts = append(parts, "+"+permissionLabel(k))
			} else {
				parts = append(parts, "−"+permissionLabel(k))
			}
		}
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, " ")
}

// newAddMemberForm adds an internal user (by userId) or an external person (by name).
func newAddMemberForm(c *common, roomID string) *form {
	internal := func(v formValues) bool { return v.str("kind") == "internal user" }
	userID := textField("userId", "User ID", "", "an existing user")
	userID.hidden = func(v formValues) bool { return !internal(v) }
	name := textField("name", "Name", "", "shown in the meeting")
	name.hidden = internal
	fields := []*field{
		selectField("kind", "Member", []string{"internal user", "external person"}, "internal user"),
		userID, name,
		selectField("baseRole", "Base role", []string{core.BaseRoleSpeaker, core.BaseRoleModerator}, core.BaseRoleSpeaker),
	}
	fields = append(fields, overrideFields(nil)...)
	f := newForm(c, "Add a member", "Add", fields)
	f.build = func(v formValues) submitFunc {
		in := core.NewMember{BaseRole: v.str("baseRole"), Custom: overridesFrom(v, nil)}
		if internal(v) {
			in.UserID = strings.TrimSpace(v.str("userId"))
			if in.UserID == "" {
				in.UserID = " " // core says what a userId must be
			}
		} else {
			in.Name = v.str("name")
		}
		return func(ctx context.Context, backend Backend, p *core.Principal) (string, error) {
			m, _, err := backend.AddMember(ctx, p, roomID, in)
			if err != nil {
				return "", err
			}
			if m.Type == core.MemberTypeGuest {
				// The link is too long for a flash: the member's detail shows it whole.
				return fmt.Sprintf("%s added; i on the member shows their own link", sanitize(m.Name)), nil
			}
			return sanitize(m.Name) + " added", nil
		}
	}
	return f
}

// newEditMemberForm changes a member's base role and overrides (its name is fixed).
func newEditMemberForm(c *common, m *core.Member) *form {
	fields := []*field{
		noteField(sanitize(m.Name) + " (" + sanitize(m.MemberID) + ")"),
		selectField("baseRole", "Base role", []string{core.BaseRoleSpeaker, core.BaseRoleModerator}, m.BaseRole),
	}
	fields = append(fields, overrideFields(m.Custom)...)
	f := newForm(c, "Edit member", "Save", fields)
	roomID, memberID, name, keep := m.RoomID, m.MemberID, sanitize(m.Name), m.Custom
	f.build = func(v formValues) submitFunc {
		role := v.str("baseRole")
		set := overridesFrom(v, keep)
		in := core.MemberPatch{BaseRole: &role, Custom: &set}
		return func(ctx context.Context, backend Backend, p *core.Principal) (string, error) {
			if _, _, err := backend.UpdateMember(ctx, p, roomID, memberID, in); err != nil {
				return "", err
			}
			return name + " updated", nil
		}
	}
	return f
}

// deleteMemberConfirm removes a member after (y/N).
func deleteMemberConfirm(c *common, m *core.Member) *confirm {
	roomID, memberID, name := m.RoomID, m.MemberID, sanitize(m.Name)
	return newConfirm(c, "Remove "+name+"?",
		name+" loses access to the room at once and leaves a live meeting.", nil,
		func([]string) tea.Cmd {
			return c.call(func(ctx context.Context, backend Backend, p *core.Principal) tea.Msg {
				return doneMsg{ok: name + " removed", err: backend.DeleteMember(ctx, p, roomID, memberID)}
			})
		})
}
