package media

import (
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// SFU is a selective forwarding unit: it owns the shared UDP port and the rooms.
type SFU struct {
	cfg      Config
	log      *slog.Logger
	mux      ice.UDPMux
	egress   []*batchConn // nil entries where batching is off or unavailable
	settings webrtc.SettingEngine
	// pionLogs is the logger factory of every Pion object of this SFU, sharing one rate
	// limit for their warnings.
	pionLogs pionLogs

	mu     sync.Mutex
	rooms  map[string]*room
	closed bool

	quit chan struct{}
	wg   sync.WaitGroup

	totals totals // counters for metrics (totals.go)
}

// New listens on the UDP port and returns a running SFU; Close releases it.
func New(cfg Config) (*SFU, error) {
	cfg.withDefaults()
	s := &SFU{cfg: cfg, log: cfg.Logger.With("component", "media"), rooms: map[string]*room{},
		quit: make(chan struct{})}

	s.pionLogs = newPionLogs(s.log)
	mux, egress, ipv6, err := listen(cfg.UDPPort, cfg.IPs, !cfg.NoBatch, s.pionLogs)
	if err != nil {
		return nil, err
	}
	s.mux, s.egress = mux, egress

	se := webrtc.SettingEngine{LoggerFactory: s.pionLogs}
	se.SetICEUDPMux(mux)
	// mDNS would hide the addresses we were told to announce, and multicast is useless here.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	networks := []webrtc.NetworkType{webrtc.NetworkTypeUDP4}
	if ipv6 {
		networks = append(networks, webrtc.NetworkTypeUDP6)
	}
	se.SetNetworkTypes(networks)
	if len(cfg.IPs) > 0 {
		allowed := map[string]bool{}
		loopback := false
		for _, ip := range cfg.IPs {
			parsed := net.ParseIP(ip)
			allowed[parsed.String()] = true
			loopback = loopback || parsed.IsLoopback()
		}
		se.SetIPFilter(func(ip net.IP) bool { return allowed[ip.String()] })
		// Pion skips loopback unless asked; tests and single-host setups want it.
		se.SetIncludeLoopbackCandidate(loopback)
	}
	if cfg.PublicIP != "" {
		if err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External: []string{cfg.PublicIP}, AsCandidateType: webrtc.ICECandidateTypeHost,
		}); err != nil {
			_ = mux.Close()
			return nil, fmt.Errorf("media: public ip %q: %w", cfg.PublicIP, err)
		}
	}
	s.settings = se

	if cfg.StatsInterval > 0 && cfg.OnStats != nil {
		s.wg.Add(1)
		go s.statsLoop()
	}
	return s, nil
}

// listen opens the shared UDP port on each configured IP (or all addresses), each socket
// behind a batching writer unless batch is false.
func listen(port int, ips []string, batch bool, logs pionLogs) (ice.UDPMux, []*batchConn, bool, error) {
	pl := logs.NewLogger("udpmux")
	var egress []*batchConn
	wrap := func(conn *net.UDPConn) ice.UDPMux {
		var pc net.PacketConn = conn
		if batch {
			var bc *batchConn
			pc, bc = newBatchConn(conn)
			if bc != nil {
				egress = append(egress, bc)
			}
		}
		return webrtc.NewICEUDPMux(pl, pc)
	}
	if len(ips) == 0 {
		conn, err := net.ListenUDP("udp", &net.UDPAddr{Port: port})
		if err != nil {
			return nil, nil, false, fmt.Errorf("media: listen on UDP port %d: %w", port, err)
		}
		return wrap(conn), egress, true, nil
	}
	var muxes []ice.UDPMux
	ipv6 := false
	for _, ipStr := range ips {
		ip := net.ParseIP(ipStr)
		if ip == nil {
			closeAll(muxes)
			return nil, nil, false, fmt.Errorf("media: %q is not an IP address", ipStr)
		}
		network := "udp4"
		if ip.To4() == nil {
			network, ipv6 = "udp6", true
		}
		conn, err := net.ListenUDP(network, &net.UDPAddr{IP: ip, Port: port})
		if err != nil {
			closeAll(muxes)
			return nil, nil, false, fmt.Errorf("media: listen on %s port %d: %w", ip, port, err)
		}
		muxes = append(muxes, wrap(conn))
	}
	if len(muxes) == 1 {
		return muxes[0], egress, ipv6, nil
	}
	return ice.NewMultiUDPMuxDefault(muxes...), egress, ipv6, nil
}

func closeAll(muxes []ice.UDPMux) {
	for _, m := range muxes {
		_ = m.Close()
	}
}

// Endpoint is where browsers send media: the UDP port, and the addresses announced in
// the server's candidates (the public IP when one is set, else the listening addresses,
// or none when the SFU listens on every address).
func (s *SFU) Endpoint() (port int, ips []string) {
	for _, a := range s.mux.GetListenAddresses() {
		ua, ok := a.(*net.UDPAddr)
		if !ok {
			continue
		}
		port = ua.Port
		if s.cfg.PublicIP == "" && ua.IP != nil && !ua.IP.IsUnspecified() {
			ips = append(ips, ua.IP.String())
		}
	}
	if s.cfg.PublicIP != "" {
		ips = []string{s.cfg.PublicIP}
	}
	return port, ips
}

// Addrs returns the local UDP addresses media arrives on.
func (s *SFU) Addrs() []net.Addr { return s.mux.GetListenAddresses() }

// EgressStats sums the batching writer's counters over the SFU's sockets; all zero when
// Config.NoBatch is set or the platform has no sendmmsg.
func (s *SFU) EgressStats() EgressStats {
	var e EgressStats
	for _, c := range s.egress {
		e.add(c.stats())
	}
	return e
}

// Join adds a peer to a room, creating the room if needed. signal receives the server's
// offers and answers (see the package doc); it may be called before Join returns.
func (s *SFU) Join(roomID, peerID string, rights PublishRights, signal func(Signal)) (*Peer, error) {
	if !validID(roomID) || !validID(peerID) {
		return nil, ErrBadID
	}
	p, err := s.newPeer(roomID, peerID, rights, signal)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		p.abort()
		return nil, ErrClosed
	}
	r := s.rooms[roomID]
	if r == nil {
		r = newRoom(s, roomID)
		s.rooms[roomID] = r
	}
	err = r.join(p)
	s.mu.Unlock()
	if err != nil {
		p.abort()
		return nil, err
	}
	p.room = r
	p.start()
	return p, nil
}

// CloseRoom makes every peer of the room leave and waits for them.
func (s *SFU) CloseRoom(roomID string) {
	s.mu.Lock()
	r := s.rooms[roomID]
	s.mu.Unlock()
	if r != nil {
		for _, p := range r.members() {
			p.Leave()
		}
	}
}

// dropIfEmpty forgets a room once its last peer has gone and no sink is attached: a recorder
// must keep the room it waits on, or the first publisher would join a new one it never sees.
func (s *SFU) dropIfEmpty(r *room) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.peers) == 0 && len(r.sinks) == 0 && s.rooms[r.id] == r {
		delete(s.rooms, r.id)
	}
}

// Close makes every peer leave, detaches every sink, stops the statistics and releases the
// UDP port.
func (s *SFU) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	var peers []*Peer
	var sinks []*sinkConn
	for _, r := range s.rooms {
		peers = append(peers, r.members()...)
		sinks = append(sinks, r.attached()...)
	}
	s.mu.Unlock()

	var wg sync.WaitGroup
	for _, p := range peers {
		wg.Add(1)
		go func() { defer wg.Done(); p.Leave() }()
	}
	wg.Wait()
	for _, c := range sinks {
		wg.Add(1)
		go func() { defer wg.Done(); c.detach() }()
	}
	wg.Wait()
	close(s.quit)
	s.wg.Wait()
	return s.mux.Close()
}

// keyframeInterval exists so tests can read the effective value.
func (s *SFU) keyframeInterval() time.Duration { return s.cfg.KeyframeInterval }
