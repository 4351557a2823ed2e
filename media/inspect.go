package media

import "slices"

// PeerIDs lists the peers of a room, sorted; none when the room has no peer. It is how a
// caller (or a test) sees that a participant has left the media as well as the meeting.
func (s *SFU) PeerIDs(roomID string) []string {
	s.mu.Lock()
	r := s.rooms[roomID]
	s.mu.Unlock()
	if r == nil {
		return nil
	}
	var ids []string
	for _, p := range r.members() {
		ids = append(ids, p.id)
	}
	slices.Sort(ids)
	return ids
}
