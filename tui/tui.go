// Package tui is the control room: a Bubble Tea interface over core, the same for the
// local terminal and every SSH session (ARCHITECTURE: tui imports core only). It reaches
// the server through Backend, which *core.Service implements.
package tui

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// Identity says who the control room acts for and where they are.
type Identity struct {
	// UserID is the signed-in internal user; the local terminal uses core.RootAdminID.
	UserID string
	// Meta goes into every audit entry: Via "local" or "ssh", Source the client address,
	// Device the SSH client version.
	Meta core.RequestMeta
}

// Options describe the server around the control room (shown in the status bar), how to
// draw it, and how long it lives.
type Options struct {
	HTTPAddr string // e.g. ":8080"
	SSHAddr  string // e.g. ":2222", "" when SSH is off
	BaseURL  string // public URL with base path
	// NoColor renders without colour (NO_COLOR, or a terminal without colours).
	NoColor bool
	// DarkBackground picks the dark theme; the caller learns it from the terminal.
	DarkBackground bool
	// Context, when set, bounds the control room: every core call uses it, and when it
	// ends (the SSH session closed) the control room leaves the event bus, so a session
	// that went away leaves no subscriber and no goroutine behind. Quitting (q, ctrl+c)
	// leaves the bus too.
	Context context.Context
	// InitialPasswordFile, when set, is the file holding the root admin's generated
	// password (production's first start); the root admin's first screen names it.
	InitialPasswordFile string
	// Term is the terminal's TERM; Tmux says the control room runs inside tmux (the local
	// terminal's TMUX variable) and TmuxClipboard is tmux's set-clipboard option when
	// known. They tell whether y's copy through the terminal (OSC 52) may not arrive, in
	// which case the link is also shown whole, selected, to be copied by hand.
	Term          string
	Tmux          bool
	TmuxClipboard string
	// ExportDir is where the Audit tab's exports are written (the data directory's
	// exports/); "" offers no export.
	ExportDir string
}

// New builds the control room for one user; backend is the server's *core.Service. It
// resolves the user's principal through backend.UserPrincipal when it starts and again
// whenever the user changes, so that role and password state are current; a user who
// must change its password sees that screen first.
func New(backend Backend, id Identity, opts Options) tea.Model {
	return newApp(backend, id, opts)
}
