package core

import (
	"sync"
	"sync/atomic"
	"time"
)

// LoginLimits bounds failed sign-ins (SPEC 2.1), the same for HTTP and SSH.
type LoginLimits struct {
	PerUser    int           // failures of one userId within Window before refusal
	PerAddress int           // failures from one source address within Window
	Window     time.Duration // how long a failure counts
}

// DefaultLoginLimits: 5 failures per user and 20 per address in 15 minutes.
var DefaultLoginLimits = LoginLimits{PerUser: 5, PerAddress: 20, Window: 15 * time.Minute}

// loginLimiter counts recent failures per user and per source address. It is in memory:
// after a restart the counts start again, which only shortens a lock-out.
type loginLimiter struct {
	mu     sync.Mutex
	limits LoginLimits
	users  map[string][]time.Time
	addrs  map[string][]time.Time
	sweep  time.Time
	// failures and refusals count since start, for metrics (counts).
	failures, refusals atomic.Uint64
}

func newLoginLimiter(l LoginLimits) *loginLimiter {
	return &loginLimiter{limits: l, users: map[string][]time.Time{}, addrs: map[string][]time.Time{}}
}

// blocked reports whether a sign-in for user from addr must be refused now, and for how long.
func (l *loginLimiter) blocked(user, addr string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gc(now)
	wait := time.Duration(0)
	check := func(m map[string][]time.Time, key string, limit int) {
		ts := prune(m[key], now, l.limits.Window)
		m[key] = ts
		if len(ts) == 0 {
			delete(m, key)
		}
		if limit > 0 && len(ts) >= limit {
			wait = max(wait, ts[len(ts)-limit].Add(l.limits.Window).Sub(now))
		}
	}
	check(l.users, user, l.limits.PerUser)
	check(l.addrs, addr, l.limits.PerAddress)
	if wait > 0 {
		l.refusals.Add(1)
	}
	return wait > 0, wait
}

func (l *loginLimiter) fail(user, addr string, now time.Time) {
	l.failures.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.users[user] = append(l.users[user], now)
	l.addrs[addr] = append(l.addrs[addr], now)
}

// succeed clears the user's failures (not the address's: one good password from an
// address does not excuse its other guesses).
func (l *loginLimiter) succeed(user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.users, user)
}

// gc drops stale keys now and then so that guessing many userIds cannot grow memory forever.
func (l *loginLimiter) gc(now time.Time) {
	if now.Sub(l.sweep) < l.limits.Window {
		return
	}
	l.sweep = now
	for _, m := range []map[string][]time.Time{l.users, l.addrs} {
		for k, ts := range m {
			if ts = prune(ts, now, l.limits.Window); len(ts) == 0 {
				delete(m, k)
			} else {
				m[k] = ts
			}
		}
	}
}

func prune(ts []time.Time, now time.Time, window time.Duration) []time.Time {
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= window {
		i++
	}
	return ts[i:]
}

// counts returns the failures and the refusals since start.
func (l *loginLimiter) counts() (failures, refusals uint64) {
	return l.failures.Load(), l.refusals.Load()
}

// locked counts the users and addresses at their limit now. It prunes nothing, so that
// reading it changes no state; the maps are bounded by gc.
func (l *loginLimiter) locked(now time.Time) (users, addrs int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	count := func(m map[string][]time.Time, limit int) int {
		n := 0
		for _, ts := range m {
			if limit > 0 && len(prune(ts, now, l.limits.Window)) >= limit {
				n++
			}
		}
		return n
	}
	return count(l.users, l.limits.PerUser), count(l.addrs, l.limits.PerAddress)
}
