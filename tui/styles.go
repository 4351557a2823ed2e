package tui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	"charm.land/lipgloss/v2"
)

// styles is the theme. Colours are ANSI256 indexes, which every terminal the control
// room meets (local, PuTTY, tmux over SSH) renders the same; the renderer downsamples
// further when the terminal has fewer colours. With NoColor every style keeps only
// attributes (bold, reverse), so the selection stays visible without colour.
type styles struct {
	brand       lipgloss.Style
	tabActive   lipgloss.Style
	tabInactive lipgloss.Style

	title    lipgloss.Style
	header   lipgloss.Style
	selected lipgloss.Style
	dim      lipgloss.Style
	label    lipgloss.Style
	value    lipgloss.Style
	on       lipgloss.Style
	off      lipgloss.Style
	errText  lipgloss.Style

	flashInfo  lipgloss.Style
	flashWarn  lipgloss.Style
	flashError lipgloss.Style
	status     lipgloss.Style

	dialog  lipgloss.Style
	focused lipgloss.Style
	button  lipgloss.Style
	buttonF lipgloss.Style

	help  help.Styles
	input textinput.Styles
}

// newStyles builds the theme for a dark or light background, or without colour.
func newStyles(dark, noColor bool) *styles {
	plain := lipgloss.NewStyle()
	if noColor {
		s := &styles{
			brand:       plain.Bold(true),
			tabActive:   plain.Bold(true).Reverse(true),
			tabInactive: plain,
			title:       plain.Bold(true),
			header:      plain.Bold(true),
			selected:    plain.Reverse(true),
			dim:         plain,
			label:       plain,
			value:       plain,
			on:          plain,
			off:         plain,
			errText:     plain.Bold(true),
			flashInfo:   plain,
			flashWarn:   plain.Bold(true),
			flashError:  plain.Bold(true),
			status:      plain,
			dialog:      plain.Border(lipgloss.RoundedBorder()).Padding(0, 1),
			focused:     plain.Bold(true),
			button:      plain,
			buttonF:     plain.Reverse(true),
		}
		s.help = help.Styles{ShortKey: plain.Bold(true), ShortDesc: plain, ShortSeparator: plain,
			Ellipsis: plain, FullKey: plain.Bold(true), FullDesc: plain, FullSeparator: plain}
		s.input = inputStyles(plain, plain, nil)
		return s
	}
	pick := lipgloss.LightDark(dark)
	c := func(light, darkc string) color.Color { return pick(lipgloss.Color(light), lipgloss.Color(darkc)) }
	accent := c("25", "111")
	dimC := c("243", "245")
	errC := c("160", "203")
	warnC := c("130", "214")
	okC := c("28", "114")
	selBg := c("153", "238")
	selFg := c("16", "255")
	tabBg := c("25", "62")
	tabFg := c("231", "230")
	s := &styles{
		brand:       plain.Bold(true).Foreground(accent),
		tabActive:   plain.Bold(true).Foreground(tabFg).Background(tabBg),
		tabInactive: plain.Foreground(dimC),
		title:       plain.Bold(true).Foreground(accent),
		header:      plain.Bold(true).Foreground(accent),
		selected:    plain.Foreground(selFg).Background(selBg).Bold(true),
		dim:         plain.Foreground(dimC),
		label:       plain.Foreground(dimC),
		value:       plain,
		on:          plain.Foreground(okC),
		off:         plain.Foreground(dimC),
		errText:     plain.Foreground(errC),
		flashInfo:   plain.Foreground(okC),
		flashWarn:   plain.Foreground(warnC).Bold(true),
		flashError:  plain.Foreground(errC).Bold(true),
		status:      plain.Foreground(dimC),
		dialog:      plain.Border(lipgloss.RoundedBorder()).BorderForeground(accent).Padding(0, 1),
		focused:     plain.Bold(true).Foreground(accent),
		button:      plain.Foreground(dimC),
		buttonF:     plain.Bold(true).Foreground(tabFg).Background(tabBg),
	}
	s.help = help.Styles{
		ShortKey: plain.Foreground(accent), ShortDesc: plain.Foreground(dimC), ShortSeparator: plain.Foreground(dimC),
		Ellipsis: plain.Foreground(dimC), FullKey: plain.Foreground(accent), FullDesc: plain.Foreground(dimC),
		FullSeparator: plain.Foreground(dimC),
	}
	s.input = inputStyles(plain, plain.Foreground(dimC), accent)
	return s
}

// inputStyles themes text inputs. The cursor does not blink: a blinking cursor redraws
// the screen twice a second, which over SSH (and in recorded sessions) is noise.
func inputStyles(text, placeholder lipgloss.Style, cursor color.Color) textinput.Styles {
	st := textinput.StyleState{Text: text, Placeholder: placeholder, Suggestion: placeholder, Prompt: text}
	s := textinput.Styles{Focused: st, Blurred: st}
	s.Cursor.Color = cursor
	s.Cursor.Blink = false
	return s
}
