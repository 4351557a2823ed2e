package tui

import (
	"context"
	"errors"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"conclave/core"
)

// fieldKind is what a form field holds.
type fieldKind int

const (
	fieldText fieldKind = iota
	fieldSecret
	fieldCheck
	fieldSelect
	fieldNote // a heading or a read-only line, never focused
)

// field is one row of a form. key is the field's name in core's 422 details
// ("roomName", "config.recording.retentionDays"), so core's answer lands next to the
// field that caused it.
type field struct {
	key     string
	label   string
	hint    string
	kind    fieldKind
	input   textinput.Model
	checked bool
	options []string
	labels  []string // what a select shows for each option, when not the option itself
	idx     int
	err     string
	hidden  func(v formValues) bool
}

// formValues is a snapshot of a form, taken in Update and handed to the command that
// submits it: text as typed, "true"/"false" for checkboxes, the option for selects.
type formValues map[string]string

func (v formValues) str(k string) string { return v[k] }
func (v formValues) on(k string) bool    { return v[k] == "true" }
func (v formValues) ptrOn(k string) *bool {
	b := v.on(k)
	return &b
}

// formResultMsg is the answer to a submitted form.
type formResultMsg struct {
	id  int
	ok  string
	err error
}

// submitFunc does the form's work with core; ok is the flash shown on success.
type submitFunc func(ctx context.Context, backend Backend, p *core.Principal) (ok string, err error)

// form is the control room's form: text, password, checkbox and select fields. It is not
// huh's: a form here must keep what was typed when core refuses it and show core's 422
// details beside the fields they name, which a huh form (whose validation runs field by
// field, before submission) cannot do without being rebuilt.
type form struct {
	c      *common
	id     int
	title  string
	fields []*field
	focus  int // index into fields; len(fields) is the submit button
	submit string

	// validate checks locally what core cannot see (a date that does not parse, two
	// passwords that differ); it returns field errors by key.
	validate func(v formValues) map[string]string
	// build turns the values into the core call.
	build func(v formValues) submitFunc
	// errField places an error without details on a field (a wrong current password).
	errField func(err error) string
	// onSuccess runs after a successful submission.
	onSuccess func() tea.Cmd
	// forced forms cannot be cancelled (the password change a new user must make).
	forced bool

	general string
	saving  bool
	keys    struct{ next, prev, toggle, submit, cancel key.Binding }
}

func newForm(c *common, title, submit string, fields []*field) *form {
	f := &form{c: c, title: title, fields: fields, submit: submit}
	c.seq++
	f.id = c.seq
	f.keys.next = key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab/↓", "next field"))
	f.keys.prev = key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab/↑", "previous"))
	f.keys.toggle = key.NewBinding(key.WithKeys("space", "left", "right"), key.WithHelp("space/←→", "toggle/choose"))
	f.keys.submit = key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", strings.ToLower(submit)))
	f.keys.cancel = bind("cancel", "esc")
	for _, fl := range fields {
		if fl.kind == fieldText || fl.kind == fieldSecret {
			fl.input.SetStyles(c.styles.input)
		}
	}
	f.focus = -1
	f.moveFocus(1)
	return f
}

func textField(key, label, value, hint string) *field {
	in := textinput.New()
	in.Prompt = ""
	in.CharLimit = 1024
	in.SetValue(value)
	return &field{key: key, label: label, hint: hint, kind: fieldText, input: in}
}

func secretField(key, label string) *field {
	fl := textField(key, label, "", "")
	fl.kind = fieldSecret
	fl.input.EchoMode = textinput.EchoPassword
	fl.input.EchoCharacter = '•'
	fl.input.CharLimit = 128
	return fl
}

func checkField(key, label string, on bool) *field {
	return &field{key: key, label: label, kind: fieldCheck, checked: on}
}

func selectField(key, label string, options []string, selected string) *field {
	fl := &field{key: key, label: label, kind: fieldSelect, options: options}
	for i, o := range options {
		if o == selected {
			fl.idx = i
		}
	}
	return fl
}

// labelled shows labels in place of a select's options (the options stay the values);
// the wire names go in the hint.
func labelled(fl *field, labels []string) *field {
	fl.labels = labels
	return fl
}

// hinted sets a field's hint (a permission's wire name, say).
func hinted(fl *field, hint string) *field {
	fl.hint = hint
	return fl
}

func noteField(label string) *field { return &field{label: label, kind: fieldNote} }

func (f *form) values() formValues {
	v := formValues{}
	for _, fl := range f.fields {
		switch fl.kind {
		case fieldText, fieldSecret:
			v[fl.key] = fl.input.Value()
		case fieldCheck:
			if fl.checked {
				v[fl.key] = "true"
			} else {
				v[fl.key] = "false"
			}
		case fieldSelect:
			v[fl.key] = fl.options[fl.idx]
		}
	}
	return v
}

func (f *form) visible(i int, v formValues) bool {
	fl := f.fields[i]
	return fl.hidden == nil || !fl.hidden(v)
}

func (f *form) focusable(i int, v formValues) bool {
	return i == len(f.fields) || (f.fields[i].kind != fieldNote && f.visible(i, v))
}

// moveFocus moves to the next (dir 1) or previous (-1) focusable row, wrapping.
func (f *form) moveFocus(dir int) tea.Cmd {
	v := f.values()
	n := len(f.fields) + 1
	i := f.focus
	for range n {
		i = (i + dir + n) % n
		if f.focusable(i, v) {
			break
		}
	}
	return f.setFocus(i)
}

func (f *form) setFocus(i int) tea.Cmd {
	if f.focus >= 0 && f.focus < len(f.fields) {
		f.fields[f.focus].input.Blur()
	}
	f.focus = i
	if i < len(f.fields) {
		if fl := f.fields[i]; fl.kind == fieldText || fl.kind == fieldSecret {
			return fl.input.Focus()
		}
	}
	return nil
}

// lastInput reports whether the focused field is the last focusable one before the button.
func (f *form) lastInput() bool {
	v := f.values()
	for i := f.focus + 1; i < len(f.fields); i++ {
		if f.focusable(i, v) {
			return false
		}
	}
	return true
}

func (f *form) ShortHelp() []key.Binding {
	if f.forced {
		return []key.Binding{f.keys.next, f.keys.submit, f.c.global.ForceQuit}
	}
	return []key.Binding{f.keys.next, f.keys.toggle, f.keys.submit, f.keys.cancel}
}

func (f *form) FullHelp() [][]key.Binding {
	enter := bind("next field; on the last one: "+strings.ToLower(f.submit), "enter")
	return [][]key.Binding{{f.keys.next, f.keys.prev, enter}, {f.keys.toggle, f.keys.submit, f.keys.cancel}}
}

func (f *form) update(msg tea.Msg) (bool, tea.Cmd) {
	switch msg := msg.(type) {
	case formResultMsg:
		if msg.id != f.id {
			return false, nil
		}
		return f.result(msg)
	case tea.PasteMsg:
		if fl := f.focused(); fl != nil && (fl.kind == fieldText || fl.kind == fieldSecret) && !f.saving {
			var cmd tea.Cmd
			fl.input, cmd = fl.input.Update(msg)
			fl.err = ""
			return false, cmd
		}
	case tea.KeyPressMsg:
		if f.saving {
			return false, nil // one submission at a time; the answer is on its way
		}
		return f.key(msg)
	}
	return false, nil
}

func (f *form) focused() *field {
	if f.focus >= 0 && f.focus < len(f.fields) {
		return f.fields[f.focus]
	}
	return nil
}

func (f *form) key(msg tea.KeyPressMsg) (bool, tea.Cmd) {
	fl := f.focused()
	switch msg.String() {
	case "esc":
		return !f.forced, nil
	case "ctrl+s":
		return false, f.doSubmit()
	case "tab", "down":
		return false, f.moveFocus(1)
	case "shift+tab", "up":
		return false, f.moveFocus(-1)
	case "enter":
		if fl == nil || f.lastInput() {
			return false, f.doSubmit()
		}
		return false, f.moveFocus(1)
	}
	if fl == nil {
		return false, nil
	}
	switch fl.kind {
	case fieldCheck:
		switch msg.String() {
		case "space", "x", "left", "right", "h", "l":
			fl.checked = !fl.checked
			fl.err = ""
		}
	case fieldSelect:
		switch msg.String() {
		case "space", "right", "l":
			fl.idx = (fl.idx + 1) % len(fl.options)
			fl.err = ""
		case "left", "h":
			fl.idx = (fl.idx + len(fl.options) - 1) % len(fl.options)
			fl.err = ""
		}
	case fieldText, fieldSecret:
		before := fl.input.Value()
		var cmd tea.Cmd
		fl.input, cmd = fl.input.Update(msg)
		if fl.input.Value() != before {
			fl.err = "" // the user is fixing it
		}
		return false, cmd
	}
	return false, nil
}

func (f *form) doSubmit() tea.Cmd {
	v := f.values()
	for _, fl := range f.fields {
		fl.err = ""
	}
	f.general = ""
	if f.validate != nil {
		if errs := f.validate(v); len(errs) > 0 {
			return f.showErrors(errs)
		}
	}
	f.saving = true
	run := f.build(v)
	id := f.id
	return f.c.call(func(ctx context.Context, backend Backend, p *core.Principal) tea.Msg {
		ok, err := run(ctx, backend, p)
		return formResultMsg{id: id, ok: ok, err: err}
	})
}

func (f *form) result(msg formResultMsg) (bool, tea.Cmd) {
	f.saving = false
	if msg.err == nil {
		cmds := []tea.Cmd{flash(levelInfo, "%s", msg.ok)}
		if f.onSuccess != nil {
			cmds = append(cmds, f.onSuccess())
		}
		return true, tea.Batch(cmds...)
	}
	var ce *core.Error
	if errors.As(msg.err, &ce) && ce.Kind == core.KindValidation && len(ce.Details) > 0 {
		errs := map[string]string{}
		for _, d := range ce.Details {
			errs[d.Field] = d.Message
		}
		return false, f.showErrors(errs)
	}
	if f.errField != nil {
		if k := f.errField(msg.err); k != "" {
			return false, f.showErrors(map[string]string{k: errorText(msg.err)})
		}
	}
	f.general = errorText(msg.err)
	return false, errorFlash(msg.err)
}

// showErrors puts errors beside their fields, those naming no field of the form in the
// general line, and focuses the first field in error.
func (f *form) showErrors(errs map[string]string) tea.Cmd {
	first := -1
	var rest []string
	for k, m := range errs {
		placed := false
		for i, fl := range f.fields {
			if fl.key != "" && fl.key == k {
				fl.err = sanitize(m)
				placed = true
				if first < 0 || i < first {
					first = i
				}
			}
		}
		if !placed {
			rest = append(rest, sanitize(k+": "+m))
		}
	}
	if len(rest) > 0 {
		slices.Sort(rest)
		f.general = strings.Join(rest, "; ")
	}
	if first >= 0 {
		return tea.Batch(f.setFocus(first), flash(levelError, "Please correct the marked fields"))
	}
	return flash(levelError, "%s", f.general)
}

func (f *form) view(w, h int) string {
	st := f.c.styles
	bw, bh := dialogSize(w, h)
	v := f.values()
	// The layout counts hidden fields too (their rows stay, blank), so that a field
	// appearing as one types (the deletion policies once a date is typed) does not make
	// the dialog grow or shift.
	lw := 0
	for _, fl := range f.fields {
		if fl.kind != fieldNote {
			lw = max(lw, ansi.StringWidth(fl.label))
		}
	}
	lw = min(lw, bw/2)
	var lines []string
	focusLine := 0
	for i, fl := range f.fields {
		if !f.visible(i, v) {
			lines = append(lines, "")
			continue
		}
		if fl.kind == fieldNote {
			lines = append(lines, ansi.Truncate(st.header.Render(fl.label), bw, "…"))
			continue
		}
		if i == f.focus {
			focusLine = len(lines)
		}
		lines = append(lines, f.fieldLine(fl, i == f.focus, lw, bw))
		if fl.err != "" {
			lines = append(lines, ansi.Truncate(strings.Repeat(" ", lw+4)+st.errText.Render("↳ "+fl.err), bw, "…"))
		}
	}
	lines = append(lines, "")
	button := "[ " + f.submit + " ]"
	if f.saving {
		button = "[ " + f.submit + " … saving ]"
	}
	if f.focus == len(f.fields) {
		focusLine = len(lines)
		lines = append(lines, st.buttonF.Render(button))
	} else {
		lines = append(lines, st.button.Render(button))
	}
	if f.general != "" {
		lines = append(lines, ansi.Truncate(st.errText.Render(f.general), bw, "…"))
	}
	// Scroll so the focused row is on screen; a long form (permissions) is taller than a
	// small terminal.
	if total := len(lines); total > bh && bh >= 3 {
		top := min(max(focusLine-bh/2, 0), total-bh)
		lines = lines[top : top+bh]
		if top > 0 {
			lines[0] = st.dim.Render("  ↑ more")
		}
		if top+bh < total {
			lines[len(lines)-1] = st.dim.Render("  ↓ more")
		}
	}
	return box(f.c, f.title, strings.Join(lines, "\n"), w, h)
}

func (f *form) fieldLine(fl *field, focused bool, lw, bw int) string {
	st := f.c.styles
	label := ansi.Truncate(fl.label, lw, "…")
	label += strings.Repeat(" ", lw-ansi.StringWidth(label))
	prefix := "  "
	if focused {
		prefix = "› "
		label = st.focused.Render(label)
	} else {
		label = st.label.Render(label)
	}
	var val string
	switch fl.kind {
	case fieldText, fieldSecret:
		// Leave room for the hint: an input as wide as the box would push it off.
		hw := 0
		if fl.hint != "" {
			hw = ansi.StringWidth(fl.hint) + 2
		}
		fl.input.SetWidth(max(min(bw-lw-6-hw, 48), 12))
		val = fl.input.View()
		if !focused && fl.input.Value() == "" && fl.kind == fieldText {
			val = st.dim.Render("—")
		}
	case fieldCheck:
		if fl.checked {
			val = "[x]"
		} else {
			val = "[ ]"
		}
	case fieldSelect:
		opt := fl.options[fl.idx]
		if fl.labels != nil {
			opt = fl.labels[fl.idx]
		}
		val = "‹ " + opt + " ›"
	}
	line := prefix + label + "  " + val
	if fl.hint != "" {
		line += "  " + st.dim.Render(fl.hint)
	}
	return ansi.Truncate(line, bw, "…")
}
