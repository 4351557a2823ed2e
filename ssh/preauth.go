package sshd

import (
	"container/list"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// knownSourcesMax bounds how many addresses that signed in are remembered for the reserved
// pre-authentication slots; the least recently seen is forgotten first. The memory is
// the process's: after a restart every address is a stranger until it signs in again.
const knownSourcesMax = 4096

// refusalLogInterval is how often a limit says so in the log for one offender: the first
// refusal is logged at once, the ones after it are counted into the next line.
const refusalLogInterval = time.Minute

// Why a connection was refused before its SSH handshake.
const (
	refusedPerSource = "too many connections signing in from this address"
	refusedTotal     = "too many connections signing in"
)

// gate counts connections that have not signed in yet, per source and in total, and
// remembers the sources that signed in, so that strangers flooding the server with
// connections that never get anywhere cannot lock its users out: one source can hold
// only a few such connections, and a share of the total is kept for sources that have
// signed in before.
type gate struct {
	maxTotal, maxPerSource, reserved int

	mu     sync.Mutex
	total  int
	per    map[string]int
	known  map[string]*list.Element
	recent *list.List // of source keys, most recently signed in first
}

func newGate(maxTotal, maxPerSource, reserved int) *gate {
	return &gate{maxTotal: maxTotal, maxPerSource: maxPerSource, reserved: reserved,
		per: map[string]int{}, known: map[string]*list.Element{}, recent: list.New()}
}

// admit counts a new connection from src, or says why not ("" when admitted).
func (g *gate) admit(src string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.per[src] >= g.maxPerSource {
		return refusedPerSource
	}
	limit := g.maxTotal - g.reserved
	if _, ok := g.known[src]; ok {
		limit = g.maxTotal
	}
	if g.total >= limit {
		return refusedTotal
	}
	g.per[src]++
	g.total++
	return ""
}

// leave gives back the slot of a connection from src that signed in or went away.
func (g *gate) leave(src string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.total--
	if g.per[src]--; g.per[src] <= 0 {
		delete(g.per, src)
	}
}

// remember marks src as a source that signed in.
func (g *gate) remember(src string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if e, ok := g.known[src]; ok {
		g.recent.MoveToFront(e)
		return
	}
	g.known[src] = g.recent.PushFront(src)
	for g.recent.Len() > knownSourcesMax {
		oldest := g.recent.Back()
		g.recent.Remove(oldest)
		delete(g.known, oldest.Value.(string))
	}
}

// sourceOf is the key connections are counted under: the IPv4 address, or the /64 of an
// IPv6 address, since one host usually has a whole /64 to pick addresses from.
func sourceOf(a net.Addr) string {
	host := hostOf(a)
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return (&net.IPNet{IP: ip.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}

// refuseEarly answers a connection refused before its SSH handshake: one line, which
// RFC 4253 (4.2) lets a server send before its version, then the connection is closed.
// OpenSSH shows it with -v; netcat and scanners see it as is.
func refuseEarly(c net.Conn, why string) {
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = fmt.Fprintf(c, "Conclave: %s; try again later.\r\n", why)
}

// refusalLog logs a refusal once per offender and interval rather than once per attempt:
// a flood must not turn into a flood of log lines. It remembers a bounded number of
// offenders; beyond that, the rest share one line per interval.
type refusalLog struct {
	log *slog.Logger

	mu   sync.Mutex
	seen map[string]*refusals
}

type refusals struct {
	since  time.Time // when the last line was written
	missed int       // refusals since then, not logged
}

const refusalLogMax = 1024

func newRefusalLog(log *slog.Logger) *refusalLog {
	return &refusalLog{log: log, seen: map[string]*refusals{}}
}

// note records one refusal of source for reason and logs it unless this offender was
// logged less than refusalLogInterval ago.
func (l *refusalLog) note(reason, source string, attrs ...any) {
	now := time.Now()
	key := reason + "\x00" + source
	l.mu.Lock()
	r := l.seen[key]
	if r == nil && len(l.seen) >= refusalLogMax {
		for k, v := range l.seen {
			if now.Sub(v.since) >= refusalLogInterval {
				delete(l.seen, k)
			}
		}
		if len(l.seen) >= refusalLogMax {
			key, source = reason+"\x00*", "(many)"
			r = l.seen[key]
		}
	}
	if r != nil && now.Sub(r.since) < refusalLogInterval {
		r.missed++
		l.mu.Unlock()
		return
	}
	missed := 0
	if r != nil {
		missed = r.missed
	}
	l.seen[key] = &refusals{since: now}
	l.mu.Unlock()
	attrs = append([]any{"source", source}, attrs...)
	if missed > 0 {
		attrs = append(attrs, "refused_since_last_logged", missed)
	}
	l.log.Warn("ssh connection refused: "+reason, attrs...)
}
