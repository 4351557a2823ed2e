package tui

import (
	"context"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// The Settings tab's "Usage" line: the usage analytics (GET …/analytics), loaded apart
// from the settings so that a failure of one does not hide the other, and again when
// rooms, meetings or recordings change.

type usageLoadedMsg struct{ usage *core.Analytics }

// usageCmd reads the usage analytics; an error leaves the line as it was.
func (p *settingsPage) usageCmd() tea.Cmd {
	return p.c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
		u, err := backend.Analytics(ctx, pr)
		if err != nil {
			return nil
		}
		return usageLoadedMsg{usage: u}
	})
}

// usageEvent reports whether e may change the usage figures.
func usageEvent(e core.Event) bool {
	switch e.Type {
	case core.EventRoomChanged, core.EventRoomDeleted, core.EventMeetingStarted, core.EventMeetingEnded, core.EventRecordingChanged:
		return true
	}
	return false
}

// usageText is the usage analytics in a line.
func usageText(u *core.Analytics) string {
	return fmt.Sprintf("%s · %d with a meeting now · %s, %d complete", plural(u.TotalRooms, "room", "rooms"),
		u.ActiveRooms, plural(u.TotalRecordings, "recording", "recordings"), u.CompleteRecordings)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
