package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"conclave/conclavetest"
)

// recordTwoPeople records a room on a running server: Ann publishes real VP8 and Opus
// from before the start, Ben joins about two seconds in; the recording is stopped a few
// seconds later and returned once complete.
func recordTwoPeople(t *testing.T, base, admin string) (id, roomID string) {
	t.Helper()
	room := call(t, "POST", base+"/api/v1/rooms", admin, map[string]any{"roomName": "Played back"}, 201)
	roomID, _ = room["roomId"].(string)
	link, _ := room["access"].(map[string]any)["anonymous"].(map[string]any)["speaker"].(map[string]any)["url"].(string)
	secret := link[strings.Index(link, "secret=")+len("secret="):]
	ivf, ogg := conclavetest.Sources(t, 10)
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	ws := "ws" + strings.TrimPrefix(base, "http") + "/ws?token="
	join := func(name string) {
		tok := call(t, "POST", base+"/internal-api/v1/rooms/"+roomID+"/members/token", "",
			map[string]any{"secret": secret, "joinMeeting": true, "participantName": name}, 200)["token"].(string)
		c, _ := conclavetest.JoinOverWS(t, ws+url.QueryEscape(tok), name, nil)
		conclavetest.PublishFiles(t, c, ivf, ogg, stop)
	}
	join("Ann")
	time.Sleep(time.Second)
	rec := call(t, "POST", base+"/api/v1/recordings", admin, map[string]any{"roomId": roomID}, 201)
	id, _ = rec["recordingId"].(string)
	time.Sleep(2 * time.Second)
	join("Ben")
	time.Sleep(4 * time.Second)
	call(t, "POST", base+"/api/v1/recordings/"+id+"/stop", admin, nil, 202)
	deadline := time.Now().Add(15 * time.Second)
	for rec["status"] != "complete" {
		if time.Now().After(deadline) {
			t.Fatalf("the recording is %v, not complete: %v", rec["status"], rec)
		}
		time.Sleep(100 * time.Millisecond)
		rec = call(t, "GET", base+"/api/v1/recordings/"+id, admin, nil, 200)
	}
	if streams, _ := rec["streams"].([]any); len(streams) != 2 {
		t.Fatalf("the recording has streams %v, want Ann's and Ben's", rec["streams"])
	}
	return id, roomID
}

// signInOnPage fills the player's sign-in form.
func (b *browser) signInOnPage(user, password string) {
	b.t.Helper()
	b.waitState("signin")
	b.run("signing in", chromedp.SendKeys(chromedp.CSS(`#signin-user`), user),
		chromedp.SendKeys(chromedp.CSS(`#signin-password`), password), chromedp.Click(chromedp.CSS(`#form-submit`)))
}

// TestBrowserPlayer plays a real two-stream recording in the player page: both streams'
// video frames are decoded and their audio reaches the page, the streams keep to one
// clock, a click on the timeline seeks every stream there, and the pages for no right and
// for an unknown recording say so. It logs the player's start time (navigation to the
// first frame) over a few loads.
func TestBrowserPlayer(t *testing.T) {
	exe := needChromium(t)
	conclavetest.NeedFFmpeg(t)
	dir := t.TempDir()
	base, _ := startServer(t, testConfig(t, dir))
	login := call(t, "POST", base+"/internal-api/v1/auth/login", "", map[string]any{"userId": "admin", "password": "admin"}, 200)
	admin, _ := login["accessToken"].(string)
	id, roomID := recordTwoPeople(t, base, admin)
	page := base + "/recording/" + id
	// Who spoke when, as the recorder writes it from the audio level the publishers send
	// (these Pion publishers send none): Ann twice, Ben never.
	manifest := filepath.Join(dir, "recordings", roomID, strings.TrimPrefix(id, roomID+"--"), "manifest.json")
	var m map[string]any
	if b, err := os.ReadFile(manifest); err != nil || json.Unmarshal(b, &m) != nil {
		t.Fatalf("reading the manifest: %v", err)
	}
	people, _ := m["participants"].([]any)
	if len(people) != 2 {
		t.Fatalf("manifest participants %v", m["participants"])
	}
	people[0].(map[string]any)["speaking"] = [][2]float64{{0.5, 1.5}, {3, 4}}
	delete(people[1].(map[string]any), "speaking")
	if b, err := json.Marshal(m); err != nil || os.WriteFile(manifest, b, 0o600) != nil {
		t.Fatalf("writing the manifest: %v", err)
	}

	v := newBrowser(t, exe, "Viewer")
	v.run("opening the player", chromedp.Navigate(page))
	v.signInOnPage("admin", "admin")
	v.waitState("player")

	// Two tiles with the participants' names, Ben's hidden until he joined; a timeline
	// row for each; a download link (the admin may download).
	names := eval[[]string](v, "reading tile names", `[...document.querySelectorAll('#grid .tile .tile-name')].map(e => e.textContent.trim())`)
	if !slices.Equal(names, []string{"Ann", "Ben"}) {
		t.Fatalf("tiles %v, want Ann and Ben", names)
	}
	offsets := eval[[]float64](v, "reading offsets", `conclavePlayer.data.streams.map(s => s.offset)`)
	duration := eval[float64](v, "reading the duration", `conclavePlayer.data.duration`)
	if offsets[1] < 1 || offsets[1] > duration-2 {
		t.Fatalf("Ben's stream starts at %vs of %vs", offsets[1], duration)
	}
	if ph := eval[string](v, "reading Ben's tile", `document.querySelector('.tile[data-index="1"]').dataset.phase`); ph != "before" {
		t.Fatalf("at the start Ben's tile is %q, want before", ph)
	}
	if note := v.text(`.tile[data-index="1"] .tile-note`); !strings.Contains(note, "Ben joins at") {
		t.Fatalf("Ben's tile says %q before he joined", note)
	}
	if rows := eval[int](v, "counting timeline rows", `document.querySelectorAll('#timeline .tl-row').length`); rows != 2 {
		t.Fatalf("%d timeline rows", rows)
	}
	spoke := eval[[]int](v, "counting speaking bars", `[...document.querySelectorAll('#timeline .tl-row')].map(r => r.querySelectorAll('.tl-speaking').length)`)
	if !slices.Equal(spoke, []int{2, 0}) {
		t.Fatalf("speaking bars per row %v, want Ann 2 and Ben 0", spoke)
	}
	if said := v.text(`#timeline .tl-row:first-child .visually-hidden`); !strings.Contains(said, "Spoke 2 seconds in all: 0:00 to 0:01, 0:03 to 0:04") {
		t.Fatalf("Ann's row reads %q", said)
	}
	if href := eval[string](v, "reading the download link", `document.querySelector('#download').getAttribute('href')`); href != "/meet/api/v1/recordings/"+id+"/download" {
		t.Fatalf("download link %q", href)
	}

	// Tap each video's audio and play: both decode frames and both give sound.
	eval[bool](v, "tapping the audio", `(() => {
		const ctx = new AudioContext();
		window.taps = conclavePlayer.videos.map(v => {
			const an = ctx.createAnalyser();
			an.fftSize = 2048;
			const src = ctx.createMediaElementSource(v);
			src.connect(an); an.connect(ctx.destination);
			return { an, peak: 0 };
		});
		const buf = new Float32Array(2048);
		setInterval(() => { for (const t of taps) { t.an.getFloatTimeDomainData(buf); for (const x of buf) t.peak = Math.max(t.peak, Math.abs(x)); } }, 50);
		ctx.resume();
		return true;
	})()`)
	v.run("pressing play", chromedp.Click(chromedp.CSS(`#play`)))
	const media = `[...conclavePlayer.videos.map(v => v.getVideoPlaybackQuality().totalVideoFrames), ...taps.map(t => t.peak)]`
	var got []float64
	for deadline := time.Now().Add(e2eWait); ; time.Sleep(200 * time.Millisecond) {
		got = eval[[]float64](v, "reading frames and peaks", media)
		if got[0] > 10 && got[1] > 10 && got[2] > 0.01 && got[3] > 0.01 {
			break
		}
		if time.Now().After(deadline) {
			diag := eval[string](v, "diag", `JSON.stringify({dec: conclavePlayer.videos.map(v => [v.webkitDecodedFrameCount, v.videoWidth, v.readyState, v.currentTime, v.paused]), timing: conclavePlayer.timing})`)
			t.Fatalf("frames decoded %v and audio peaks %v: want both streams' video and sound; %s", got[:2], got[2:], diag)
		}
	}
	t.Logf("frames decoded %v, audio peaks %v", got[:2], got[2:])
	// On one clock: each playing video is where the clock says, give or take the drift
	// the player corrects.
	drift := eval[float64](v, "measuring drift", `(() => {
		const t = conclavePlayer.clock.now();
		let worst = 0;
		conclavePlayer.data.streams.forEach((s, i) => {
			const local = t - s.offset;
			if (local > 0.2 && local < s.duration - 0.2) worst = Math.max(worst, Math.abs(conclavePlayer.videos[i].currentTime - local));
		});
		return worst;
	})()`)
	t.Logf("worst drift from the master clock while playing: %.3fs", drift)
	if drift > 0.6 {
		t.Errorf("a stream is %.3fs off the master clock", drift)
	}

	// Pause, then click the timeline at three quarters: every stream goes there.
	v.run("pausing", chromedp.Click(chromedp.CSS(`#play`)))
	seekTo := func(frac float64) float64 {
		t.Helper()
		xy := eval[[]float64](v, "locating the timeline", `(() => {
			const r = document.querySelector('#timeline .tl-row .tl-track').getBoundingClientRect();
			return [r.left + r.width * `+ftoa(frac)+`, r.top + r.height / 2];
		})()`)
		v.run("clicking the timeline", chromedp.MouseClickXY(xy[0], xy[1]))
		return frac * duration
	}
	target := seekTo(0.75)
	v.waitJS("every stream at the clicked position", `(() => {
		const target = `+ftoa(target)+`;
		if (Math.abs(conclavePlayer.clock.now() - target) > 0.5) return false;
		return conclavePlayer.data.streams.every((s, i) => {
			const v = conclavePlayer.videos[i];
			return !v.seeking && Math.abs(v.currentTime - (target - s.offset)) <= 0.5;
		});
	})()`)
	// Playing, a click before Ben joined takes Ann back there and hides Ben.
	v.run("playing again", chromedp.Click(chromedp.CSS(`#play`)))
	target = seekTo(offsets[1] / duration / 2)
	v.waitJS("Ann back, Ben not there yet", `(() => {
		const t = conclavePlayer.clock.now(), a = conclavePlayer.videos[0];
		return Math.abs(a.currentTime - t) <= 0.5 && Math.abs(t - `+ftoa(target)+`) <= 0.5 &&
			document.querySelector('.tile[data-index="1"]').dataset.phase === 'before';
	})()`)

	// From the keyboard: Home, then the right arrow, takes every stream 5 s in.
	v.run("pausing", chromedp.Click(chromedp.CSS(`#play`)))
	v.run("seeking from the keyboard", chromedp.Focus(chromedp.CSS(`#seek`)), chromedp.KeyEvent(kb.Home), chromedp.KeyEvent(kb.ArrowRight))
	v.waitJS("every stream 5 s in", `(() => {
		const target = Math.min(5, conclavePlayer.data.duration);
		if (Math.abs(conclavePlayer.clock.now() - target) > 0.01) return false;
		return conclavePlayer.data.streams.every((s, i) => {
			const v = conclavePlayer.videos[i];
			return !v.seeking && Math.abs(v.currentTime - Math.max(0, Math.min(target - s.offset, s.duration - 0.05))) <= 0.5;
		});
	})()`)

	// The tile of whoever speaks is outlined: Ann from 3 s to 4 s, Ben never.
	eval[bool](v, "seeking to 3.5 s", `(conclavePlayer.seekTo(3.5), true)`)
	v.waitJS("Ann's tile outlined, Ben's not", `document.querySelector('.tile[data-index="0"]').classList.contains('speaking') && !document.querySelector('.tile[data-index="1"]').classList.contains('speaking')`)
	eval[bool](v, "seeking to 2.5 s", `(conclavePlayer.seekTo(2.5), true)`)
	v.waitJS("nobody outlined", `document.querySelectorAll('.tile.speaking').length === 0`)

	// Phone and desktop: nothing wider than the screen at 390×844; the two tiles side by
	// side at 1280×720.
	v.run("phone size", chromedp.EmulateViewport(390, 844))
	if w := eval[[]int](v, "measuring the page", `[document.documentElement.scrollWidth, document.documentElement.clientWidth]`); w[0] > w[1] {
		t.Errorf("at 390 px wide the page is %d px wide in a %d px window", w[0], w[1])
	}
	v.run("desktop size", chromedp.EmulateViewport(1280, 720))
	if side := eval[bool](v, "placing the tiles", `(() => {
		const [a, b] = [...document.querySelectorAll('#grid .tile')].map(e => e.getBoundingClientRect());
		return Math.abs(a.top - b.top) < 2 && b.left >= a.right;
	})()`); !side {
		t.Error("at 1280×720 the two tiles are not side by side")
	}

	// Start time: navigation to the first frame shown, signed in, over a few loads.
	var starts []time.Duration
	for i := 0; i < 5; i++ {
		v.run("loading the player again", chromedp.Navigate(page))
		v.waitJS("the first frame", `!!window.conclavePlayer && window.conclavePlayer.timing.firstFrame !== undefined`)
		ms := eval[float64](v, "reading the start time", `conclavePlayer.timing.firstFrame`)
		starts = append(starts, time.Duration(ms*float64(time.Millisecond)))
	}
	slices.Sort(starts)
	t.Logf("player start (navigation to first frame), 5 loads: %v; median %v", starts, starts[len(starts)/2])

	// Someone with no right to the room's recordings, and a recording that does not exist.
	call(t, "POST", base+"/api/v1/users", admin, map[string]any{"userId": "nora_viewer", "name": "Nora", "role": "room_member", "password": "nora-first-pw"}, 201)
	nl := call(t, "POST", base+"/internal-api/v1/auth/login", "", map[string]any{"userId": "nora_viewer", "password": "nora-first-pw"}, 200)
	call(t, "POST", base+"/internal-api/v1/users/change-password", nl["accessToken"].(string), map[string]any{"currentPassword": "nora-first-pw", "newPassword": "nora-final-pw"}, 200)
	n := newBrowser(t, exe, "Nora")
	n.run("opening the player", chromedp.Navigate(page))
	n.signInOnPage("nora_viewer", "nora-final-pw")
	n.waitState("denied")
	if title := n.text(`#notice-title`); !strings.Contains(title, "may not watch") {
		t.Fatalf("the no-right page says %q", title)
	}
	if videos := eval[int](n, "counting videos", `document.querySelectorAll('video').length`); videos != 0 {
		t.Fatalf("the no-right page has %d videos", videos)
	}
	// She may sign in as someone who may watch, from that page.
	n.run("signing in as someone else", chromedp.Click(chromedp.Search(`//button[contains(., "Sign in as someone else")]`)))
	n.signInOnPage("admin", "admin")
	n.waitState("player")
	n.run("opening a recording that does not exist", chromedp.Navigate(base+"/recording/"+roomID+"--nosuchrecording"))
	n.waitState("notfound")
	if title := n.text(`#notice-title`); !strings.Contains(title, "not found") {
		t.Fatalf("the not-found page says %q", title)
	}

	// The room's recording link (as its recordings page links to the player) plays, lists
	// the room's recordings, and does not download (speakers may not, by default); a
	// wrong secret says the link is not valid.
	room := call(t, "GET", base+"/api/v1/rooms/"+roomID, admin, nil, 200)
	recURL, _ := room["access"].(map[string]any)["anonymous"].(map[string]any)["recording"].(map[string]any)["url"].(string)
	secret := recURL[strings.Index(recURL, "secret=")+len("secret="):]
	n.run("opening the player with the recording link's secret", chromedp.Navigate(page+"?secret="+url.QueryEscape(secret)))
	n.waitState("player")
	if got := eval[[]bool](n, "reading what the link allows", `[!!document.querySelector('#download'), !!document.querySelector('#others, #others-none')]`); got[0] || !got[1] {
		t.Fatalf("with the recording link: download shown %v, other recordings shown %v", got[0], got[1])
	}
	n.run("a wrong secret", chromedp.Navigate(page+"?secret=not-the-secret"))
	n.waitState("invalid")
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 3, 64) }

// TestBrowserPlayerShareLink opens a password-protected, view-only share link in a browser
// with no account: the password form, a wrong password refused, the right one playing the
// recording without a download, and the revoked page once the link is revoked. It runs
// where the share-link endpoints (docs/recording-access.md) are built in.
func TestBrowserPlayerShareLink(t *testing.T) {
	exe := needChromium(t)
	conclavetest.NeedFFmpeg(t)
	base, _ := startServer(t, testConfig(t, t.TempDir()))
	login := call(t, "POST", base+"/internal-api/v1/auth/login", "", map[string]any{"userId": "admin", "password": "admin"}, 200)
	admin, _ := login["accessToken"].(string)
	if !sharesRouted(t, base, admin) {
		t.Skip("this build has no share-link endpoints (they come with the recording-access work)")
	}
	id, _ := recordTwoPeople(t, base, admin)
	link := call(t, "POST", base+"/api/v1/recordings/"+id+"/shares", admin, map[string]any{
		"password": "open sesame", "expiresAt": time.Now().Add(time.Hour).UnixMilli()}, 201)
	linkID, _ := link["linkId"].(string)
	page := localLink(t, base, link["url"].(string))

	g := newBrowser(t, exe, "Guest")
	g.run("opening the link", chromedp.Navigate(page))
	g.waitState("password")
	g.run("a wrong password", chromedp.SendKeys(chromedp.CSS(`#share-password`), "open says me"), chromedp.Click(chromedp.CSS(`#form-submit`)))
	g.waitJS("told it is wrong", `document.body.dataset.state === 'password' && /not right/.test(document.querySelector('#form-error').textContent)`)
	g.run("the right password", chromedp.SendKeys(chromedp.CSS(`#share-password`), "open sesame"), chromedp.Click(chromedp.CSS(`#form-submit`)))
	g.waitState("player")
	if n := eval[int](g, "counting tiles", `document.querySelectorAll('#grid .tile').length`); n != 2 {
		t.Fatalf("the shared recording shows %d tiles", n)
	}
	if dl := eval[bool](g, "looking for a download link", `!!document.querySelector('#download')`); dl {
		t.Fatal("a view-only link offers a download")
	}
	if others := eval[bool](g, "looking for other recordings", `!!document.querySelector('#others, #others-none')`); others {
		t.Fatal("a share link lists the room's other recordings")
	}
	g.run("pressing play", chromedp.Click(chromedp.CSS(`#play`)))
	g.waitJS("Ann's stream decoding", `conclavePlayer.videos[0].getVideoPlaybackQuality().totalVideoFrames > 5`)

	call(t, "DELETE", base+"/api/v1/recordings/"+id+"/shares/"+linkID, admin, nil, 200)
	g.run("opening the revoked link", chromedp.Navigate(page))
	g.waitState("revoked")
	if title := g.text(`#notice-title`); !strings.Contains(title, "revoked") {
		t.Fatalf("the revoked link's page says %q", title)
	}
}

// sharesRouted tells a 404 of an unknown recording from a 404 of an unknown route.
func sharesRouted(t *testing.T, base, token string) bool {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/recordings/nosuch--recording/shares", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Message string }
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return body.Message != "Resource not found"
}
