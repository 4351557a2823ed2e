package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"conclave/conclavetest"
	"conclave/core"
	"conclave/db"
)

// newService builds a real core over SQLite in a temp dir, with the root admin.
func newService(t testing.TB) (*core.Service, *db.DB) {
	t.Helper()
	return conclavetest.Core(t, conclavetest.Config{PublicURL: "http://meet.test"})
}

// asAdmin is the root admin's principal, for arranging data through core.
func asAdmin(t testing.TB, svc *core.Service) *core.Principal {
	t.Helper()
	p, err := svc.UserPrincipal(context.Background(), core.RootAdminID, core.RequestMeta{Via: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// addUser creates a user and, unless mustChange, clears its forced password change.
func addUser(t testing.TB, svc *core.Service, id, role string, mustChange bool) *core.Principal {
	t.Helper()
	ctx := context.Background()
	if _, err := svc.CreateUser(ctx, asAdmin(t, svc), core.NewUser{UserID: id, Name: strings.ToUpper(id[:1]) + id[1:], Role: role, Password: "temp-pass"}); err != nil {
		t.Fatal(err)
	}
	p, err := svc.UserPrincipal(ctx, id, core.RequestMeta{Via: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if !mustChange {
		if _, err := svc.ChangePassword(ctx, p, "temp-pass", "real-pass"); err != nil {
			t.Fatal(err)
		}
		if p, err = svc.UserPrincipal(ctx, id, core.RequestMeta{Via: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func addRoom(t testing.TB, svc *core.Service, p *core.Principal, name string) *core.Room {
	t.Helper()
	r, err := svc.CreateRoom(context.Background(), p, core.RoomOptions{RoomName: &name})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// harness drives the app model directly: it runs every command synchronously and feeds
// the messages back, so a test sees the state after all the work a key started. The
// backend is core over SQLite (newService) or, for tests that need only canned data, a
// fakeBackend.
type harness struct {
	t         testing.TB
	backend   Backend
	a         *app
	sub       *core.Subscription
	clipboard string
	quit      bool
}

func newHarness(t testing.TB, backend Backend, userID string) *harness {
	t.Helper()
	return newHarnessWith(t, backend, userID, Options{NoColor: true, HTTPAddr: ":8080", SSHAddr: ":2222", BaseURL: "http://meet.test/meet"})
}

// newHarnessWith is newHarness with the given options.
func newHarnessWith(t testing.TB, backend Backend, userID string, opts Options) *harness {
	t.Helper()
	a := newApp(backend, Identity{UserID: userID, Meta: core.RequestMeta{Via: "test", Source: "127.0.0.1"}}, opts)
	// Flashes never expire in model tests: a test never waits for a timer.
	a.c.tick = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }
	h := &harness{t: t, backend: backend, a: a, sub: backend.Bus().Subscribe(1024)}
	t.Cleanup(h.sub.Close)
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	h.run(a.resolve())
	return h
}

func (h *harness) send(msg tea.Msg) {
	h.t.Helper()
	_, cmd := h.a.Update(msg)
	h.run(cmd)
}

// run executes cmd and everything it leads to.
func (h *harness) run(cmd tea.Cmd) {
	h.t.Helper()
	queue := []tea.Cmd{cmd}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 10000 {
			h.t.Fatal("commands do not settle")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := c()
		switch m := msg.(type) {
		case nil:
			continue
		case tea.BatchMsg:
			queue = append(queue, m...)
			continue
		case tea.QuitMsg:
			h.quit = true
			continue
		}
		// A panic in a command (a call a fakeBackend lacks, say) would only show as a
		// flash; it is a bug, so the test fails on it.
		if f, ok := msg.(flashMsg); ok && strings.HasPrefix(f.text, "Internal error") {
			h.t.Fatalf("%s (with a fakeBackend: a call it does not provide?)", f.text)
		}
		if t := fmt.Sprintf("%T", msg); t == "tea.setClipboardMsg" {
			h.clipboard = fmt.Sprint(msg)
			continue
		}
		_, next := h.a.Update(msg)
		queue = append(queue, next)
	}
}

// pump delivers the bus events published so far, as the event feed would.
func (h *harness) pump() {
	h.t.Helper()
	for {
		select {
		case e := <-h.sub.C:
			h.send(eventMsg(e))
		default:
			return
		}
	}
}

// key types one key: a name ("enter", "esc", "ctrl+c", "shift+tab", "up") or a character.
func (h *harness) key(k string) {
	h.t.Helper()
	h.send(keyMsg(k))
	h.pump()
}

// typeText types each character of s.
func (h *harness) typeText(s string) {
	h.t.Helper()
	for _, r := range s {
		h.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	h.pump()
}

// changePassword fills in the open change-password form, clearing what the current
// password field holds, and submits it.
func (h *harness) changePassword(current, next string) {
	h.t.Helper()
	h.key("ctrl+u")
	h.typeText(current)
	h.key("tab")
	h.typeText(next)
	h.key("tab")
	h.typeText(next)
	h.key("enter")
}

func keyMsg(k string) tea.KeyPressMsg {
	special := map[string]tea.KeyPressMsg{
		"enter":     {Code: tea.KeyEnter},
		"esc":       {Code: tea.KeyEscape},
		"tab":       {Code: tea.KeyTab},
		"shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift},
		"up":        {Code: tea.KeyUp},
		"down":      {Code: tea.KeyDown},
		"left":      {Code: tea.KeyLeft},
		"right":     {Code: tea.KeyRight},
		"space":     {Code: tea.KeySpace, Text: " "},
		"backspace": {Code: tea.KeyBackspace},
		"pgdown":    {Code: tea.KeyPgDown},
		"pgup":      {Code: tea.KeyPgUp},
		"ctrl+c":    {Code: 'c', Mod: tea.ModCtrl},
		"ctrl+s":    {Code: 's', Mod: tea.ModCtrl},
		"ctrl+u":    {Code: 'u', Mod: tea.ModCtrl},
	}
	if m, ok := special[k]; ok {
		return m
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// view is the screen without styling.
func (h *harness) view() string { return ansi.Strip(h.a.View().Content) }

func (h *harness) mustSee(want ...string) {
	h.t.Helper()
	v := h.view()
	for _, w := range want {
		if !strings.Contains(v, w) {
			h.t.Fatalf("screen lacks %q:\n%s", w, v)
		}
	}
}

func (h *harness) mustNotSee(unwanted ...string) {
	h.t.Helper()
	v := h.view()
	for _, w := range unwanted {
		if strings.Contains(v, w) {
			h.t.Fatalf("screen shows %q:\n%s", w, v)
		}
	}
}

// footerLine is the last line of the screen: the short help.
func (h *harness) footerLine() string {
	lines := strings.Split(h.view(), "\n")
	return lines[len(lines)-1]
}

func pasteMsg(s string) tea.PasteMsg { return tea.PasteMsg{Content: s} }
