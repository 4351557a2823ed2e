package media

import (
	"regexp"
	"strings"
)

var setupLine = regexp.MustCompile(`(?m)^a=setup:(active|passive|actpass|holdconn)\r?$`)

// setupOf returns the first a=setup value of a session description ("" when none).
func setupOf(sdp string) string {
	if m := setupLine.FindStringSubmatch(sdp); m != nil {
		return m[1]
	}
	return ""
}

// withSetup makes every a=setup line of an answer say role, keeping line endings.
func withSetup(sdp, role string) string {
	return setupLine.ReplaceAllStringFunc(sdp, func(line string) string {
		end := ""
		if strings.HasSuffix(line, "\r") {
			end = "\r"
		}
		return "a=setup:" + role + end
	})
}
