// Package mediatest holds what every test that moves media needs: the rule that media only
// flows inside a private network namespace, and a Pion client set up for its loopback.
package mediatest

import (
	"fmt"
	"os"
	"testing"
	"time"

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

// AnswerOffer is what a client does with an offer from the SFU: apply it, answer, wait for
// its candidates and return the answer to send back. After the first negotiation it first
// waits (up to 2 s) for ICE to start, working around the Pion race the SFU also avoids: a
// second description applied too soon looks like an ICE restart.
func AnswerOffer(pc *webrtc.PeerConnection, sdp string) (string, error) {
	if pc.CurrentRemoteDescription() != nil {
		deadline := time.Now().Add(2 * time.Second)
		for pc.ICEConnectionState() == webrtc.ICEConnectionStateNew && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		return "", fmt.Errorf("server offer: %w", err)
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("answer: %w", err)
	}
	g := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("local answer: %w", err)
	}
	<-g
	return pc.LocalDescription().SDP, nil
}
