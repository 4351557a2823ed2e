package tui

import (
	"fmt"
	"time"

	"conclave/core"
)

// How recordings are written on screen, wherever they are shown.

// liveRecordingStatus reports whether a recording in status is still being made.
func liveRecordingStatus(status string) bool {
	return status == core.RecStarting || status == core.RecActive || status == core.RecEnding
}

// clockText is an elapsed time as a recording's clock: "02:13", "1:02:13".
func clockText(d time.Duration) string {
	s := max(int64(d/time.Second), 0)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}
