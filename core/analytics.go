package core

import "context"

// Analytics is OpenVidu Meet 3.9's usage analytics (GET /internal-api/v1/analytics).
type Analytics struct {
	// TotalRooms counts the rooms that exist now (deleted rooms are gone from it).
	TotalRooms int
	// ActiveRooms counts the rooms with a meeting in progress.
	ActiveRooms int
	// TotalRecordings counts the recordings that exist, whatever their status, except
	// those in the trash; CompleteRecordings those of them that are complete (playable).
	TotalRecordings    int
	CompleteRecordings int
}

// Analytics reads the usage figures (admins only, as OpenVidu Meet's console).
func (s *Service) Analytics(ctx context.Context, p *Principal) (*Analytics, error) {
	if err := p.requireAdmin(); err != nil {
		return nil, err
	}
	rooms, err := s.store.CountRooms(ctx)
	if err != nil {
		return nil, internal("count rooms", err)
	}
	counts, err := s.RecordingCounts(ctx)
	if err != nil {
		return nil, err
	}
	a := &Analytics{TotalRooms: rooms, ActiveRooms: s.LiveCounts().Meetings}
	for _, c := range counts {
		if c.Trashed {
			continue
		}
		a.TotalRecordings += c.Count
		if c.Status == RecComplete {
			a.CompleteRecordings += c.Count
		}
	}
	return a, nil
}
