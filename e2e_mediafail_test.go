package main

import (
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserMediaFailureSaysWhatFailed: a firewall drops every datagram to the server's
// UDP media port (a traffic-control filter on the namespace's loopback), so ICE has
// nothing to connect over. (A wrong --rtc-public-ip is no test on one machine: the
// server's own checks reach the browser over loopback, and ICE connects through them.) Within
// 15 s the page says that media could not reach the server's UDP port, naming it, and the
// people list says so instead of showing anyone muted; the server logs the join at info
// level, and Pion's connectivity warnings stay a handful of lines.
func TestBrowserMediaFailureSaysWhatFailed(t *testing.T) {
	exe := needChromium(t)
	cfg := testConfig(t, t.TempDir())
	cfg.RTCPort = freeUDPPort(t)
	base, _, out := startServerOut(t, cfg)
	login := call(t, "POST", base+"/internal-api/v1/auth/login", "", map[string]any{"userId": "admin", "password": "admin"}, 200)
	admin, _ := login["accessToken"].(string)
	room := call(t, "POST", base+"/api/v1/rooms", admin, map[string]any{"roomName": "Blocked"}, 201)
	anon := room["access"].(map[string]any)["anonymous"].(map[string]any)
	link := localLink(t, base, anon["speaker"].(map[string]any)["url"].(string))

	blockUDPPort(t, cfg.RTCPort)
	ann := newBrowser(t, exe, "Ann")
	ann.join(link, "Ann")
	start := time.Now()
	ann.run("told media failed", chromedp.WaitVisible(chromedp.CSS(`#media-failed`)))
	took := time.Since(start)
	t.Logf("join to the media-failure message: %v", took)
	if took > 15*time.Second {
		t.Errorf("the media failure was told %v after joining, want within 15 s", took)
	}
	msg := ann.text(`#media-failed`)
	if !strings.Contains(msg, "UDP port "+strconv.Itoa(cfg.RTCPort)) || !strings.Contains(msg, "127.0.0.1") {
		t.Fatalf("the message does not name the port %d and address: %q", cfg.RTCPort, msg)
	}
	if st := ann.text(`#participants li[data-self]`); !strings.Contains(st, "media not connected") || strings.Contains(st, "mic off") {
		t.Fatalf("the people list says %q of Ann", st)
	}

	logs := out.String()
	if !strings.Contains(logs, `msg="participant joined"`) || !strings.Contains(logs, "level=INFO") {
		t.Fatalf("no info line for the join in the log:\n%s", logs)
	}
	if n := strings.Count(logs, "pion="); n > 20 {
		t.Errorf("Pion wrote %d lines for one failing peer", n)
	}
}

// freeUDPPort is a UDP port free on 127.0.0.1 a moment ago.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// blockUDPPort drops every datagram sent to port on the loopback of the test's network
// namespace, as a firewall would, until the test ends: a u32 filter sends them to an htb
// class whose queue holds nothing (the kernels here have no drop action module).
func blockUDPPort(t *testing.T, port int) {
	t.Helper()
	tc := func(args ...string) error {
		out, err := exec.Command("tc", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("tc %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := tc("qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "1"); err != nil {
		t.Fatalf("blocking the media port needs tc (iproute2) and root in the namespace: %v", err)
	}
	t.Cleanup(func() { _ = tc("qdisc", "del", "dev", "lo", "root") })
	for _, args := range [][]string{
		{"class", "add", "dev", "lo", "parent", "1:", "classid", "1:1", "htb", "rate", "10gbit"},
		{"class", "add", "dev", "lo", "parent", "1:", "classid", "1:2", "htb", "rate", "8bit", "ceil", "8bit", "burst", "1", "cburst", "1"},
		{"qdisc", "add", "dev", "lo", "parent", "1:2", "handle", "20:", "pfifo", "limit", "0"},
		{"filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "u32",
			"match", "ip", "protocol", "17", "0xff", "match", "ip", "dport", strconv.Itoa(port), "0xffff", "flowid", "1:2"},
	} {
		if err := tc(args...); err != nil {
			t.Fatal(err)
		}
	}
}
