package core

import (
	"context"
	"time"
)

// SweepResult counts what one janitor pass did.
type SweepResult struct {
	RoomsProcessed  int
	SessionsExpired int
	// RecordingsPurged counts the recordings purged: trash time over, or past their
	// room's retentionDays.
	RecordingsPurged int
	// TermSessionsPurged counts the control-room sessions past --session-retention.
	TermSessionsPurged int
}

// Sweep runs one janitor pass: rooms past their auto-deletion date are deleted (or closed)
// according to their policy, expired sessions are removed, and recordings whose trash time
// ran out or that are older than their room's retentionDays are purged.
func (s *Service) Sweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	now := s.nowMS()
	due, err := s.store.RoomsDueForDeletion(ctx, now, 100)
	if err != nil {
		return res, internal("list rooms due for deletion", err)
	}
	for _, r := range due {
		if r.MeetingEndAction == EndActionDelete {
			continue // already scheduled: the meeting's end deletes it
		}
		if r.Status == StatusClosed && r.AutoDeletionPolicy.WithRecordings == PolicyClose {
			if has, err := s.hasRecordings(ctx, s.store, r.RoomID); err == nil && has {
				continue // closed and kept for its recordings: nothing more to do
			}
			if n, err := s.store.CountRoomTrash(ctx, r.RoomID); err == nil && n > 0 {
				continue // kept while its trash may still be restored
			}
		}
		_, err := s.DeleteRoom(ctx, System(), r.RoomID, r.AutoDeletionPolicy.WithMeeting, r.AutoDeletionPolicy.WithRecordings)
		if err != nil {
			s.log.Warn("janitor: auto-deletion failed", "room", r.RoomID, "err", err)
			continue
		}
		res.RoomsProcessed++
	}
	n, err := s.store.DeleteExpiredSessions(ctx, now)
	if err != nil {
		return res, internal("delete expired sessions", err)
	}
	res.SessionsExpired = n
	if res.RecordingsPurged, err = s.sweepRecordings(ctx); err != nil {
		return res, err
	}
	if res.TermSessionsPurged, err = s.sweepTermSessions(ctx); err != nil {
		return res, err
	}
	return res, nil
}

// RunJanitor sweeps every interval until ctx ends.
func (s *Service) RunJanitor(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if res, err := s.Sweep(ctx); err != nil {
			s.log.Error("janitor pass failed", "err", err)
		} else if res.RoomsProcessed > 0 || res.RecordingsPurged > 0 || res.TermSessionsPurged > 0 {
			s.log.Info("janitor pass", "rooms", res.RoomsProcessed, "sessions", res.SessionsExpired, "recordingsPurged", res.RecordingsPurged,
				"termSessionsPurged", res.TermSessionsPurged)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
