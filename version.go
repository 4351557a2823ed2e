package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// versionLine is what `conclave --version` prints, from the build information the Go
// toolchain writes into the binary: the module version (a tag, or a pseudo-version built
// from the commit), the commit, its date and whether the tree had changes, and the Go
// version. A binary built without VCS information says only what it knows.
func versionLine(bi *debug.BuildInfo, ok bool) string {
	if !ok || bi == nil {
		return "conclave (no build information) " + runtime.Version()
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	s := "conclave " + version
	var rev, when string
	modified := false
	for _, kv := range bi.Settings {
		switch kv.Key {
		case "vcs.revision":
			rev = kv.Value
		case "vcs.time":
			when = kv.Value
		case "vcs.modified":
			modified = kv.Value == "true"
		}
	}
	if rev != "" {
		s += " (commit " + rev[:min(len(rev), 12)]
		if when != "" {
			s += ", " + when
		}
		if modified {
			s += ", with local changes"
		}
		s += ")"
	}
	return fmt.Sprintf("%s %s %s/%s", s, bi.GoVersion, runtime.GOOS, runtime.GOARCH)
}
