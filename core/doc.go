// Package core is Conclave's domain: users, rooms, members, permissions, tokens, the audit
// log, settings and the event bus, and the one registry of live meetings. Every front end
// (REST in web, signalling in signal, the control room in tui, SSH commands in ssh) acts
// through Service, so that rules and audit are the same whichever way a change comes in.
// Core imports nothing of the project: it defines the interfaces it needs of the others.
//
// Where things plug in:
//   - Persistence: Store is composed of one small interface per concern (UserStore,
//     RoomStore, …, store.go); db implements each in its own file. A new table (recordings,
//     share links, the access log, the webhook outbox, session recordings) is a new small
//     interface embedded in Store, a migration and a file in db.
//   - Live meetings: core keeps who is in which meeting, with which tracks (meetings.go),
//     each participant seated with its Client (clients.go). Signalling connections are
//     clients; the recorder joins a meeting as one more client and gets the room's media
//     through a media sink. Removing a participant from the registry closes its client.
//   - Events: the Bus is lossy by design, for watchers such as the control room; anything
//     that must not lose an event (webhooks) reads an outbox written in the same
//     transaction as the change.
//   - Errors: refusals are *Error values with a Kind and sentinels for errors.Is; web maps
//     kinds to HTTP statuses and signal maps sentinels to client codes, each in one table.
package core
