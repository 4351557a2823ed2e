package web

import "net/http"

// pathIDNames are the path wildcards of the API.
var pathIDNames = []string{"userId", "roomId", "memberId", "keyId", "participantIdentity", "linkId"}

// checkPathIDs refuses path ids that no Conclave id can look like before anything reaches
// core: ids are short runs of letters, digits and "_-.:", never "..". An encoded "/", a
// quote or a NUL is answered 422 naming the parameter, so that a client sees why.
func checkPathIDs(r *http.Request) error {
	var p problems
	for _, name := range pathIDNames {
		id := r.PathValue(name)
		if id == "" {
			continue
		}
		if !validPathID(id) {
			p.add(name, "must be 1 to 128 characters of letters, digits, '_', '-', '.' and ':'")
		}
	}
	return p.err()
}

func validPathID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_', c == '-', c == ':':
		case c == '.':
			if i+1 < len(id) && id[i+1] == '.' {
				return false
			}
		default:
			return false
		}
	}
	return id != "."
}
