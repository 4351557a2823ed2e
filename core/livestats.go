package core

import (
	"context"
	"slices"
	"strings"
)

// TrackStat is one published track of a participant with its latest figures, as the SFU
// reports them.
type TrackStat struct {
	TrackID  string
	Kind     string // audio | video
	Source   string // microphone | camera | screen | screen_audio
	MimeType string
	// Figures of the publisher's uplink, refreshed every few seconds.
	Bitrate     float64 // bits per second
	Packets     uint64
	PacketsLost int64
	JitterMs    float64
	NACKs       uint64
	PLIs        uint64
	Subscribers int
	// Muted says its source is muted (by the participant or a moderator): the SFU does
	// not forward it until it is unmuted.
	Muted bool
}

// LossPercent is the share of the uplink's packets lost.
func (t TrackStat) LossPercent() float64 {
	total := float64(t.Packets) + float64(max(t.PacketsLost, 0))
	if total == 0 {
		return 0
	}
	return 100 * float64(max(t.PacketsLost, 0)) / total
}

// withTrack runs fn on a live participant's track map, if the participant is there.
func (s *Service) withTrack(roomID, identity string, fn func(tracks map[string]TrackStat)) bool {
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	lr := s.live.room(roomID)
	if lr == nil || lr.parts[identity] == nil {
		return false
	}
	pt := lr.parts[identity]
	if pt.tracks == nil {
		pt.tracks = map[string]TrackStat{}
	}
	fn(pt.tracks)
	return true
}

// TrackPublished records that a participant's track is being forwarded.
func (s *Service) TrackPublished(roomID, identity string, t TrackStat) {
	if s.withTrack(roomID, identity, func(m map[string]TrackStat) { m[t.TrackID] = t }) {
		s.tracksChanged(roomID, identity)
	}
}

// TrackUnpublished records that a track stopped being forwarded.
func (s *Service) TrackUnpublished(roomID, identity, trackID string) {
	if s.withTrack(roomID, identity, func(m map[string]TrackStat) { delete(m, trackID) }) {
		s.tracksChanged(roomID, identity)
	}
}

// tracksChanged tells watchers and the live side that a participant's tracks changed.
func (s *Service) tracksChanged(roomID, identity string) {
	if pt, err := s.participant(roomID, identity); err == nil && pt.client != nil {
		pt.client.TracksChanged(*pt)
	}
	s.bus.Publish(Event{Type: EventParticipantUpdated, RoomID: roomID, MemberID: identity})
}

// SourceMuted records that a participant's source (microphone, camera, screen) was muted
// or unmuted, by itself or by a moderator, so that those watching the meeting see it.
func (s *Service) SourceMuted(roomID, identity, source string, muted bool) {
	changed := false
	s.live.mu.Lock()
	if lr := s.live.room(roomID); lr != nil && lr.parts[identity] != nil {
		pt := lr.parts[identity]
		if pt.muted == nil {
			pt.muted = map[string]bool{}
		}
		changed = pt.muted[source] != muted
		pt.muted[source] = muted
	}
	s.live.mu.Unlock()
	if changed {
		s.bus.Publish(Event{Type: EventParticipantUpdated, RoomID: roomID, MemberID: identity})
	}
}

// TrackStats refreshes a track's figures; watchers hear of it with EventTrackStats.
func (s *Service) TrackStats(roomID, identity string, t TrackStat) {
	if s.withTrack(roomID, identity, func(m map[string]TrackStat) { m[t.TrackID] = t }) {
		s.bus.Publish(Event{Type: EventTrackStats, RoomID: roomID, MemberID: identity})
	}
}

// Tracks lists a participant's published tracks by source.
func (pt *Participant) Tracks() []TrackStat {
	out := make([]TrackStat, 0, len(pt.tracks))
	for _, t := range pt.tracks {
		t.Muted = pt.muted[t.Source]
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b TrackStat) int {
		if c := strings.Compare(a.Source, b.Source); c != 0 {
			return c
		}
		return strings.Compare(a.TrackID, b.TrackID)
	})
	return out
}

// LiveMeeting is a meeting in progress as a watcher sees it.
type LiveMeeting struct {
	Room         Room
	Started      int64
	Participants []Participant
}

// LiveMeetings lists the meetings in progress that p may see (admins all; others the rooms
// they can read), oldest first, each with its participants.
func (s *Service) LiveMeetings(ctx context.Context, p *Principal) ([]LiveMeeting, error) {
	if err := p.active(); err != nil {
		return nil, err
	}
	s.live.mu.Lock()
	ids := make([]string, 0, len(s.live.rooms))
	started := map[string]int64{}
	for id, lr := range s.live.rooms {
		ids = append(ids, id)
		started[id] = lr.started
	}
	s.live.mu.Unlock()
	var out []LiveMeeting
	for _, id := range ids {
		room, _, err := s.GetRoom(ctx, p, id)
		if KindOf(err) == KindForbidden || KindOf(err) == KindNotFound {
			continue
		} else if err != nil {
			return nil, err
		}
		parts, err := s.Participants(ctx, p, id)
		if err != nil {
			return nil, err
		}
		out = append(out, LiveMeeting{Room: *room, Started: started[id], Participants: parts})
	}
	slices.SortFunc(out, func(a, b LiveMeeting) int {
		if a.Started != b.Started {
			return int(a.Started - b.Started)
		}
		return strings.Compare(a.Room.RoomID, b.Room.RoomID)
	})
	return out, nil
}
