package sshd

import (
	"fmt"
	"io"
	"time"

	"conclave/core"
)

// sessionJSON is a control-room session in `sessions ls --json`.
type sessionJSON struct {
	SessionID string `json:"sessionId"`
	UserID    string `json:"userId"`
	Source    string `json:"source"`
	Client    string `json:"client"`
	Via       string `json:"via"`
	StartDate int64  `json:"startDate"`
	EndDate   int64  `json:"endDate,omitempty"`
	Live      bool   `json:"live"`
	Recorded  bool   `json:"recorded"`
	Size      int64  `json:"size"`
}

// sessionsList lists the latest control-room sessions (admins).
func sessionsList(e *cmdEnv, p *core.Principal, args []string) error {
	var asJSON bool
	pos, err := parseFlags(args, &asJSON)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("sessions ls takes no arguments")
	}
	list, err := e.svc.ListTermSessions(e.ctx, p)
	if err != nil {
		return err
	}
	if asJSON {
		out := make([]sessionJSON, 0, len(list.Sessions))
		for _, s := range list.Sessions {
			out = append(out, sessionJSON{s.ID, s.UserID, s.Source, s.Client, s.Via, s.StartDate, s.EndDate, s.Live, s.Recorded, s.Size})
		}
		return e.writeJSON(out)
	}
	rows := make([][]string, 0, len(list.Sessions))
	for _, s := range list.Sessions {
		dur := "live"
		switch {
		case s.Live:
		case s.EndDate == 0:
			dur = "interrupted"
		default:
			dur = (time.Duration(s.EndDate-s.StartDate) * time.Millisecond).Round(time.Second).String()
		}
		size := "not recorded"
		if s.Recorded {
			size = fmt.Sprintf("%d B", s.Size)
		}
		rows = append(rows, []string{s.ID, s.UserID, s.Source, s.Client, date(s.StartDate), dur, size})
	}
	return e.table([]string{"ID", "USER", "SOURCE", "CLIENT", "START (UTC)", "DURATION", "RECORDING"}, rows)
}

// sessionsExport writes a session's asciicast file to stdout (admins).
func sessionsExport(e *cmdEnv, p *core.Principal, args []string) error {
	pos, err := parseFlags(args, nil)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("sessions export takes one session id (see sessions ls)")
	}
	f, _, err := e.svc.ExportTermSession(e.ctx, p, pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(e.out, f)
	return err
}
