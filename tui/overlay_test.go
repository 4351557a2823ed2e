package tui

import (
	"testing"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// stubOverlay is an overlay that records what reached it.
type stubOverlay struct {
	at     layer
	name   string
	km     help.KeyMap
	closed bool
	got    []tea.Msg
}

func (o *stubOverlay) layer() layer               { return o.at }
func (o *stubOverlay) update(msg tea.Msg) tea.Cmd { o.got = append(o.got, msg); return nil }
func (o *stubOverlay) draw(*screen)               {}
func (o *stubOverlay) keys() help.KeyMap          { return o.km }
func (o *stubOverlay) done() bool                 { return o.closed }

// stubPaster is a stubOverlay with a text field.
type stubPaster struct{ stubOverlay }

func (o *stubPaster) paste(m tea.PasteMsg) tea.Cmd { o.got = append(o.got, m); return nil }

func names(st overlayStack) string {
	s := ""
	for _, o := range st {
		switch o := o.(type) {
		case *stubOverlay:
			s += o.name + " "
		case *stubPaster:
			s += o.name + " "
		}
	}
	return s
}

func TestOverlayStackKeepsLayerOrder(t *testing.T) {
	var st overlayStack
	palette := &stubPaster{stubOverlay{at: layerPalette, name: "palette", km: &stubKeys{}}}
	quit := &stubOverlay{at: layerQuit, name: "quit", km: &stubKeys{}}
	bye := &stubOverlay{at: layerGoodbye, name: "bye"}
	full := &stubOverlay{at: layerHelp, name: "help"}
	st.push(quit)
	st.push(bye)
	st.push(palette) // arrives last, stays under the more urgent ones
	st.push(full)
	if got := names(st); got != "palette help quit bye " {
		t.Fatalf("order %q", got)
	}
	if st.top() != bye {
		t.Fatal("the goodbye is not on top")
	}
	// The footer shows the keys of the topmost overlay that has some.
	if st.keys() != quit.km {
		t.Fatal("keys are not those of the topmost overlay that has some")
	}
	// A paste passes through overlays without a text field.
	if _, ok := st.paste(tea.PasteMsg{Content: "x"}); !ok || len(palette.got) != 1 {
		t.Fatal("the paste did not reach the palette")
	}
	// One overlay per layer: a second quit confirmation replaces the first.
	again := &stubOverlay{at: layerQuit, name: "again"}
	st.push(again)
	if got := names(st); got != "palette help again bye " {
		t.Fatalf("after a second push: %q", got)
	}
	full.closed = true
	st.prune()
	st.drop(layerGoodbye, layerPalette)
	if got := names(st); got != "again " {
		t.Fatalf("after prune and drop: %q", got)
	}
	if _, ok := st.paste(tea.PasteMsg{Content: "x"}); ok {
		t.Fatal("a paste was taken with no text field open")
	}
}

type stubKeys struct{}

func (*stubKeys) ShortHelp() []key.Binding  { return nil }
func (*stubKeys) FullHelp() [][]key.Binding { return nil }

// forcedUser is a fake backend with a user who must change its password first.
func forcedUser(t *testing.T) (*fakeBackend, *harness) {
	t.Helper()
	f := newFakeBackend()
	f.addUser("nina_new", "Nina", core.RoleRoomManager, "temp-pass")
	f.user("nina_new").MustChangePassword = true
	h := newHarness(t, f, "nina_new")
	h.mustSee("You must change your password")
	return f, h
}

func TestQuitQuestionWaitsUnderThePasswordScreen(t *testing.T) {
	f, h := forcedUser(t)
	room := f.addRoom("Busy", core.Grant{})
	f.live = []core.LiveMeeting{liveMeeting(room, f.now(), "Lou")}
	h.a.c.id.Meta.Via = "local"
	// The answer to a q pressed before the password screen came up arrives after it.
	h.send(liveQuitMsg{live: true})
	h.mustSee("You must change your password")
	h.mustNotSee("Meetings are live")
	h.typeText("y") // text in the password field, not a yes to the question
	if h.quit {
		t.Fatal("y answered a question the user could not see")
	}
	h.changePassword("temp-pass", "fresh-pass")
	h.mustSee("Meetings are live; quit and end them?")
	h.key("n")
	h.mustSee("1 Rooms")
	if h.quit {
		t.Fatal("n quit")
	}
}

func TestGoodbyeStaysOverLateAnswers(t *testing.T) {
	f, h := forcedUser(t)
	h.send(eventMsg(core.Event{Type: core.EventUserDeleted, UserID: "nina_new"}))
	h.mustSee("Your user was deleted")
	// A principal looked up before the deletion still arrives.
	p, err := f.UserPrincipal(t.Context(), "nina_new", core.RequestMeta{})
	if err != nil {
		t.Fatal(err)
	}
	h.send(principalMsg{p: p})
	h.send(liveQuitMsg{live: true})
	h.mustSee("Your user was deleted")
	h.mustNotSee("You must change", "Meetings are live")
	h.send(pasteMsg("text"))
	h.key("x")
	if !h.quit {
		t.Fatal("a key did not quit after the goodbye")
	}
}

func TestPasteReachesTheFormUnderTheTooSmallNotice(t *testing.T) {
	f := newFakeBackend()
	h := newHarness(t, f, "admin")
	h.key("n")
	h.mustSee("New room")
	h.send(tea.WindowSizeMsg{Width: 40, Height: 10})
	h.mustSee("Terminal too small")
	h.send(pasteMsg("Pasted name"))
	h.key("q") // a form is open: q is not quit, and typed keys wait for room
	if h.quit {
		t.Fatal("q quit over an open form")
	}
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	h.mustSee("New room", "Pasted name")
	h.mustNotSee("Pasted nameq")
}
