package core

import "context"

// ReevaluateAll works out again the rights of every live participant of roomID, as the
// changes that concern them do; for benchmarks.
func (s *Service) ReevaluateAll(ctx context.Context, roomID string) (expelled, updated int) {
	return s.reevaluate(ctx, roomID, func(*Participant) bool { return true }, "re-evaluated")
}
