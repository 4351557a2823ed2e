package core

// Recording statuses (SPEC 7.2), as OpenVidu Meet names them.
const (
	RecStarting     = "starting"
	RecActive       = "active"
	RecEnding       = "ending"
	RecComplete     = "complete"
	RecFailed       = "failed"
	RecAborted      = "aborted"
	RecLimitReached = "limit_reached"
)

// RecordingStatuses are every status, for validating filters.
var RecordingStatuses = []string{RecStarting, RecActive, RecEnding, RecComplete, RecFailed, RecAborted, RecLimitReached}

// liveStatus reports whether a recording in status is still being made.
func liveStatus(status string) bool {
	return status == RecStarting || status == RecActive || status == RecEnding
}

// Recording is one recording of a room's meeting. Its files live in a directory of the
// recordings root named by Dir, which core makes from the id, never from a request.
type Recording struct {
	RecordingID string // <roomId>--<id>
	RoomID      string
	RoomName    string
	Status      string
	Layout      string
	// Filename is the recording's main file, the one GET …/media serves.
	Filename  string
	StartDate int64 // epoch ms
	EndDate   int64 // epoch ms; 0 while it is being made
	Duration  float64
	Size      int64
	// Error says why a recording failed, was aborted or hit a limit; Details what else a
	// user should know of it (how it ended, media lost while recording, repair).
	Error   string
	Details string
	// StartedBy is the actor who started it ("system" for autoStart).
	StartedBy string
	// Dir is the recording's directory under the recordings root.
	Dir string
	// Streams are the recording's files in manifest order (GET …/media?stream=N).
	Streams []RecordingStream
	// TrashedAt (epoch ms) is when it was deleted into the trash, 0 when it is not in the
	// trash; TrashedBy is who deleted it, PurgeAt when the janitor purges it (trash.go).
	TrashedAt int64
	TrashedBy string
	PurgeAt   int64
}

// RecordingStream is one file of a recording: a participant's camera and microphone, or a
// screen share with its audio.
type RecordingStream struct {
	File     string  `json:"file"`
	Identity string  `json:"identity"`
	Name     string  `json:"name"`
	Kind     string  `json:"kind"`   // camera | screen
	Offset   float64 `json:"offset"` // seconds from the recording's start
	Duration float64 `json:"duration"`
	Size     int64   `json:"size"`
}

// RecordingQuery filters recordings (newest first unless sorted otherwise).
type RecordingQuery struct {
	ListOptions
	RoomID   string
	RoomName TextFilter
	Status   string
	// VisibleTo, when set, keeps only recordings of these rooms (a caller's readable ones).
	Rooms []string
	// Trash says whether trashed recordings are listed: the zero value leaves them out.
	Trash TrashFilter
}

// TrashFilter says which recordings a listing holds with respect to the trash.
type TrashFilter int

// Trash filters: not in the trash (the zero value, what every ordinary listing wants),
// only in the trash, or both.
const (
	TrashExclude TrashFilter = iota
	TrashOnly
	TrashAll
)
