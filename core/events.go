package core

import "sync"

// Event types published on the bus.
const (
	EventUserChanged   = "userChanged"
	EventUserDeleted   = "userDeleted"
	EventRoomChanged   = "roomChanged"
	EventRoomDeleted   = "roomDeleted"
	EventMemberChanged = "memberChanged"
	EventMemberDeleted = "memberDeleted"
	EventAPIKeyChanged = "apiKeyChanged"
	EventAudit         = "audit"
	// Live meetings: MemberID carries the participant identity.
	EventMeetingStarted     = "meetingStarted"
	EventMeetingEnded       = "meetingEnded"
	EventParticipantJoined  = "participantJoined"
	EventParticipantLeft    = "participantLeft"
	EventParticipantUpdated = "participantUpdated"
	// EventTrackStats says a participant's track figures were refreshed (every few s).
	EventTrackStats = "trackStats"
	// EventRecordingChanged: a recording started, changed status or was deleted.
	EventRecordingChanged = "recordingChanged"
	// EventSettingsChanged: an admin changed a server setting (the recording switch).
	EventSettingsChanged = "settingsChanged"
	// EventWebhooks: webhook deliveries moved on (sent at most once a second).
	EventWebhooks = "webhooks"
	// EventResync tells a subscriber it missed events and must re-read what it shows.
	EventResync = "resync"
)

// Event is a notification that something changed; subscribers re-read what they need.
type Event struct {
	Type        string
	RoomID      string
	UserID      string
	MemberID    string
	RecordingID string
}

// Bus fans events out to subscribers without ever blocking the publisher: each subscriber
// has a bounded queue, and one that falls behind loses events and gets one EventResync.
type Bus struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

// Subscription is one subscriber's queue.
type Subscription struct {
	C   <-chan Event
	c   chan Event
	bus *Bus
}

// NewBus makes an empty bus.
func NewBus() *Bus { return &Bus{subs: map[*Subscription]struct{}{}} }

// Subscribe adds a subscriber with a queue of size buffer (at least 2).
func (b *Bus) Subscribe(buffer int) *Subscription {
	buffer = max(buffer, 2)
	c := make(chan Event, buffer)
	sub := &Subscription{C: c, c: c, bus: b}
	b.mu.Lock()
	b.subs[sub] = struct{}{}
	b.mu.Unlock()
	return sub
}

// Close removes the subscription and closes its channel.
func (sub *Subscription) Close() {
	b := sub.bus
	b.mu.Lock()
	if _, ok := b.subs[sub]; ok {
		delete(b.subs, sub)
		close(sub.c)
	}
	b.mu.Unlock()
}

// Publish delivers e to every subscriber. Only Publish sends, under b.mu, so a queue can
// only shrink meanwhile: events fill all but the last slot, and when a subscriber has
// fallen that far behind, the last slot gets an EventResync instead and later events are
// dropped until it catches up.
func (b *Bus) Publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for sub := range b.subs {
		if len(sub.c) < cap(sub.c)-1 {
			sub.c <- e
			continue
		}
		select {
		case sub.c <- Event{Type: EventResync}:
		default: // the resync notice is already queued
		}
	}
}
