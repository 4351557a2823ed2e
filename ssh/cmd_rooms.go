package sshd

import (
	"fmt"
	"strconv"

	"conclave/core"
)

// roomJSON is a room in `rooms ls --json`, named as OpenVidu Meet names its fields.
type roomJSON struct {
	RoomID       string `json:"roomId"`
	RoomName     string `json:"roomName"`
	Owner        string `json:"owner"`
	Status       string `json:"status"`
	CreationDate int64  `json:"creationDate"`
}

// roomsList lists every room the user may see, all pages of it.
func roomsList(e *cmdEnv, p *core.Principal, args []string) error {
	var asJSON bool
	pos, err := parseFlags(args, &asJSON)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("rooms ls takes no arguments")
	}
	rooms, err := allPages(func(token string) (core.Page[core.Room], error) {
		return e.svc.ListRooms(e.ctx, p, core.RoomQuery{ListOptions: core.ListOptions{MaxItems: core.MaxMaxItems, PageToken: token}})
	})
	if err != nil {
		return err
	}
	if asJSON {
		out := make([]roomJSON, 0, len(rooms))
		for _, r := range rooms {
			out = append(out, roomJSON{r.RoomID, r.RoomName, r.Owner, r.Status, r.CreationDate})
		}
		return e.writeJSON(out)
	}
	if len(rooms) == 0 {
		fmt.Fprintln(e.out, "No rooms.")
		return nil
	}
	rows := make([][]string, 0, len(rooms))
	for _, r := range rooms {
		rows = append(rows, []string{r.RoomID, r.RoomName, r.Owner, r.Status, date(r.CreationDate)})
	}
	return e.table([]string{"ROOM ID", "NAME", "OWNER", "STATUS", "CREATED (UTC)"}, rows)
}

// roomDetailJSON is `rooms show --json`. AccessLinks is present only when the caller may
// share them (roomShareAccessLinks), as on the REST API.
type roomDetailJSON struct {
	roomJSON
	AutoDeletionDate *int64            `json:"autoDeletionDate,omitempty"`
	RoomURL          string            `json:"roomUrl"`
	Access           string            `json:"access"`
	Role             string            `json:"role,omitempty"`
	Permissions      core.Permissions  `json:"permissions"`
	Config           core.RoomConfig   `json:"config"`
	UserAccess       bool              `json:"userAccess"`
	AccessLinks      map[string]string `json:"accessLinks,omitempty"`
}

func roomsShow(e *cmdEnv, p *core.Principal, args []string) error {
	var asJSON bool
	pos, err := parseFlags(args, &asJSON)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: rooms show ROOM [--json]")
	}
	r, g, err := e.svc.GetRoom(e.ctx, p, pos[0])
	if err != nil {
		return err
	}
	d := roomDetailJSON{
		roomJSON:         roomJSON{r.RoomID, r.RoomName, r.Owner, r.Status, r.CreationDate},
		AutoDeletionDate: r.AutoDeletionDate,
		RoomURL:          e.svc.RoomURL(r.RoomID),
		Access:           g.Source,
		Role:             g.Role,
		Permissions:      g.Permissions,
		Config:           r.Config,
		UserAccess:       r.Access.UserEnabled,
	}
	if g.Permissions.RoomShareAccessLinks {
		d.AccessLinks = map[string]string{}
		for role, on := range map[string]bool{
			core.BaseRoleModerator: r.Access.Moderator.Enabled,
			core.BaseRoleSpeaker:   r.Access.Speaker.Enabled,
			"recording":            r.Access.Recording.Enabled,
		} {
			if on {
				d.AccessLinks[role] = e.svc.AccessURL(r, role)
			}
		}
	}
	if asJSON {
		return e.writeJSON(d)
	}
	rows := [][]string{
		{"Room", r.RoomID},
		{"Name", r.RoomName},
		{"Owner", r.Owner},
		{"Status", r.Status},
		{"Created", date(r.CreationDate) + " UTC"},
	}
	if r.AutoDeletionDate != nil {
		rows = append(rows, []string{"Auto-deletion", date(*r.AutoDeletionDate) + " UTC"})
	}
	access := g.Source
	if g.Role != "" {
		access += " (" + g.Role + ")"
	}
	rec := "off"
	if r.Config.Recording.Enabled {
		rec = "on, layout " + r.Config.Recording.Layout
		if r.Config.Recording.AutoStart {
			rec += ", starts automatically"
		}
		if r.Config.Recording.RetentionDays > 0 {
			rec += ", kept " + strconv.Itoa(r.Config.Recording.RetentionDays) + " days"
		}
	}
	rows = append(rows,
		[]string{"Your access", access},
		[]string{"Room URL", d.RoomURL},
		[]string{"Chat", onOff(r.Config.Chat.Enabled)},
		[]string{"Recording", rec},
		[]string{"User access", onOff(r.Access.UserEnabled)},
	)
	if d.AccessLinks != nil {
		for _, role := range []string{core.BaseRoleModerator, core.BaseRoleSpeaker, "recording"} {
			link, ok := d.AccessLinks[role]
			if !ok {
				link = "off"
			}
			rows = append(rows, []string{"Link: " + role, link})
		}
	}
	return e.table([]string{"FIELD", "VALUE"}, rows)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// memberJSON is a member in `members ls --json`.
type memberJSON struct {
	MemberID       string `json:"memberId"`
	Name           string `json:"name"`
	Type           string `json:"type"`
	BaseRole       string `json:"baseRole"`
	MembershipDate int64  `json:"membershipDate"`
	// AccessURL is the member's own link (an external member's carries its secret), as
	// REST's accessUrl; only those who manage the room list members.
	AccessURL string `json:"accessUrl"`
}

func membersList(e *cmdEnv, p *core.Principal, args []string) error {
	var asJSON bool
	pos, err := parseFlags(args, &asJSON)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: members ls ROOM [--json]")
	}
	members, err := allPages(func(token string) (core.Page[core.Member], error) {
		page, _, err := e.svc.ListMembers(e.ctx, p, core.MemberQuery{RoomID: pos[0],
			ListOptions: core.ListOptions{MaxItems: core.MaxMaxItems, PageToken: token}})
		return page, err
	})
	if err != nil {
		return err
	}
	if asJSON {
		out := make([]memberJSON, 0, len(members))
		for _, m := range members {
			out = append(out, memberJSON{m.MemberID, m.Name, m.Type, m.BaseRole, m.MembershipDate, e.svc.MemberURL(&m)})
		}
		return e.writeJSON(out)
	}
	if len(members) == 0 {
		fmt.Fprintln(e.out, "No members.")
		return nil
	}
	rows := make([][]string, 0, len(members))
	for _, m := range members {
		kind := "user"
		if m.Type == core.MemberTypeGuest {
			kind = "external" // identified_guest in --json and REST
		}
		rows = append(rows, []string{m.MemberID, m.Name, kind, m.BaseRole, date(m.MembershipDate)})
	}
	return e.table([]string{"MEMBER ID", "NAME", "TYPE", "ROLE", "SINCE (UTC)"}, rows)
}
