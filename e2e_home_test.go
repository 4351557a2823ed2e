package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserFirstContact is a new user's first steps in the browser: an admin created
// it, so it must change its password; it opens its room's link, signs in, changes the
// password and joins. Its home page then lists its rooms (with the meeting it just left
// still live) and not the others', and the rooms' appearance colours every page.
func TestBrowserFirstContact(t *testing.T) {
	exe := needChromium(t)
	base, _ := startServer(t, testConfig(t, t.TempDir()))
	login := call(t, "POST", base+"/internal-api/v1/auth/login", "", map[string]any{"userId": "admin", "password": "admin"}, 200)
	admin, _ := login["accessToken"].(string)
	call(t, "POST", base+"/api/v1/users", admin, map[string]any{"userId": "newbie", "name": "Nina Newbie", "role": "room_member", "password": "temporary1"}, 201)
	room := call(t, "POST", base+"/api/v1/rooms", admin, map[string]any{"roomName": "Team sync"}, 201)
	roomID, _ := room["roomId"].(string)
	other := call(t, "POST", base+"/api/v1/rooms", admin, map[string]any{"roomName": "Board only"}, 201)
	otherID, _ := other["roomId"].(string)
	m := call(t, "POST", base+"/api/v1/rooms/"+roomID+"/members", admin, map[string]any{"userId": "newbie", "baseRole": "speaker"}, 201)
	link, _ := m["accessUrl"].(string)

	nina := newBrowser(t, exe, "Nina")
	nina.run("opening her room link", chromedp.Navigate(localLink(t, base, link)))
	nina.waitState("signin")
	nina.run("signing in with the temporary password",
		chromedp.SendKeys(chromedp.CSS(`#signin-user`), "newbie"),
		chromedp.SendKeys(chromedp.CSS(`#signin-password`), "temporary1"),
		chromedp.Click(chromedp.CSS(`#signin-submit`)))
	nina.waitState("change-password")
	// A new password that does not match its repetition is caught before the server.
	nina.run("mistyping the new password",
		chromedp.SendKeys(chromedp.CSS(`#new-password`), "my-own-pass"),
		chromedp.SendKeys(chromedp.CSS(`#new-password-again`), "my-own-pasz"),
		chromedp.Click(chromedp.CSS(`#password-submit`)))
	nina.waitJS("told the passwords differ", `/differ/.test(document.querySelector('#password-error').textContent)`)
	eval[bool](nina, "clearing the repetition", `(() => { document.querySelector('#new-password-again').value = ''; return true })()`)
	nina.run("changing the password",
		chromedp.SendKeys(chromedp.CSS(`#new-password-again`), "my-own-pass"),
		chromedp.Click(chromedp.CSS(`#password-submit`)))
	nina.waitState("lobby")
	if name := eval[string](nina, "reading the name", `document.querySelector('#name').value`); name != "Nina Newbie" {
		t.Fatalf("the lobby names her %q", name)
	}
	nina.run("joining", chromedp.Click(chromedp.CSS(`#join`)))
	nina.waitState("meeting")
	// The new password is the one that works now.
	call(t, "POST", base+"/internal-api/v1/auth/login", "", map[string]any{"userId": "newbie", "password": "temporary1"}, 404)
	relog := call(t, "POST", base+"/internal-api/v1/auth/login", "", map[string]any{"userId": "newbie", "password": "my-own-pass"}, 200)
	if relog["mustChangePassword"] == true {
		t.Fatal("the password change was not taken")
	}

	// The rooms' appearance: an admin picks a light theme with its own background.
	call(t, "PUT", base+"/internal-api/v1/config/rooms/appearance", admin, map[string]any{"appearance": map[string]any{"themes": []any{
		map[string]any{"name": "Brand", "enabled": true, "baseTheme": "light", "backgroundColor": "#FFEEDD", "primaryColor": "#AA2200"},
	}}}, 200)

	// Her home page, from the same tab: her room, live, and not the room she is not in.
	nina.run("opening the home page", chromedp.Navigate(base+"/"))
	nina.waitState("home")
	row := `#home-rooms li[data-room-id="` + roomID + `"]`
	nina.run("seeing her room", chromedp.WaitVisible(chromedp.CSS(row)))
	nina.waitJS("her room's meeting shown live", `/in progress/i.test(document.querySelector('`+row+`').textContent)`)
	if n := eval[int](nina, "looking for the other room", `document.querySelectorAll('#home-rooms li[data-room-id="`+otherID+`"]').length`); n != 0 {
		t.Fatal("the home page lists a room she may not enter")
	}
	if href := eval[string](nina, "reading the join link", `document.querySelector('`+row+` a').getAttribute('href')`); !strings.HasSuffix(href, "/room/"+roomID) {
		t.Fatalf("the join button leads to %q", href)
	}
	if who := nina.text(`#home-user`); !strings.Contains(who, "Nina Newbie") {
		t.Fatalf("the home page says %q", who)
	}
	bg := eval[string](nina, "reading the page colour", `getComputedStyle(document.body).backgroundColor`)
	if bg != "rgb(255, 238, 221)" {
		t.Fatalf("the page's background is %s, want the theme's #FFEEDD", bg)
	}
	accent := eval[string](nina, "reading the accent", `getComputedStyle(document.querySelector('`+row+` a')).backgroundColor`)
	if accent != "rgb(170, 34, 0)" {
		t.Fatalf("the join button is %s, want the theme's primary #AA2200", accent)
	}

	// Entering from the home page needs no second sign-in.
	nina.run("entering the room", chromedp.Click(chromedp.CSS(row+` a`)))
	nina.waitState("lobby")

	// Signed out, the home page says what Conclave is and how to get in.
	nina.run("back home", chromedp.Navigate(base+"/"))
	nina.waitState("home")
	nina.run("signing out", chromedp.Click(chromedp.CSS(`#home-signout`)))
	nina.waitState("home-visitor")
	if txt := nina.text(`main`); !strings.Contains(txt, "link") || !strings.Contains(txt, "video meeting") {
		t.Fatalf("the visitor's page says %q", txt)
	}

	// The room's recording link opens a page of its recordings (none finished yet).
	recLink, _ := room["access"].(map[string]any)["anonymous"].(map[string]any)["recording"].(map[string]any)["url"].(string)
	nina.run("opening the recording link", chromedp.Navigate(localLink(t, base, recLink)))
	nina.waitState("recordings")
	if txt := nina.text(`main`); !strings.Contains(txt, "Recordings of Team sync") || !strings.Contains(txt, "no finished recording") {
		t.Fatalf("the recordings page says %q", txt)
	}
}
