package media

import "sync"

// room is the set of peers that see each other's tracks, and of the sinks that get them.
// Its lock only guards membership and the published-track list; work on peers and sinks is
// posted to them, never done here.
type room struct {
	sfu *SFU
	id  string

	mu     sync.Mutex
	peers  map[string]*Peer
	sinks  []*sinkConn
	tracks []*upTrack // published, in publication order
}

func newRoom(s *SFU, id string) *room {
	return &room{sfu: s, id: id, peers: map[string]*Peer{}}
}

// join registers p and queues every published track for it to subscribe to.
func (r *room) join(p *Peer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.peers[p.id]; dup {
		return ErrPeerExists
	}
	r.peers[p.id] = p
	for _, u := range r.tracks {
		p.post(func() { p.addDown(u) })
	}
	return nil
}

func (r *room) members() []*Peer {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*Peer, 0, len(r.peers))
	for _, p := range r.peers {
		out = append(out, p)
	}
	return out
}

// publish starts forwarding u to every other peer. Posting under the lock keeps each peer's
// adds and removes in the same order as the room saw them.
func (r *room) publish(u *upTrack) {
	r.mu.Lock()
	for _, t := range r.tracks {
		if t == u {
			r.mu.Unlock()
			return
		}
	}
	r.tracks = append(r.tracks, u)
	for _, p := range r.peers {
		if p != u.owner {
			p.post(func() { p.addDown(u) })
		}
	}
	for _, c := range r.sinks {
		c.post(func() { c.publish(u) })
	}
	r.mu.Unlock()
	if cb := r.sfu.cfg.OnTrackPublished; cb != nil {
		cb(u.info())
	}
}

// unpublish stops forwarding u and makes every subscriber drop it.
func (r *room) unpublish(u *upTrack) {
	r.mu.Lock()
	found := false
	for i, t := range r.tracks {
		if t == u {
			r.tracks = append(r.tracks[:i:i], r.tracks[i+1:]...)
			found = true
			break
		}
	}
	if found {
		for _, p := range r.peers {
			if p != u.owner {
				p.post(func() { p.removeDown(u) })
			}
		}
		for _, c := range r.sinks {
			c.post(func() { c.unpublish(u) })
		}
	}
	r.mu.Unlock()
	if found {
		if cb := r.sfu.cfg.OnTrackUnpublished; cb != nil {
			cb(u.info())
		}
	}
}

// leave removes p and everything it published.
func (r *room) leave(p *Peer) {
	r.mu.Lock()
	if r.peers[p.id] == p {
		delete(r.peers, p.id)
	}
	var mine []*upTrack
	for _, t := range r.tracks {
		if t.owner == p {
			mine = append(mine, t)
		}
	}
	r.mu.Unlock()
	for _, u := range mine {
		r.unpublish(u)
	}
	r.sfu.dropIfEmpty(r)
}

// published returns the tracks currently forwarded in the room.
func (r *room) published() []*upTrack {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*upTrack(nil), r.tracks...)
}

// attach adds sink c and queues every published track for it, as join does for a peer.
func (r *room) attach(c *sinkConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sinks = append(r.sinks, c)
	for _, u := range r.tracks {
		c.post(func() { c.publish(u) })
	}
}

// detach removes sink c; once it returns, no more tracks are posted to c.
func (r *room) detach(c *sinkConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, x := range r.sinks {
		if x == c {
			r.sinks = append(r.sinks[:i:i], r.sinks[i+1:]...)
			return
		}
	}
}

func (r *room) attached() []*sinkConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*sinkConn(nil), r.sinks...)
}
