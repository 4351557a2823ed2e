package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"conclave/media"
)

// The server process and the clients process talk over the child's stdin and stdout, one JSON
// message per line: a stand-in for the WebSocket signalling layer, carrying joins, session
// descriptions and candidates one way and the SFU's signals the other, plus the measurement
// window's control. Media itself flows over UDP on 127.0.0.1.

// message is every kind of line; Op says which fields matter.
type message struct {
	ID      uint64                  `json:"id,omitempty"` // set on requests; the reply echoes it
	Op      string                  `json:"op"`
	Room    string                  `json:"room,omitempty"`
	Peer    string                  `json:"peer,omitempty"`
	Publish bool                    `json:"publish,omitempty"`
	Type    media.SignalType        `json:"type,omitempty"`
	SDP     string                  `json:"sdp,omitempty"`
	Sources map[string]media.Source `json:"sources,omitempty"`
	Cand    *media.Candidate        `json:"cand,omitempty"`
	Err     string                  `json:"err,omitempty"`
	Glare   bool                    `json:"glare,omitempty"`
	Addrs   []string                `json:"addrs,omitempty"`
	Report  *report                 `json:"report,omitempty"`
}

// Ops.
const (
	opJoin   = "join"   // clients → server: join Room as Peer (publishing if Publish)
	opOffer  = "offer"  // clients → server: Peer.HandleOffer; the reply sets Glare or Err
	opAnswer = "answer" // clients → server: Peer.HandleAnswer
	opCand   = "cand"   // clients → server: Peer.AddICECandidate
	opSignal = "signal" // server → clients: a signal for Peer
	opReady  = "ready"  // clients → server: every stream flows (Addrs: relay receivers)
	opStart  = "start"  // server → clients: open the measurement window
	opStop   = "stop"   // server → clients: close it; the reply carries Report
	opReply  = "reply"
	opFatal  = "fatal" // clients → server: the run cannot go on (Err)
)

// report is what the clients measured during the window.
type report struct {
	Received  int64   `json:"received"`  // packets received, all subscriber streams
	Expected  int64   `json:"expected"`  // from the span of sequence numbers seen (gaps = loss)
	Sent      int64   `json:"sent"`      // packets published during the window
	Fanout    int     `json:"fanout"`    // receivers per published packet
	P50       int64   `json:"p50"`       // send-to-receive latency, ns
	P99       int64   `json:"p99"`       // send-to-receive latency, ns
	ClientCPU float64 `json:"clientCPU"` // CPU seconds the clients process used in the window
}

// pipe is one end of the line protocol: a locked encoder and request/reply matching.
type pipe struct {
	wmu sync.Mutex
	enc *json.Encoder

	mu      sync.Mutex
	nextID  uint64
	waiting map[uint64]chan message
}

func newPipe(w io.Writer) *pipe {
	return &pipe{enc: json.NewEncoder(w), waiting: map[uint64]chan message{}}
}

func (p *pipe) send(m message) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	return p.enc.Encode(m)
}

// call sends a request and waits for its reply.
func (p *pipe) call(m message) (message, error) {
	ch := make(chan message, 1)
	p.mu.Lock()
	p.nextID++
	m.ID = p.nextID
	p.waiting[m.ID] = ch
	p.mu.Unlock()
	if err := p.send(m); err != nil {
		return message{}, err
	}
	r, ok := <-ch
	if !ok {
		return message{}, errors.New("the other process went away")
	}
	if r.Err != "" {
		return r, errors.New(r.Err)
	}
	return r, nil
}

func (p *pipe) reply(req message, r message) {
	r.ID, r.Op = req.ID, opReply
	_ = p.send(r)
}

// serve reads lines until EOF, completing calls with their replies and handing everything
// else to handle (on the reading goroutine: handle must not block on the pipe).
func (p *pipe) serve(r io.Reader, handle func(message)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	defer func() {
		p.mu.Lock()
		for id, ch := range p.waiting {
			close(ch)
			delete(p.waiting, id)
		}
		p.mu.Unlock()
	}()
	for sc.Scan() {
		var m message
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return fmt.Errorf("bad line %q: %w", sc.Text(), err)
		}
		if m.Op == opReply {
			p.mu.Lock()
			ch := p.waiting[m.ID]
			delete(p.waiting, m.ID)
			p.mu.Unlock()
			if ch != nil {
				ch <- m
			}
			continue
		}
		handle(m)
	}
	return sc.Err()
}
