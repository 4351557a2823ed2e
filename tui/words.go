package tui

// Labels a person reads, in place of the wire names of core and the REST API. The wire
// names stay where they help: in the help and the details (and in REST, unchanged).

// roleLabel names a member's base role.
func roleLabel(role string) string {
	return sanitize(role)
}
