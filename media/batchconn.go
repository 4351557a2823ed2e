package media

import (
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
// fan-out. batchConn sits between the mux and the socket: WriteTo copies the datagram into a
// queue and returns at once, and one flusher goroutine drains the queue with sendmmsg. The
// flusher never waits for a batch to fill: under light load each syscall carries one packet
// (no added latency), under heavy load packets pile up while a syscall runs and the next one
// takes them all, so batches grow with the load by themselves.

const (
	// maxBatch is the most datagrams one sendmmsg carries.
	maxBatch = 64
	// egressQueueLen bounds the datagrams waiting for the flusher; beyond it WriteTo drops,
	// as a full NIC queue would. At 1,200-byte packets that is at most ~5 MB per queue half.
	egressQueueLen = 4096
	// keptBufferCap is the largest buffer a queue slot keeps for reuse; anything bigger (there
	// should be nothing: Pion's MTU is below it) is allocated for that one datagram.
	keptBufferCap = 2048
)

// EgressStats counts what the SFU's UDP socket(s) sent through the batching writer.
type EgressStats struct {
	Packets uint64 // datagrams handed to the kernel
	Batches uint64 // sendmmsg calls that sent at least one datagram
	Drops   uint64 // datagrams dropped because the queue was full
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
	e.Drops += o.Drops
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

// batchConn is a net.PacketConn whose writes are queued and sent in batches. Reads, addresses
// and read deadlines go straight to the socket.
type batchConn struct {
	conn *net.UDPConn
	bw   batchWriter

	mu      sync.Mutex
	pending []queued // filled by WriteTo, swapped out whole by the flusher
	closed  bool

	wake chan struct{} // cap 1: "pending went from empty to non-empty"
	quit chan struct{}
	done chan struct{}

	packets, batches, drops, errs atomic.Uint64
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
		pending: make([]queued, 0, egressQueueLen),
		wake:    make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go c.flush()
	return c
}

// ReadFrom reads straight from the socket: reads are not the bottleneck.
func (c *batchConn) ReadFrom(b []byte) (int, net.Addr, error) { return c.conn.ReadFrom(b) }

// LocalAddr is the socket's address, a *net.UDPAddr as Pion's mux requires.
func (c *batchConn) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// SetReadDeadline applies to the socket.
func (c *batchConn) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// WriteTo queues a copy of b (Pion reuses its buffers) and returns at once. A full queue drops
// the datagram and still reports success: UDP promises no delivery, and a sender must never
// block on one slow moment of the socket.
func (c *batchConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return 0, net.ErrClosed
	}
	n := len(c.pending)
	if n == cap(c.pending) {
		c.mu.Unlock()
		c.drops.Add(1)
		return len(b), nil
	}
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
	if n == 0 {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	return len(b), nil
}

// flush is the single writer of the socket.
func (c *batchConn) flush() {
	defer close(c.done)
	spare := make([]queued, 0, egressQueueLen)
	msgs := make([]ipv4.Message, maxBatch)
	for i := range msgs {
		msgs[i].Buffers = make([][]byte, 1)
	}
	for {
		select {
		case <-c.quit:
			return
		case <-c.wake:
		}
		for {
			c.mu.Lock()
			spare, c.pending = c.pending, spare[:0]
			c.mu.Unlock()
			if len(spare) == 0 {
				break
			}
			if !c.send(spare, msgs) {
				return
			}
			// Drop references to the destinations; the buffers stay for reuse.
			for i := range spare {
				spare[i].addr = nil
			}
		}
	}
}

// send writes qs in batches of up to maxBatch; it reports false once the socket is closed.
func (c *batchConn) send(qs []queued, msgs []ipv4.Message) bool {
	for len(qs) > 0 {
		k := min(len(qs), maxBatch)
		for i := range k {
			msgs[i].Buffers[0] = qs[i].buf
			msgs[i].Addr = qs[i].addr
		}
		n, err := c.bw.WriteBatch(msgs[:k], 0)
		if n > 0 {
			c.packets.Add(uint64(n))
			c.batches.Add(1)
		}
		if err != nil {
			select {
			case <-c.quit:
				return false
			default:
			}
			// sendmmsg fails only on the first datagram it could not send: drop that one
			// (a bad or unreachable destination) and carry on with the rest.
			c.errs.Add(1)
			n++
		}
		qs = qs[min(n, len(qs)):]
	}
	for i := range msgs {
		msgs[i].Buffers[0], msgs[i].Addr = nil, nil
	}
	return true
}

// SetWriteDeadline is accepted and ignored: writes never block. (Pion's mux sets a deadline
// on the shared socket to abort a blocked write; applying it to the socket would fail the
// flusher's writes for every peer instead.)
func (c *batchConn) SetWriteDeadline(time.Time) error { return nil }

// SetDeadline applies to reads only, for the same reason.
func (c *batchConn) SetDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// Close stops the flusher (queued datagrams are dropped) and closes the socket.
func (c *batchConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return net.ErrClosed
	}
	c.closed = true
	c.mu.Unlock()
	close(c.quit)
	err := c.conn.Close() // unblocks a flusher waiting for the socket to drain
	<-c.done
	return err
}

// stats returns the counters so far.
func (c *batchConn) stats() EgressStats {
	return EgressStats{Packets: c.packets.Load(), Batches: c.batches.Load(),
		Drops: c.drops.Load(), Errors: c.errs.Load()}
}
