package web

import (
	"net/http"

	"conclave/core"
)

// roomMeetings is Conclave's extension GET /rooms/{roomId}/meetings: the room's meetings,
// newest first, each with who attended from when to when and from where (docs/
// rest-extensions.md). Paged like every listing (maxItems, nextPageToken).
func (s *server) roomMeetings(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	q := newQuery(r)
	opts := q.listOptions("startDate")
	if err := q.err(); err != nil {
		return err
	}
	page, err := s.svc.RoomMeetings(r.Context(), p, r.PathValue("roomId"), opts)
	if err != nil {
		return err
	}
	out := make([]object, 0, len(page.Items))
	for i := range page.Items {
		out = append(out, meetingJSON(&page.Items[i]))
	}
	writeJSON(w, http.StatusOK, object{{"meetings", out}, {"pagination", pageInfo(page.Next, core.ClampMaxItems(opts.MaxItems))}})
	return nil
}

// orNull is a time, or null while it has not come (a live meeting's end).
func orNull(ms int64) any {
	if ms == 0 {
		return nil
	}
	return ms
}

func meetingJSON(m *core.Meeting) object {
	people := make([]object, 0, len(m.Attendance))
	for _, a := range m.Attendance {
		people = append(people, object{
			{"participantIdentity", a.Identity},
			{"participantName", a.Name},
			{"role", a.Role},
			{"joinedAt", a.JoinedAt},
			{"leftAt", orNull(a.LeftAt)},
			{"source", a.Source},
			{"device", a.Device},
		})
	}
	return object{
		{"meetingId", m.MeetingID},
		{"roomId", m.RoomID},
		{"roomName", m.RoomName},
		{"startDate", m.StartDate},
		{"endDate", orNull(m.EndDate)},
		{"participants", people},
	}
}
