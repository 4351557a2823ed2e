// Package mediatest holds what every test that moves media needs: the rule that media only
// flows inside a private network namespace, and a Pion client set up for its loopback.
package mediatest

import (
	"os"
	"testing"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// NeedNetns skips the test unless it runs inside the private, loopback-only network
// namespace make test sets up (CONCLAVE_NETNS=1); under CONCLAVE_E2E=1 it fails instead,
// because CI must not pass by skipping.
func NeedNetns(t testing.TB) {
	t.Helper()
	if os.Getenv("CONCLAVE_NETNS") == "1" {
		return
	}
	if os.Getenv("CONCLAVE_E2E") == "1" {
		t.Fatal("CONCLAVE_E2E=1 but not in a private network namespace (CONCLAVE_NETNS=1): run through make test")
	}
	t.Skip("needs a private network namespace: run through make test (unshare -n)")
}

// LoopbackSettings is a Pion client's setting engine for the namespace: IPv4 UDP only,
// loopback candidates included (the only interface there), mDNS off.
func LoopbackSettings() webrtc.SettingEngine {
	se := webrtc.SettingEngine{}
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return se
}
