package tui_test

import (
	"conclave/core"
	"conclave/tui"
)

// local.go and the SSH server pass *core.Service to tui.New; this makes a method that
// core renames or reshapes break the build here, next to the interface, rather than there.
var _ tui.Backend = (*core.Service)(nil)
