package web_test

import (
	"net/http"
	"testing"
)

func TestRoomsAppearance(t *testing.T) {
	s := newStack(t)
	admin := s.admin()
	path := "/internal-api/v1/config/rooms/appearance"

	// No theme until an admin sets one; anyone may read it (every page applies it).
	got := s.req("GET", path, nil).want(http.StatusOK).obj()
	if themes := sub(t, got, "appearance")["themes"].([]any); len(themes) != 0 {
		t.Fatalf("themes before any was set: %v", themes)
	}

	theme := map[string]any{"name": "Brand", "enabled": true, "baseTheme": "dark",
		"backgroundColor": "#102030", "primaryColor": "#FF8800", "surfaceColor": "#abc"}
	put := s.req("PUT", path, map[string]any{"appearance": map[string]any{"themes": []any{theme}}}, bearer(admin)).want(http.StatusOK).obj()
	for _, m := range []map[string]any{put, s.req("GET", path, nil).want(http.StatusOK).obj()} {
		themes, _ := sub(t, m, "appearance")["themes"].([]any)
		if len(themes) != 1 {
			t.Fatalf("themes: %v", m)
		}
		th := themes[0].(map[string]any)
		if th["name"] != "Brand" || th["enabled"] != true || th["baseTheme"] != "dark" || th["primaryColor"] != "#FF8800" || th["surfaceColor"] != "#abc" {
			t.Fatalf("theme read back as %v", th)
		}
		if _, ok := th["accentColor"]; ok {
			t.Fatalf("a colour never set is reported: %v", th)
		}
	}

	// Bad input is refused with the field named, and changes nothing.
	for field, body := range map[string]any{
		"appearance":                        map[string]any{},
		"appearance.themes":                 map[string]any{"appearance": map[string]any{"themes": []any{}}},
		"appearance.themes[0].name":         map[string]any{"appearance": map[string]any{"themes": []any{map[string]any{"name": "", "enabled": true, "baseTheme": "light"}}}},
		"appearance.themes[0].baseTheme":    map[string]any{"appearance": map[string]any{"themes": []any{map[string]any{"name": "x", "enabled": true, "baseTheme": "blue"}}}},
		"appearance.themes[0].primaryColor": map[string]any{"appearance": map[string]any{"themes": []any{map[string]any{"name": "x", "enabled": true, "baseTheme": "light", "primaryColor": "red"}}}},
		"appearance.themes[0].enabled":      map[string]any{"appearance": map[string]any{"themes": []any{map[string]any{"name": "x", "enabled": "yes", "baseTheme": "light"}}}},
	} {
		s.req("PUT", path, body, bearer(admin)).wantDetail(field)
	}
	th := sub(t, s.req("GET", path, nil).want(http.StatusOK).obj(), "appearance")["themes"].([]any)[0].(map[string]any)
	if th["name"] != "Brand" {
		t.Fatalf("a refused change changed the theme: %v", th)
	}

	// Only admins change it.
	s.req("PUT", path, map[string]any{"appearance": map[string]any{"themes": []any{theme}}}).wantErr(http.StatusUnauthorized, "")
	mgr := s.user(admin, "manager1", "room_manager")
	s.req("PUT", path, map[string]any{"appearance": map[string]any{"themes": []any{theme}}}, bearer(mgr)).wantErr(http.StatusForbidden, "")
}

func TestCaptionsAreOff(t *testing.T) {
	s := newStack(t)
	got := s.req("GET", "/internal-api/v1/config/captions", nil).want(http.StatusOK).obj()
	wantKeys(t, got, "enabled")
	if got["enabled"] != false {
		t.Fatalf("captions config %v: Conclave has no speech-to-text", got)
	}
}
