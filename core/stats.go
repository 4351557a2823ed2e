package core

import (
	"context"
	"sync/atomic"
)

// serviceCounters count what happened since the process started, for metrics. They are
// atomics bumped where the thing happens, never a second source of truth: what can be read
// from state (meetings now, recordings by status) is read from it at scrape time.
type serviceCounters struct {
	meetingsStarted    atomic.Uint64
	participantsJoined atomic.Uint64
}

// LiveCounts is the live registry in figures: meetings in progress, participants seated in
// them, their published tracks and the recordings being made.
type LiveCounts struct {
	Meetings     int
	Participants int
	Tracks       int
	Recordings   int
	// MeetingsStarted and ParticipantsJoined count since the process started.
	MeetingsStarted    uint64
	ParticipantsJoined uint64
}

// LiveCounts reads the live registry's figures. It takes the registry's lock once and
// copies nothing, so that a metrics scrape costs the meetings little, however many.
func (s *Service) LiveCounts() LiveCounts {
	var c LiveCounts
	s.live.mu.Lock()
	c.Meetings = len(s.live.rooms)
	for _, lr := range s.live.rooms {
		c.Participants += len(lr.parts)
		for _, pt := range lr.parts {
			c.Tracks += len(pt.tracks)
		}
	}
	s.live.mu.Unlock()
	s.rec.mu.Lock()
	c.Recordings = len(s.rec.byRoom)
	s.rec.mu.Unlock()
	c.MeetingsStarted = s.counters.meetingsStarted.Load()
	c.ParticipantsJoined = s.counters.participantsJoined.Load()
	return c
}

// AuthStats counts sign-in failures and the refusals of the failed-login limit (SPEC 2.1)
// since the process started, and who is locked out now.
type AuthStats struct {
	// LoginFailures counts wrong passwords and unknown users (HTTP and SSH).
	LoginFailures uint64
	// LoginRefused counts sign-ins refused without a password check because the user or
	// the address had too many recent failures.
	LoginRefused uint64
	// LockedUsers and LockedAddresses are the userIds and source addresses that would be
	// refused now.
	LockedUsers, LockedAddresses int
	// SharePasswordFailures counts wrong share-link passwords; ShareRefused the tries
	// refused by their limit.
	SharePasswordFailures, ShareRefused uint64
}

// AuthStats reads the sign-in limiter's counters.
func (s *Service) AuthStats() AuthStats {
	now := s.now()
	fails, refused := s.limiter.counts()
	users, addrs := s.limiter.locked(now)
	sfails, srefused := s.shareTries.counts()
	return AuthStats{LoginFailures: fails, LoginRefused: refused, LockedUsers: users, LockedAddresses: addrs,
		SharePasswordFailures: sfails, ShareRefused: srefused}
}

// RecordingCount is how many recordings are in one status, and their bytes.
type RecordingCount struct {
	Status  string
	Trashed bool
	Count   int
	Bytes   int64
}

// RecordingCounts sums every room's recordings by status and trash, for metrics (the
// caller decides who may see them; this is no user's view).
func (s *Service) RecordingCounts(ctx context.Context) ([]RecordingCount, error) {
	usage, err := s.store.RecordingUsage(ctx, nil)
	if err != nil {
		return nil, internal("sum recordings", err)
	}
	type key struct {
		status  string
		trashed bool
	}
	sums := map[key]*RecordingCount{}
	var out []RecordingCount
	for _, u := range usage {
		k := key{u.Status, u.Trashed}
		if sums[k] == nil {
			sums[k] = &RecordingCount{Status: u.Status, Trashed: u.Trashed}
		}
		sums[k].Count += u.Count
		sums[k].Bytes += u.Bytes
	}
	for _, c := range sums {
		out = append(out, *c)
	}
	return out, nil
}

// StorageFree is the free space for recordings as the recorder sees it; ok is false
// without a recorder or when it cannot tell.
func (s *Service) StorageFree() (free uint64, ok bool) {
	if s.cfg.Recorder == nil {
		return 0, false
	}
	n, err := s.cfg.Recorder.FreeBytes()
	return n, err == nil
}

// CheckMetricsAccess allows admins and API keys to read the server's metrics.
func (s *Service) CheckMetricsAccess(p *Principal) error { return p.requireAdmin() }
