package web

import (
	"context"
	"fmt"
	"net/http"

	"conclave/core"
)

// createRoom is POST /rooms.
func (s *server) createRoom(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	in, err := decodeRoomOptions(o)
	if err != nil {
		return err
	}
	room, err := s.svc.CreateRoom(r.Context(), p, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", s.svc.BaseURL()+"/api/v1/rooms/"+room.RoomID)
	writeJSON(w, http.StatusCreated, s.roomView(room, true, selectionOf(r)))
	return nil
}

// parseRoomQuery reads the filters, sorting and paging of GET /rooms.
func parseRoomQuery(r *http.Request) (core.RoomQuery, error) {
	q := newQuery(r)
	rq := core.RoomQuery{
		ListOptions: q.listOptions("creationDate"),
		RoomName:    q.text("roomName"),
		Owner:       q.str("owner"),
		Member:      q.str("member"),
		Status:      q.str("status"),
		UserAccess:  q.boolean("userAccess"),
	}
	return rq, q.err()
}

// listRooms is GET /rooms.
func (s *server) listRooms(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	rq, err := parseRoomQuery(r)
	if err != nil {
		return err
	}
	page, err := s.svc.ListRooms(r.Context(), p, rq)
	if err != nil {
		return err
	}
	sel := selectionOf(r)
	showsAccess := sel.shows("access", roomExtraFields)
	rooms := make([]object, 0, len(page.Items))
	for i := range page.Items {
		room := &page.Items[i]
		links := showsAccess && s.linksVisible(r.Context(), p, room)
		rooms = append(rooms, sel.project(s.roomJSON(room, links), roomExtraFields))
	}
	writeJSON(w, http.StatusOK, object{
		{"rooms", rooms},
		{"_extraFields", roomExtraFields},
		{"pagination", pageInfo(page.Next, rq.MaxItems)},
	})
	return nil
}

// linksVisible decides, for a room of a listing, whether the caller may see its anonymous
// links. Admins, API keys and owners may; anyone else (a member, or a user let in by user
// access) is resolved by core room by room, since only core knows their membership. A
// listing shows at most 100 rooms, so that costs at most 100 lookups; on any error the
// links stay hidden.
func (s *server) linksVisible(ctx context.Context, p *core.Principal, room *core.Room) bool {
	if known, ok := canShareLinks(p, room); known {
		return ok
	}
	_, g, err := s.svc.GetRoom(ctx, p, room.RoomID)
	return err == nil && g.Permissions.RoomShareAccessLinks
}

// getRoom is GET /rooms/{roomId}; room-member tokens may read their own room.
func (s *server) getRoom(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	room, g, err := s.svc.GetRoom(r.Context(), p, r.PathValue("roomId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.roomView(room, g.Permissions.RoomShareAccessLinks, selectionOf(r)))
	return nil
}

// deletionMessages are OpenVidu Meet's messages for each deletion success code.
var deletionMessages = map[string]string{
	core.DeletedRoom:                                "Room '%s' deleted successfully",
	core.DeletedRoomWithMeeting:                     "Room '%s' with active meeting deleted successfully",
	core.DeletedRoomAndRecordings:                   "Room '%s' and its recordings deleted successfully",
	core.DeletedRoomWithMeetingAndRecordings:        "Room '%s' with active meeting and its recordings deleted successfully",
	core.ClosedRoom:                                 "Room '%s' has been closed instead of deleted because it has recordings",
	core.ClosedRoomWithMeeting:                      "Room '%s' with active meeting has been closed instead of deleted because it has recordings",
	core.ScheduledRoomWithMeetingDeletion:           "Room '%s' with active meeting scheduled to be deleted when the meeting ends",
	core.ScheduledRoomWithMeetingAndRecordingsDelet: "Room '%s' with active meeting and its recordings scheduled to be deleted when the meeting ends",
	core.ScheduledRoomWithMeetingClosing:            "Room '%s' with active meeting scheduled to be closed when the meeting ends because it has recordings",
}

func deletionMessage(code, roomID string) string {
	if f, ok := deletionMessages[code]; ok {
		return fmt.Sprintf(f, roomID)
	}
	return fmt.Sprintf("Room '%s' processed (%s)", roomID, code)
}

// deletionJSON renders one deletion outcome: the success code, its message and, when the
// room stays (closed or scheduled), the room.
func (s *server) deletionJSON(roomID string, d *core.DeletionResult, sel selection, withID bool) object {
	var o object
	if withID {
		o = append(o, member{"roomId", roomID})
	}
	o = append(o, member{"successCode", d.Code}, member{"message", deletionMessage(d.Code, roomID)})
	if d.Room != nil {
		// Only the room's managers can delete it, and they hold every permission.
		o = append(o, member{"room", s.roomView(d.Room, true, sel)})
	}
	return o
}

// deleteRoom is DELETE /rooms/{roomId}: 200 when done, 202 when it waits for the meeting.
func (s *server) deleteRoom(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	q := newQuery(r)
	id := r.PathValue("roomId")
	res, err := s.svc.DeleteRoom(r.Context(), p, id, q.str("withMeeting"), q.str("withRecordings"))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if res.Scheduled {
		status = http.StatusAccepted
	}
	writeJSON(w, status, s.deletionJSON(id, res, selectionOf(r), false))
	return nil
}

// bulkDeleteRooms is DELETE /rooms?roomIds=a,b.
func (s *server) bulkDeleteRooms(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	q := newQuery(r)
	res, err := s.svc.BulkDeleteRooms(r.Context(), p, q.ids("roomIds"), q.str("withMeeting"), q.str("withRecordings"))
	if err != nil {
		return err
	}
	sel := selectionOf(r)
	deleted := make([]object, 0, len(res.Deleted))
	for i := range res.Deleted {
		d := &res.Deleted[i]
		deleted = append(deleted, s.deletionJSON(d.RoomID, &d.DeletionResult, sel, true))
	}
	failed := make([]object, 0, len(res.Failed))
	for _, f := range res.Failed {
		failed = append(failed, object{{"roomId", f.ID}, {"error", f.Error}, {"message", f.Message}})
	}
	status, msg := http.StatusOK, "Bulk deletion request processed successfully"
	if len(failed) > 0 {
		status, msg = http.StatusBadRequest, fmt.Sprintf("%d room(s) failed to process while deleting", len(failed))
	}
	writeJSON(w, status, object{{"message", msg}, {"deleted", deleted}, {"failed", failed}})
	return nil
}

// getRoomConfig is GET /rooms/{roomId}/config.
func (s *server) getRoomConfig(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	room, _, err := s.svc.GetRoom(r.Context(), p, r.PathValue("roomId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, configJSON(room.Config))
	return nil
}

// updateRoomConfig is PUT /rooms/{roomId}/config with body {config: …}.
func (s *server) updateRoomConfig(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	var in core.ConfigPatch
	if c := o.object("config", true); c != nil {
		in = *decodeConfig(c)
	}
	if err := o.p.err(); err != nil {
		return err
	}
	room, err := s.svc.UpdateRoomConfig(r.Context(), p, r.PathValue("roomId"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, configJSON(room.Config))
	return nil
}

// updateRoomRoles is PUT /rooms/{roomId}/roles with body {roles: …}.
func (s *server) updateRoomRoles(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	in, err := decodeRolesBody(o)
	if err != nil {
		return err
	}
	room, err := s.svc.UpdateRoomRoles(r.Context(), p, r.PathValue("roomId"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rolesJSON(room.Roles))
	return nil
}

// updateRoomAccess is PUT /rooms/{roomId}/access with body {access: …}.
func (s *server) updateRoomAccess(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	var in core.AccessPatch
	if a := o.object("access", true); a != nil {
		in = *decodeAccess(a)
	}
	if err := o.p.err(); err != nil {
		return err
	}
	room, err := s.svc.UpdateRoomAccess(r.Context(), p, r.PathValue("roomId"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.accessJSON(room, true))
	return nil
}

// regenerateAccessLink is POST /rooms/{roomId}/access/regenerate with body {role}, a
// Conclave extension: the link of that role gets a new secret and the old one stops working.
func (s *server) regenerateAccessLink(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	role := o.str("role", true)
	if err := o.p.err(); err != nil {
		return err
	}
	room, err := s.svc.RegenerateAccessLink(r.Context(), p, r.PathValue("roomId"), *role)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.roomView(room, true, selectionOf(r)))
	return nil
}

// updateRoomStatus is PUT /rooms/{roomId}/status: 200, or 202 when closing waits for the
// meeting to end.
// renameRoom is Conclave's extension PUT /rooms/{roomId}/name {"roomName": "…"}: the
// room keeps its roomId and links; the answer is the room, as the other PUTs give it.
func (s *server) renameRoom(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	name := o.str("roomName", true)
	if err := o.p.err(); err != nil {
		return err
	}
	room, err := s.svc.RenameRoom(r.Context(), p, r.PathValue("roomId"), *name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.roomView(room, true, selectionOf(r)))
	return nil
}

func (s *server) updateRoomStatus(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	status := o.str("status", true)
	if err := o.p.err(); err != nil {
		return err
	}
	room, scheduled, err := s.svc.UpdateRoomStatus(r.Context(), p, r.PathValue("roomId"), *status)
	if err != nil {
		return err
	}
	code := http.StatusOK
	if scheduled {
		code = http.StatusAccepted
	}
	writeJSON(w, code, s.roomView(room, true, selectionOf(r)))
	return nil
}
