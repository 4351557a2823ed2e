package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/net/ipv4"
)

// These tests use real sockets on 127.0.0.1 only, so they need no network namespace.

func listenLoopback(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// datagram builds writer w's i-th datagram: writer, index, then a size and filler that both
// depend on i, so a truncated, merged or corrupted datagram is noticed.
func datagram(w, i int) []byte {
	b := make([]byte, 8+(i*37)%1200)
	binary.BigEndian.PutUint32(b, uint32(w))
	binary.BigEndian.PutUint32(b[4:], uint32(i))
	for j := 8; j < len(b); j++ {
		b[j] = byte(i + j)
	}
	return b
}

func TestBatchConnDeliversEveryDatagramInOrder(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("batching exists on Linux only")
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	raw := listenLoopback(t)
	pc, bc := newBatchConn(raw)
	if bc == nil {
		t.Fatal("no batching writer on Linux")
	}
	if _, ok := pc.LocalAddr().(*net.UDPAddr); !ok {
		t.Fatalf("LocalAddr is %T; Pion's mux needs *net.UDPAddr", pc.LocalAddr())
	}

	// Several writers at once, each to its own receiver; each writer's datagrams must all
	// arrive, intact and in order. A writer keeps at most `window` datagrams unacknowledged so
	// the receiver's socket buffer never overflows (that loss would be the kernel's, not ours).
	const writers, perWriter, window = 4, 2000, 32
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		rx := listenLoopback(t)
		defer rx.Close()
		acked := make(chan int, perWriter)
		wg.Add(2)
		go func() {
			defer wg.Done()
			defer close(acked)
			buf := make([]byte, 2048)
			_ = rx.SetReadDeadline(time.Now().Add(20 * time.Second))
			for i := range perWriter {
				n, _, err := rx.ReadFrom(buf)
				if err != nil {
					errs <- err
					return
				}
				if want := datagram(w, i); !bytes.Equal(buf[:n], want) {
					errs <- errors.New("datagram lost, reordered or corrupted")
					t.Errorf("writer %d: datagram %d: got %d bytes starting %x, want %d bytes starting %x",
						w, i, n, buf[:min(n, 8)], len(want), want[:8])
					return
				}
				acked <- i
			}
		}()
		go func() {
			defer wg.Done()
			done := 0
			for i := range perWriter {
				for i-done >= window {
					if _, ok := <-acked; !ok {
						return
					}
					done++
				}
				b := datagram(w, i)
				if n, err := pc.WriteTo(b, rx.LocalAddr()); err != nil || n != len(b) {
					t.Errorf("WriteTo = %d, %v", n, err)
					return
				}
				clear(b) // the caller may reuse its buffer at once
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st := bc.stats()
	if st.Packets != writers*perWriter || st.Errors != 0 {
		t.Errorf("stats %+v, want %d packets and no errors", st, writers*perWriter)
	}
	if st.Batches == 0 || st.Batches > st.Packets {
		t.Errorf("stats %+v: batches out of range", st)
	}
	if err := pc.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.WriteTo([]byte("x"), raw.LocalAddr()); !errors.Is(err, net.ErrClosed) {
		t.Errorf("WriteTo after Close: %v, want net.ErrClosed", err)
	}
}

// gateWriter is a fake sendmmsg that records batch sizes and blocks until released.
type gateWriter struct {
	entered chan int
	release chan struct{}
	mu      sync.Mutex
	order   []uint32 // index of every datagram built by datagram(), in sending order
}

func (g *gateWriter) WriteBatch(ms []ipv4.Message, _ int) (int, error) {
	g.mu.Lock()
	for _, m := range ms {
		if b := m.Buffers[0]; len(b) >= 8 {
			g.order = append(g.order, binary.BigEndian.Uint32(b[4:]))
		}
	}
	g.mu.Unlock()
	g.entered <- len(ms)
	<-g.release
	return len(ms), nil
}

func TestBatchConnBatchesGrowUnderLoadAndDropWhenFull(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	raw := listenLoopback(t)
	g := &gateWriter{entered: make(chan int, 1000), release: make(chan struct{})}
	c := newBatchConnWith(raw, g)
	to := raw.LocalAddr()

	// Light load: one datagram goes out alone and at once, from the writer itself.
	firstDone := make(chan struct{})
	go func() {
		defer close(firstDone)
		_, _ = c.WriteTo([]byte("first"), to)
	}()
	select {
	case n := <-g.entered:
		if n != 1 {
			t.Fatalf("first batch has %d datagrams, want 1", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a lone datagram was not sent")
	}

	// While that "syscall" runs, the queue fills; the writer of the datagram beyond it waits
	// for room (as on a blocking sendto) instead of dropping it.
	for i := range egressQueueLen {
		if n, err := c.WriteTo(datagram(0, i), to); err != nil || n == 0 {
			t.Fatalf("WriteTo %d = %d, %v", i, n, err)
		}
	}
	const extra = 10
	extraDone := make(chan struct{})
	go func() {
		defer close(extraDone)
		for i := range extra {
			if n, err := c.WriteTo(datagram(0, egressQueueLen+i), to); err != nil || n == 0 {
				t.Errorf("WriteTo beyond the queue = %d, %v", n, err)
			}
		}
	}()
	select {
	case <-extraDone:
		t.Fatal("a write beyond a full queue returned before there was room")
	case <-time.After(100 * time.Millisecond):
	}
	if w := c.stats().Waits; w != 1 {
		t.Errorf("waits = %d, want 1", w)
	}

	// Once released, the queued datagrams leave in full batches, in order.
	go func() {
		for range g.entered {
		}
	}()
	close(g.release)
	deadline := time.Now().Add(5 * time.Second)
	<-extraDone
	for c.stats().Packets < egressQueueLen+extra+1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	st := c.stats()
	if st.Packets != egressQueueLen+extra+1 {
		t.Fatalf("stats %+v, want %d packets", st, egressQueueLen+extra+1)
	}
	if least := uint64(1 + egressQueueLen/maxBatch); st.Batches < least {
		t.Errorf("batches = %d, want at least %d (one lone datagram, then full batches of %d)", st.Batches, least, maxBatch)
	}
	g.mu.Lock()
	for i, idx := range g.order {
		if idx != uint32(i) {
			t.Fatalf("datagram %d sent in position %d", idx, i)
		}
	}
	g.mu.Unlock()
	<-firstDone
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	close(g.entered)
}

func TestBatchConnCloseWhileSending(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	raw := listenLoopback(t)
	c := newBatchConnWith(raw, ipv4.NewPacketConn(raw))
	to := raw.LocalAddr() // to itself: nobody reads, so the socket buffer fills
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := make([]byte, 1200)
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := c.WriteTo(b, to); err != nil {
					if !errors.Is(err, net.ErrClosed) {
						t.Errorf("WriteTo: %v", err)
					}
					return
				}
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	_ = c.stats() // read concurrently with the writers, for the race detector
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	if err := c.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close: %v, want net.ErrClosed", err)
	}
}

func TestBatchConnWriterHandsSendingToFlusher(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	raw := listenLoopback(t)
	g := &gateWriter{entered: make(chan int, 100), release: make(chan struct{})}
	c := newBatchConnWith(raw, g)
	to := raw.LocalAddr()

	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		_, _ = c.WriteTo(datagram(0, 0), to)
	}()
	next := 1
	// The writer sends its own datagram, then writerRounds rounds of what others queued.
	for round := 0; round <= writerRounds; round++ {
		<-g.entered
		for range 10 {
			_, _ = c.WriteTo(datagram(0, next), to)
			next++
		}
		g.release <- struct{}{}
	}
	// The last ten are the flusher's: the writer has returned while they are being sent.
	<-g.entered
	select {
	case <-writerDone:
	case <-time.After(5 * time.Second):
		t.Fatal("the writer kept sending others' datagrams instead of handing over")
	}
	g.release <- struct{}{}
	deadline := time.Now().Add(5 * time.Second)
	for c.stats().Packets < uint64(next) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if st := c.stats(); st.Packets != uint64(next) || st.Batches != writerRounds+2 {
		t.Errorf("stats %+v, want %d packets in %d batches", st, next, writerRounds+2)
	}
	g.mu.Lock()
	for i, idx := range g.order {
		if idx != uint32(i) {
			t.Fatalf("datagram %d sent in position %d", idx, i)
		}
	}
	g.mu.Unlock()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}
