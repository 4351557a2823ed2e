package media

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestPionWarningsAreRateLimited: a peer failing its connectivity checks makes Pion warn
// once per check; the log gets one line per kind of message per period, and the next line
// of that kind says how many were left out.
func TestPionWarningsAreRateLimited(t *testing.T) {
	var buf bytes.Buffer
	logs := newPionLogs(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	ice := logs.NewLogger("ice")
	for i := 0; i < 500; i++ {
		ice.Warnf("Failed to ping without candidate pairs. Connection is not possible yet. (%d)", i)
		ice.Warn("pingAllCandidates called with no candidate pairs")
	}
	ice.Errorf("another kind of failure %d", 1)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("500 warnings of two kinds and an error gave %d lines, want 3:\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[0], "(0)") {
		t.Fatalf("the first warning was not the one logged: %s", lines[0])
	}

	// Once the period has passed, the next one is logged with the count left out.
	key := "ice\x00Failed to ping without candidate pairs. Connection is not possible yet. (%d)"
	ok, suppressed := logs.lim.allow(key, time.Now().Add(pionLogEvery+time.Second))
	if !ok || suppressed != 499 {
		t.Fatalf("after the period: allowed %v, %d suppressed; want true, 499", ok, suppressed)
	}

	// Debug-level chatter is not limited (and not counted).
	buf.Reset()
	for i := 0; i < 5; i++ {
		ice.Infof("state %d", i)
	}
	if n := strings.Count(buf.String(), "\n"); n != 5 {
		t.Fatalf("5 info lines gave %d", n)
	}
}

// TestLogLimiterBoundsItsKeys: messages of ever new kinds share one budget past the
// limit, so the limiter's memory stays bounded.
func TestLogLimiterBoundsItsKeys(t *testing.T) {
	l := newLogLimiter(time.Minute, 4)
	now := time.Now()
	allowed := 0
	for i := 0; i < 100; i++ {
		if ok, _ := l.allow(strings.Repeat("k", i+1), now); ok {
			allowed++
		}
	}
	if allowed != 5 || len(l.keys) != 5 {
		t.Fatalf("100 kinds with room for 4: %d logged, %d keys; want 5 and 5 (4 and the overflow)", allowed, len(l.keys))
	}
}
