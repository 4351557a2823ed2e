package sshd

import (
	"fmt"
	"net"
	"testing"
)

// One IPv6 host picks its addresses from a whole /64: they count as one source.
func TestSourceOfGroupsIPv6By64(t *testing.T) {
	src := func(ip string) string { return sourceOf(&net.TCPAddr{IP: net.ParseIP(ip), Port: 4000}) }
	if a, b := src("2001:db8:1:2::1"), src("2001:db8:1:2:ffff::9"); a != b {
		t.Errorf("same /64 counted apart: %s, %s", a, b)
	}
	if a, b := src("2001:db8:1:2::1"), src("2001:db8:1:3::1"); a == b {
		t.Errorf("different /64s counted together: %s", a)
	}
	if a, b := src("::ffff:192.0.2.7"), src("192.0.2.7"); a != b || a != "192.0.2.7" {
		t.Errorf("IPv4-mapped address %s, plain %s", a, b)
	}
}

// The addresses remembered for the reserved slots are bounded: the one not seen for the
// longest is forgotten first.
func TestKnownSourcesAreBounded(t *testing.T) {
	g := newGate(2, 2, 1)
	g.remember("first")
	for i := range knownSourcesMax - 1 {
		g.remember(fmt.Sprintf("10.0.%d.%d", i/256, i%256))
	}
	g.remember("first") // seen again: now the most recent
	g.remember("one more")
	if len(g.known) != knownSourcesMax {
		t.Fatalf("%d sources remembered, bound %d", len(g.known), knownSourcesMax)
	}
	if _, ok := g.known["first"]; !ok {
		t.Error("a source seen again was forgotten")
	}
	if _, ok := g.known["10.0.0.0"]; ok {
		t.Error("the source not seen for longest is still remembered")
	}
	// Remembered or not is what the reserved slot depends on.
	if why := g.admit("stranger"); why != "" {
		t.Fatalf("first stranger: %s", why)
	}
	if why := g.admit("other stranger"); why != refusedTotal {
		t.Errorf("stranger over the strangers' share: %q", why)
	}
	if why := g.admit("first"); why != "" {
		t.Errorf("known source refused its reserved slot: %s", why)
	}
}
