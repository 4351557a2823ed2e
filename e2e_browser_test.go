package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"conclave/conclavetest"
	"conclave/media/mediatest"
)

// End-to-end tests of the browser client: headless Chromium (Debian's chromium) with a
// fake camera and microphone, driven by chromedp, against the real server, inside the
// private loopback-only network namespace make test sets up.

// e2eWait bounds each step a person would wait for in a browser.
const e2eWait = 20 * time.Second

// needChromium returns Chromium's path, skipping (or failing under CONCLAVE_E2E=1) when it
// is not installed.
func needChromium(t *testing.T) string {
	t.Helper()
	mediatest.NeedNetns(t)
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CONCLAVE_E2E") == "1" {
		t.Fatal("CONCLAVE_E2E=1 but chromium is not installed (.ci/run installs it)")
	}
	t.Skip("needs Debian's chromium for browser tests (apt-get install chromium)")
	return ""
}

// browser is one headless Chromium with its own profile: one person.
type browser struct {
	t    *testing.T
	name string
	ctx  context.Context

	mu      sync.Mutex
	console []string // what the page logged, shown when the test fails
}

// newBrowser starts one; extra options come after the defaults (and so override them).
func newBrowser(t *testing.T, exe, name string, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("disable-features", "WebRtcHideLocalIpsWithMdns"),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.WindowSize(1280, 800),
	}
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("%s: starting chromium: %v", name, err)
	}
	b := &browser{t: t, name: name, ctx: ctx}
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, fmt.Sprintf("%s %s: %s", m.Time.Format("15:04:05.000"), m.Type, m.Text))
			b.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			b.mu.Lock()
			lines := b.console[max(0, len(b.console)-60):]
			b.mu.Unlock()
			t.Logf("%s's browser console:\n%s", name, strings.Join(lines, "\n"))
		}
		cancel()
		cancelAlloc()
	})
	return b
}

// run runs actions with the step timeout, failing the test with what was being done.
func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, e2eWait)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %s: %v\npage state: %s", b.name, what, err, b.describe())
	}
}

// describe is what the page shows, for failure messages.
func (b *browser) describe() string {
	ctx, cancel := context.WithTimeout(b.ctx, 3*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const pc = window.conclave && window.conclave.pc;
		const rtc = pc ? ' | pc ' + pc.connectionState + '/' + pc.iceConnectionState + '/' + pc.signalingState + ' ' +
			pc.getTransceivers().map(t => t.mid + ':' + t.direction + ':' + (t.receiver.track && t.receiver.track.kind)).join(',') : ' | no pc';
		return document.body.dataset.state + rtc + ' | ' + document.body.innerText.replace(/\s+/g, ' ').slice(0, 300);
	})()`))
	return s
}

// eval evaluates a JavaScript expression (promises awaited) in b's page.
func eval[T any](b *browser, what, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, e2eWait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: %s: %v\npage state: %s", b.name, what, err, b.describe())
	}
	return v
}

// waitState waits until the page says it is in state.
func (b *browser) waitState(state string) {
	b.t.Helper()
	b.run("waiting for state "+state, chromedp.WaitVisible(chromedp.CSS(`body[data-state="`+state+`"]`)))
}

// join opens an access link, fills the lobby in and joins.
func (b *browser) join(link, name string) string {
	b.t.Helper()
	b.run("opening "+link, chromedp.Navigate(link))
	b.waitState("lobby")
	b.run("joining", chromedp.WaitEnabled(chromedp.CSS(`#join`)))
	if name != "" {
		eval[bool](b, "clearing the name", `(() => { const n = document.querySelector('#name'); n.value = ''; return true })()`)
		b.run("typing the name", chromedp.SendKeys(chromedp.CSS(`#name`), name))
	}
	b.run("joining", chromedp.Click(chromedp.CSS(`#join`)))
	b.waitState("meeting")
	ctx, cancel := context.WithTimeout(b.ctx, e2eWait)
	defer cancel()
	id, err := chromedp.Run(ctx, chromedp.Poll[string](`window.conclave && window.conclave.identity`, chromedp.WithPollingTimeout(e2eWait)))
	if err != nil {
		b.t.Fatalf("%s: reading identity: %v", b.name, err)
	}
	return id
}

// received sums what this browser has received from the others: video frames
// decoded and audio samples received, from getStats.
func (b *browser) received() (frames, samples float64) {
	b.t.Helper()
	got := eval[[]float64](b, "reading stats", `(async () => {
		const pc = window.conclave && window.conclave.pc;
		if (!pc) return [0, 0];
		let frames = 0, samples = 0;
		for (const tr of pc.getTransceivers()) {
			const r = tr.receiver; if (!r || !r.track) continue;
			const st = await r.getStats();
			st.forEach(s => {
				if (s.type !== 'inbound-rtp') return;
				if (s.kind === 'video') frames += s.framesDecoded || 0;
				if (s.kind === 'audio') samples += s.totalSamplesReceived || 0;
			});
		}
		return [frames, samples];
	})()`)
	if len(got) != 2 {
		b.t.Fatalf("%s: stats %v", b.name, got)
	}
	return got[0], got[1]
}

// waitMediaGrowing waits until video frames and audio samples from the other person (the
// tests check media while two people are in the room) keep
// arriving: both grow between two readings.
func (b *browser) waitMediaGrowing(from string) {
	b.t.Helper()
	deadline := time.Now().Add(e2eWait)
	f0, s0 := b.received()
	for {
		time.Sleep(500 * time.Millisecond)
		f1, s1 := b.received()
		if f1 > f0 && s1 > s0 && f1 > 10 {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: media from %s not flowing: frames %v→%v, audio samples %v→%v\n%s", b.name, from, f0, f1, s0, s1, b.describe())
		}
		f0, s0 = f1, s1
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, e2eWait)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("%s: reading %s: %v", b.name, sel, err)
	}
	return s
}

// localLink turns an access url as the server hands it out into one on the test server.
func localLink(t *testing.T, base, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := url.Parse(base)
	u.Scheme, u.Host = b.Scheme, b.Host
	return u.String()
}

func TestBrowserMeeting(t *testing.T) {
	exe := needChromium(t)
	base, _ := startServer(t, testConfig(t, t.TempDir()))
	login := call(t, "POST", base+"/internal-api/v1/auth/login", "", map[string]any{"userId": "admin", "password": "admin"}, 200)
	admin, _ := login["accessToken"].(string)
	room := call(t, "POST", base+"/api/v1/rooms", admin, map[string]any{"roomName": "Browser test"}, 201)
	roomID, _ := room["roomId"].(string)
	anon := room["access"].(map[string]any)["anonymous"].(map[string]any)
	modLink := localLink(t, base, anon["moderator"].(map[string]any)["url"].(string))
	member := call(t, "POST", base+"/api/v1/rooms/"+roomID+"/members", admin, map[string]any{"name": "Sam Speaker", "baseRole": "speaker"}, 201)
	samLink := localLink(t, base, member["accessUrl"].(string))

	mo := newBrowser(t, exe, "Mo")
	sam := newBrowser(t, exe, "Sam")
	moID := mo.join(modLink, "Mo Moderator")
	samID := sam.join(samLink, "") // an external member's name is fixed by the membership
	if !strings.Contains(sam.text(`.tile[data-self] .tile-name`), "Sam Speaker") {
		t.Fatalf("Sam's own tile: %q", sam.text(`.tile[data-self] .tile-name`))
	}

	// Each sees the other's tile and decodes the other's video and audio.
	mo.run("seeing Sam's tile", chromedp.WaitVisible(chromedp.CSS(`.tile[data-identity="`+samID+`"] video`)))
	sam.run("seeing Mo's tile", chromedp.WaitVisible(chromedp.CSS(`.tile[data-identity="`+moID+`"] video`)))
	if name := mo.text(`.tile[data-identity="` + samID + `"] .tile-name`); !strings.Contains(name, "Sam Speaker") {
		t.Fatalf("Mo sees Sam's tile named %q", name)
	}
	mo.waitMediaGrowing("Sam")
	sam.waitMediaGrowing("Mo")

	// Chat both ways.
	mo.run("writing in the chat", chromedp.SendKeys(chromedp.CSS(`#chat-input`), "hello from Mo"), chromedp.Click(chromedp.CSS(`#chat-send`)))
	sam.run("reading Mo's message", chromedp.WaitVisible(chromedp.Search(`//*[@id="chat-log"]//*[contains(@class,"chat-text")][contains(., "hello from Mo")]`)))
	sam.run("answering", chromedp.SendKeys(chromedp.CSS(`#chat-input`), "hi Mo\n"))
	mo.run("reading Sam's answer", chromedp.WaitVisible(chromedp.Search(`//*[@id="chat-log"]//*[contains(@class,"chat-text")][contains(., "hi Mo")]`)))

	// The speaker has no moderation controls; the moderator has them for Sam.
	samKicks := eval[int](sam, "counting kick buttons", `document.querySelectorAll('#participants button[data-action="kick"]').length`)
	if samKicks != 0 {
		t.Fatalf("a speaker sees %d kick buttons", samKicks)
	}

	// The moderator removes Sam, who is told why within a second.
	kick := `#participants li[data-identity="` + samID + `"] button[data-action="kick"]`
	mo.run("opening Sam's actions", chromedp.WaitVisible(chromedp.CSS(kick)))
	start := time.Now()
	mo.run("kicking Sam", chromedp.Click(chromedp.CSS(kick)))
	sam.waitState("kicked")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Sam saw the removal %v after the click", d)
	} else {
		t.Logf("kick click to Sam's removed screen: %v", d)
	}
	if title := sam.text(`#notice-title`); !strings.Contains(strings.ToLower(title), "removed") {
		t.Fatalf("Sam's screen says %q", title)
	}
	mo.run("Sam's tile going", chromedp.WaitNotPresent(chromedp.CSS(`.tile[data-identity="`+samID+`"]`)))

	// Sam comes back; deleting his membership removes him at once.
	sam.join(samLink, "")
	mo.run("Sam back", chromedp.WaitVisible(chromedp.CSS(`.tile[data-identity="`+samID+`"]`)))
	start = time.Now()
	call(t, "DELETE", base+"/api/v1/rooms/"+roomID+"/members/"+samID, admin, nil, 200)
	sam.waitState("kicked")
	t.Logf("member deletion to Sam's removed screen: %v", time.Since(start))

	// A guest through the speaker link; the moderator ends the meeting for everyone.
	guest := newBrowser(t, exe, "Gus")
	gusID := guest.join(localLink(t, base, anon["speaker"].(map[string]any)["url"].(string)), "Gus Guest")
	mo.run("Gus arriving", chromedp.WaitVisible(chromedp.CSS(`.tile[data-identity="`+gusID+`"]`)))
	mo.run("ending the meeting", chromedp.Click(chromedp.CSS(`#end-meeting`)), chromedp.Click(chromedp.CSS(`#end-meeting-confirm`)))
	guest.waitState("ended")
	mo.waitState("ended")
	if title := guest.text(`#notice-title`); !strings.Contains(strings.ToLower(title), "ended") {
		t.Fatalf("Gus's screen says %q", title)
	}
}

// dropProxy forwards TCP connections to a server and can cut them all at once, as a
// network change does: the browser's signalling socket dies while its media (UDP, straight
// to the SFU) does not.
type dropProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
}

func newDropProxy(t *testing.T, target string) *dropProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dropProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.drop() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(s, c); s.Close() }()
			go func() { _, _ = io.Copy(c, s); c.Close() }()
		}
	}()
	return p
}

// drop resets every connection made so far.
func (p *dropProxy) drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // RST, not a polite FIN
		}
		c.Close()
	}
	p.conns = nil
}

func TestBrowserResumesAfterTheConnectionDrops(t *testing.T) {
	exe := needChromium(t)
	base, _ := startServer(t, testConfig(t, t.TempDir()))
	login := call(t, "POST", base+"/internal-api/v1/auth/login", "", map[string]any{"userId": "admin", "password": "admin"}, 200)
	admin, _ := login["accessToken"].(string)
	room := call(t, "POST", base+"/api/v1/rooms", admin, map[string]any{"roomName": "Flaky network"}, 201)
	anon := room["access"].(map[string]any)["anonymous"].(map[string]any)
	speakerURL := anon["speaker"].(map[string]any)["url"].(string)

	u, _ := url.Parse(base)
	proxy := newDropProxy(t, u.Host)
	viaProxy := "http://" + proxy.ln.Addr().String() + "/meet"

	ann := newBrowser(t, exe, "Ann")
	ben := newBrowser(t, exe, "Ben")
	annID := ann.join(localLink(t, base, speakerURL), "Ann")
	benID := ben.join(localLink(t, viaProxy, speakerURL), "Ben")
	ann.waitMediaGrowing("Ben")
	ben.waitMediaGrowing("Ann")

	// Ben's network drops: his page says it is reconnecting, then is back in the meeting
	// with the same identity, and Ann never saw him leave.
	proxy.drop()
	ben.run("showing the reconnecting banner", chromedp.WaitVisible(chromedp.CSS(`#reconnecting`)))
	ben.run("reconnected", chromedp.WaitNotVisible(chromedp.CSS(`#reconnecting`)))
	ben.waitState("meeting")
	if id := eval[string](ben, "reading identity", `window.conclave.identity`); id != benID {
		t.Fatalf("Ben came back as %s, was %s", id, benID)
	}
	left := eval[bool](ann, "checking Ann's view", `!!document.querySelector('.tile[data-identity="`+benID+`"]')`)
	if !left {
		t.Fatal("Ann's page lost Ben's tile")
	}
	// Media flows again both ways over Ben's new media connection.
	ann.waitMediaGrowing("Ben")
	ben.waitMediaGrowing("Ann")
	ben.run("seeing Ann", chromedp.WaitVisible(chromedp.CSS(`.tile[data-identity="`+annID+`"] video`)))
}

// waitJS waits until a JavaScript expression is true in b's page.
func (b *browser) waitJS(what, expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, e2eWait)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(e2eWait))); err != nil {
		b.t.Fatalf("%s: %s: %v\npage state: %s", b.name, what, err, b.describe())
	}
}

func TestBrowserModeration(t *testing.T) {
	exe := needChromium(t)
	base, _ := startServer(t, testConfig(t, t.TempDir()))
	login := call(t, "POST", base+"/internal-api/v1/auth/login", "", map[string]any{"userId": "admin", "password": "admin"}, 200)
	admin, _ := login["accessToken"].(string)
	room := call(t, "POST", base+"/api/v1/rooms", admin, map[string]any{"roomName": "Moderated"}, 201)
	anon := room["access"].(map[string]any)["anonymous"].(map[string]any)
	mo := newBrowser(t, exe, "Mo")
	sam := newBrowser(t, exe, "Sam")
	mo.join(localLink(t, base, anon["moderator"].(map[string]any)["url"].(string)), "Mo")
	samID := sam.join(localLink(t, base, anon["speaker"].(map[string]any)["url"].(string)), "Sam")
	mo.waitMediaGrowing("Sam")
	row := `#participants li[data-identity="` + samID + `"]`

	// The fake microphone beeps: Sam's tile is highlighted as the active speaker.
	mo.run("Sam highlighted as speaking", chromedp.WaitVisible(chromedp.CSS(`.tile.speaking[data-identity="`+samID+`"]`)))

	// The moderator mutes Sam's microphone: Sam is told, and his button now offers to unmute.
	mo.run("muting Sam", chromedp.Click(chromedp.CSS(row+` button[data-action="mute-audio"]`)))
	sam.waitJS("Sam told he was muted", `[...document.querySelectorAll('.toast')].some(t => /muted your microphone/i.test(t.textContent))`)
	sam.waitJS("Sam's microphone shown muted", `document.querySelector('#toggle-audio').getAttribute('aria-label') === 'Unmute microphone'`)
	mo.waitJS("Mo's list showing Sam's microphone off", `/mic off/i.test(document.querySelector('`+row+`').textContent)`)

	// Promotion gives Sam the moderator's controls for this meeting; demotion takes them away.
	if n := eval[int](sam, "counting kick buttons", `document.querySelectorAll('#participants button[data-action="kick"]').length`); n != 0 {
		t.Fatalf("a speaker sees %d kick buttons", n)
	}
	mo.run("promoting Sam", chromedp.Click(chromedp.CSS(row+` button[data-action="promote"]`)))
	sam.waitJS("Sam seeing kick buttons", `document.querySelectorAll('#participants button[data-action="kick"]').length > 0`)
	sam.waitJS("Sam seeing End meeting", `!document.querySelector('#end-meeting').hidden`)
	mo.run("demoting Sam", chromedp.WaitVisible(chromedp.CSS(row+` button[data-action="demote"]`)), chromedp.Click(chromedp.CSS(row+` button[data-action="demote"]`)))
	sam.waitJS("Sam's kick buttons gone", `document.querySelectorAll('#participants button[data-action="kick"]').length === 0 && document.querySelector('#end-meeting').hidden`)

	// Sam shares his screen: Mo gets a screen tile with moving pictures.
	sam.run("sharing the screen", chromedp.Click(chromedp.CSS(`#toggle-screen`)))
	mo.run("seeing Sam's screen", chromedp.WaitVisible(chromedp.CSS(`.tile[data-identity="`+samID+`"][data-source="screen"] video`)))
	mo.waitJS("Sam's screen decoding", `(() => {
		const v = document.querySelector('.tile[data-identity="`+samID+`"][data-source="screen"] video');
		return !!v && v.videoWidth > 0 && !v.paused;
	})()`)
	sam.run("stopping the share", chromedp.Click(chromedp.CSS(`#toggle-screen`)))
	mo.run("Sam's screen tile gone", chromedp.WaitNotPresent(chromedp.CSS(`.tile[data-identity="`+samID+`"][data-source="screen"]`)))
}

// TestBrowserRecording records a meeting from the moderator's control bar: only those with
// recordingControl have the button, a refusal is told as a toast, everyone's indicator
// follows the recording within a second or two of the click, and what was recorded plays.
func TestBrowserRecording(t *testing.T) {
	if _, err := exec.LookPath("mkvinfo"); err != nil && os.Getenv("CONCLAVE_E2E") != "1" {
		t.Skip("mkvinfo not installed (apt-get install mkvtoolnix): it checks the Cues")
	}
	exe := needChromium(t)
	conclavetest.NeedFFmpeg(t)
	dir := t.TempDir()
	base, _ := startServer(t, testConfig(t, dir))
	login := call(t, "POST", base+"/internal-api/v1/auth/login", "", map[string]any{"userId": "admin", "password": "admin"}, 200)
	admin, _ := login["accessToken"].(string)
	room := call(t, "POST", base+"/api/v1/rooms", admin, map[string]any{"roomName": "Recorded"}, 201)
	roomID, _ := room["roomId"].(string)
	anon := room["access"].(map[string]any)["anonymous"].(map[string]any)
	mo := newBrowser(t, exe, "Mo")
	sam := newBrowser(t, exe, "Sam")
	mo.join(localLink(t, base, anon["moderator"].(map[string]any)["url"].(string)), "Mo")
	sam.join(localLink(t, base, anon["speaker"].(map[string]any)["url"].(string)), "Sam")
	mo.waitMediaGrowing("Sam")
	sam.waitMediaGrowing("Mo")

	// The speaker may not record: no button. The moderator's offers to record.
	if shown := eval[bool](sam, "looking for a record button", `(() => { const b = document.querySelector('#record-button'); return !!b && !b.hidden })()`); shown {
		t.Fatal("a speaker has a record button")
	}
	const button = `#record-button`
	label := func(b *browser) string {
		return eval[string](b, "reading the record button", `document.querySelector('#record-button').getAttribute('aria-label')`)
	}
	mo.run("seeing the record button", chromedp.WaitVisible(chromedp.CSS(button)), chromedp.WaitEnabled(chromedp.CSS(button)))
	if l := label(mo); l != "Record" {
		t.Fatalf("the record button says %q before recording", l)
	}

	// With recording off on the server, the click is refused with the server's words.
	call(t, "PUT", base+"/internal-api/v1/config/recording", admin, map[string]any{"enabled": false}, 200)
	mo.run("asking to record", chromedp.Click(chromedp.CSS(button)))
	mo.waitJS("told recording is disabled", `[...document.querySelectorAll('.toast')].some(t => t.textContent.includes('Recording is disabled on this server'))`)
	mo.run("the button back after the refusal", chromedp.WaitEnabled(chromedp.CSS(button)))
	if l := label(mo); l != "Record" {
		t.Fatalf("after a refusal the record button says %q", l)
	}
	if on := eval[bool](mo, "reading the indicator", `!document.querySelector('#recording-indicator').hidden`); on {
		t.Fatal("the indicator shows a recording that was refused")
	}
	call(t, "PUT", base+"/internal-api/v1/config/recording", admin, map[string]any{"enabled": true}, 200)

	// Recording, started through REST as an integration would: both indicators show, and
	// the moderator's button offers to stop.
	start := time.Now()
	rec := call(t, "POST", base+"/api/v1/recordings", admin, map[string]any{"roomId": roomID}, 201)
	id, _ := rec["recordingId"].(string)
	if !strings.HasPrefix(id, roomID+"--") {
		t.Fatalf("the recording is %v", rec)
	}
	for _, b := range []*browser{mo, sam} {
		b.run("showing the recording indicator", chromedp.WaitVisible(chromedp.CSS(`#recording-indicator`)))
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s saw the recording indicator %v after the start", b.name, d)
		} else {
			t.Logf("REST start to %s's indicator: %v", b.name, d)
		}
	}
	mo.run("the button offering to stop", chromedp.WaitEnabled(chromedp.CSS(button)))
	if l := label(mo); l != "Stop recording" {
		t.Fatalf("while recording the record button says %q", l)
	}
	list := call(t, "GET", base+"/api/v1/recordings?roomId="+roomID, admin, nil, 200)
	if items, _ := list["recordings"].([]any); len(items) != 1 || items[0].(map[string]any)["status"] != "active" {
		t.Fatalf("recordings of the room: %v", list)
	}
	time.Sleep(10*time.Second - time.Since(start))

	// Stopping from the moderator's button: both indicators hide, and the recording is
	// finished.
	stop := time.Now()
	recorded := stop.Sub(start)
	mo.run("stopping the recording", chromedp.Click(chromedp.CSS(button)))
	for _, b := range []*browser{mo, sam} {
		b.run("hiding the recording indicator", chromedp.WaitNotVisible(chromedp.CSS(`#recording-indicator`)))
		if d := time.Since(stop); d > 2*time.Second {
			t.Errorf("%s's recording indicator went %v after the click", b.name, d)
		} else {
			t.Logf("stop click to %s's indicator hidden: %v", b.name, d)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for rec["status"] != "complete" {
		if time.Now().After(deadline) {
			t.Fatalf("the recording is %v, not complete: %v", rec["status"], rec)
		}
		time.Sleep(100 * time.Millisecond)
		rec = call(t, "GET", base+"/api/v1/recordings/"+id, admin, nil, 200)
	}
	t.Logf("stop click to complete: %v", time.Since(stop))
	mo.run("the button offering to record again", chromedp.WaitEnabled(chromedp.CSS(button)))
	if l := label(mo); l != "Record" {
		t.Fatalf("after the recording the record button says %q", l)
	}
	if d, _ := rec["duration"].(float64); d < recorded.Seconds()-1 || d > recorded.Seconds()+0.5 {
		t.Errorf("the recording lasts %vs; %v passed between start and stop", d, recorded)
	}

	// Each participant's camera file has VP8 and Opus, lasts the recorded time from its
	// offset, decodes without an error, has Cues, and decodes from a seek to its middle.
	dirOf := filepath.Join(dir, "recordings", roomID, strings.TrimPrefix(id, roomID+"--"))
	var man struct {
		Participants []struct {
			Name     string       `json:"name"`
			Speaking [][2]float64 `json:"speaking"`
		} `json:"participants"`
		Files []struct {
			File     string  `json:"file"`
			Offset   float64 `json:"offset"`
			Duration float64 `json:"duration"`
		} `json:"files"`
	}
	if b, err := os.ReadFile(filepath.Join(dirOf, "manifest.json")); err != nil || json.Unmarshal(b, &man) != nil {
		t.Fatalf("manifest: %v\n%s", err, b)
	}
	if len(man.Files) != 2 || len(man.Participants) != 2 {
		t.Fatalf("the manifest lists %d files of %d participants, want Mo's and Sam's cameras: %+v", len(man.Files), len(man.Participants), man)
	}
	for _, f := range man.Files {
		path := filepath.Join(dirOf, f.File)
		checkRecordedFile(t, path)
		got := probeDuration(t, path)
		if want := recorded.Seconds() - f.Offset; got < want-0.5 || got > want+0.5 {
			t.Errorf("%s lasts %.2fs from its offset %.2fs; %.2fs were recorded", f.File, got, f.Offset, recorded.Seconds())
		}
		if out := conclavetest.Run(t, "mkvinfo", "-v", "-v", path); !bytes.Contains(out, []byte("Cues")) {
			t.Errorf("%s has no Cues: it cannot be seeked", f.File)
		}
		mid := strconv.FormatFloat(got/2, 'f', 2, 64)
		if out := conclavetest.Run(t, "ffmpeg", "-v", "error", "-ss", mid, "-i", path, "-frames:v", "10", "-enc_time_base", "-1", "-f", "null", "-"); len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("%s does not decode from %ss:\n%s", f.File, mid, out)
		}
	}
	// Chromium's fake microphone beeps: each participant spoke, by its audio level.
	for _, p := range man.Participants {
		if len(p.Speaking) == 0 {
			t.Errorf("the manifest says %s never spoke", p.Name)
		} else {
			t.Logf("%s spoke in %d intervals, first %v", p.Name, len(p.Speaking), p.Speaking[0])
		}
	}
}

// probeDuration is a file's length as ffprobe reads it, in seconds.
func probeDuration(t *testing.T, path string) float64 {
	t.Helper()
	out := conclavetest.Run(t, "ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path)
	d, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		t.Fatalf("ffprobe duration of %s: %q", path, out)
	}
	return d
}

// checkRecordedFile checks that ffprobe reads path without a word of complaint and finds a
// VP8 and an Opus stream whose packets' timestamps always increase, and that ffmpeg
// decodes all of it without an error.
func checkRecordedFile(t *testing.T, path string) {
	t.Helper()
	out := conclavetest.Run(t, "ffprobe", "-v", "error", "-show_entries", "stream=index,codec_name:packet=stream_index,pts", "-of", "json", path)
	var probe struct {
		Streams []struct {
			Index     int    `json:"index"`
			CodecName string `json:"codec_name"`
		} `json:"streams"`
		Packets []struct {
			Stream int   `json:"stream_index"`
			PTS    int64 `json:"pts"`
		} `json:"packets"`
	}
	if err := json.Unmarshal(out, &probe); err != nil {
		t.Fatalf("ffprobe %s: %v\n%.2000s", path, err, out)
	}
	codecs := map[string]bool{}
	for _, s := range probe.Streams {
		codecs[s.CodecName] = true
	}
	if !codecs["vp8"] || !codecs["opus"] {
		t.Fatalf("%s has streams %+v, want vp8 and opus", path, probe.Streams)
	}
	last := map[int]int64{}
	for i, p := range probe.Packets {
		if prev, ok := last[p.Stream]; ok && p.PTS <= prev {
			t.Fatalf("%s: packet %d of stream %d at %d, after one at %d", path, i, p.Stream, p.PTS, prev)
		}
		last[p.Stream] = p.PTS
	}
	// A browser's camera runs at a variable rate. ffmpeg would hand the null muxer its
	// frames in a time base of 1/frame rate, where two frames less than a frame apart can
	// round to the same tick and be reported as "non monotonically increasing dts" although
	// the file's own timestamps (checked above) increase: keep the file's time base.
	if out := conclavetest.Run(t, "ffmpeg", "-v", "error", "-i", path, "-enc_time_base", "-1", "-f", "null", "-"); len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("%s does not decode cleanly:\n%s", path, out)
	}

}
