package core

import (
	"context"
	"fmt"
)

// Deletion policies of OpenVidu Meet's DELETE /rooms (query withMeeting/withRecordings).
const (
	PolicyForce           = "force"
	PolicyWhenMeetingEnds = "when_meeting_ends"
	PolicyFail            = "fail"
	PolicyClose           = "close"
)

// Success codes of a room deletion, as OpenVidu Meet names them.
const (
	DeletedRoom                                = "room_deleted"
	DeletedRoomWithMeeting                     = "room_with_active_meeting_deleted"
	DeletedRoomAndRecordings                   = "room_and_recordings_deleted"
	DeletedRoomWithMeetingAndRecordings        = "room_with_active_meeting_and_recordings_deleted"
	ClosedRoom                                 = "room_closed"
	ClosedRoomWithMeeting                      = "room_with_active_meeting_closed"
	ScheduledRoomWithMeetingDeletion           = "room_with_active_meeting_scheduled_to_be_deleted"
	ScheduledRoomWithMeetingAndRecordingsDelet = "room_with_active_meeting_and_recordings_scheduled_to_be_deleted"
	ScheduledRoomWithMeetingClosing            = "room_with_active_meeting_scheduled_to_be_closed"
)

// What a deletion does to the room.
const (
	actDelete         = "delete"         // delete now (ending the meeting first if any)
	actClose          = "close"          // close now (ending the meeting first if any)
	actScheduleDelete = "scheduleDelete" // delete when the meeting ends
	actScheduleClose  = "scheduleClose"  // close when the meeting ends
)

// DeletionPlan is the decision for one room deletion.
type DeletionPlan struct {
	Action string
	// Code is the success code reported to the caller.
	Code string
	// Scheduled is true when the work waits for the meeting to end (HTTP 202).
	Scheduled bool
	// EndMeeting is true when the live meeting is ended first.
	EndMeeting bool
	// DeleteRecordings is true when the room's recordings go with it.
	DeleteRecordings bool
}

// PlanDeletion applies OpenVidu Meet's withMeeting/withRecordings policies to a room's
// state. It returns a 409 error naming the reason when the policies forbid the deletion.
func PlanDeletion(roomID string, hasMeeting, hasRecordings bool, withMeeting, withRecordings string) (DeletionPlan, error) {
	var v validator
	checkEnum(&v, "withMeeting", withMeeting, PolicyForce, PolicyWhenMeetingEnds, PolicyFail)
	checkEnum(&v, "withRecordings", withRecordings, PolicyForce, PolicyClose, PolicyFail)
	if err := v.err(); err != nil {
		return DeletionPlan{}, err
	}
	refuse := func(code, format string) (DeletionPlan, error) {
		return DeletionPlan{}, &Error{Kind: KindConflict, Title: code, Code: code, Message: fmt.Sprintf(format, roomID)}
	}
	switch {
	case !hasMeeting && !hasRecordings:
		return DeletionPlan{Action: actDelete, Code: DeletedRoom}, nil
	case !hasMeeting && hasRecordings:
		switch withRecordings {
		case PolicyForce:
			return DeletionPlan{Action: actDelete, Code: DeletedRoomAndRecordings, DeleteRecordings: true}, nil
		case PolicyClose:
			return DeletionPlan{Action: actClose, Code: ClosedRoom}, nil
		}
		return refuse("room_has_recordings", "Room '%s' cannot be deleted because it has recordings")
	case hasMeeting && !hasRecordings:
		switch withMeeting {
		case PolicyForce:
			return DeletionPlan{Action: actDelete, Code: DeletedRoomWithMeeting, EndMeeting: true}, nil
		case PolicyWhenMeetingEnds:
			return DeletionPlan{Action: actScheduleDelete, Code: ScheduledRoomWithMeetingDeletion, Scheduled: true}, nil
		}
		return refuse("room_has_active_meeting", "Room '%s' cannot be deleted because it has an active meeting")
	}
	// A live meeting and recordings.
	switch withMeeting {
	case PolicyForce:
		switch withRecordings {
		case PolicyForce:
			return DeletionPlan{Action: actDelete, Code: DeletedRoomWithMeetingAndRecordings, EndMeeting: true, DeleteRecordings: true}, nil
		case PolicyClose:
			return DeletionPlan{Action: actClose, Code: ClosedRoomWithMeeting, EndMeeting: true}, nil
		}
		return refuse("room_with_active_meeting_has_recordings", "Room '%s' with active meeting cannot be deleted because it has recordings")
	case PolicyWhenMeetingEnds:
		switch withRecordings {
		case PolicyForce:
			return DeletionPlan{Action: actScheduleDelete, Code: ScheduledRoomWithMeetingAndRecordingsDelet, Scheduled: true, DeleteRecordings: true}, nil
		case PolicyClose:
			return DeletionPlan{Action: actScheduleClose, Code: ScheduledRoomWithMeetingClosing, Scheduled: true}, nil
		}
		return refuse("room_with_active_meeting_has_recordings_cannot_schedule_deletion", "Room '%s' with active meeting cannot be scheduled to be deleted because it has recordings")
	}
	return refuse("room_with_recordings_has_active_meeting", "Room '%s' with recordings cannot be deleted because it has an active meeting")
}

// DeletionResult is the outcome of deleting one room.
type DeletionResult struct {
	DeletionPlan
	// Room is the room as it stays, when it was closed or scheduled rather than deleted.
	Room *Room
}

// hasRecordings reports whether a room has recordings, whatever their status, those in
// the trash left out (they are purged with the room).
func (s *Service) hasRecordings(ctx context.Context, st Store, roomID string) (bool, error) {
	n, err := st.CountRoomRecordings(ctx, roomID)
	if err != nil {
		return false, internal("count recordings", err)
	}
	return n > 0, nil
}

// DeleteRoom deletes, closes or schedules the deletion of a room according to the policies
// (defaults: fail and fail, as in OpenVidu Meet).
func (s *Service) DeleteRoom(ctx context.Context, p *Principal, roomID, withMeeting, withRecordings string) (*DeletionResult, error) {
	if err := p.active(); err != nil {
		return nil, err
	}
	if withMeeting == "" {
		withMeeting = PolicyFail
	}
	if withRecordings == "" {
		withRecordings = PolicyFail
	}
	var res DeletionResult
	var gone *Room
	err := s.store.InTx(ctx, func(tx Store) error {
		r, err := loadRoom(ctx, tx, roomID)
		if err != nil {
			return err
		}
		if !canManage(p, r) {
			return forbidden("Only the room's owner and admins can delete room %q", roomID)
		}
		hasRec, err := s.hasRecordings(ctx, tx, roomID)
		if err != nil {
			return err
		}
		plan, err := PlanDeletion(roomID, r.Status == StatusActiveMeeting, hasRec, withMeeting, withRecordings)
		if err != nil {
			return err
		}
		res.DeletionPlan = plan
		switch plan.Action {
		case actDelete:
			if err := tx.DeleteRoom(ctx, roomID); err != nil {
				return internal("delete room", err)
			}
			gone = r
		case actClose:
			r.Status = StatusClosed
			r.MeetingEndAction = EndActionNone
		case actScheduleDelete:
			r.MeetingEndAction = EndActionDelete
		case actScheduleClose:
			r.MeetingEndAction = EndActionClose
		}
		if plan.Action != actDelete {
			if err := tx.UpdateRoom(ctx, r); err != nil {
				return internal("update room", err)
			}
			res.Room = r
		}
		return s.auditAs(ctx, tx, p, "room.delete", "room:"+roomID, map[string]string{"result": plan.Code})
	})
	if err != nil {
		return nil, err
	}
	if res.EndMeeting {
		if gone != nil {
			s.keepDeletedRoom(gone)
		}
		s.endMeeting(roomID, CloseEnded, "The room was deleted")
	}
	if res.Action == actDelete {
		// Its trash goes with it; its other recordings too with withRecordings=force.
		s.purgeRoomRecordings(ctx, p, roomID, res.DeleteRecordings)
	}
	if res.Action == actDelete {
		s.bus.Publish(Event{Type: EventRoomDeleted, RoomID: roomID})
	} else {
		s.bus.Publish(Event{Type: EventRoomChanged, RoomID: roomID})
	}
	return &res, nil
}

// BulkRoomResult reports a bulk room deletion.
type BulkRoomResult struct {
	Deleted []BulkRoomDeleted
	Failed  []BulkFailure
}

// BulkRoomDeleted is one room a bulk deletion processed.
type BulkRoomDeleted struct {
	RoomID string
	DeletionResult
}

// BulkDeleteRooms applies DeleteRoom to each id, reporting per id.
func (s *Service) BulkDeleteRooms(ctx context.Context, p *Principal, ids []string, withMeeting, withRecordings string) (BulkRoomResult, error) {
	if err := p.active(); err != nil {
		return BulkRoomResult{}, err
	}
	if err := checkBulkIDs("roomIds", ids); err != nil {
		return BulkRoomResult{}, err
	}
	// Validate the policies once, so that a bad one is a 422 rather than N failures.
	if _, err := PlanDeletion("", false, false, orDefault(withMeeting, PolicyFail), orDefault(withRecordings, PolicyFail)); err != nil {
		return BulkRoomResult{}, err
	}
	var res BulkRoomResult
	for _, id := range ids {
		d, err := s.DeleteRoom(ctx, p, id, withMeeting, withRecordings)
		if err != nil {
			if KindOf(err) == KindInternal {
				return res, err
			}
			res.Failed = append(res.Failed, bulkFailure(id, err))
			continue
		}
		res.Deleted = append(res.Deleted, BulkRoomDeleted{RoomID: id, DeletionResult: *d})
	}
	return res, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
