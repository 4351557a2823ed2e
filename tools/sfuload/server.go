package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"sync"
	"time"

	"conclave/media"
	"conclave/record"
)

// scenario is what the clients process sets up; it travels as command-line flags.
type scenario struct {
	kind        string // sfu, meetings or relay
	n           int    // sfu: subscribers; relay: receiving sockets
	rooms, size int    // meetings
	to          string // relay: its ingress address
	rate        int    // relay: datagrams per second offered to the ingress
}

func (sc scenario) args() []string {
	return []string{"-role", "clients", "-scenario", sc.kind, "-n", strconv.Itoa(sc.n),
		"-rooms", strconv.Itoa(sc.rooms), "-size", strconv.Itoa(sc.size), "-to", sc.to,
		"-rate", strconv.Itoa(sc.rate)}
}

// child is the clients process, started from this same binary.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	pipe   *pipe
	ready  chan message
	fatal  chan error
	served chan error
}

// startChild runs the clients process for sc; handle gets every request it sends.
func startChild(sc scenario, handle func(*child, message)) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, sc.args()...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the clients process: %w", err)
	}
	c := &child{cmd: cmd, stdin: stdin, pipe: newPipe(stdin), ready: make(chan message, 1),
		fatal: make(chan error, 1), served: make(chan error, 1)}
	go func() {
		c.served <- c.pipe.serve(stdout, func(m message) {
			switch m.Op {
			case opReady:
				c.ready <- m
			case opFatal:
				select {
				case c.fatal <- errors.New(m.Err):
				default:
				}
			default:
				if handle != nil {
					handle(c, m)
				}
			}
		})
	}()
	return c, nil
}

// waitReady waits until the clients report every stream flowing.
func (c *child) waitReady() (message, error) {
	select {
	case m := <-c.ready:
		return m, nil
	case err := <-c.fatal:
		return message{}, fmt.Errorf("clients: %w", err)
	case err := <-c.served:
		return message{}, fmt.Errorf("clients process ended before ready (%v)", err)
	case <-time.After(120 * time.Second):
		return message{}, errors.New("clients not ready after 120s")
	}
}

// window opens the clients' measurement window, runs during for d, and returns the clients'
// report and this process's CPU over the window.
func (c *child) window(d time.Duration, during func()) (report, time.Duration, error) {
	if _, err := c.pipe.call(message{Op: opStart}); err != nil {
		return report{}, 0, err
	}
	cpu0 := cpuTime()
	during()
	cpu := cpuTime() - cpu0
	r, err := c.pipe.call(message{Op: opStop})
	if err != nil {
		return report{}, 0, err
	}
	select {
	case err := <-c.fatal:
		return report{}, 0, fmt.Errorf("clients: %w", err)
	default:
	}
	if r.Report == nil {
		return report{}, 0, errors.New("clients sent no report")
	}
	return *r.Report, cpu, nil
}

// close ends the clients process: closing its stdin is its signal to leave.
func (c *child) close() {
	_ = c.stdin.Close()
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

// sfuRun is one SFU scenario's measurement.
type sfuRun struct {
	mode   string
	n      int // subscribers, or participants for meetings
	rep    report
	d      time.Duration
	cpu    time.Duration // server process CPU over the window
	egress media.EgressStats
	failed error // the run did not get to measure
	// With recording: what the recorder wrote, what it was given (RTP payload), and how
	// long the recordings took from stop to their files finished.
	recWritten, recIn int64
	recStop           time.Duration
}

// runSFU starts an SFU in this process and the scenario's clients in a child process, and
// measures one window. prof, when set, receives a CPU profile of the window.
func runSFU(sc scenario, mode string, d time.Duration, noBatch, rec bool, log *slog.Logger, prof io.Writer) (sfuRun, error) {
	s, err := media.New(media.Config{UDPPort: 0, IPs: []string{"127.0.0.1"}, Logger: log,
		StatsInterval: -1, NoBatch: noBatch})
	if err != nil {
		return sfuRun{}, err
	}
	defer func() { _ = s.Close() }()
	var sessions []*record.Session
	var recStart time.Time
	if rec && sc.kind == "meetings" {
		// Every room recorded as Conclave records a meeting: its own files on disk.
		dir, err := os.MkdirTemp("", "sfuload-rec-")
		if err != nil {
			return sfuRun{}, err
		}
		defer os.RemoveAll(dir)
		engine, err := record.New(s, record.Options{Root: dir, Logger: log})
		if err != nil {
			return sfuRun{}, err
		}
		for i := range sc.rooms {
			room := fmt.Sprintf("m%d", i)
			sess, err := engine.Start(record.Spec{ID: room, Room: room, Dir: room}, nil)
			if err != nil {
				return sfuRun{}, err
			}
			sessions = append(sessions, sess)
		}
		recStart = time.Now()
	}

	var mu sync.Mutex
	peers := map[string]*media.Peer{}
	peer := func(name string) (*media.Peer, error) {
		mu.Lock()
		defer mu.Unlock()
		if p := peers[name]; p != nil {
			return p, nil
		}
		return nil, fmt.Errorf("no peer %q", name)
	}
	errText := func(err error) string {
		if err == nil || errors.Is(err, media.ErrClosed) {
			return ""
		}
		return err.Error()
	}
	// Each request runs on its own goroutine, as each WebSocket connection would, so one
	// peer's slow negotiation does not hold up the others.
	handle := func(c *child, m message) {
		go func() {
			switch m.Op {
			case opJoin:
				rights := media.PublishRights{}
				if m.Publish {
					rights = media.PublishRights{Audio: true, Video: true}
				}
				name := m.Peer
				p, err := s.Join(m.Room, name, rights, func(sig media.Signal) {
					_ = c.pipe.send(message{Op: opSignal, Peer: name, Type: sig.Type, SDP: sig.SDP})
				})
				if err == nil {
					mu.Lock()
					peers[name] = p
					mu.Unlock()
				}
				c.pipe.reply(m, message{Err: errText(err)})
			case opOffer:
				p, err := peer(m.Peer)
				if err == nil {
					err = p.HandleOffer(m.SDP, m.Sources)
				}
				glare := errors.Is(err, media.ErrGlare)
				if glare {
					err = nil
				}
				c.pipe.reply(m, message{Glare: glare, Err: errText(err)})
			case opAnswer:
				p, err := peer(m.Peer)
				if err == nil {
					err = p.HandleAnswer(m.SDP)
				}
				c.pipe.reply(m, message{Err: errText(err)})
			case opCand:
				p, err := peer(m.Peer)
				if err == nil && m.Cand != nil {
					err = p.AddICECandidate(*m.Cand)
				}
				c.pipe.reply(m, message{Err: errText(err)})
			}
		}()
	}
	c, err := startChild(sc, handle)
	if err != nil {
		return sfuRun{}, err
	}
	defer c.close()
	if _, err := c.waitReady(); err != nil {
		return sfuRun{}, err
	}
	time.Sleep(500 * time.Millisecond) // let the last joins' DTLS/keyframe churn settle

	eg0 := s.EgressStats()
	rep, cpu, err := c.window(d, func() {
		if prof != nil {
			if err := pprof.StartCPUProfile(prof); err == nil {
				defer pprof.StopCPUProfile()
			}
		}
		time.Sleep(d)
	})
	if err != nil {
		return sfuRun{}, err
	}
	eg := s.EgressStats()
	eg.Packets -= eg0.Packets
	eg.Batches -= eg0.Batches
	eg.Waits -= eg0.Waits
	eg.Errors -= eg0.Errors
	n := sc.n
	if sc.kind == "meetings" {
		n = sc.rooms * sc.size
	}
	run := sfuRun{mode: mode, n: n, rep: rep, d: d, cpu: cpu, egress: eg}
	if len(sessions) > 0 {
		recorded := time.Since(recStart)
		stop0 := time.Now()
		for _, sess := range sessions {
			run.recWritten += sess.Stop().Size
		}
		run.recStop = time.Since(stop0) / time.Duration(len(sessions))
		run.recIn = int64(n) * int64(videoPPS*videoPayload+audioPPS*audioPayload) * int64(recorded) / int64(time.Second)
	}
	return run, nil
}
