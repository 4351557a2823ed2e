package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// clients holds the open PTY sessions.
type clients struct {
	sessions []*ptySession
}

// ptySession is one control room over SSH with its output timed.
type ptySession struct {
	client *gossh.Client
	sess   *gossh.Session
	in     io.WriteCloser
	// frames receives the arrival time of every chunk of output; old ones are dropped
	// rather than blocking the reader.
	frames chan time.Time
}

// openSessions signs in c.sessions times (a few at once: each sign-in is a bcrypt check)
// and waits for every control room's first frame.
func openSessions(c config) (*clients, error) {
	cl := &clients{sessions: make([]*ptySession, c.sessions)}
	errs := make([]error, c.sessions)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range c.sessions {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cl.sessions[i], errs[i] = openSession(c)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		cl.close()
		return nil, err
	}
	return cl, nil
}

func openSession(c config) (*ptySession, error) {
	client, err := gossh.Dial("tcp", c.addr, &gossh.ClientConfig{
		User: c.user, Auth: []gossh.AuthMethod{gossh.Password(c.password)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	p := &ptySession{client: client, frames: make(chan time.Time, 4096)}
	if p.sess, err = client.NewSession(); err != nil {
		client.Close()
		return nil, err
	}
	fail := func(err error) (*ptySession, error) { client.Close(); return nil, err }
	if err := p.sess.RequestPty("xterm-256color", c.rows, c.cols, gossh.TerminalModes{gossh.ECHO: 0}); err != nil {
		return fail(err)
	}
	out, err := p.sess.StdoutPipe()
	if err != nil {
		return fail(err)
	}
	if p.in, err = p.sess.StdinPipe(); err != nil {
		return fail(err)
	}
	if err := p.sess.Shell(); err != nil {
		return fail(err)
	}
	go p.read(out)
	select {
	case <-p.frames:
	case <-time.After(10 * time.Second):
		return fail(fmt.Errorf("no first frame within 10s"))
	}
	return p, nil
}

func (p *ptySession) read(out io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := out.Read(buf)
		if n > 0 {
			select {
			case p.frames <- time.Now():
			default:
			}
		}
		if err != nil {
			return
		}
	}
}

// quiet drains output until none has come for d.
func (p *ptySession) quiet(d time.Duration) {
	for {
		select {
		case <-p.frames:
		case <-time.After(d):
			return
		}
	}
}

func (cl *clients) close() {
	for _, p := range cl.sessions {
		if p != nil {
			p.client.Close()
		}
	}
}

type latencyResult struct {
	n             int
	keys          []string
	p50, p99, max time.Duration
	timeouts      int
}

// latency presses the keys in turn on the first session and times each press from the
// write to the first output bytes that follow it.
func (cl *clients) latency(c config) (latencyResult, error) {
	p := cl.sessions[0]
	res := latencyResult{keys: c.keys}
	var lats []time.Duration
	p.quiet(200 * time.Millisecond)
	for i := range c.presses {
		key := c.keys[i%len(c.keys)]
		t0 := time.Now()
		if _, err := io.WriteString(p.in, key); err != nil {
			return res, err
		}
		select {
		case at := <-p.frames:
			lats = append(lats, at.Sub(t0))
		case <-time.After(c.timeout):
			res.timeouts++
			if res.timeouts == 5 && len(lats) == 0 {
				return res, fmt.Errorf("no frame after 5 presses of %q: those keys do not change this control room's screen (try -keys)", c.keys)
			}
		}
		// Let the rest of this frame (and any follow-up redraw) pass before the next press.
		p.quiet(30 * time.Millisecond)
	}
	if len(lats) == 0 {
		return res, errors.New("no latency measured")
	}
	slices.Sort(lats)
	res.n = len(lats)
	res.p50 = lats[len(lats)*50/100]
	res.p99 = lats[min(len(lats)-1, len(lats)*99/100)]
	res.max = lats[len(lats)-1]
	return res, nil
}
