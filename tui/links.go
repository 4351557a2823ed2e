package tui

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// linksMsg carries the links of a room the user may copy.
type linksMsg struct {
	roomID string
	items  []choice
	err    error
}

// loadLinks reads the room and what the user may do in it, then offers its links.
func loadLinks(c *common, roomID string) tea.Cmd {
	return c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
		r, g, err := backend.GetRoom(ctx, pr, roomID)
		if err != nil {
			return linksMsg{roomID: roomID, err: err}
		}
		return linksMsg{roomID: roomID, items: linkChoices(backend, r, g)}
	})
}

// linkChoices lists the links of a room the user may hand out: the anonymous links only
// with roomShareAccessLinks (SPEC 3), the room's own url always (it admits only those
// who may enter: members, the owner, admins, signed-in users when user access is on).
func linkChoices(rooms RoomBackend, r *core.Room, g core.Grant) []choice {
	var items []choice
	if g.Permissions.RoomShareAccessLinks {
		for _, l := range []struct {
			role string
			on   bool
		}{{core.BaseRoleModerator, r.Access.Moderator.Enabled}, {core.BaseRoleSpeaker, r.Access.Speaker.Enabled}, {"recording", r.Access.Recording.Enabled}} {
			if l.on {
				items = append(items, choice{label: l.role + " link", value: rooms.AccessURL(r, l.role), hint: "anyone holding it"})
			}
		}
	}
	items = append(items, choice{label: "user link", value: rooms.RoomURL(r.RoomID), hint: "signed-in users and internal members"})
	return items
}

// copyLinkDialog is the y key: with one link it copies at once, otherwise it asks which.
func copyLinkDialog(c *common, items []choice) (dialog, tea.Cmd) {
	copyItem := func(url string) tea.Cmd {
		label := "link"
		for _, it := range items {
			if it.value == url {
				label = it.label
			}
		}
		return copyLink(c, label, url)
	}
	if len(items) == 1 {
		return nil, copyItem(items[0].value)
	}
	return newChooser(c, "Copy which link?", items, copyItem), nil
}
