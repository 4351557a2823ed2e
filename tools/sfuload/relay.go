package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
)

// The baseline: the cheapest possible "SFU", a plain UDP relay with no RTP, SRTP, ICE, RTCP or
// interceptors, offered more than it can take so that its own ceiling shows. It is one
// goroutine (so at most one core) in the server process; the sender and the receiving sockets
// are in the clients process. What the SFU costs above it is the price of WebRTC and of the
// media package's design.
//
// Datagram layout: send time (8 bytes), sequence number (2), kind (1: video, 0: audio), then
// filler, sized like the RTP packets (12-byte header + payload) the SFU forwards.
const rtpHeader = 12

// maxBatch is the largest sendmmsg batch, as in the media package.
const maxBatch = 64

// relayRun is one relay measurement.
type relayRun struct {
	mode    string
	n       int
	offered float64 // egress datagrams/s the relay was asked for (ingress rate × n)
	written float64 // datagrams/s the relay handed to the kernel
	rep     report
	d       time.Duration
	cpu     time.Duration
}

// runRelay relays a flood offered at rate datagrams/s to n receiving sockets, with sendmmsg
// batches of 64 (batch) or one sendto per datagram, and measures one window.
func runRelay(n, rate int, d time.Duration, batch bool) (relayRun, error) {
	mode := "relay-sendto"
	if batch {
		mode = "relay-sendmmsg"
	}
	ingress, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return relayRun{}, err
	}
	_ = ingress.SetReadBuffer(4 << 20)
	c, err := startChild(scenario{kind: "relay", n: n, to: ingress.LocalAddr().String(), rate: rate}, nil)
	if err != nil {
		_ = ingress.Close()
		return relayRun{}, err
	}
	defer c.close()
	ready, err := c.waitReady()
	if err != nil {
		_ = ingress.Close()
		return relayRun{}, err
	}
	var dests []net.Addr
	for _, a := range ready.Addrs {
		ua, err := net.ResolveUDPAddr("udp4", a)
		if err != nil || !ua.IP.IsLoopback() {
			_ = ingress.Close()
			return relayRun{}, fmt.Errorf("receiver address %q is not loopback", a)
		}
		dests = append(dests, ua)
	}

	var written atomic.Int64
	relayErr := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		relay(ingress, dests, batch, &written, relayErr)
	}()
	defer func() {
		_ = ingress.Close() // stops the relay
		wg.Wait()
	}()

	time.Sleep(300 * time.Millisecond) // warm up: the flood is already arriving
	var w0, w1 int64
	rep, cpu, err := c.window(d, func() {
		w0 = written.Load()
		time.Sleep(d)
		w1 = written.Load()
	})
	if err != nil {
		return relayRun{}, err
	}
	select {
	case err := <-relayErr:
		return relayRun{}, fmt.Errorf("%s: %w", mode, err)
	default:
	}
	return relayRun{mode: mode, n: n, offered: float64(rate * n), written: float64(w1-w0) / d.Seconds(),
		rep: rep, d: d, cpu: cpu}, nil
}

// relay reads one datagram at a time and fans it out to every destination.
func relay(ingress *net.UDPConn, dests []net.Addr, batch bool, written *atomic.Int64, errs chan<- error) {
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	pc := ipv4.NewPacketConn(ingress)
	msgs := make([]ipv4.Message, len(dests))
	for i := range msgs {
		msgs[i].Addr = dests[i]
		msgs[i].Buffers = [][]byte{nil}
	}
	buf := make([]byte, 2048)
	for {
		m, _, err := ingress.ReadFromUDP(buf)
		if err != nil {
			return
		}
		pkt := buf[:m]
		if !batch {
			for _, a := range dests {
				if _, err := ingress.WriteTo(pkt, a); err != nil {
					report(err)
					continue
				}
				written.Add(1)
			}
			continue
		}
		for i := range msgs {
			msgs[i].Buffers[0] = pkt
		}
		// WriteBatch may write fewer messages than given; continue from where it stopped.
		for off := 0; off < len(msgs); {
			k, err := pc.WriteBatch(msgs[off:min(off+maxBatch, len(msgs))], 0)
			if err != nil {
				report(err)
				break // drop the rest of this packet's fan-out
			}
			written.Add(int64(k))
			off += k
		}
	}
}

// relayClients is the clients process's side of a relay run: n receiving sockets, each read
// with recvmmsg so that receiving stays cheap, and a sender flooding the relay's ingress.
func (cp *clientsProc) relayClients(sc scenario) (func(), error) {
	lo := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	var conns []*net.UDPConn
	var wg sync.WaitGroup
	stop := make(chan struct{})
	cleanup := func() {
		close(stop)
		for _, c := range conns {
			_ = c.Close() // unblocks every reader
		}
		wg.Wait()
	}
	to, err := net.ResolveUDPAddr("udp4", sc.to)
	if err != nil || !to.IP.IsLoopback() {
		return cleanup, fmt.Errorf("relay ingress %q is not a loopback address", sc.to)
	}
	var streams []*seqStats
	var addrs []string
	for range sc.n {
		c, err := net.ListenUDP("udp4", lo)
		if err != nil {
			return cleanup, err
		}
		conns = append(conns, c)
		_ = c.SetReadBuffer(4 << 20) // the kernel caps it at rmem_max
		addrs = append(addrs, c.LocalAddr().String())
		video, audio := &seqStats{w: cp.w}, &seqStats{w: cp.w}
		streams = append(streams, video, audio)
		wg.Add(1)
		go func() {
			defer wg.Done()
			pc := ipv4.NewPacketConn(c)
			ms := make([]ipv4.Message, 64)
			for i := range ms {
				ms[i].Buffers = [][]byte{make([]byte, 2048)}
			}
			for {
				k, err := pc.ReadBatch(ms, 0)
				if err != nil {
					return
				}
				now := time.Now()
				for _, m := range ms[:k] {
					b := m.Buffers[0][:m.N]
					if len(b) < 11 {
						continue
					}
					st := audio
					if b[10] == 1 {
						st = video
					}
					st.record(binary.BigEndian.Uint16(b[8:]), b, now)
				}
			}
		}()
	}
	src, err := net.ListenUDP("udp4", lo)
	if err != nil {
		return cleanup, err
	}
	conns = append(conns, src)
	wg.Add(1)
	go func() {
		defer wg.Done()
		flood(stop, cp.w, sc.rate, func(b []byte) {
			if _, err := src.WriteTo(b, to); err != nil && !errors.Is(err, net.ErrClosed) {
				select {
				case cp.errs <- err:
				default:
				}
			}
		})
	}()
	cp.mu.Lock()
	cp.fanout = sc.n
	cp.streams = func() []*seqStats { return streams }
	cp.mu.Unlock()
	return cleanup, cp.srv.send(message{Op: opReady, Addrs: addrs})
}

// flood sends rate datagrams/s in 1 ms bursts, video- and audio-sized in the stream's
// proportion (156:50).
func flood(stop <-chan struct{}, w *window, rate int, send func([]byte)) {
	video := make([]byte, videoPayload+rtpHeader)
	audio := make([]byte, audioPayload+rtpHeader)
	video[10], audio[10] = 1, 0
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	var vseq, aseq uint16
	var i, due int
	start := time.Now()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			// Catch up on ticks the scheduler merged, so the offered rate holds.
			for target := int(now.Sub(start).Seconds() * float64(rate)); due < target; due++ {
				b := video
				if i%(videoPPS+audioPPS) < audioPPS {
					b = audio
					aseq++
					binary.BigEndian.PutUint16(b[8:], aseq)
					if w.on.Load() {
						w.sentAudio.Add(1)
					}
				} else {
					vseq++
					binary.BigEndian.PutUint16(b[8:], vseq)
					if w.on.Load() {
						w.sentVideo.Add(1)
					}
				}
				i++
				binary.BigEndian.PutUint64(b, uint64(time.Now().UnixNano()))
				send(b)
			}
		}
	}
}
