package tui

import (
	"fmt"
	"time"

	"conclave/core"
)

// How recordings are written on screen, wherever they are shown (the Live tab, a room's
// detail).

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

// humanBytes writes a size in binary units: "512 B", "1.5 KiB", "12.3 MiB".
func humanBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", max(n, 0))
	}
	v, unit := float64(n)/1024, "KiB"
	for _, u := range []string{"MiB", "GiB", "TiB"} {
		if v < 1023.95 { // would not round up to "1024.0"
			break
		}
		v, unit = v/1024, u
	}
	return fmt.Sprintf("%.1f %s", v, unit)
}
