package media

import (
	"errors"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Egress batching. Every packet the SFU forwards reaches the shared UDP socket through Pion's
// ICE UDP mux as one WriteTo call, and one sendto per packet is the largest single cost of
// fan-out. batchConn sits between the mux and the socket and sends with sendmmsg, one batch
// at a time (so datagrams leave in the order they were written):
//
//   - A WriteTo that finds nobody sending sends its datagram at once, from the caller's
//     buffer, and then whatever others queued meanwhile: under light load that is one
//     datagram per syscall, no copy, no added latency and no goroutine hop.
//   - A WriteTo that finds a send in progress copies the datagram into the queue (Pion reuses
//     its buffers) and returns; the sender takes the whole queue when its syscall returns, so
//     batches grow with the load by themselves, without waiting for a batch to fill.
//   - A writer sends at most writerRounds batches of others' datagrams, then hands the sending
//     to the flusher goroutine, so no subscriber's writer is held up long.
//
// Measured on loopback, a dedicated flusher alone (every datagram copied, queued and sent by
// one goroutine) was slower than one sendto per packet: its wake-ups cost more than the
// syscalls batching saved, and as one goroutine among hundreds of writers it fell behind,
// overflowed and set off NACK storms. Sending from the writers keeps the kernel's share of
// the work on whatever goroutine produced it, as sendto did.

const (
	// maxBatch is the most datagrams one sendmmsg carries.
	maxBatch = 64
	// writerRounds is how many times a writer takes the queue before handing the sending
	// over to the flusher.
	writerRounds = 2
	// egressQueueLen bounds the datagrams waiting to be sent; beyond it WriteTo waits for
	// room. At 1,200-byte packets that is at most ~5 MB per queue half.
	egressQueueLen = 4096
	// keptBufferCap is the largest buffer a queue slot keeps for reuse; anything bigger (there
	// should be nothing: Pion's MTU is below it) is allocated for that one datagram.
	keptBufferCap = 2048
)

// EgressStats counts what the SFU's UDP socket(s) sent through the batching writer.
type EgressStats struct {
	Packets uint64 // datagrams handed to the kernel
	Batches uint64 // sendmmsg calls that sent at least one datagram
	Waits   uint64 // writes that found the queue full and waited for room
	Errors  uint64 // datagrams the kernel refused (dropped too)
}

// AvgBatch is the mean number of datagrams per sendmmsg call.
func (e EgressStats) AvgBatch() float64 {
	if e.Batches == 0 {
		return 0
	}
	return float64(e.Packets) / float64(e.Batches)
}

func (e *EgressStats) add(o EgressStats) {
	e.Packets += o.Packets
	e.Batches += o.Batches
	e.Waits += o.Waits
	e.Errors += o.Errors
}

// batchWriter is the one call the flusher needs: ipv4.PacketConn and ipv6.PacketConn both
// have it (sendmmsg on Linux; their Message types are the same type).
type batchWriter interface {
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

type queued struct {
	buf  []byte
	addr net.Addr
}

// batchConn is a net.PacketConn whose writes are sent in batches. Reads, addresses and read
// deadlines go straight to the socket.
type batchConn struct {
	conn *net.UDPConn
	bw   batchWriter

	mu      sync.Mutex
	pending []queued // datagrams waiting while someone is sending
	sending bool     // somebody (a writer or the flusher) holds the right to send
	closed  bool
	room    *sync.Cond // signalled when the sender takes the queue (on mu)

	// Owned by whoever holds the right to send.
	spare []queued
	msgs  []ipv4.Message

	handoff chan struct{} // cap 1: the right to send passes to the flusher
	quit    chan struct{}
	done    chan struct{}

	packets, batches, waits, errs atomic.Uint64
}

// newBatchConn wraps conn, or returns it unchanged where sendmmsg does not exist: x/net
// would fall back to one write per message there, and a queue without batching only adds a
// goroutine hop.
func newBatchConn(conn *net.UDPConn) (net.PacketConn, *batchConn) {
	if runtime.GOOS != "linux" {
		return conn, nil
	}
	// The address family of the socket only matters for control messages, which are not
	// used; an AF_INET6 dual-stack socket accepts AF_INET destinations on Linux.
	var bw batchWriter = ipv6.NewPacketConn(conn)
	if a, ok := conn.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() != nil {
		bw = ipv4.NewPacketConn(conn)
	}
	c := newBatchConnWith(conn, bw)
	return c, c
}

// newBatchConnWith starts a batchConn writing through bw (tests pass a fake).
func newBatchConnWith(conn *net.UDPConn, bw batchWriter) *batchConn {
	c := &batchConn{conn: conn, bw: bw,
		pending: make([]queued, 0, egressQueueLen), spare: make([]queued, 0, egressQueueLen),
		msgs:    make([]ipv4.Message, maxBatch),
		handoff: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	c.room = sync.NewCond(&c.mu)
	for i := range c.msgs {
		c.msgs[i].Buffers = make([][]byte, 1)
	}
	go c.flush()
	return c
}

// ReadFrom reads straight from the socket: reads are not the bottleneck.
func (c *batchConn) ReadFrom(b []byte) (int, net.Addr, error) { return c.conn.ReadFrom(b) }

// LocalAddr is the socket's address, a *net.UDPAddr as Pion's mux requires.
func (c *batchConn) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// SetReadDeadline applies to the socket.
func (c *batchConn) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// WriteTo sends b at once if nobody is sending, and otherwise queues a copy for the sender
// and returns. When the queue is full the writer waits for room, as it would wait on a
// sendto: dropping there instead removed all back-pressure (queueing is much cheaper than a
// syscall), so under overload every subscriber lost packets at once and NACK storms
// followed, where waiting leaves the drops to each subscriber's own bounded queue upstream.
func (c *batchConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	c.mu.Lock()
	if c.sending && len(c.pending) == cap(c.pending) && !c.closed {
		c.waits.Add(1)
		for c.sending && len(c.pending) == cap(c.pending) && !c.closed {
			c.room.Wait()
		}
	}
	if c.closed {
		c.mu.Unlock()
		return 0, net.ErrClosed
	}
	if !c.sending {
		// Nothing can be queued when nobody is sending: go straight out, in order.
		c.sending = true
		c.mu.Unlock()
		c.msgs[0].Buffers[0], c.msgs[0].Addr = b, addr
		ok := c.sendMsgs(c.msgs[:1])
		c.msgs[0].Buffers[0], c.msgs[0].Addr = nil, nil
		if ok {
			c.drain(writerRounds)
		} else {
			c.release()
		}
		return len(b), nil
	}
	n := len(c.pending)
	c.pending = c.pending[:n+1]
	q := &c.pending[n]
	if cap(q.buf) >= len(b) {
		q.buf = append(q.buf[:0], b...)
	} else if len(b) <= keptBufferCap {
		q.buf = append(make([]byte, 0, keptBufferCap), b...)
	} else {
		q.buf = append([]byte(nil), b...)
	}
	q.addr = addr
	c.mu.Unlock()
	return len(b), nil
}

// drain sends the queue, whole, until it is empty, for the holder of the right to send. After
// rounds swaps (0: no limit) it hands the right to the flusher instead.
func (c *batchConn) drain(rounds int) {
	for i := 0; ; i++ {
		c.mu.Lock()
		if len(c.pending) == 0 || c.closed {
			c.sending = false
			c.mu.Unlock()
			return
		}
		if rounds > 0 && i == rounds {
			c.mu.Unlock()
			c.handoff <- struct{}{} // never blocks: only the holder sends, the flusher empties it
			return
		}
		qs := c.pending
		c.pending = c.spare[:0]
		c.room.Broadcast()
		c.mu.Unlock()
		ok := c.send(qs)
		// Drop references to the destinations; the buffers stay for reuse.
		for j := range qs {
			qs[j].addr = nil
		}
		c.spare = qs
		if !ok {
			c.release()
			return
		}
	}
}

func (c *batchConn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

func (c *batchConn) release() {
	c.mu.Lock()
	c.sending = false
	c.room.Broadcast()
	c.mu.Unlock()
}

// flush sends whenever a writer hands the sending over.
func (c *batchConn) flush() {
	defer close(c.done)
	for {
		select {
		case <-c.quit:
			return
		case <-c.handoff:
			c.drain(0)
		}
	}
}

// send writes qs in batches of up to maxBatch; it reports false once the socket is closed.
func (c *batchConn) send(qs []queued) bool {
	for len(qs) > 0 {
		k := min(len(qs), maxBatch)
		for i := range k {
			c.msgs[i].Buffers[0] = qs[i].buf
			c.msgs[i].Addr = qs[i].addr
		}
		ok := c.sendMsgs(c.msgs[:k])
		for i := range k {
			c.msgs[i].Buffers[0], c.msgs[i].Addr = nil, nil
		}
		if !ok {
			return false
		}
		qs = qs[k:]
	}
	return true
}

// sendMsgs sends every message, dropping (and counting) any the kernel refuses; it reports
// false once the socket is closed.
func (c *batchConn) sendMsgs(ms []ipv4.Message) bool {
	for len(ms) > 0 {
		n, err := c.bw.WriteBatch(ms, 0)
		if n > 0 {
			c.packets.Add(uint64(n))
			c.batches.Add(1)
		}
		if err != nil {
			if errors.Is(err, net.ErrClosed) || c.isClosed() {
				return false
			}
			// sendmmsg fails only on the first datagram it could not send: drop that one
			// (a bad or unreachable destination) and carry on with the rest.
			c.errs.Add(1)
			n++
		}
		ms = ms[min(n, len(ms)):]
	}
	return true
}

// SetWriteDeadline is accepted and ignored: writes never block. (Pion's mux sets a deadline
// on the shared socket to abort a blocked write; applying it to the socket would fail the
// flusher's writes for every peer instead.)
func (c *batchConn) SetWriteDeadline(time.Time) error { return nil }

// SetDeadline applies to reads only, for the same reason.
func (c *batchConn) SetDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// Close stops the flusher (queued datagrams are dropped) and closes the socket; a writer in
// the middle of a send sees the socket closed and returns.
func (c *batchConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return net.ErrClosed
	}
	c.closed = true
	c.room.Broadcast()
	c.mu.Unlock()
	close(c.quit)
	err := c.conn.Close() // unblocks a send waiting for the socket to drain
	<-c.done
	return err
}

// stats returns the counters so far.
func (c *batchConn) stats() EgressStats {
	return EgressStats{Packets: c.packets.Load(), Batches: c.batches.Load(),
		Waits: c.waits.Load(), Errors: c.errs.Load()}
}
