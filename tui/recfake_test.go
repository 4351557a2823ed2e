package tui

import (
	"context"

	"conclave/core"
)

// The Recordings tab's calls on the fake: the page tests that use it only need the tab
// to load (an empty trash, no storage figures, every act allowed as for an admin).

func (f *fakeBackend) ListTrash(context.Context, *core.Principal, core.RecordingQuery) (core.Page[core.Recording], error) {
	return core.Page[core.Recording]{}, nil
}

func (f *fakeBackend) RecordingStorage(context.Context, *core.Principal) (*core.RecordingStorage, error) {
	return nil, core.ErrForbidden
}

func (f *fakeBackend) RecordingDecisionFor(_ context.Context, _ *core.Principal, id, _ string) (core.RecordingDecision, error) {
	if f.recording(id) == nil {
		return core.RecordingDecision{}, core.ErrRecordingNotFound
	}
	return core.RecordingDecision{Allowed: true, Reason: core.RecReasonAdmin}, nil
}
