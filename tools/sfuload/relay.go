package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"time"

	"golang.org/x/net/ipv4"
)

// The baseline: the cheapest possible "SFU" for the same stream, a plain UDP relay with no
// RTP, SRTP, ICE, RTCP or interceptors. What the SFU costs above this is the price of
// WebRTC and of the media package's design.
//
// Datagram layout: send time (8 bytes), sequence number (2), kind (1: video, 0: audio), then
// filler, sized like the RTP packets (12-byte header + payload) the SFU forwards.
const rtpHeader = 12

// maxBatch is the largest sendmmsg batch; Linux's UIO_MAXIOV-style limits are far above it,
// but 64 keeps the per-call latency bounded at large N.
const maxBatch = 64

// runRelay relays the stream to n receiving sockets, with sendmmsg batches (batch) or one
// sendto per packet, and measures one window.
func runRelay(n int, d time.Duration, batch bool) (result, error) {
	mode := "relay-sendto"
	if batch {
		mode = "relay-sendmmsg"
	}
	lo := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	var conns []*net.UDPConn
	listen := func() (*net.UDPConn, error) {
		c, err := net.ListenUDP("udp4", lo)
		if err == nil {
			conns = append(conns, c)
		}
		return c, err
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	defer func() {
		close(stop)
		for _, c := range conns {
			_ = c.Close() // unblocks every reader
		}
		wg.Wait()
	}()

	w := &window{}
	ingress, err := listen()
	if err != nil {
		return result{}, err
	}
	src, err := listen()
	if err != nil {
		return result{}, err
	}

	// Receivers: one socket and one reading goroutine each, like one subscriber.
	var dests []net.Addr
	var streams []*seqStats
	for range n {
		c, err := listen()
		if err != nil {
			return result{}, err
		}
		// A bigger buffer than the default, as a tuned server would have; the kernel caps it at
		// rmem_max.
		_ = c.SetReadBuffer(4 << 20)
		dests = append(dests, c.LocalAddr())
		video, audio := &seqStats{w: w}, &seqStats{w: w}
		streams = append(streams, video, audio)
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 2048)
			for {
				m, _, err := c.ReadFromUDP(buf)
				if err != nil {
					return
				}
				if m < 11 {
					continue
				}
				st := audio
				if buf[10] == 1 {
					st = video
				}
				st.record(binary.BigEndian.Uint16(buf[8:]), buf[:m], time.Now())
			}
		}()
	}

	// The relay: read one datagram, fan it out to every destination.
	pc := ipv4.NewPacketConn(ingress)
	msgs := make([]ipv4.Message, n)
	for i := range msgs {
		msgs[i].Addr = dests[i]
		msgs[i].Buffers = [][]byte{nil}
	}
	relayErr := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
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
						select {
						case relayErr <- err:
						default:
						}
					}
				}
				continue
			}
			for i := range msgs {
				msgs[i].Buffers[0] = pkt
			}
			// WriteBatch may write fewer messages than given; continue from where it stopped.
		fanout:
			for off := 0; off < len(msgs); {
				end := min(off+maxBatch, len(msgs))
				k, err := pc.WriteBatch(msgs[off:end], 0)
				if err != nil {
					select {
					case relayErr <- err:
					default:
					}
					break fanout // drop the rest of this packet's fan-out
				}
				off += k
			}
		}
	}()

	// The sender, paced exactly like the WebRTC publisher.
	to := ingress.LocalAddr()
	wg.Add(1)
	go func() {
		defer wg.Done()
		pace(stop, w, func(video bool, seq uint16) {
			size, kind := audioPayload+rtpHeader, byte(0)
			if video {
				size, kind = videoPayload+rtpHeader, 1
			}
			b := stampPayload(size)
			binary.BigEndian.PutUint16(b[8:], seq)
			b[10] = kind
			_, _ = src.WriteTo(b, to)
		})
	}()

	// Warm up briefly, as the SFU run waits for every subscriber to be receiving.
	time.Sleep(300 * time.Millisecond)
	cpu0 := cpuTime()
	w.on.Store(true)
	time.Sleep(d)
	w.on.Store(false)
	cpu := cpuTime() - cpu0
	select {
	case err := <-relayErr:
		return result{}, fmt.Errorf("%s: %w", mode, err)
	default:
	}
	return summarize(mode, n, d, w, streams, cpu), nil
}
