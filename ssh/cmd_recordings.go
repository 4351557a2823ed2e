package sshd

import (
	"fmt"
	"strconv"
	"strings"

	"conclave/core"
)

// recordingJSON is a recording in `recordings ls --json` and `show --json`, named as
// OpenVidu Meet's REST API names its fields (endDate, duration and size are null while it
// is being made).
type recordingJSON struct {
	RecordingID string          `json:"recordingId"`
	RoomID      string          `json:"roomId"`
	RoomName    string          `json:"roomName"`
	Status      string          `json:"status"`
	Layout      string          `json:"layout"`
	Filename    string          `json:"filename"`
	StartDate   int64           `json:"startDate"`
	EndDate     *int64          `json:"endDate"`
	Duration    *float64        `json:"duration"`
	Size        *int64          `json:"size"`
	Error       *string         `json:"error"`
	Details     string          `json:"details,omitempty"`
	Streams     []streamJSON    `json:"streams"`
	TrashedAt   int64           `json:"trashedAt,omitempty"`
	PurgeAt     int64           `json:"purgeAt,omitempty"`
	Timeline    *timelineJSON   `json:"timeline,omitempty"`
	ShareLinks  []shareLinkJSON `json:"shareLinks,omitempty"`
	Rights      map[string]bool `json:"rights,omitempty"`
}

type streamJSON struct {
	Index    int     `json:"index"`
	File     string  `json:"file"`
	Identity string  `json:"identity"`
	Name     string  `json:"name"`
	Kind     string  `json:"kind"`
	Offset   float64 `json:"offset"`
	Duration float64 `json:"duration"`
	Size     int64   `json:"size"`
}

// timelineJSON is who was present and who spoke when, seconds from the start.
type timelineJSON struct {
	SpeakingKnown bool              `json:"speakingKnown"`
	Participants  []participantJSON `json:"participants"`
}

type participantJSON struct {
	Identity string       `json:"identity"`
	Name     string       `json:"name"`
	Role     string       `json:"role,omitempty"`
	Present  [][2]float64 `json:"present"`
	Speaking [][2]float64 `json:"speaking"`
}

// shareLinkJSON is a share link without its secret (which is shown only when made).
type shareLinkJSON struct {
	LinkID        string `json:"linkId"`
	Access        string `json:"access"`
	State         string `json:"state"`
	Password      bool   `json:"password"`
	AllowDownload bool   `json:"allowDownload"`
	Uses          int64  `json:"uses"`
	MaxUses       int64  `json:"maxUses,omitempty"`
	LastUsed      int64  `json:"lastUsed,omitempty"`
	ExpiresAt     int64  `json:"expiresAt,omitempty"`
	CreatedAt     int64  `json:"createdAt"`
	CreatedBy     string `json:"createdBy"`
}

func toRecordingJSON(r *core.Recording) recordingJSON {
	out := recordingJSON{RecordingID: r.RecordingID, RoomID: r.RoomID, RoomName: r.RoomName, Status: r.Status,
		Layout: r.Layout, Filename: r.Filename, StartDate: r.StartDate, Details: r.Details,
		Streams: make([]streamJSON, 0, len(r.Streams)), TrashedAt: r.TrashedAt, PurgeAt: r.PurgeAt}
	if r.EndDate != 0 {
		end, dur, size := r.EndDate, r.Duration, r.Size
		out.EndDate, out.Duration, out.Size = &end, &dur, &size
	}
	if r.Error != "" {
		e := r.Error
		out.Error = &e
	}
	for i, s := range r.Streams {
		out.Streams = append(out.Streams, streamJSON{i, s.File, s.Identity, s.Name, s.Kind, s.Offset, s.Duration, s.Size})
	}
	return out
}

// recFlags are the flags of the recordings commands.
type recFlags struct {
	json, force  bool
	room, status string
}

// parseRecFlags reads --json, --force, --room R and --status S (also as --room=R);
// which of them a subcommand takes is in allowed.
func parseRecFlags(args []string, allowed ...string) ([]string, recFlags, error) {
	var f recFlags
	var pos []string
	ok := func(name string) bool {
		for _, a := range allowed {
			if a == name {
				return true
			}
		}
		return false
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(a, "=")
		switch {
		case a == "--":
			return append(pos, args[i+1:]...), f, nil
		case !strings.HasPrefix(a, "-") || a == "-":
			pos = append(pos, a)
			continue
		case !ok(name):
			return nil, f, usagef("unknown flag %q", truncate(a, 64))
		}
		switch name {
		case "--json", "--force":
			if hasVal {
				return nil, f, usagef("%s takes no value", name)
			}
			if name == "--json" {
				f.json = true
			} else {
				f.force = true
			}
		case "--room", "--status":
			if !hasVal {
				if i+1 >= len(args) {
					return nil, f, usagef("%s needs a value", name)
				}
				i++
				val = args[i]
			}
			if name == "--room" {
				f.room = val
			} else {
				f.status = val
			}
		}
	}
	return pos, f, nil
}

// recordingsList lists the recordings the user may list (core decides; the listing is
// access-logged with the SSH client as device), all pages of it.
func recordingsList(e *cmdEnv, p *core.Principal, args []string) error {
	pos, f, err := parseRecFlags(args, "--json", "--room", "--status")
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("usage: recordings ls [--room ROOM] [--status STATUS] [--json]")
	}
	recs, err := allPages(func(token string) (core.Page[core.Recording], error) {
		return e.svc.ListRecordings(e.ctx, p, core.RecordingQuery{RoomID: f.room, Status: f.status,
			ListOptions: core.ListOptions{MaxItems: core.MaxMaxItems, PageToken: token, SortField: "startDate", Desc: true}})
	})
	if err != nil {
		return err
	}
	if f.json {
		out := make([]recordingJSON, 0, len(recs))
		for i := range recs {
			out = append(out, toRecordingJSON(&recs[i]))
		}
		return e.writeJSON(out)
	}
	if len(recs) == 0 {
		fmt.Fprintln(e.out, "No recordings.")
		return nil
	}
	rows := make([][]string, 0, len(recs))
	for _, r := range recs {
		dur, size := "-", "-"
		if r.EndDate != 0 {
			dur, size = clock(r.Duration), strconv.FormatInt(r.Size, 10)
		}
		rows = append(rows, []string{r.RecordingID, r.RoomName, r.Status, date(r.StartDate), dur, size})
	}
	return e.table([]string{"RECORDING ID", "ROOM", "STATUS", "STARTED (UTC)", "DURATION", "SIZE (B)"}, rows)
}

// clock writes seconds as 1:02:03 or 02:03.
func clock(sec float64) string {
	s := max(int64(sec), 0)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}

// recordingsShow shows one recording: its streams, who was present and spoke (for those
// who may play it) and its share links (for those who may share it).
func recordingsShow(e *cmdEnv, p *core.Principal, args []string) error {
	pos, f, err := parseRecFlags(args, "--json")
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: recordings show RECORDING [--json]")
	}
	rec, err := e.svc.GetRecording(e.ctx, p, pos[0])
	if err != nil {
		return err
	}
	out := toRecordingJSON(rec)
	out.Rights = map[string]bool{}
	for _, act := range []string{core.RecActPlay, core.RecActDownload, core.RecActShare, core.RecActDelete} {
		d, err := e.svc.RecordingDecisionFor(e.ctx, p, rec.RecordingID, act)
		if err != nil {
			return err
		}
		out.Rights[act] = d.Allowed
	}
	if out.Rights[core.RecActPlay] && rec.EndDate != 0 {
		tl, err := e.svc.RecordingTimeline(e.ctx, p, rec.RecordingID)
		if err != nil && core.KindOf(err) != core.KindConflict {
			return err
		}
		if tl != nil {
			out.Timeline = &timelineJSON{SpeakingKnown: tl.SpeakingKnown, Participants: []participantJSON{}}
			for _, tp := range tl.Participants {
				out.Timeline.Participants = append(out.Timeline.Participants,
					participantJSON{tp.Identity, tp.Name, tp.Role, tp.Present, tp.Speaking})
			}
		}
	}
	if out.Rights[core.RecActShare] {
		links, err := allPages(func(token string) (core.Page[core.ShareLink], error) {
			return e.svc.ListShareLinks(e.ctx, p, rec.RecordingID, core.ListOptions{MaxItems: core.MaxMaxItems, PageToken: token})
		})
		if err != nil {
			return err
		}
		out.ShareLinks = []shareLinkJSON{}
		for i := range links {
			l := &links[i]
			out.ShareLinks = append(out.ShareLinks, shareLinkJSON{l.LinkID, l.Access, e.svc.ShareLinkState(l), l.PasswordHash != "",
				l.AllowDownload, l.Uses, l.MaxUses, l.LastUsed, l.ExpiresAt, l.CreatedAt, l.CreatedBy})
		}
	}
	if f.json {
		return e.writeJSON(out)
	}
	return e.showRecording(rec, &out)
}

func (e *cmdEnv) showRecording(rec *core.Recording, out *recordingJSON) error {
	dur, size := "-", "-"
	if rec.EndDate != 0 {
		dur, size = clock(rec.Duration), strconv.FormatInt(rec.Size, 10)+" B"
	}
	rows := [][]string{
		{"Recording", rec.RecordingID},
		{"Room", rec.RoomName + " (" + rec.RoomID + ")"},
		{"Status", rec.Status},
		{"Started", date(rec.StartDate) + " UTC"},
		{"Ended", date(rec.EndDate) + " UTC"},
		{"Duration", dur},
		{"Size", size},
		{"Layout", rec.Layout},
		{"Started by", rec.StartedBy},
	}
	if rec.Error != "" {
		rows = append(rows, []string{"Error", rec.Error})
	}
	if rec.Details != "" {
		rows = append(rows, []string{"Details", rec.Details})
	}
	var may []string
	for _, act := range []string{core.RecActPlay, core.RecActDownload, core.RecActShare, core.RecActDelete} {
		if out.Rights[act] {
			may = append(may, act)
		}
	}
	rows = append(rows, []string{"You may", strings.Join(append([]string{"list"}, may...), ", ")})
	for i, s := range rec.Streams {
		rows = append(rows, []string{"Stream " + strconv.Itoa(i), fmt.Sprintf("%s (%s) %s, from %s for %s, %d B", s.Name, s.Identity, s.Kind, clock(s.Offset), clock(s.Duration), s.Size)})
	}
	if tl := out.Timeline; tl != nil {
		for _, tp := range tl.Participants {
			spoke := "speaking not recorded"
			if tl.SpeakingKnown {
				var total float64
				for _, iv := range tp.Speaking {
					total += iv[1] - iv[0]
				}
				spoke = fmt.Sprintf("spoke %s in %d turns", clock(total), len(tp.Speaking))
			}
			var present float64
			for _, iv := range tp.Present {
				present += iv[1] - iv[0]
			}
			rows = append(rows, []string{"Participant", fmt.Sprintf("%s (%s): present %s, %s", tp.Name, tp.Identity, clock(present), spoke)})
		}
	}
	for _, l := range out.ShareLinks {
		uses := strconv.FormatInt(l.Uses, 10)
		if l.MaxUses > 0 {
			uses += "/" + strconv.FormatInt(l.MaxUses, 10)
		}
		rows = append(rows, []string{"Share link", fmt.Sprintf("%s %s %s, %s uses, last %s, expires %s", l.LinkID, l.Access, l.State, uses, date(l.LastUsed), date(l.ExpiresAt))})
	}
	return e.table([]string{"FIELD", "VALUE"}, rows)
}

// recordingsRemove moves a recording to the trash, or with --force purges it at once
// (admins); core checks the right and logs the act with the SSH client as device.
func recordingsRemove(e *cmdEnv, p *core.Principal, args []string) error {
	pos, f, err := parseRecFlags(args, "--force")
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: recordings rm RECORDING [--force]")
	}
	id := pos[0]
	if f.force {
		if err := e.svc.PurgeRecording(e.ctx, p, id); err != nil {
			return err
		}
		fmt.Fprintf(e.out, "Recording %s purged.\n", clean(id))
		return nil
	}
	if err := e.svc.DeleteRecording(e.ctx, p, id); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "Recording %s moved to the trash; its room's owner or an admin can restore it.\n", clean(id))
	return nil
}
