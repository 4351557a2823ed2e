package sshd

// Stats are the SSH server's figures now, for metrics.
type Stats struct {
	Connections int64 // open connections, signed in or not
	SignedIn    int64 // connections signed in
	Sessions    int   // sessions (control rooms and commands) running
}

// Stats reads the server's figures.
func (s *Server) Stats() Stats {
	s.slots.mu.Lock()
	used := s.slots.used
	s.slots.mu.Unlock()
	return Stats{Connections: s.conns.Load(), SignedIn: s.signedIn.Load(), Sessions: used}
}
