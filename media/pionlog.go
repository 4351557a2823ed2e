package media

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pion/logging"
)

// pionLogs routes Pion's messages into the SFU's slog.Logger, so they are filtered and
// formatted like the rest of Conclave's instead of going to stderr on their own. Its
// warnings and errors are rate limited (see logLimiter): a peer whose connectivity
// checks keep failing would otherwise write a line per check.
type pionLogs struct {
	log *slog.Logger
	lim *logLimiter
}

func newPionLogs(log *slog.Logger) pionLogs {
	return pionLogs{log: log, lim: newLogLimiter(pionLogEvery, pionLogKeys)}
}

func (f pionLogs) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{log: f.log.With("pion", scope), scope: scope, lim: f.lim}
}

// pionLogger maps Pion's levels onto slog's. Pion is chatty below warnings (every state change
// is Info), so trace, debug and info all go to Debug.
type pionLogger struct {
	log   *slog.Logger
	scope string
	lim   *logLimiter
}

// logf formats only when the level is enabled: besides saving work, Pion passes some values
// (a TrackRemote in onTrack) that are unsafe to read concurrently, which formatting would do.
// Warnings and errors pass the limiter, keyed by their format (not the formatted text, which
// differs per peer and candidate).
func (l pionLogger) logf(level slog.Level, format string, args ...any) {
	l.limited(level, format, func() string { return fmt.Sprintf(format, args...) })
}

// limited logs the message msg() makes at level; warnings and errors only when the
// limiter lets one of kind through.
func (l pionLogger) limited(level slog.Level, kind string, msg func() string) {
	ctx := context.Background()
	if !l.log.Enabled(ctx, level) {
		return
	}
	if level < slog.LevelWarn || l.lim == nil {
		l.log.Log(ctx, level, msg())
		return
	}
	ok, suppressed := l.lim.allow(l.scope+"\x00"+kind, time.Now())
	if !ok {
		return
	}
	if suppressed > 0 {
		l.log.Log(ctx, level, msg(), "suppressed", suppressed, "within", l.lim.every)
		return
	}
	l.log.Log(ctx, level, msg())
}

func (l pionLogger) Trace(msg string)                  { l.log.Debug(msg) }
func (l pionLogger) Tracef(format string, args ...any) { l.logf(slog.LevelDebug, format, args...) }
func (l pionLogger) Debug(msg string)                  { l.log.Debug(msg) }
func (l pionLogger) Debugf(format string, args ...any) { l.logf(slog.LevelDebug, format, args...) }
func (l pionLogger) Info(msg string)                   { l.log.Debug(msg) }
func (l pionLogger) Infof(format string, args ...any)  { l.logf(slog.LevelDebug, format, args...) }
func (l pionLogger) Warn(msg string)                   { l.limited(slog.LevelWarn, msg, func() string { return msg }) }
func (l pionLogger) Warnf(format string, args ...any)  { l.logf(slog.LevelWarn, format, args...) }
func (l pionLogger) Error(msg string)                  { l.limited(slog.LevelError, msg, func() string { return msg }) }
func (l pionLogger) Errorf(format string, args ...any) { l.logf(slog.LevelError, format, args...) }

// Pion's warnings: one line per kind of message every pionLogEvery, with the count of
// those left out; at most pionLogKeys kinds are told apart (the rest share one budget).
const (
	pionLogEvery = 10 * time.Second
	pionLogKeys  = 256
)

// logLimiter lets one message of each key through per period and counts the others,
// which the next message let through reports.
type logLimiter struct {
	every   time.Duration
	maxKeys int

	mu   sync.Mutex
	keys map[string]*logKey
}

type logKey struct {
	last       time.Time
	suppressed int
}

func newLogLimiter(every time.Duration, maxKeys int) *logLimiter {
	return &logLimiter{every: every, maxKeys: maxKeys, keys: map[string]*logKey{}}
}

// allow says whether a message of key may be logged now, and how many of its kind were
// left out since the last one logged.
func (l *logLimiter) allow(key string, now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := l.keys[key]
	if k == nil {
		if len(l.keys) >= l.maxKeys {
			key = "\x00overflow"
			k = l.keys[key]
		}
		if k == nil {
			k = &logKey{}
			l.keys[key] = k
		}
	}
	if !k.last.IsZero() && now.Sub(k.last) < l.every {
		k.suppressed++
		return false, 0
	}
	n := k.suppressed
	k.last, k.suppressed = now, 0
	return true, n
}
