package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// tabID names a top-level page.
type tabID int

const (
	tabRooms tabID = iota
	tabLive
	tabUsers
	tabAudit
	tabSettings
	tabAccount
	tabRecordings
	tabSessions
	// tabNone is no tab: the principal is not known yet.
	tabNone tabID = -1
)

// tabTitle is the name shown in the tab bar.
func tabTitle(t tabID) string {
	switch t {
	case tabRooms:
		return "Rooms"
	case tabLive:
		return "Live"
	case tabUsers:
		return "Users"
	case tabAudit:
		return "Audit"
	case tabSettings:
		return "Settings"
	case tabRecordings:
		return "Recordings"
	case tabSessions:
		return "Sessions"
	}
	return "Account"
}

// tabsFor lists the tabs a role sees, in SPEC 10's order but for Sessions, last so that the other
// tabs keep their numbers. Live and Recordings are for everyone:
// core shows each user the meetings and recordings of the rooms it may. Settings are the
// server's, for admins.
func tabsFor(admin bool) []tabID {
	if admin {
		return []tabID{tabRooms, tabLive, tabRecordings, tabUsers, tabAudit, tabSettings, tabAccount, tabSessions}
	}
	return []tabID{tabRooms, tabLive, tabRecordings, tabAccount}
}

// renderTabs draws the tab bar: the brand, then "1 Rooms  2 Users …" with the active one
// highlighted.
func renderTabs(c *common, tabs []tabID, active int, w int) string {
	st := c.styles
	var b strings.Builder
	b.WriteString(st.brand.Render(" Conclave "))
	for i, t := range tabs {
		label := " " + strconv.Itoa(i+1) + " " + tabTitle(t) + " "
		b.WriteByte(' ')
		if i == active {
			b.WriteString(st.tabActive.Render(label))
		} else {
			b.WriteString(st.tabInactive.Render(label))
		}
	}
	return ansi.Truncate(b.String(), w, "…")
}
