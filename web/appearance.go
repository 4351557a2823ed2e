package web

import (
	"encoding/json"
	"fmt"
	"net/http"

	"conclave/core"
)

// getRoomsAppearance is GET /internal-api/v1/config/rooms/appearance. Every page of the
// browser client reads it to apply the theme, the anonymous guest's included.
func (s *server) getRoomsAppearance(w http.ResponseWriter, r *http.Request, _ *core.Principal) error {
	a, err := s.svc.RoomsAppearance(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, appearanceJSON(a))
	return nil
}

// putRoomsAppearance is PUT /internal-api/v1/config/rooms/appearance {appearance: {themes}}
// (admins).
func (s *server) putRoomsAppearance(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	var in core.RoomsAppearance
	if app := o.object("appearance", true); app != nil {
		if raw, ok := app.get("themes", true); ok {
			var items []json.RawMessage
			if json.Unmarshal(raw, &items) != nil {
				app.wrongType("themes", "array", raw)
			}
			for i, item := range items {
				t := &obj{path: fmt.Sprintf("appearance.themes[%d]", i), p: o.p}
				if jsonKind(item) != "object" || json.Unmarshal(item, &t.fields) != nil {
					o.p.add(t.path, "Expected object but got %s", jsonKind(item))
					continue
				}
				in.Themes = append(in.Themes, decodeTheme(t))
			}
		}
	}
	if err := o.p.err(); err != nil {
		return err
	}
	a, err := s.svc.SetRoomsAppearance(r.Context(), p, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, appearanceJSON(a))
	return nil
}

func decodeTheme(t *obj) core.RoomTheme {
	var out core.RoomTheme
	str := func(key string, required bool, dst *string) {
		if v := t.str(key, required); v != nil {
			*dst = *v
		}
	}
	str("name", true, &out.Name)
	if v := t.boolean("enabled", true); v != nil {
		out.Enabled = *v
	}
	str("baseTheme", true, &out.BaseTheme)
	str("backgroundColor", false, &out.BackgroundColor)
	str("primaryColor", false, &out.PrimaryColor)
	str("secondaryColor", false, &out.SecondaryColor)
	str("accentColor", false, &out.AccentColor)
	str("surfaceColor", false, &out.SurfaceColor)
	return out
}

func appearanceJSON(a core.RoomsAppearance) object {
	themes := make([]object, 0, len(a.Themes))
	for _, t := range a.Themes {
		o := object{{"name", t.Name}, {"enabled", t.Enabled}, {"baseTheme", t.BaseTheme}}
		for _, c := range []member{
			{"backgroundColor", t.BackgroundColor}, {"primaryColor", t.PrimaryColor},
			{"secondaryColor", t.SecondaryColor}, {"accentColor", t.AccentColor}, {"surfaceColor", t.SurfaceColor},
		} {
			if c.value != "" {
				o = append(o, c)
			}
		}
		themes = append(themes, o)
	}
	return object{{"appearance", object{{"themes", themes}}}}
}

// captionsConfig is GET /internal-api/v1/config/captions: Conclave has no speech-to-text,
// so captions are never enabled (a room's captions.enabled is accepted and has no effect).
func (s *server) captionsConfig(w http.ResponseWriter, _ *http.Request, _ *core.Principal) error {
	writeJSON(w, http.StatusOK, object{{"enabled", false}})
	return nil
}
