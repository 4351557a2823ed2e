package core

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"unicode/utf8"
)

// The rooms' appearance (OpenVidu Meet 3.9's config/rooms/appearance): the themes the
// browser client applies to every room's pages. OpenVidu Meet keeps one theme at most.

// settingAppearance is the settings key of the rooms' appearance, stored as JSON.
const settingAppearance = "rooms.appearance"

// Theme base modes.
const (
	ThemeLight = "light"
	ThemeDark  = "dark"
)

// RoomTheme is one theme: a light or dark base and optional colours (#RGB or #RRGGBB).
type RoomTheme struct {
	Name            string `json:"name"`
	Enabled         bool   `json:"enabled"`
	BaseTheme       string `json:"baseTheme"`
	BackgroundColor string `json:"backgroundColor,omitempty"`
	PrimaryColor    string `json:"primaryColor,omitempty"`
	SecondaryColor  string `json:"secondaryColor,omitempty"`
	AccentColor     string `json:"accentColor,omitempty"`
	SurfaceColor    string `json:"surfaceColor,omitempty"`
}

// RoomsAppearance is the appearance of every room: no theme (the client's own colours)
// or one.
type RoomsAppearance struct {
	Themes []RoomTheme `json:"themes"`
}

var hexColour = regexp.MustCompile(`^#([A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})$`)

// RoomsAppearance returns the rooms' appearance. It is no secret: every page of the
// browser client reads it, the anonymous guest's included.
func (s *Service) RoomsAppearance(ctx context.Context) (RoomsAppearance, error) {
	a := RoomsAppearance{Themes: []RoomTheme{}}
	v, err := s.store.GetSetting(ctx, settingAppearance)
	if errors.Is(err, ErrNoRows) {
		return a, nil
	}
	if err != nil {
		return a, internal("load rooms appearance", err)
	}
	if err := json.Unmarshal([]byte(v), &a); err != nil {
		return RoomsAppearance{Themes: []RoomTheme{}}, internal("decode rooms appearance", err)
	}
	if a.Themes == nil {
		a.Themes = []RoomTheme{}
	}
	return a, nil
}

// SetRoomsAppearance replaces the rooms' appearance (admins). It is checked as OpenVidu
// Meet checks it (one theme, a name of 1–50 characters, base light or dark, hex colours),
// persisted and audited, and applies to pages opened afterwards.
func (s *Service) SetRoomsAppearance(ctx context.Context, p *Principal, a RoomsAppearance) (RoomsAppearance, error) {
	if err := p.requireAdmin(); err != nil {
		return RoomsAppearance{}, err
	}
	var v validator
	if len(a.Themes) != 1 {
		v.add("appearance.themes", "must hold exactly one theme")
	}
	for i, t := range a.Themes {
		at := func(f string) string { return "appearance.themes[" + strconv.Itoa(i) + "]." + f }
		if n := utf8.RuneCountInString(t.Name); n < 1 || n > 50 {
			v.add(at("name"), "must be 1 to 50 characters")
		}
		if t.BaseTheme != ThemeLight && t.BaseTheme != ThemeDark {
			v.add(at("baseTheme"), "must be light or dark")
		}
		for _, c := range []struct{ field, value string }{
			{"backgroundColor", t.BackgroundColor}, {"primaryColor", t.PrimaryColor},
			{"secondaryColor", t.SecondaryColor}, {"accentColor", t.AccentColor}, {"surfaceColor", t.SurfaceColor},
		} {
			if c.value != "" && !hexColour.MatchString(c.value) {
				v.add(at(c.field), "must be a hex colour such as #1F5FD6 or #FFF")
			}
		}
	}
	if err := v.err(); err != nil {
		return RoomsAppearance{}, err
	}
	b, err := json.Marshal(a)
	if err != nil {
		return RoomsAppearance{}, internal("encode rooms appearance", err)
	}
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.PutSetting(ctx, settingAppearance, string(b)); err != nil {
			return internal("save rooms appearance", err)
		}
		return s.auditAs(ctx, tx, p, "settings.roomsAppearance", "server", a)
	})
	if err != nil {
		return RoomsAppearance{}, err
	}
	s.bus.Publish(Event{Type: EventSettingsChanged})
	return a, nil
}
