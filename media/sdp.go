package media

import (
	"regexp"
	"strings"

	"github.com/pion/sdp/v3"
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

// MaxPublished is how many tracks one peer may send at once: a microphone, a camera, a
// screen and its audio, with room for replacements still being negotiated. A client that
// offers more is refused before Pion sets anything up for them.
const MaxPublished = 8

// publishedIn counts the m-lines of a client's offer that send media (sendonly or
// sendrecv, port not 0); unparseable text counts as none and fails later in Pion.
func publishedIn(offer string) int {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(offer); err != nil {
		return 0
	}
	n := 0
	for _, m := range d.MediaDescriptions {
		if m.MediaName.Port.Value == 0 {
			continue
		}
		for _, a := range m.Attributes {
			if a.Key == "sendonly" || a.Key == "sendrecv" {
				n++
				break
			}
		}
	}
	return n
}
