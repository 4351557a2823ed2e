package sshd

import (
	"conclave/core"
)

// userJSON is a user in `users ls --json`, named as OpenVidu Meet names its fields.
type userJSON struct {
	UserID             string    `json:"userId"`
	Name               string    `json:"name"`
	Role               core.Role `json:"role"`
	MustChangePassword bool      `json:"mustChangePassword"`
	RegistrationDate   int64     `json:"registrationDate"`
}

// usersList lists every user; core refuses anyone but admins.
func usersList(e *cmdEnv, p *core.Principal, args []string) error {
	var asJSON bool
	pos, err := parseFlags(args, &asJSON)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("users ls takes no arguments")
	}
	users, err := allPages(func(token string) (core.Page[core.User], error) {
		return e.svc.ListUsers(e.ctx, p, core.UserQuery{ListOptions: core.ListOptions{MaxItems: core.MaxMaxItems, PageToken: token}})
	})
	if err != nil {
		return err
	}
	if asJSON {
		out := make([]userJSON, 0, len(users))
		for _, u := range users {
			out = append(out, userJSON{u.UserID, u.Name, u.Role, u.MustChangePassword, u.RegistrationDate})
		}
		return e.writeJSON(out)
	}
	rows := make([][]string, 0, len(users))
	for _, u := range users {
		pw := ""
		if u.MustChangePassword {
			pw = "must change"
		}
		rows = append(rows, []string{u.UserID, u.Name, string(u.Role), pw, date(u.RegistrationDate)})
	}
	return e.table([]string{"USER ID", "NAME", "ROLE", "PASSWORD", "REGISTERED (UTC)"}, rows)
}
