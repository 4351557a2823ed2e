package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserMeetingControls: at 1280×720 two people sit side by side; the lobby's level
// meter moves and its camera switch takes effect in the meeting; a raised hand is seen by
// the other, who as a moderator lowers it; switching microphones in the settings keeps the
// sound flowing on the same connection; a pinned tile is shown large, and the speaker
// layout shows someone large.
func TestBrowserMeetingControls(t *testing.T) {
	exe := needChromium(t)
	base, _ := startServer(t, testConfig(t, t.TempDir()))
	login := call(t, "POST", base+"/internal-api/v1/auth/login", "", map[string]any{"userId": "admin", "password": "admin"}, 200)
	admin, _ := login["accessToken"].(string)
	room := call(t, "POST", base+"/api/v1/rooms", admin, map[string]any{"roomName": "Controls"}, 201)
	anon := room["access"].(map[string]any)["anonymous"].(map[string]any)
	modLink := localLink(t, base, anon["moderator"].(map[string]any)["url"].(string))
	spkLink := localLink(t, base, anon["speaker"].(map[string]any)["url"].(string))

	ann := newBrowser(t, exe, "Ann", chromedp.WindowSize(1280, 720))
	ben := newBrowser(t, exe, "Ben", chromedp.WindowSize(1280, 720))

	// Ann's lobby: the meter shows her (beeping) microphone; she turns her camera off.
	ann.run("opening the lobby", chromedp.Navigate(modLink))
	ann.waitState("lobby")
	ann.waitJS("the level meter moving", `Number((document.querySelector('#mic-level') || {}).value) > 0.01`)
	ann.run("turning the camera off", chromedp.Click(chromedp.CSS(`#lobby-cam`)))
	if p := eval[string](ann, "reading the switch", `document.querySelector('#lobby-cam').getAttribute('aria-pressed')`); p != "false" {
		t.Fatalf("the camera switch says aria-pressed=%s after turning it off", p)
	}
	eval[bool](ann, "naming Ann", `(() => { const n = document.querySelector('#name'); n.value = 'Ann'; return true })()`)
	ann.run("joining", chromedp.Click(chromedp.CSS(`#join`)))
	ann.waitState("meeting")
	annID := eval[string](ann, "reading identity", `window.conclave.identity`)
	if l := eval[string](ann, "reading the camera button", `document.querySelector('#toggle-video').getAttribute('aria-label')`); l != "Start camera" {
		t.Fatalf("Ann joined with her camera off but the button says %q", l)
	}
	benID := ben.join(spkLink, "Ben")
	// Ben raises his hand at once, while his media is still connecting (frames about him
	// then carry no tracks yet).
	ben.run("raising his hand", chromedp.Click(chromedp.CSS(`#raise-hand`)))
	ann.waitMediaGrowing("Ben")
	ben.waitJS("Ann's camera shown off", `/camera off/.test(document.querySelector('#participants li[data-identity="`+annID+`"]').textContent)`)

	// Two people at 1280×720: side by side, each tile a good part of the width.
	rects := eval[[]float64](ann, "measuring the tiles", `(() => {
		const r = [...document.querySelectorAll('.tile[data-source="camera"]')].map(t => t.getBoundingClientRect());
		return r.length === 2 ? [r[0].top, r[1].top, r[0].left, r[1].left, r[0].width, r[1].width, r[0].height] : [];
	})()`)
	if len(rects) != 7 {
		t.Fatalf("Ann's page has not two camera tiles: %v", rects)
	}
	if d := rects[0] - rects[1]; d > 2 || d < -2 || rects[2] == rects[3] || rects[4] < 350 || rects[5] < 350 || rects[6] < 250 {
		t.Fatalf("the two tiles are not side by side filling the space (tops %v %v, lefts %v %v, widths %v %v, height %v)",
			rects[0], rects[1], rects[2], rects[3], rects[4], rects[5], rects[6])
	}

	// Ann sees Ben's hand in the list and on his tile, and lowers it.
	ann.waitJS("Ben's hand in the list", `document.querySelector('#participants li[data-identity="`+benID+`"]').dataset.hand === 'true'`)
	ann.waitJS("Ben's hand on his tile", `document.querySelector('.tile[data-identity="`+benID+`"][data-source="camera"]').dataset.hand === 'true'`)
	ben.waitJS("Ben's button offering to lower", `document.querySelector('#raise-hand').getAttribute('aria-pressed') === 'true'`)
	ann.run("lowering Ben's hand", chromedp.Click(chromedp.CSS(`#participants li[data-identity="`+benID+`"] button[data-action="lower-hand"]`)))
	ben.waitJS("Ben's hand lowered", `document.querySelector('#raise-hand').getAttribute('aria-pressed') === 'false'`)
	ann.waitJS("Ben's hand gone from Ann's list", `document.querySelector('#participants li[data-identity="`+benID+`"]').dataset.hand === 'false'`)

	// Ben switches to his other microphone in the settings: Ann keeps hearing him, from the
	// new device, on the same connection.
	ann.waitMediaGrowing("Ben before his switch")
	before := eval[string](ben, "reading Ben's microphone", `window.conclave.meeting.devices.deviceId('microphone')`)
	ben.run("opening the settings", chromedp.Click(chromedp.CSS(`#open-settings`)))
	ben.run("settings open", chromedp.WaitVisible(chromedp.CSS(`#settings-microphone`)))
	other := eval[string](ben, "finding another microphone", `(() => {
		const o = [...document.querySelectorAll('#settings-microphone option')].find(o => o.value && o.value !== '`+before+`' && o.value !== 'default');
		return o ? o.value : '';
	})()`)
	if other == "" {
		t.Fatal("Ben's settings list no second microphone")
	}
	eval[bool](ben, "choosing it", `(() => { const s = document.querySelector('#settings-microphone'); s.value = '`+other+`'; s.dispatchEvent(new Event('change')); return true })()`)
	ben.waitJS("the microphone switched, on the sender", `(() => {
		const m = window.conclave.meeting.devices;
		const s = window.conclave.pc.getSenders().find(s => s.track && s.track.kind === 'audio');
		return m.deviceId('microphone') === '`+other+`' && !!s && s.track.getSettings().deviceId === '`+other+`';
	})()`)
	ben.run("closing the settings", chromedp.Click(chromedp.CSS(`#settings-close`)))
	_, s0 := ann.received()
	time.Sleep(1500 * time.Millisecond)
	if _, s1 := ann.received(); s1 <= s0 {
		t.Fatalf("Ann stopped hearing Ben after his switch: audio samples %v → %v", s0, s1)
	}
	if n := eval[int](ann, "counting Ben's tiles", `document.querySelectorAll('.tile[data-identity="`+benID+`"]').length`); n != 1 {
		t.Fatalf("Ann's page shows %d tiles of Ben after his switch", n)
	}

	// Ann pins Ben's tile: it is shown large above hers; unpinned, the grid is back.
	tile := `.tile[data-identity="` + benID + `"][data-source="camera"]`
	ann.run("pinning Ben", chromedp.Click(chromedp.CSS(tile+` .tile-pin`)))
	ann.waitJS("Ben's tile large", `(() => {
		const b = document.querySelector('`+tile+`').getBoundingClientRect();
		const a = document.querySelector('.tile[data-self][data-source="camera"]').getBoundingClientRect();
		return document.querySelector('`+tile+`').classList.contains('featured') && b.height > 2 * a.height;
	})()`)
	ann.run("unpinning Ben", chromedp.Click(chromedp.CSS(tile+` .tile-pin`)))
	ann.waitJS("the grid back", `!document.querySelector('.tile.featured')`)
	// The speaker layout shows someone large without a pin.
	ann.run("speaker layout", chromedp.Click(chromedp.CSS(`#toggle-layout`)))
	ann.waitJS("a tile shown large", `!!document.querySelector('.tile.featured')`)
	if l := eval[string](ann, "reading the layout button", `document.querySelector('#toggle-layout').getAttribute('aria-label')`); !strings.Contains(l, "Grid") {
		t.Fatalf("in the speaker layout the layout button says %q", l)
	}

	// On a phone (390×844) End for all and Leave keep their words, and a muted microphone
	// looks like a state, not like a disabled button.
	ann.run("a phone-sized window", chromedp.EmulateViewport(390, 844))
	ann.run("muting", chromedp.Click(chromedp.CSS(`#toggle-audio`)))
	ann.waitJS("the microphone shown off", `document.querySelector('#toggle-audio').dataset.on === 'false'`)
	look := eval[[]string](ann, "reading the buttons", `(() => {
		const vis = (sel) => { const l = document.querySelector(sel + ' .label'); const r = l.getBoundingClientRect(); return r.width > 1 && r.height > 1 ? l.textContent : ''; };
		const mic = getComputedStyle(document.querySelector('#toggle-audio'));
		return [vis('#end-meeting'), vis('#leave'), mic.opacity, mic.borderTopStyle];
	})()`)
	if look[0] != "End for all" || look[1] != "Leave" {
		t.Fatalf("on a phone the two red buttons read %q and %q", look[0], look[1])
	}
	if look[2] != "1" || look[3] == "dashed" {
		t.Fatalf("a muted microphone looks disabled: opacity %s, border %s", look[2], look[3])
	}
}
